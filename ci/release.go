package ci

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/compiler/ruletest"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// ErrLint reports rule files with errors, or with warnings under
// BuildOptions.Strict.
var ErrLint = errors.New("lint failed")

// ErrTests reports rule tests that fail, cannot be read, or cover fewer
// rules than BuildOptions.MinCoverage asks.
var ErrTests = errors.New("rule tests failed")

// Default locations of a rules repository's rule files and tests, relative
// to the directory given to Build.
const (
	DefaultRulesDir = "rules"
	DefaultTestsDir = "tests"
)

// BuildOptions configures Build. The zero value builds the rules/
// directory, runs tests/ when it exists, and refuses a dirty work tree.
type BuildOptions struct {
	// Git configures how the repository is described (tag prefix, remote).
	Git Options
	// Rules are rule files and directories in load order, relative to the
	// directory given to Build (or absolute); they must be inside the
	// repository. A directory contributes its *.yaml and *.yml files in
	// lexical order, as the compiler reads it. Default: DefaultRulesDir.
	Rules []string
	// Tests are rule-test files and directories (searched recursively for
	// *.yaml and *.yml). Default: DefaultTestsDir when it exists, else
	// none. NoTests skips the tests even when the default exists.
	Tests   []string
	NoTests bool
	// AllowDirty builds from a work tree with uncommitted changes: the
	// files are then read from the work tree rather than from the commit,
	// and the version is a ".dirty" pseudo-version.
	AllowDirty bool
	// Strict fails the build on warnings.
	Strict bool
	// EngineVersion is the Falco engine version the rules are checked
	// against ("" for the newest known).
	EngineVersion string
	// MinCoverage is the lowest accepted percentage of rules that have both
	// a firing and a non-firing case.
	MinCoverage float64
	// Capture reads the capture files rule tests may name; see
	// ruletest.Options. Paths given to it are absolute.
	Capture func(path string, fn func(*eval.Event)) error
	// Version overrides the version read from the repository's tags.
	Version string
}

// RuleFile is one rule file of a release.
type RuleFile struct {
	// Path is the file's path in the repository (slash-separated);
	// Name is the name it is packaged under: relative to the rules
	// directory it came from, or its base name when named directly.
	Path, Name string
	Data       []byte
}

// Stage is the wall-clock time one step of the pipeline took.
type Stage struct {
	Name     string
	Duration time.Duration
}

// Release is a ruleset built and tested at one commit of a rules
// repository, ready to publish.
type Release struct {
	// Info describes the commit. Version is the version to publish: the
	// tag's, a pseudo-version, or BuildOptions.Version.
	Info    *Info
	Version string
	// Rules are the rule files in load order.
	Rules []RuleFile
	// Diagnostics holds every diagnostic of the rule files (warnings
	// included), sorted.
	Diagnostics syntax.ErrorList
	// Program is the compiled ruleset, Compiled its deterministic
	// encoding and CompiledDigest the encoding's digest.
	Program        *ir.Program
	Compiled       []byte
	CompiledDigest string
	// Tests is the outcome of the rule tests; nil when none ran.
	Tests *ruletest.Report
	// Stages are the steps taken, with their durations.
	Stages []Stage
}

// Build describes the git repository containing dir, loads and checks the
// rule files (lint), compiles them, and runs the rule tests, the first half
// of the publish pipeline. When the work tree is clean the files are read
// from the HEAD commit itself, so the release holds exactly what was
// committed.
//
// When the rules have errors the error wraps ErrLint; when tests fail it
// wraps ErrTests. In both cases the Release is returned too, with the
// Diagnostics and Tests to report. Other errors return a nil Release.
func Build(dir string, opts BuildOptions) (*Release, error) {
	start := time.Now()
	info, err := Describe(dir, opts.Git)
	if err != nil {
		return nil, err
	}
	if info.Dirty && !opts.AllowDirty {
		return nil, info.RequireClean()
	}
	rel := &Release{Info: info, Version: info.Version}
	if opts.Version != "" {
		rel.Version = opts.Version
	}

	root, err := filepath.EvalSymlinks(info.Root)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	var fsys fs.FS
	if info.Dirty {
		fsys = os.DirFS(root)
	} else {
		snap, err := Tree(root, info.Commit)
		if err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
		fsys = snap
	}
	rules := opts.Rules
	if len(rules) == 0 {
		rules = []string{DefaultRulesDir}
	}
	rulePaths, err := repoPaths(root, dir, rules)
	if err != nil {
		return nil, fmt.Errorf("build: rules: %w", err)
	}
	if rulePaths, err = expandRoot(fsys, rulePaths); err != nil {
		return nil, fmt.Errorf("build: rules: %w", err)
	}
	var testPaths []string
	switch {
	case opts.NoTests:
	case len(opts.Tests) > 0:
		if testPaths, err = repoPaths(root, dir, opts.Tests); err != nil {
			return nil, fmt.Errorf("build: tests: %w", err)
		}
	default:
		p, err := repoPaths(root, dir, []string{DefaultTestsDir})
		if err != nil {
			return nil, fmt.Errorf("build: tests: %w", err)
		}
		if st, err := fs.Stat(fsys, p[0]); err == nil && st.IsDir() {
			testPaths = p
		}
	}
	rel.stage("describe", start)

	start = time.Now()
	prog, diags, err := compiler.Compile(fsys, rulePaths, compiler.Options{EngineVersion: opts.EngineVersion})
	rel.Diagnostics = diags
	if err != nil {
		if !diags.HasErrors() {
			return nil, fmt.Errorf("build: %w", err)
		}
		return rel, fmt.Errorf("build: %w: %d error(s)", ErrLint, len(diags.Errors()))
	}
	if n := len(diags.Warnings()); opts.Strict && n > 0 {
		return rel, fmt.Errorf("build: %w: %d warning(s) in strict mode", ErrLint, n)
	}
	rel.Program = prog
	if rel.Rules, err = ruleFiles(fsys, rulePaths, prog.Sources); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	rel.stage("lint+compile", start)

	if len(testPaths) > 0 {
		start = time.Now()
		if err := rel.runTests(fsys, root, testPaths, opts); err != nil {
			return rel, fmt.Errorf("build: %w", err)
		}
		rel.stage("test", start)
	}

	start = time.Now()
	if rel.Compiled, err = ir.Encode(prog); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	rel.CompiledDigest = ir.Digest(rel.Compiled)
	rel.stage("encode", start)
	return rel, nil
}

