package registry_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/registry"
)

var update = flag.Bool("update", false, "rewrite golden files")

// upstreamDir holds the upstream Falco rule files shared by the project's
// tests.
const upstreamDir = "../testdata/upstream-rules"

// readRuleFiles reads the named files of the upstream rules.
func readRuleFiles(t testing.TB, names ...string) []registry.File {
	t.Helper()
	var files []registry.File
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(upstreamDir, n))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, registry.File{Name: n, Data: b})
	}
	return files
}

// testRuleset is a small ruleset: one real rules file and arbitrary
// compiled bytes.
func testRuleset(t testing.TB, version string) registry.Ruleset {
	t.Helper()
	return registry.Ruleset{
		Name:                  "falco-rules",
		Version:               version,
		RuleFiles:             readRuleFiles(t, "falco_rules.yaml"),
		Compiled:              []byte("compiled ruleset " + version),
		RuleCount:             25,
		CompilerVersion:       "0.1.0",
		RequiredEngineVersion: "0.57.0",
		Source:                "https://example.com/rules.git",
		Revision:              "0123456789abcdef0123456789abcdef01234567",
		Description:           "Falco rules for tests",
		Created:               time.Date(2026, 2, 19, 10, 0, 0, 0, time.UTC),
	}
}

// pack packs rs or fails the test.
func pack(t testing.TB, rs registry.Ruleset) *registry.Artifact {
	t.Helper()
	a, err := registry.Pack(rs)
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return a
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
