//go:build linux

package bpf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCurrent recompiles the probe and checks that the committed
// objects are what c/ compiles to. It needs the BPF toolchain (installed in
// CI by `.ci/tools.sh apt_clang`) and skips with a message without it.
func TestGeneratedCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("recompiling the probe takes seconds; skipped in -short mode")
	}
	for _, tool := range []string{"clang-19", "llvm-strip-19"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot check that the committed BPF objects are current (.ci/tools.sh apt_clang installs it)", tool)
		}
	}
	if _, err := os.Stat("/usr/include/bpf/bpf_helpers.h"); err != nil {
		t.Skip("libbpf-dev not installed: cannot check that the committed BPF objects are current")
	}
	// Read the inputs here so that go test's cache notices when they change
	// (it does not see what the compiler reads).
	inputs, err := filepath.Glob("c/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range append(inputs, "gen.sh") {
		if _, err := os.ReadFile(in); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("./gen.sh")
	cmd.Env = append(os.Environ(), "BPF_OUT="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, msg)
	}
	for _, name := range []string{"probe_x86_bpfel.go", "probe_x86_bpfel.o"} {
		want, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make bpf` (bpf/gen.sh) and commit the result", name)
		}
	}
}
