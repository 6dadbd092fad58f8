package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
)

const diffLong = `Diff compares two rulesets semantically: rules added, removed, enabled or
disabled; conditions changed (printed normalised, after lists, macros and
exceptions are resolved); output, priority and tag changes; and changes to
event types and to the syscall set the kernel captures.

OLD and NEW may each be a compiled ruleset (.fcr), or a comma-separated
list of rule files and directories compiled in that order.

The Markdown format is meant for a pull-request comment.`

func newDiffCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "diff [flags] OLD NEW",
		Short: "Show the semantic difference between two rulesets",
		Long:  diffLong,
		Example: `  falconer diff old.fcr new.fcr
  falconer diff falco_rules.yaml,custom_v1.yaml falco_rules.yaml,custom_v2.yaml --format markdown`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "text" && format != "markdown" {
				return usagef(c.CommandPath(), "--format must be text or markdown, not %q", format)
			}
			old, err := loadRuleset(args[0])
			if err != nil {
				return err
			}
			new, err := loadRuleset(args[1])
			if err != nil {
				return err
			}
			changes := ir.Diff(old, new, eventName)
			if format == "markdown" {
				return ir.WriteDiffMarkdown(c.OutOrStdout(), changes)
			}
			return ir.WriteDiffText(c.OutOrStdout(), changes)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or markdown")
	return c
}

func eventName(code uint16) string { return fields.EventName(fields.EventCode(code)) }

// loadRuleset reads a ruleset named on the command line: a compiled
// ruleset file, or rule files and directories (comma-separated) to
// compile.
func loadRuleset(spec string) (*ir.Program, error) {
	return loadRulesArg(strings.Split(spec, ","))
}

// loadRulesArg loads rules given as a list of paths: one compiled ruleset
// (.fcr), or rule files and directories compiled in order.
func loadRulesArg(paths []string) (*ir.Program, error) {
	if len(paths) == 1 && strings.HasSuffix(paths[0], ".fcr") {
		spec := paths[0]
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, err
		}
		p, err := ir.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		return p, nil
	}
	p, diags, err := compileRules(paths)
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(paths, ","), err, diags.Errors())
	}
	return p, nil
}
