package output

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// protocVersionLine is the one line of generated code that depends on the
// installed protoc rather than on the .proto files and the pinned plugins.
var protocVersionLine = regexp.MustCompile(`(?m)^// \tprotoc +v.*$`)

// TestGenerated regenerates the gRPC code with gen.sh into a scratch
// directory and fails if it differs from the committed files.
func TestGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the protoc plugins; skipped with -short")
	}
	if _, err := exec.LookPath("protoc"); err != nil {
		msg := "protoc not found: cannot check the generated gRPC code; install it with .ci/tools.sh apt_protoc"
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "gen.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, b)
	}
	gen := filepath.Join(out, "agent", "output")
	generated := map[string]bool{}
	err := filepath.WalkDir(gen, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(gen, path)
		generated[rel] = true
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(rel)
		if err != nil {
			t.Errorf("%s: generated but not committed: %v", rel, err)
			return nil
		}
		norm := func(b []byte) string { return protocVersionLine.ReplaceAllString(string(b), "// \tprotoc (version)") }
		if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
			t.Errorf("%s is stale; run agent/output/gen.sh (-regenerated +committed):\n%s", rel, diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(generated) == 0 {
		t.Fatal("gen.sh generated nothing")
	}
	// No committed generated file may be left over from a removed proto.
	for _, dir := range []string{"falcopb", "v1pb"} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".pb.go") && !generated[path] {
				t.Errorf("%s is committed but no longer generated", path)
			}
			return err
		})
	}
}
