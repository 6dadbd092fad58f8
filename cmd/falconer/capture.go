package main

import (
	"fmt"

	"github.com/falconer-sec/falconer/compiler/eval"
)

// readCapture reads the events of a capture file for rule tests.
func readCapture(path string) ([]*eval.Event, error) {
	return nil, fmt.Errorf("reading capture files is not supported yet")
}
