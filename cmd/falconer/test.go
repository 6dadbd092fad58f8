package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/compiler/ruletest"
)

const testLong = `Test runs rule unit tests: YAML cases that set up a process tree, a
container and a sequence of events, and state which rules must fire and
which must not (see docs/rule-tests.md). The cases run through the same
evaluator as the agent.

TESTS are test files or directories (searched recursively for *.yaml and
*.yml). Failures print the case's and the rule's file:line and a diff of
expected against actual alerts. Exit status 1 when a case fails or the
coverage gate is not met.`

func newTestCmd() *cobra.Command {
	var (
		rules       []string
		junit       string
		coverage    bool
		minCoverage float64
		verbose     bool
	)
	c := &cobra.Command{
		Use:   "test --rules RULES... [flags] TESTS...",
		Short: "Run rule unit tests",
		Long:  testLong,
		Example: `  falconer test --rules rules/ tests/
  falconer test --rules rules/ tests/ --junit report.xml --coverage --min-coverage 80`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(rules) == 0 {
				return usagef(c.CommandPath(), "--rules is required")
			}
			prog, diags, err := compileRules(rules)
			if err != nil {
				printDiags(c, diags.Errors())
				return errFindings
			}
			files, err := loadTestFiles(args)
			if err != nil {
				fmt.Fprintln(c.ErrOrStderr(), err)
				return errFindings
			}
			rep, err := ruletest.Run(prog, files, ruletest.Options{Capture: replay.TestCapture})
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			printTestReport(out, rep, verbose)
			if junit != "" {
				if err := writeJUnitFile(junit, rep); err != nil {
					return err
				}
			}
			pct := 100.0
			if coverage || minCoverage > 0 {
				pct = printCoverage(out, rep)
			}
			failed := rep.Failed()
			fmt.Fprintf(out, "%d passed, %d failed\n", len(rep.Results)-failed, failed)
			if failed > 0 {
				return errFindings
			}
			if pct < minCoverage {
				fmt.Fprintf(c.ErrOrStderr(), "falconer: rule coverage %.1f%% is below --min-coverage %.1f%%\n", pct, minCoverage)
				return errFindings
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringSliceVarP(&rules, "rules", "r", nil, "rule files or directories, loaded in order (repeatable)")
	f.StringVar(&junit, "junit", "", "write a JUnit XML report to this file")
	f.BoolVar(&coverage, "coverage", false, "report, per rule, whether it has a firing and a non-firing case")
	f.Float64Var(&minCoverage, "min-coverage", 0, "fail when fewer than this percentage of rules have both kinds of case")
	f.BoolVarP(&verbose, "verbose", "v", false, "print every case, not only failures")
	return c
}

// loadTestFiles parses the named test files and directories.
func loadTestFiles(paths []string) ([]*ruletest.File, error) {
	var names []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			names = append(names, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				names = append(names, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(names)
	var files []*ruletest.File
	var errs []string
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		f, err := ruletest.Parse(n, data)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return files, nil
}

func printTestReport(w io.Writer, rep *ruletest.Report, verbose bool) {
	for _, res := range rep.Results {
		c := res.Case
		if res.Passed() {
			if verbose {
				fmt.Fprintf(w, "PASS %s:%d: %s (%d events, %d alerts)\n", c.File, c.Line, c.Name, res.Events, len(res.Alerts))
			}
			continue
		}
		fmt.Fprintf(w, "FAIL %s:%d: %s\n", c.File, c.Line, c.Name)
		for _, f := range res.Failures {
			for _, line := range strings.Split(f, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}

// printCoverage prints per-rule coverage and returns the percentage of
// rules with both a firing and a non-firing case.
func printCoverage(w io.Writer, rep *ruletest.Report) float64 {
	covered := 0
	var missing []string
	for _, rc := range rep.Coverage {
		if rc.Covered() {
			covered++
			continue
		}
		var lack []string
		if !rc.Firing {
			lack = append(lack, "no firing case")
		}
		if !rc.Silent {
			lack = append(lack, "no non-firing case")
		}
		missing = append(missing, fmt.Sprintf("  %s:%d: %s: %s", rc.Origin.File, rc.Origin.Line, rc.Rule, strings.Join(lack, ", ")))
	}
	pct := 100.0
	if n := len(rep.Coverage); n > 0 {
		pct = 100 * float64(covered) / float64(n)
	}
	fmt.Fprintf(w, "coverage: %d of %d rules have firing and non-firing cases (%.1f%%)\n", covered, len(rep.Coverage), pct)
	for _, m := range missing {
		fmt.Fprintln(w, m)
	}
	return pct
}

func writeJUnitFile(name string, rep *ruletest.Report) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := rep.WriteJUnit(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
