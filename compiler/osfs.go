package compiler

import (
	"io/fs"
	"os"
)

// OSFS is an fs.FS over operating-system file names exactly as a user
// typed them, relative or absolute, so that diagnostics name files as
// given on a command line. os.DirFS cannot serve absolute names.
type OSFS struct{}

// Open opens the named file.
func (OSFS) Open(name string) (fs.File, error) { return os.Open(name) }

// ReadFile reads the named file.
func (OSFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// ReadDir reads the named directory.
func (OSFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// Stat returns the named file's information.
func (OSFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }
