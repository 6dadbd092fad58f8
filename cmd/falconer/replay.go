package main

import (
	"bufio"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/compiler/eval"
)

const replayLong = `Replay runs a capture file (.scap, plain or gzip, as written by Falco,
sysdig or falconer-agent --capture) through rules: the process and fd state
is rebuilt event by event, every event is evaluated, and the alerts are
printed in Falco's text or JSON format, followed by a summary.

--rules takes rule files and directories (compiled on the fly) or a
compiled ruleset (.fcr).`

func newReplayCmd() *cobra.Command {
	var (
		rules      []string
		output     string
		quiet      bool
		allMatches bool
	)
	c := &cobra.Command{
		Use:   "replay --rules RULES... [flags] FILE.scap",
		Short: "Replay a capture file through rules and print the alerts",
		Long:  replayLong,
		Example: `  falconer replay --rules testdata/upstream-rules/falco_rules.yaml capture.scap
  falconer replay -r ruleset.fcr capture.scap.gz --output json`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(rules) == 0 {
				return usagef(c.CommandPath(), "--rules is required")
			}
			if output != "text" && output != "json" {
				return usagef(c.CommandPath(), "--output must be text or json, not %q", output)
			}
			prog, err := loadRulesArg(rules)
			if err != nil {
				return err
			}
			eng, err := eval.New(prog, eval.Options{AllMatches: allMatches})
			if err != nil {
				return err
			}
			w := bufio.NewWriterSize(c.OutOrStdout(), 64<<10)
			defer w.Flush()
			sum, err := replay.File(c.Context(), args[0], eng, replay.Options{}, func(a *eval.Alert) error {
				if quiet {
					return nil
				}
				if output == "json" {
					w.Write(a.JSON())
					return w.WriteByte('\n')
				}
				_, err := fmt.Fprintln(w, a.Text())
				return err
			})
			w.Flush()
			errw := c.ErrOrStderr()
			fmt.Fprintf(errw, "Events detected: %d\nRule counts by severity:\n", sum.Alerts)
			for _, name := range sum.Rules() {
				fmt.Fprintf(errw, "  %s: %d\n", name, sum.ByRule[name])
			}
			fmt.Fprintf(errw, "Syscall events: %d read, %d evaluated, in %s (%.0f events/s)\n",
				sum.Events, sum.Evaluated, sum.Duration.Round(time.Millisecond), sum.EventsPerSecond())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringSliceVarP(&rules, "rules", "r", nil, "rule files, directories or a compiled ruleset (.fcr), in order (repeatable)")
	f.StringVarP(&output, "output", "o", "text", "alert format: text or json")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the summary")
	f.BoolVar(&allMatches, "all-matches", false, "report every matching rule per event, not only the first (Falco's rule_matching: all)")
	return c
}
