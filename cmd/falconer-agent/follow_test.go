package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/registry"
)

// TestFollowFlagErrors checks the flag combinations refused before
// anything starts.
func TestFollowFlagErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"nothing to run", nil, "--ruleset, --follow or --watch is required"},
		{"ruleset and follow", []string{"--ruleset", "x.fcr", "--follow", "127.0.0.1:5000/r:1", "--key", "k.pub"}, "cannot be combined"},
		{"follow without trust", []string{"--follow", "127.0.0.1:5000/r:1"}, "needs a trust policy"},
		{"bad reference", []string{"--follow", "r:1", "--key", "k.pub"}, "explicit registry host"},
		{"keyless without issuer", []string{"--follow", "127.0.0.1:5000/r:1", "--certificate-identity", "me@example.com"}, "issuer"},
		{"empty follow", []string{"--follow", ""}, "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
	var ue usageError
	if err := run(context.Background(), []string{"--follow", "127.0.0.1:5000/r:1"}, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("a missing trust policy is %T, want a usage error (exit status 2)", err)
	}
}

// TestFollowConfig checks what the flags turn into.
func TestFollowConfig(t *testing.T) {
	t.Setenv("FALCONER_REGISTRY_PASSWORD", "pw")
	t.Setenv("FALCONER_REGISTRY_USERNAME", "bob")
	var o followFlags
	fs := newFlagSetForTest(&o)
	err := fs.Parse([]string{
		"--follow", "127.0.0.1:5000/a:1", "--follow", "127.0.0.1:5000/b:1", "--watch", "dev/",
		"--key", "one.pub", "--key", "two.pub",
		"--require-attestation", "provenance", "--require-attestation", "test-report", "--require-attestation", "https://example.com/p/v1",
		"--interval", "30s", "--allow-rollback", "--cache-dir", "lkg-cache",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := o.config(io.Discard)
	if strings.Join(cfg.Refs, " ") != "127.0.0.1:5000/a:1 127.0.0.1:5000/b:1" || strings.Join(cfg.Watch, " ") != "dev/" {
		t.Errorf("refs %q, watch %q", cfg.Refs, cfg.Watch)
	}
	if strings.Join(cfg.Trust.Keys, " ") != "one.pub two.pub" {
		t.Errorf("keys %q", cfg.Trust.Keys)
	}
	want := []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport, "https://example.com/p/v1"}
	if strings.Join(cfg.Trust.RequireAttestations, " ") != strings.Join(want, " ") {
		t.Errorf("attestations %q, want %q", cfg.Trust.RequireAttestations, want)
	}
	if cfg.Interval.String() != "30s" || !cfg.AllowRollback || cfg.CacheDir != "lkg-cache" || cfg.Trust.InsecureSkipVerify {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.Remote.Username != "bob" || cfg.Remote.Password != "pw" {
		t.Errorf("credentials %q/%q, want them from the environment", cfg.Remote.Username, cfg.Remote.Password)
	}
}

func newFlagSetForTest(o *followFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs)
	return fs
}
