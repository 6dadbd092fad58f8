package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/registry"
)

// DefaultStatusAddr is where the status endpoint listens when following.
const DefaultStatusAddr = "127.0.0.1:8766"

// DefaultCacheDir keeps the last-known-good rulesets.
const DefaultCacheDir = "/var/cache/falconer-agent"

// listFlag is a repeatable string flag.
type listFlag []string

// String implements flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value: each use of the flag adds a value.
func (l *listFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*l = append(*l, v)
	return nil
}

// followFlags configure following registry references and watching local
// rules.
type followFlags struct {
	refs, watch      listFlag
	trust            agent.TrustPolicy
	keys, attest     listFlag
	interval         time.Duration
	cacheDir         string
	allowRollback    bool
	statusAddr       string
	plainHTTP        bool
	caFile, username string
	dockerConfig     string
}

func (o *followFlags) register(fs *flag.FlagSet) {
	fs.Var(&o.refs, "follow", "follow this registry reference, REGISTRY/REPO:TAG or @DIGEST (repeatable; rulesets merge in the order given)")
	fs.Var(&o.watch, "watch", "reload this rules directory, rules file or .fcr when it changes (development; repeatable; merged after --follow)")
	fs.Var(&o.keys, "key", "cosign public key (PEM file or KMS URI) that signs followed rulesets (repeatable: any one verifies)")
	fs.StringVar(&o.trust.CertIdentity, "certificate-identity", "", "keyless: identity the signing certificate must carry")
	fs.StringVar(&o.trust.CertIdentityRegexp, "certificate-identity-regexp", "", "keyless: identity regexp")
	fs.StringVar(&o.trust.CertOIDCIssuer, "certificate-oidc-issuer", "", "keyless: OIDC issuer of the identity")
	fs.StringVar(&o.trust.CertOIDCIssuerRegexp, "certificate-oidc-issuer-regexp", "", "keyless: OIDC issuer regexp")
	fs.StringVar(&o.trust.CARoots, "ca-roots", "", "keyless: PEM roots of a private PKI that issues signing certificates (offline)")
	fs.StringVar(&o.trust.TrustedRoot, "trusted-root", "", "keyless: Sigstore trusted_root.json (default: fetched from the public instance)")
	fs.Var(&o.attest, "require-attestation", "predicate type that must be attested by the signer, or the shorthands provenance and test-report (repeatable)")
	fs.BoolVar(&o.trust.InsecureSkipVerify, "insecure-skip-verify", false, "activate followed rulesets WITHOUT checking signatures (development only)")
	fs.DurationVar(&o.interval, "interval", agent.DefaultInterval, "how often followed references are checked (jittered ±10%)")
	fs.StringVar(&o.cacheDir, "cache-dir", DefaultCacheDir, "last-known-good rulesets, verified again at start-up (empty: no cache)")
	fs.BoolVar(&o.allowRollback, "allow-rollback", false, "accept rulesets older than the active one")
	fs.StringVar(&o.statusAddr, "status-addr", DefaultStatusAddr, "serve the follow status as JSON on http://ADDR/status when following (empty: off)")
	fs.BoolVar(&o.plainHTTP, "plain-http", false, "use plain HTTP for a non-loopback registry")
	fs.StringVar(&o.caFile, "registry-ca-file", "", "PEM file of extra CA certificates trusted for the registry's TLS")
	fs.StringVar(&o.username, "registry-username", "", "registry user name (default $FALCONER_REGISTRY_USERNAME); the password comes from $FALCONER_REGISTRY_PASSWORD")
	fs.StringVar(&o.dockerConfig, "docker-config", "", "docker config.json with registry credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)")
}

// enabled reports whether the agent follows or watches anything.
func (o *followFlags) enabled() bool { return len(o.refs) > 0 || len(o.watch) > 0 }

// config builds the follower's configuration from the flags and the
// environment.
func (o *followFlags) config(log io.Writer) agent.FollowConfig {
	trust := o.trust
	trust.Keys = o.keys
	for _, a := range o.attest {
		switch a {
		case "provenance":
			a = registry.PredicateSLSAProvenance
		case "test-report":
			a = registry.PredicateTestReport
		}
		trust.RequireAttestations = append(trust.RequireAttestations, a)
	}
	remote := registry.Remote{
		PlainHTTP:    o.plainHTTP,
		CAFile:       o.caFile,
		Username:     o.username,
		Password:     os.Getenv("FALCONER_REGISTRY_PASSWORD"),
		Token:        os.Getenv("FALCONER_REGISTRY_TOKEN"),
		DockerConfig: o.dockerConfig,
		Retries:      2,
		UserAgent:    "falconer-agent/" + agentVersion(),
	}
	if remote.Username == "" {
		remote.Username = os.Getenv("FALCONER_REGISTRY_USERNAME")
	}
	return agent.FollowConfig{
		Refs:          o.refs,
		Watch:         o.watch,
		Trust:         trust,
		Remote:        remote,
		Interval:      o.interval,
		CacheDir:      o.cacheDir,
		AllowRollback: o.allowRollback,
		Log:           log,
	}
}

// setup creates the follower and loads the first ruleset (from the
// registry, else the verified cache, else waiting for the registry).
func (o *followFlags) setup(ctx context.Context, log io.Writer) (*agent.Follower, *agent.Ruleset, error) {
	if o.trust.InsecureSkipVerify && len(o.refs) > 0 {
		fmt.Fprintln(log, "falconer-agent: WARNING: --insecure-skip-verify: followed rulesets are activated without checking any signature")
	}
	if len(o.refs) > 0 && len(o.keys) == 0 && o.trust.CertIdentity == "" && o.trust.CertIdentityRegexp == "" && !o.trust.InsecureSkipVerify {
		return nil, nil, usageError{errors.New("--follow needs a trust policy: --key, or --certificate-identity with --certificate-oidc-issuer (or, for development only, --insecure-skip-verify)")}
	}
	f, err := agent.NewFollower(o.config(log))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range o.refs {
		fmt.Fprintf(log, "falconer-agent: following %s (every %s, trust: %s)\n", r, o.interval, f.Status().Trust)
	}
	rs, err := f.Init(ctx)
	if err != nil {
		return nil, nil, err
	}
	return f, rs, nil
}

// start serves the status endpoint and runs the follower alongside the
// agent until ctx ends; wait returns the first error.
func (o *followFlags) start(ctx context.Context, a *agent.Agent, f *agent.Follower, log io.Writer) (wait func() error, err error) {
	if f == nil {
		return func() error { return nil }, nil
	}
	errs := make(chan error, 2)
	n := 0
	if o.statusAddr != "" {
		addr, done, err := agent.ServeStatus(ctx, o.statusAddr, agent.StatusHandler(a, f))
		if err != nil {
			return nil, fmt.Errorf("%w (--status-addr '' turns it off)", err)
		}
		fmt.Fprintf(log, "falconer-agent: status on http://%s/status\n", addr)
		n++
		go func() { errs <- <-done }()
	}
	n++
	go func() { errs <- a.Follow(ctx, f) }()
	return func() error {
		var first error
		for range n {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	}, nil
}
