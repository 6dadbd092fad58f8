package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/falconer-sec/falconer/compiler/fields/internal/gen"
)

// TestRun writes the tables into a temporary directory and compares them
// with the committed ones.
func TestRun(t *testing.T) {
	out := t.TempDir()
	if err := run("../../data", out); err != nil {
		t.Fatalf("run = %v", err)
	}
	for _, name := range gen.Outputs() {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s written by run differs from the committed file", name)
		}
	}
	if err := run(t.TempDir(), out); err == nil {
		t.Error("run with an empty data directory succeeded")
	}
}
