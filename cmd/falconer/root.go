package main

import (
	"github.com/spf13/cobra"
)

const rootLong = `Falconer treats Falco detection rules as code.

It lints rule files with precise file:line:col diagnostics, runs rule unit
tests, compiles rules ahead of time into a deterministic ruleset, and ships
that ruleset as a signed OCI artifact that falconer-agent (and falcoctl)
can pull and verify.`

// newRootCmd builds the command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "falconer",
		Short:         "Lint, test, compile and ship Falco rules as code",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef(c.CommandPath(), "%v", err)
	})
	root.CompletionOptions.HiddenDefaultCmd = false
	for _, c := range subcommands() {
		root.AddCommand(c)
	}
	return root
}

// exactArgs is cobra.ExactArgs with a usage error (exit status 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef(c.CommandPath(), "%s takes %d argument(s), got %d", c.CommandPath(), n, len(args))
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs with a usage error (exit status 2).
func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef(c.CommandPath(), "%s needs at least %d argument(s)", c.CommandPath(), n)
		}
		return nil
	}
}