func (r *Release) stage(name string, start time.Time) {
	r.Stages = append(r.Stages, Stage{Name: name, Duration: time.Since(start)})
}

// runTests parses and runs the rule tests under paths.
func (r *Release) runTests(fsys fs.FS, root string, paths []string, opts BuildOptions) error {
	names, err := testFiles(fsys, paths)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTests, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("%w: no test files in %s", ErrTests, strings.Join(paths, ", "))
	}
	var files []*ruletest.File
	var errs []error
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrTests, err)
		}
		f, err := ruletest.Parse(n, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrTests, errors.Join(errs...))
	}
	ropts := ruletest.Options{}
	if opts.Capture != nil {
		// Case files are named relative to the repository root; captures
		// are read from the work tree.
		ropts.Capture = func(p string, fn func(*eval.Event)) error {
			if !filepath.IsAbs(p) {
				p = filepath.Join(root, filepath.FromSlash(p))
			}
			return opts.Capture(p, fn)
		}
	}
	rep, err := ruletest.Run(r.Program, files, ropts)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTests, err)
	}
	r.Tests = rep
	if n := rep.Failed(); n > 0 {
		return fmt.Errorf("%w: %d of %d case(s) failed", ErrTests, n, len(rep.Results))
	}
	if pct := CoveragePercent(rep); pct < opts.MinCoverage {
		return fmt.Errorf("%w: rule coverage %.1f%% is below the minimum %.1f%%", ErrTests, pct, opts.MinCoverage)
	}
	return nil
}

// CoveragePercent is the percentage of rules with both a firing and a
// non-firing case (100 when there are no rules).
func CoveragePercent(rep *ruletest.Report) float64 {
	if len(rep.Coverage) == 0 {
		return 100
	}
	n := 0
	for _, c := range rep.Coverage {
		if c.Covered() {
			n++
		}
	}
	return 100 * float64(n) / float64(len(rep.Coverage))
}

// repoPaths turns paths relative to dir (or absolute) into slash-separated
// paths relative to the repository root, refusing any outside it.
func repoPaths(root, dir string, paths []string) ([]string, error) {
	base, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if b, err := filepath.EvalSymlinks(base); err == nil {
		base = b
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(base, p)
		}
		abs = filepath.Clean(abs)
		// Resolve symbolic links on the longest existing prefix, so that
		// a path under a linked temporary directory still matches root.
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("%s is outside the repository %s", p, root)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}

// expandRoot replaces the repository root among paths by the rule files at
// its top level, leaving out hidden files such as .gitlab-ci.yml.
func expandRoot(fsys fs.FS, paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p != "." {
			out = append(out, p)
			continue
		}
		ents, err := fs.ReadDir(fsys, ".")
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !e.IsDir() && isYAML(e.Name()) && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, e.Name())
			}
		}
	}
	return out, nil
}

// ruleFiles reads the rule files the paths name, as the compiler expands
// them, and checks they are the files it compiled.
func ruleFiles(fsys fs.FS, paths []string, sources []ir.Source) ([]RuleFile, error) {
	var out []RuleFile
	seen := map[string]string{}
	for _, p := range paths {
		st, err := fs.Stat(fsys, p)
		if err != nil {
			return nil, err
		}
		var names []string
		if st.IsDir() {
			ents, err := fs.ReadDir(fsys, p)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				if !e.IsDir() && isYAML(e.Name()) {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
		} else {
			names = []string{path.Base(p)}
		}
		for _, n := range names {
			full := p
			if st.IsDir() {
				full = path.Join(p, n)
			}
			if prev, ok := seen[n]; ok {
				return nil, fmt.Errorf("rule files %s and %s would both be packaged as %s", prev, full, n)
			}
			seen[n] = full
			data, err := fs.ReadFile(fsys, full)
			if err != nil {
				return nil, err
			}
			out = append(out, RuleFile{Path: full, Name: n, Data: data})
		}
	}
	if len(out) != len(sources) {
		return nil, fmt.Errorf("read %d rule files, compiled %d", len(out), len(sources))
	}
	for i, f := range out {
		sum := sha256.Sum256(f.Data)
		if h := hex.EncodeToString(sum[:]); h != sources[i].SHA256 {
			return nil, fmt.Errorf("rule file %s changed while it was compiled", f.Path)
		}
	}
	return out, nil
}

// testFiles lists the test files under paths: files as given, directories
// searched recursively, sorted.
func testFiles(fsys fs.FS, paths []string) ([]string, error) {
	var names []string
	for _, p := range paths {
		err := fs.WalkDir(fsys, p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if q == p && !d.IsDir() {
				names = append(names, q)
				return nil
			}
			if !d.IsDir() && isYAML(q) {
				names = append(names, q)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(names)
	return names, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}
