package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

const buildLong = `Build compiles rule files into a compiled ruleset (.fcr): every enabled
rule with its resolved condition, pre-parsed output, event-type index, and
the syscall set the kernel probe must capture. The encoding is
deterministic: the same rule files give byte-identical output and the same
digest on any machine.

Rule files load in order, as with lint. Errors fail the build; warnings are
printed and, with --strict, fail it too.`

func newBuildCmd() *cobra.Command {
	var (
		out    string
		strict bool
		quiet  bool
	)
	c := &cobra.Command{
		Use:   "build [flags] RULES...",
		Short: "Compile rule files into a deterministic compiled ruleset",
		Long:  buildLong,
		Example: `  falconer build rules/ -o ruleset.fcr
  falconer build falco_rules.yaml custom.yaml -o dist/`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			prog, diags, err := compileRules(args)
			if !quiet {
				printDiags(c, diags)
			}
			if err != nil {
				return errFindings
			}
			if strict && len(diags.Warnings()) > 0 {
				fmt.Fprintf(c.ErrOrStderr(), "falconer: %d warning(s) with --strict\n", len(diags.Warnings()))
				return errFindings
			}
			data, err := ir.Encode(prog)
			if err != nil {
				return err
			}
			dest := out
			if st, err := os.Stat(out); err == nil && st.IsDir() {
				dest = filepath.Join(out, "ruleset.fcr")
			}
			if err := writeFileAtomic(dest, data); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: %d rules, %d syscalls, %d bytes, %s\n", dest, len(prog.Rules), len(prog.Syscalls), len(data), ir.Digest(data))
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&out, "output", "o", "ruleset.fcr", "output file, or a directory to write ruleset.fcr into")
	f.BoolVar(&strict, "strict", false, "fail on warnings")
	f.BoolVarP(&quiet, "quiet", "q", false, "do not print warnings")
	return c
}

// compileRules compiles rule files named on the command line.
func compileRules(paths []string) (*ir.Program, syntax.ErrorList, error) {
	compiler.Version = "falconer " + falconerVersion()
	return compiler.Compile(compiler.OSFS{}, paths, compiler.Options{})
}

// printDiags prints diagnostics to stderr as text, errors and warnings.
func printDiags(c *cobra.Command, diags syntax.ErrorList) {
	diags.Sort()
	for _, d := range diags {
		fmt.Fprintln(c.ErrOrStderr(), d.Error())
	}
}

// writeFileAtomic writes data to name through a temporary file and a
// rename, so readers never see a partial file.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
