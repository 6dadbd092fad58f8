// Command falconer is the Falconer rule compiler: it lints Falco rule files,
// runs rule unit tests, compiles rulesets, and packages, pushes and signs them
// as OCI artifacts.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/falconer-sec/falconer/registry"
)

// Exit codes.
const (
	exitOK       = 0 // success
	exitFindings = 1 // lint errors, failing tests, other failures
	exitUsage    = 2 // bad flags or arguments

	// Registry and verification outcomes callers branch on.
	exitUnreachable        = 3
	exitNotFound           = 4
	exitNotSigned          = 5
	exitSignatureInvalid   = 6
	exitAttestationMissing = 7
)

// registryExits maps the registry package's sentinel errors to exit codes.
var registryExits = []struct {
	err  error
	code int
}{
	{registry.ErrUnreachable, exitUnreachable},
	{registry.ErrNotFound, exitNotFound},
	{registry.ErrNotSigned, exitNotSigned},
	{registry.ErrSignatureInvalid, exitSignatureInvalid},
	{registry.ErrAttestationMissing, exitAttestationMissing},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the process exit code.
func run(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "falconer: %v\nRun '%s --help' for usage.\n", err, ue.cmd)
		return exitUsage
	case errors.Is(err, errFindings):
		// The command has already printed its findings.
		return exitFindings
	default:
		fmt.Fprintf(os.Stderr, "falconer: %v\n", err)
		for _, re := range registryExits {
			if errors.Is(err, re.err) {
				return re.code
			}
		}
		return exitFindings
	}
}
