package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/ci"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/kms"
)

const diffLong = `Diff compares two rulesets semantically: rules added, removed, enabled or
disabled; conditions changed (printed normalised, after lists, macros and
exceptions are resolved); output, priority and tag changes; and changes to
event types and to the syscall set the kernel captures.

OLD and NEW may each be:

  FILE.fcr         a compiled ruleset
  PATH[,PATH...]   rule files and directories, compiled in that order
  git:REV          the rule files (--rules, default rules/) at a revision
                   of the git repository --repo: a hash, branch, tag, HEAD,
                   with ~N and ^N suffixes (git:HEAD~1, git:v1.2.0)
  oci:REF          a published artifact (oci:ghcr.io/acme/rules:1.2): its
                   compiled ruleset, or its rule files when the compiled
                   layer is missing or from an incompatible compiler; with
                   --key its signature is verified first

The Markdown format is meant for a pull-request comment.`

func newDiffCmd() *cobra.Command {
	var (
		format string
		src    rulesetSource
		rf     remoteFlags
	)
	c := &cobra.Command{
		Use:   "diff [flags] OLD NEW",
		Short: "Show the semantic difference between two rulesets",
		Long:  diffLong,
		Example: `  falconer diff old.fcr new.fcr
  falconer diff falco_rules.yaml,custom_v1.yaml falco_rules.yaml,custom_v2.yaml --format markdown
  falconer diff git:v1.2.0 git:HEAD --repo . --rules rules/
  falconer diff oci:ghcr.io/acme/falco-rules:1 rules/ --key cosign.pub`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "text" && format != "markdown" {
				return usagef(c.CommandPath(), "--format must be text or markdown, not %q", format)
			}
			var err error
			if src.remote, err = rf.remote(c); err != nil {
				return err
			}
			src.warn = c.ErrOrStderr()
			old, err := src.load(c.Context(), args[0])
			if err != nil {
				return err
			}
			new, err := src.load(c.Context(), args[1])
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
	f := c.Flags()
	f.StringVar(&format, "format", "text", "output format: text or markdown")
	f.StringVar(&src.repo, "repo", ".", "git repository that git:REV rulesets are read from")
	f.StringSliceVar(&src.rules, "rules", []string{ci.DefaultRulesDir}, "rule files and directories of git:REV rulesets, relative to the repository root, in load order")
	f.StringVar(&src.key, "key", "", "verify oci:REF rulesets' signatures with this public key (file or KMS URI)")
	rf.register(f)
	return c
}

// rulesetSource loads the rulesets named on diff's command line.
type rulesetSource struct {
	repo   string
	rules  []string
	key    string
	remote registry.Remote
	warn   io.Writer
}

// load reads one ruleset: git:REV, oci:REF, a compiled ruleset, or rule
// files to compile.
func (s *rulesetSource) load(ctx context.Context, spec string) (*ir.Program, error) {
	switch {
	case strings.HasPrefix(spec, "git:"):
		return s.loadGit(strings.TrimPrefix(spec, "git:"))
	case strings.HasPrefix(spec, "oci:"):
		return s.loadOCI(ctx, strings.TrimPrefix(spec, "oci:"))
	}
	return loadRuleset(spec)
}

// loadGit compiles the rule files of a revision, read from the commit.
func (s *rulesetSource) loadGit(rev string) (*ir.Program, error) {
	snap, err := ci.Tree(s.repo, rev)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range s.rules {
		p = path.Clean(filepath.ToSlash(p))
		if !fs.ValidPath(p) {
			return nil, fmt.Errorf("--rules %s: want a path relative to the repository root", p)
		}
		paths = append(paths, p)
	}
	compiler.Version = "falconer " + falconerVersion()
	p, diags, err := compiler.Compile(snap, paths, compiler.Options{})
	if err != nil {
		return nil, fmt.Errorf("git:%s (%s): %w\n%s", rev, snap.Commit[:12], err, diags.Errors())
	}
	return p, nil
}

// loadOCI pulls an artifact (after verifying it with --key) and returns its
// compiled ruleset, or compiles its rule files when the compiled layer is
// missing or cannot be decoded by this falconer.
func (s *rulesetSource) loadOCI(ctx context.Context, ref string) (*ir.Program, error) {
	if s.key != "" {
		v, err := registry.Verify(ctx, ref, registry.VerifyOptions{Remote: s.remote, KeyRef: s.key, Keys: kms.Resolver{}})
		if err != nil {
			return nil, explain(err)
		}
		ref = digestRef(ref, v.Digest)
	}
	pulled, err := registry.Pull(ctx, ref, registry.PullOptions{Remote: s.remote})
	if err != nil {
		return nil, explain(err)
	}
	if len(pulled.Compiled) > 0 {
		p, err := ir.Decode(pulled.Compiled)
		if err == nil {
			return p, nil
		}
		fmt.Fprintf(s.warn, "falconer: oci:%s: compiled ruleset: %v; compiling its rule files instead\n", ref, err)
	}
	// Compile the rule files as falcoctl installs them: into one
	// directory, loaded in lexical order.
	dir, err := os.MkdirTemp("", "falconer-diff-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	pulled.Compiled = nil
	if _, err := pulled.Extract(dir); err != nil {
		return nil, fmt.Errorf("oci:%s: %w", ref, err)
	}
	names := make([]string, 0, len(pulled.RuleFiles))
	for _, f := range pulled.RuleFiles {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	compiler.Version = "falconer " + falconerVersion()
	p, diags, err := compiler.Compile(os.DirFS(dir), names, compiler.Options{})
	if err != nil {
		return nil, fmt.Errorf("oci:%s: %w\n%s", ref, err, diags.Errors())
	}
	return p, nil
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
