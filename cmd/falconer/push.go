package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/ci"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

const pushLong = `Push packages rule files and their compiled ruleset as an OCI artifact
that falcoctl installs as a Falco rulesfile, and pushes it to a registry.

The artifact holds the YAML rule files (a deterministic tar.gz), the
compiled ruleset (from --compiled, or compiled here from RULES), and
annotations naming the source repository, commit, version and creation
time. When the rule files are in a git repository, those come from its
HEAD commit: the version from the nearest semver tag (or a pseudo-version)
and the creation time from the commit, so the same commit always gives the
same manifest digest. A tree with uncommitted changes is refused unless
--allow-dirty is given.

Tags: the exact version, and the floating X.Y, X and latest when the
version is the highest of its minor, major, or overall; pre-releases get
only their exact tag. --tag replaces them.`

func newPushCmd() *cobra.Command {
	var (
		rf           remoteFlags
		name         string
		ver          string
		compiledPath string
		description  string
		source       string
		revision     string
		created      string
		gitDir       string
		noGit        bool
		allowDirty   bool
		tags         []string
	)
	c := &cobra.Command{
		Use:   "push [flags] REGISTRY/REPOSITORY RULES...",
		Short: "Package rules as an OCI artifact and push it",
		Long:  pushLong,
		Example: `  falconer push 127.0.0.1:5000/rules/custom rules/
  falconer push ghcr.io/acme/falco-rules --compiled ruleset.fcr --version 1.4.0 rules/*.yaml`,
		Args: minArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			ref, paths := args[0], args[1:]
			remote, err := rf.remote(c)
			if err != nil {
				return err
			}
			files, err := collectRuleFiles(paths)
			if err != nil {
				return err
			}
			rs := registry.Ruleset{
				Name:        name,
				Version:     ver,
				RuleFiles:   files,
				Description: description,
				Source:      source,
				Revision:    revision,
			}
			if rs.Name == "" {
				rs.Name = repositoryBase(ref)
			}

			if !noGit {
				dir := gitDir
				if dir == "" {
					dir = firstDir(paths)
				}
				info, err := ci.Describe(dir, ci.Options{})
				switch {
				case errors.Is(err, ci.ErrNotRepository) && gitDir == "":
				case err != nil:
					return err
				default:
					if info.Dirty && !allowDirty {
						return info.RequireClean()
					}
					if rs.Version == "" {
						rs.Version = info.Version
					}
					if rs.Source == "" {
						rs.Source = info.RemoteURL
					}
					if rs.Revision == "" {
						rs.Revision = info.Commit
					}
					rs.Created = info.CommitTime
				}
			}
			if created != "" {
				t, err := time.Parse(time.RFC3339, created)
				if err != nil {
					return usagef(c.CommandPath(), "--created: %v", err)
				}
				rs.Created = t
			} else if rs.Created.IsZero() {
				if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
					sec, err := strconv.ParseInt(epoch, 10, 64)
					if err != nil {
						return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
					}
					rs.Created = time.Unix(sec, 0).UTC()
				}
			}
			if rs.Version == "" {
				return usagef(c.CommandPath(), "no version: give --version, or push from a git repository")
			}

			var compiled []byte
			if compiledPath != "" {
				compiled, err = os.ReadFile(compiledPath)
				if err != nil {
					return err
				}
			} else {
				prog, diags, err := compileRules(paths)
				printDiags(c, diags.Errors())
				if err != nil {
					return errFindings
				}
				if compiled, err = ir.Encode(prog); err != nil {
					return err
				}
			}
			prog, err := ir.Decode(compiled)
			if err != nil {
				return fmt.Errorf("compiled ruleset: %w", err)
			}
			rs.Compiled = compiled
			rs.CompiledDigest = ir.Digest(compiled)
			rs.RuleCount = len(prog.Rules)
			rs.CompilerVersion = prog.Compiler
			rs.RequiredEngineVersion = prog.RequiredEngineVersion
			for _, p := range prog.PluginRequirements {
				d := registry.Dependency{Name: p.Name, Version: p.Version}
				for _, a := range p.Alternatives {
					d.Alternatives = append(d.Alternatives, registry.Alternative{Name: a.Name, Version: a.Version})
				}
				rs.Dependencies = append(rs.Dependencies, d)
			}

			a, err := registry.Pack(rs)
			if err != nil {
				return err
			}
			res, err := registry.Push(c.Context(), ref, a, registry.PushOptions{Remote: remote, Tags: tags, Progress: transferProgress(c)})
			if err != nil {
				return explain(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "pushed %s (%d bytes, %d rules)\ntags: %s\n", res.Ref(), res.Size, rs.RuleCount, strings.Join(res.Tags, ", "))
			return nil
		},
	}
	f := c.Flags()
	rf.register(f)
	f.StringVar(&name, "name", "", "artifact name in falcoctl's config (default: the last element of the repository)")
	f.StringVar(&ver, "version", "", "semantic version (default: from the git repository's tags)")
	f.StringVar(&compiledPath, "compiled", "", "compiled ruleset from falconer build (default: compile RULES)")
	f.StringVar(&description, "description", "", "description annotation")
	f.StringVar(&source, "source", "", "source repository URL (default: the git remote origin)")
	f.StringVar(&revision, "revision", "", "source revision (default: the git HEAD commit)")
	f.StringVar(&created, "created", "", "creation time, RFC 3339 (default: the commit time, else $SOURCE_DATE_EPOCH, else none)")
	f.StringVar(&gitDir, "git", "", "git work tree to read commit, tags and remote from (default: where the first RULES path is)")
	f.BoolVar(&noGit, "no-git", false, "do not read a git repository")
	f.BoolVar(&allowDirty, "allow-dirty", false, "push from a work tree with uncommitted changes")
	f.StringSliceVar(&tags, "tag", nil, "tag to set (repeatable); replaces the computed version and floating tags")
	return c
}

// collectRuleFiles reads the rule files named on the command line: a file
// is stored under its base name, a directory's *.yaml and *.yml files under
// their paths relative to it.
func collectRuleFiles(paths []string) ([]registry.File, error) {
	var files []registry.File
	seen := map[string]string{}
	add := func(name, p string) error {
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would both be stored as %s", prev, p, name)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		seen[name] = p
		files = append(files, registry.File{Name: name, Data: data})
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := add(filepath.Base(p), p); err != nil {
				return nil, err
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && q != p {
				return filepath.SkipDir
			}
			if ext := filepath.Ext(q); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		for _, q := range found {
			rel, err := filepath.Rel(p, q)
			if err != nil {
				return nil, err
			}
			if err := add(filepath.ToSlash(rel), q); err != nil {
				return nil, err
			}
		}
	}
	if len(files) == 0 {
		return nil, errors.New("no rule files found")
	}
	return files, nil
}

// repositoryBase is the last path element of a reference's repository.
func repositoryBase(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	base := path.Base(ref)
	if i := strings.Index(base, ":"); i >= 0 {
		base = base[:i]
	}
	return base
}

// firstDir is the directory of the first path (itself if a directory).
func firstDir(paths []string) string {
	if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
		return paths[0]
	}
	return filepath.Dir(paths[0])
}
