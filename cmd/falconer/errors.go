package main

import (
	"errors"
	"fmt"
)

// errFindings is returned by a command that has already reported its
// findings (lint errors, failed tests) and wants exit status 1.
var errFindings = errors.New("findings")

// usageError marks a command-line mistake (exit status 2).
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error for the command path cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}
