package main

import (
	"io/fs"
	"os"
)

// osFS is an fs.FS over the operating system's file names as the user typed
// them (relative or absolute), so that diagnostics name files exactly as
// given on the command line. os.DirFS cannot do this: it rejects absolute
// names.
type osFS struct{}

func (osFS) Open(name string) (fs.File, error)          { return os.Open(name) }
func (osFS) ReadFile(name string) ([]byte, error)       { return os.ReadFile(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
