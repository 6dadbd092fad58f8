package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/compiler"
)

const lintLong = `Lint loads Falco rule files in order, as Falco does with several -r
options, and reports every error and warning as file:line:col diagnostics.

A directory contributes its *.yaml and *.yml files in lexical order. Later
files may append to, override or redefine items of earlier ones.

Exit status: 0 when there are no errors (and, with --strict, no warnings),
1 when there are, 2 on a usage error.`

func newLintCmd() *cobra.Command {
	var (
		format        string
		strict        bool
		quiet         bool
		engineVersion string
	)
	c := &cobra.Command{
		Use:   "lint [flags] RULES...",
		Short: "Check rule files and report diagnostics",
		Long:  lintLong,
		Example: `  falconer lint rules/
  falconer lint falco_rules.yaml my_rules.yaml --strict
  falconer lint rules/ --format sarif > falconer.sarif`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !slices.Contains(diagFormats, format) {
				return usagef(c.CommandPath(), "--format must be one of %v, not %q", diagFormats, format)
			}
			_, diags := compiler.Load(compiler.OSFS{}, args, compiler.Options{EngineVersion: engineVersion})
			diags.Sort()
			shown := diags
			if quiet {
				shown = diags.Errors()
			}
			if err := writeDiagnostics(c.OutOrStdout(), format, shown); err != nil {
				return err
			}
			nerr, nwarn := len(diags.Errors()), len(diags.Warnings())
			if format == "text" && (nerr > 0 || nwarn > 0) {
				fmt.Fprintf(c.ErrOrStderr(), "%d error(s), %d warning(s)\n", nerr, nwarn)
			}
			if nerr > 0 || (strict && nwarn > 0) {
				return errFindings
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&format, "format", "text", "output format: text, json or sarif")
	f.BoolVar(&strict, "strict", false, "treat warnings as errors (exit status 1)")
	f.BoolVarP(&quiet, "quiet", "q", false, "print errors only, no warnings")
	f.StringVar(&engineVersion, "engine-version", "", "Falco engine version to check against (default: the newest known)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(diagFormats, cobra.ShellCompDirectiveNoFileComp))
	return c
}
