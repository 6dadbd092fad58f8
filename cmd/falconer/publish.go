package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/ci"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/kms"
)

const publishLong = `Publish runs the whole release pipeline of a rules repository, for CI:
lint, test, build, push, sign and attest, stopping at the first failure.

  1. The git repository (--repo, default the current directory) is read:
     its HEAD commit, tags and origin remote. A work tree with uncommitted
     changes is refused unless --force is given. The version is the
     nearest semver tag's (v1.2.0 gives 1.2.0) when HEAD is tagged, else a
     pseudo-version; the creation time is the commit's, so the same commit
     always gives the same artifact digest.
  2. The rule files (--rules, default rules/) are linted and compiled, from
     the commit itself when the tree is clean.
  3. The rule tests (--tests, default tests/ when it exists) run; a failing
     case, or coverage below --min-coverage, stops the pipeline.
  4. The artifact (rule files, compiled ruleset, annotations naming the
     source, commit, version and time) is pushed to REGISTRY/REPOSITORY
     with the exact version tag and the floating X.Y, X and latest tags.
  5. It is signed with --key (password from $COSIGN_PASSWORD, else a
     prompt), in cosign's classic .sig form.
  6. Two attestations are signed with the same key: a SLSA v1 provenance
     (repository, commit, builder, and every rule file's digest) and the
     test report (every case's outcome and the rule coverage).

--rules and --tests paths are relative to the current directory and
must be inside the repository; the defaults are rules/ and tests/ of
--repo. The output names the digest and the tags; --json prints them
as JSON.`

func newPublishCmd() *cobra.Command {
	var (
		rf          remoteFlags
		repo        string
		bopts       ci.BuildOptions
		key         string
		name        string
		description string
		tags        []string
		builderID   string
		junit       string
		refFile     string
		asJSON      bool
	)
	c := &cobra.Command{
		Use:   "publish [flags] REGISTRY/REPOSITORY",
		Short: "Lint, test, build, push, sign and attest a rules repository",
		Long:  publishLong,
		Example: `  COSIGN_PASSWORD=... falconer publish ghcr.io/acme/falco-rules --key cosign.key
  falconer publish 127.0.0.1:5000/acme/rules --repo ../rules --rules rules/falco_rules.yaml,rules/custom.yaml --key cosign.key --json`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			started := time.Now()
			ref := args[0]
			if key == "" {
				return usagef(c.CommandPath(), "--key is required")
			}
			remote, err := rf.remote(c)
			if err != nil {
				return err
			}
			if bopts.Rules, err = relativeTo(repo, bopts.Rules); err != nil {
				return err
			}
			if bopts.Tests, err = relativeTo(repo, bopts.Tests); err != nil {
				return err
			}
			if builderID == "" {
				builderID = defaultBuilderID()
			}
			// Load the key before the build: a wrong password should not
			// cost a build. Decrypting a cosign key takes a deliberately
			// slow scrypt run, so it is a stage of its own.
			keyStart := time.Now()
			sk, err := registry.LoadSigningKeyFrom(c.Context(), key, keyPassword(c, false), kms.Resolver{})
			if err != nil {
				return err
			}
			keyStage := ci.Stage{Name: "load-key", Duration: time.Since(keyStart)}

			compiler.Version = "falconer " + falconerVersion()
			bopts.Capture = replay.TestCapture
			rel, err := ci.Build(repo, bopts)
			if rel != nil {
				printDiags(c, rel.Diagnostics)
				if rel.Tests != nil {
					// Failures only.
					printTestReport(c.ErrOrStderr(), rel.Tests, false)
				}
				if rel.Tests != nil && junit != "" {
					if jerr := writeJUnitFile(junit, rel.Tests); jerr != nil {
						return jerr
					}
				}
			}
			switch {
			case errors.Is(err, ci.ErrLint), errors.Is(err, ci.ErrTests):
				fmt.Fprintf(c.ErrOrStderr(), "falconer: %v\n", err)
				return errFindings
			case err != nil:
				return err
			}

			pub, err := rel.Publish(c.Context(), ref, ci.PublishOptions{
				Remote:       remote,
				Name:         name,
				Description:  description,
				Tags:         tags,
				Key:          sk,
				BuilderID:    builderID,
				InvocationID: invocationID(),
				SourceRef:    os.Getenv("GITHUB_REF"),
				StartedOn:    started,
				Progress:     transferProgress(c),
			})
			if err != nil {
				return explain(err)
			}
			if refFile != "" {
				if err := writeFileAtomic(refFile, []byte(pub.Ref()+"\n")); err != nil {
					return err
				}
			}
			if asJSON {
				return writePublishJSON(c.OutOrStdout(), keyStage, rel, pub, time.Since(started))
			}
			writePublishText(c.OutOrStdout(), rel, pub, time.Since(started))
			return nil
		},
	}
	f := c.Flags()
	rf.register(f)
	f.StringVar(&repo, "repo", ".", "the rules repository (a directory in its git work tree)")
	f.StringSliceVarP(&bopts.Rules, "rules", "r", nil, "rule files and directories in load order (default rules/)")
	f.StringSliceVar(&bopts.Tests, "tests", nil, "rule-test files and directories (default tests/ when it exists)")
	f.BoolVar(&bopts.NoTests, "no-tests", false, "do not run rule tests (no test-report attestation)")
	f.Float64Var(&bopts.MinCoverage, "min-coverage", 0, "fail when fewer than this percentage of rules have firing and non-firing cases")
	f.BoolVar(&bopts.Strict, "strict", false, "fail on lint warnings")
	f.StringVar(&bopts.EngineVersion, "engine-version", "", "Falco engine version to check against (default: the newest known)")
	f.BoolVar(&bopts.AllowDirty, "force", false, "publish from a work tree with uncommitted changes (a .dirty pseudo-version)")
	f.StringVar(&bopts.Git.TagPrefix, "tag-prefix", "", `prefix of the version tags, for repositories tagging "rules/v1.2.3"`)
	f.StringVar(&bopts.Version, "version", "", "version to publish (default: from the git tags)")
	f.StringVar(&key, "key", "", "cosign private key file or KMS URI (required)")
	f.StringVar(&name, "name", "", "artifact name in falcoctl's config (default: the last element of the repository)")
	f.StringVar(&description, "description", "", "description annotation")
	f.StringSliceVar(&tags, "tag", nil, "tag to set (repeatable); replaces the version and floating tags")
	f.StringVar(&builderID, "builder-id", "", "builder id in the provenance (default: the CI workflow, else falconer's version)")
	f.StringVar(&junit, "junit", "", "also write the rule tests' JUnit XML report to this file")
	f.StringVar(&refFile, "ref-file", "", "write the digest reference (REGISTRY/REPOSITORY@sha256:...) to this file, for later steps")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// relativeTo makes paths given relative to the current directory relative
