// Package compiler turns Falco rule files into checked rule sets and
// compiled rulesets. Load reads and checks rule files (package syntax
// decodes them, package check resolves and checks them); Compile goes on to
// produce the compiled ruleset of package ir.
package compiler

import (
	"io/fs"

	"github.com/falconer-sec/falconer/compiler/check"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// Options configures Load and Compile. The zero value targets Falco master.
type Options struct {
	// EngineVersion is the Falco engine version the rules are checked
	// against, as "x.y.z"; "" means check.DefaultEngineVersion.
	EngineVersion string
}

// Load reads the named rule files and directories (a directory contributes
// its *.yaml and *.yml files in lexical order) from fsys, in order, and
// checks them as one rule set, as Falco loads several rule files.
// Diagnostics use the paths as given.
//
// The result is never nil. The list holds every diagnostic, warnings
// included, sorted by position; the result is complete only when the list
// has no errors. A path that cannot be read is reported as an error.
func Load(fsys fs.FS, paths []string, opts Options) (*check.Result, syntax.ErrorList) {
	return load(fsys, paths, opts, nil)
}

// load is Load, calling onSource (if not nil) with each rule file it read,
// in load order.
func load(fsys fs.FS, paths []string, opts Options, onSource func(name string, src []byte)) (*check.Result, syntax.ErrorList) {
	var diags syntax.ErrorList
	var files []*syntax.File
	for _, p := range paths {
		names, err := expand(fsys, p)
		if err != nil {
			diags.Errorf(syntax.Pos{File: p}, syntax.CodeFileRead, "could not read rules file: %v", err)
			continue
		}
		for _, name := range names {
			src, err := fs.ReadFile(fsys, name)
			if err != nil {
				diags.Errorf(syntax.Pos{File: name}, syntax.CodeFileRead, "could not read rules file: %v", err)
				continue
			}
			if onSource != nil {
				onSource(name, src)
			}
			f, errs := syntax.LoadFile(name, src)
			diags = append(diags, errs...)
			files = append(files, f)
		}
	}
	res, cdiags := check.Check(files, check.Config{EngineVersion: opts.EngineVersion})
	diags = append(diags, cdiags...)
	diags.Sort()
	return res, diags
}
