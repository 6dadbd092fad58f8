// Command fieldsgen writes the generated tables of package fields from the
// catalog sources in its data directory. It is run by go generate in the
// package directory:
//
//	go run ./internal/fieldsgen [-data data] [-out .]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/falconer-sec/falconer/compiler/fields/internal/gen"
)

func main() {
	data := flag.String("data", "data", "directory holding the catalog sources")
	out := flag.String("out", ".", "directory to write the generated files to")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "fieldsgen:", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	files, err := gen.Generate(os.DirFS(data))
	if err != nil {
		return err
	}
	for _, name := range gen.Outputs() {
		if err := os.WriteFile(filepath.Join(out, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
