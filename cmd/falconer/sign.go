package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/kms"
)

const signLong = `Sign signs a pushed artifact with a cosign key and stores the signature in
the registry the way cosign does (the sha256-<digest>.sig tag), so that
"cosign verify --key" and falcoctl accept it. Nothing is sent to a
transparency log. --bundle also stores it as a Sigstore bundle referrer (the
form cosign v3 writes).

The key is a cosign private key file, or a KMS URI for the providers built
into this binary; its password comes from $COSIGN_PASSWORD (or
$FALCONER_KEY_PASSWORD), else from a terminal prompt.

Attestations are signed with the same key and stored as cosign stores them
(the sha256-<digest>.att tag), readable with "cosign verify-attestation":
--provenance writes a SLSA v1 provenance statement naming the source
repository, the commit and every rule file's digest (read back from the
artifact itself); --test-report attaches a JSON test report (such as the
output of "falconer test --format json"); --attest TYPE=FILE any other JSON
predicate.`

func newSignCmd() *cobra.Command {
	var (
		rf          remoteFlags
		key         string
		bundle      bool
		annotations []string
		provenance  bool
		builderID   string
		testReport  string
		attest      []string
		certFile    string
		chainFile   string
	)
	c := &cobra.Command{
		Use:   "sign [flags] REGISTRY/REPOSITORY[:TAG|@DIGEST]",
		Short: "Sign an artifact and attach attestations",
		Long:  signLong,
		Example: `  COSIGN_PASSWORD=... falconer sign 127.0.0.1:5000/rules/custom:1.2.0 --key cosign.key
  falconer sign ghcr.io/acme/falco-rules:1.4.0 --key cosign.key --provenance --test-report report.json`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if key == "" {
				return usagef(c.CommandPath(), "--key is required")
			}
			ann := map[string]string{}
			for _, a := range annotations {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return usagef(c.CommandPath(), "--annotation %q: want KEY=VALUE", a)
				}
				ann[k] = v
			}
			type predicate struct {
				typ  string
				data json.RawMessage
			}
			var preds []predicate
			readPred := func(typ, file string) error {
				b, err := os.ReadFile(file)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return fmt.Errorf("%s: not JSON", file)
				}
				preds = append(preds, predicate{typ, b})
				return nil
			}
			if testReport != "" {
				if err := readPred(registry.PredicateTestReport, testReport); err != nil {
					return err
				}
			}
			for _, a := range attest {
				typ, file, ok := strings.Cut(a, "=")
				if !ok || typ == "" || file == "" {
					return usagef(c.CommandPath(), "--attest %q: want TYPE=FILE", a)
				}
				if err := readPred(typ, file); err != nil {
					return err
				}
			}
			remote, err := rf.remote(c)
			if err != nil {
				return err
			}
			sk, err := registry.LoadSigningKeyFrom(c.Context(), key, keyPassword(c, false), kms.Resolver{})
			if err != nil {
				return err
			}

			ref := args[0]
			if provenance {
				// Read the artifact once: its digest pins every later
				// step, and its rule files are the provenance materials.
				p, err := registry.Pull(c.Context(), ref, registry.PullOptions{Remote: remote})
				if err != nil {
					return explain(err)
				}
				ref = p.Ref()
				src := p.Manifest.Annotations[registry.AnnotationSource]
				rev := p.Manifest.Annotations[registry.AnnotationRevision]
				prov := registry.Provenance{
					BuilderID:    builderID,
					SourceRepo:   src,
					Commit:       rev,
					Ref:          os.Getenv("GITHUB_REF"),
					Materials:    registry.RuleFileMaterials(src, rev, p.RuleFiles),
					Parameters:   map[string]string{"name": p.Config.Name, "version": p.Config.Version},
					InvocationID: invocationID(),
				}
				if t, err := time.Parse(time.RFC3339, p.Manifest.Annotations[registry.AnnotationCreated]); err == nil {
					prov.StartedOn = t
				}
				if prov.BuilderID == "" {
					prov.BuilderID = defaultBuilderID()
				}
				data, err := prov.Predicate()
				if err != nil {
					return err
				}
				preds = append([]predicate{{registry.PredicateSLSAProvenance, data}}, preds...)
			}

			sopts := registry.SignOptions{Remote: remote, Annotations: ann, Bundle: bundle}
			if certFile != "" {
				if sopts.Certificate, err = os.ReadFile(certFile); err != nil {
					return err
				}
			}
			if chainFile != "" {
				if sopts.CertificateChain, err = os.ReadFile(chainFile); err != nil {
					return err
				}
			}
			res, err := registry.Sign(c.Context(), ref, sk, sopts)
			if err != nil {
				return explain(err)
			}
			ref = digestRef(ref, res.Digest)
			fmt.Fprintf(c.OutOrStdout(), "signed %s\nsignature: %s\n", ref, res.SignatureTag)
			for _, p := range preds {
				if _, err := registry.Attest(c.Context(), ref, sk, p.typ, p.data, registry.AttestOptions{Remote: remote, Bundle: bundle}); err != nil {
					return explain(err)
				}
				fmt.Fprintf(c.OutOrStdout(), "attested %s\n", p.typ)
			}
			return nil
		},
	}
	f := c.Flags()
	rf.register(f)
	f.StringVar(&key, "key", "", "cosign private key file or KMS URI")
	f.BoolVar(&bundle, "bundle", false, "also store the signature (and attestations) as Sigstore bundle referrers")
	f.StringArrayVarP(&annotations, "annotation", "a", nil, "KEY=VALUE claim added to the signed payload (repeatable)")
	f.BoolVar(&provenance, "provenance", false, "attach a SLSA provenance attestation")
	f.StringVar(&builderID, "builder-id", "", "builder id in the provenance (default: the CI workflow, else falconer's version)")
	f.StringVar(&testReport, "test-report", "", "attach this JSON test report as an attestation")
	f.StringArrayVar(&attest, "attest", nil, "TYPE=FILE: attach the JSON predicate in FILE under predicate type TYPE (repeatable)")
	f.StringVar(&certFile, "certificate", "", "PEM certificate for the key, issued by a private CA (verify with --certificate-identity and --ca-roots)")
	f.StringVar(&chainFile, "certificate-chain", "", "PEM chain (intermediates, root) that issued --certificate")
	return c
}

// defaultBuilderID names the GitHub Actions workflow running us, or this
// falconer build.
func defaultBuilderID() string {
	if s, w := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_WORKFLOW_REF"); s != "" && w != "" {
		return s + "/" + w
	}
	if u := os.Getenv("CI_JOB_URL"); u != "" {
		return u
	}
	return "https://falconer.dev/cli@" + falconerVersion()
}

// invocationID names the CI run, if any.
func invocationID() string {
	if s, r, id := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID"); s != "" && r != "" && id != "" {
		return s + "/" + r + "/actions/runs/" + id + "/attempts/" + os.Getenv("GITHUB_RUN_ATTEMPT")
	}
	return os.Getenv("CI_JOB_URL")
}
