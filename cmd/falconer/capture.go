package main

import (
	"context"
	"os"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// readCapture replays a capture file for rule tests: every event, with
// the state engine applied, goes to fn.
func readCapture(path string, fn func(*eval.Event)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = replay.Each(context.Background(), f, replay.Options{Hostname: "falconer-test"}, func(ev *eval.Event) error {
		fn(ev)
		return nil
	})
	return err
}
