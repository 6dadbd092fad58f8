package registry_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// upstreamRuleset is the three upstream rule files with their real
// compiled ruleset.
func upstreamRuleset(b *testing.B, version string) registry.Ruleset {
	b.Helper()
	names := []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}
	prog, diags, err := compiler.Compile(os.DirFS(upstreamDir), names, compiler.Options{})
	if err != nil {
		b.Fatalf("compile: %v\n%v", err, diags.Errors())
	}
	data, err := ir.Encode(prog)
	if err != nil {
		b.Fatal(err)
	}
	return registry.Ruleset{
		Name:                  "falco-rules",
		Version:               version,
		RuleFiles:             readRuleFiles(b, names...),
		Compiled:              data,
		CompiledDigest:        ir.Digest(data),
		RuleCount:             len(prog.Rules),
		RequiredEngineVersion: prog.RequiredEngineVersion,
		Created:               time.Date(2026, 2, 19, 0, 0, 0, 0, time.UTC),
	}
}

// BenchmarkPack packs the upstream rules: tarball, config and manifest.
func BenchmarkPack(b *testing.B) {
	rs := upstreamRuleset(b, "1.0.0")
	var size int64
	for b.Loop() {
		size = pack(b, rs).Size()
	}
	b.ReportMetric(float64(size), "artifact-bytes")
}

// BenchmarkPushSign packs, pushes (to a fresh repository each time, so
// every blob is uploaded) and signs the upstream rules on the in-process
// registry.
func BenchmarkPushSign(b *testing.B) {
	ctx := context.Background()
	srv := registrytest.New(b)
	keys := registrytest.NewKeys(b)
	rs := upstreamRuleset(b, "1.0.0")
	var size int64
	i := 0
	for b.Loop() {
		i++
		a := pack(b, rs)
		res, err := registry.Push(ctx, srv.Host+"/bench/r"+strconv.Itoa(i), a, registry.PushOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := registry.Sign(ctx, res.Ref(), keys.Signer, registry.SignOptions{}); err != nil {
			b.Fatal(err)
		}
		size = res.Size
	}
	b.ReportMetric(float64(size), "artifact-bytes")
	b.ReportMetric(float64(rs.RuleCount), "rules")
}