// to dir, as ci.Build reads them.
func relativeTo(dir string, paths []string) ([]string, error) {
	if len(paths) == 0 || dir == "." {
		return paths, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		out[i] = p
	}
	return out, nil
}

// publishJSON is the --json output of publish.
type publishJSON struct {
	Repository    string            `json:"repository"`
	Digest        string            `json:"digest"`
	Ref           string            `json:"ref"`
	Tags          []string          `json:"tags"`
	Size          int64             `json:"size"`
	Name          string            `json:"name"`
	Version       string            `json:"version"`
	Commit        string            `json:"commit"`
	Created       string            `json:"created"`
	Source        string            `json:"source,omitempty"`
	Rules         int               `json:"rules"`
	RulesetDigest string            `json:"rulesetDigest"`
	CompiledSize  int               `json:"compiledSize"`
	Warnings      int               `json:"warnings"`
	Tests         *publishTestsJSON `json:"tests,omitempty"`
	Signature     string            `json:"signature"`
	Attestations  []string          `json:"attestations"`
	Stages        []stageJSON       `json:"stages"`
	Seconds       float64           `json:"seconds"`
}

type publishTestsJSON struct {
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Coverage float64 `json:"coverage"`
}

type stageJSON struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func writePublishJSON(w io.Writer, keyStage ci.Stage, rel *ci.Release, pub *ci.Published, total time.Duration) error {
	out := publishJSON{
		Repository:    pub.Repository,
		Digest:        pub.Digest,
		Ref:           pub.Ref(),
		Tags:          pub.Tags,
		Size:          pub.Size,
		Name:          pub.Provenance.Parameters["name"],
		Version:       rel.Version,
		Commit:        rel.Info.Commit,
		Created:       rel.Info.CommitTime.Format(time.RFC3339),
		Source:        rel.Info.RemoteURL,
		Rules:         len(rel.Program.Rules),
		RulesetDigest: rel.CompiledDigest,
		CompiledSize:  len(rel.Compiled),
		Warnings:      len(rel.Diagnostics.Warnings()),
		Signature:     pub.SignatureTag,
		Attestations:  pub.Attestations,
		Seconds:       total.Seconds(),
	}
	if rel.Tests != nil {
		out.Tests = &publishTestsJSON{
			Passed:   len(rel.Tests.Results) - rel.Tests.Failed(),
			Failed:   rel.Tests.Failed(),
			Coverage: ci.NewTestReport(rel.Tests).Coverage.Percent,
		}
	}
	for _, s := range append(append([]ci.Stage{keyStage}, rel.Stages...), pub.Stages...) {
		out.Stages = append(out.Stages, stageJSON{Name: s.Name, Seconds: s.Duration.Seconds()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writePublishText(w io.Writer, rel *ci.Release, pub *ci.Published, total time.Duration) {
	info := rel.Info
	fmt.Fprintf(w, "commit %s (%s), version %s\n", info.Commit, info.CommitTime.Format(time.RFC3339), rel.Version)
	fmt.Fprintf(w, "lint: %d warning(s)\n", len(rel.Diagnostics.Warnings()))
	if rel.Tests != nil {
		tr := ci.NewTestReport(rel.Tests)
		fmt.Fprintf(w, "test: %d passed, %d failed; coverage %d of %d rules (%.1f%%)\n", tr.Passed, tr.Failed, tr.Coverage.Covered, tr.Coverage.Rules, tr.Coverage.Percent)
	} else {
		fmt.Fprintln(w, "test: no tests")
	}
	fmt.Fprintf(w, "built %d rules, %d bytes, %s\n", len(rel.Program.Rules), len(rel.Compiled), rel.CompiledDigest)
	fmt.Fprintf(w, "pushed %s (%d bytes)\ntags: %s\n", pub.Ref(), pub.Size, strings.Join(pub.Tags, ", "))
	fmt.Fprintf(w, "signed: %s\n", pub.SignatureTag)
	for _, a := range pub.Attestations {
		fmt.Fprintf(w, "attested %s\n", a)
	}
	fmt.Fprintf(w, "published in %.2fs\n", total.Seconds())
}
