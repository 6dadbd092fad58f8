package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/kms"
)

const verifyLong = `Verify checks an artifact's signature, and optionally its attestations,
without any network access besides the registry (with a key).

With --key, a signature by that key must exist, either in cosign's
classic .sig tag or as a Sigstore bundle referrer. Without a key, the
keyless flags say which certificate identity and OIDC issuer the signing
certificate must carry; its chain is checked against --ca-roots (a private
CA, offline), --trusted-root (a Sigstore trusted_root.json), or else the
public Sigstore instance's root fetched online.

The first words of an error say what went wrong, and so does the exit
status:

  0  verified
  1  other failures
  2  usage error
  3  registry unreachable
  4  not found
  5  not signed
  6  signature invalid (signed by someone else, or tampered with)
  7  required attestation missing

--require-attestation takes a predicate type URI, or the shorthands
"provenance" (SLSA v1) and "test-report".`

func newVerifyCmd() *cobra.Command {
	var (
		rf       remoteFlags
		opts     registry.VerifyOptions
		required []string
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "verify [flags] REGISTRY/REPOSITORY[:TAG|@DIGEST]",
		Short: "Verify an artifact's signature and attestations",
		Long:  verifyLong,
		Example: `  falconer verify 127.0.0.1:5000/rules/custom:1.2 --key cosign.pub
  falconer verify ghcr.io/acme/falco-rules:1 --key cosign.pub --require-attestation provenance
  falconer verify ghcr.io/acme/falco-rules:1 \
      --certificate-identity-regexp '^https://github.com/acme/' \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			keyless := opts.CertIdentity != "" || opts.CertIdentityRegexp != ""
			if (opts.KeyRef == "") == !keyless {
				return usagef(c.CommandPath(), "give --key, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]")
			}
			remote, err := rf.remote(c)
			if err != nil {
				return err
			}
			opts.Remote = remote
			for _, r := range required {
				switch r {
				case "provenance":
					r = registry.PredicateSLSAProvenance
				case "test-report":
					r = registry.PredicateTestReport
				}
				opts.RequireAttestations = append(opts.RequireAttestations, r)
			}
			opts.Keys = kms.Resolver{}
			v, err := registry.Verify(c.Context(), args[0], opts)
			if err != nil {
				return explain(err)
			}
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			form := "cosign signature"
			if v.Bundle {
				form = "Sigstore bundle"
			}
			fmt.Fprintf(c.OutOrStdout(), "verified %s: %d %s(s)\n", digestRef(args[0], v.Digest), v.Signatures, form)
			for _, a := range v.Attestations {
				fmt.Fprintf(c.OutOrStdout(), "attestation: %s\n", a.PredicateType)
			}
			return nil
		},
	}
	f := c.Flags()
	rf.register(f)
	f.StringVar(&opts.KeyRef, "key", "", "public key file or KMS URI")
	f.StringVar(&opts.CertIdentity, "certificate-identity", "", "keyless: identity (SAN) the signing certificate must carry")
	f.StringVar(&opts.CertIdentityRegexp, "certificate-identity-regexp", "", "keyless: regexp the certificate identity must match")
	f.StringVar(&opts.CertOIDCIssuer, "certificate-oidc-issuer", "", "keyless: OIDC issuer the certificate must name")
	f.StringVar(&opts.CertOIDCIssuerRegexp, "certificate-oidc-issuer-regexp", "", "keyless: regexp the OIDC issuer must match")
	f.StringVar(&opts.CARoots, "ca-roots", "", "keyless: PEM roots and intermediates of a private CA (offline)")
	f.StringVar(&opts.TrustedRoot, "trusted-root", "", "keyless: Sigstore trusted_root.json")
	f.StringArrayVar(&required, "require-attestation", nil, "predicate type that must be attested (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the verification as JSON")
	return c
}
