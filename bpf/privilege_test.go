//go:build linux && amd64

package bpf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/falconer-sec/falconer/bpf/bpftest"
)

// runProbe is the child side of TestLeastPrivilege: "probe:<path>" loads
// and attaches the probe, opens path from a child of its own, and prints
// "ok" once the event is read, or the error.
func runProbe(spec string) int {
	path := strings.TrimPrefix(spec, "probe:")
	p, err := Load(Options{Syscalls: []string{"openat"}})
	if err != nil {
		fmt.Println(err)
		return 0
	}
	defer p.Close()
	if err := p.Attach(); err != nil {
		fmt.Println(err)
		return 0
	}
	if err := exec.Command("/bin/cat", path).Run(); err != nil {
		fmt.Println(err)
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := false
	err = p.Read(ctx, func(batch [][]byte) error {
		for _, rec := range batch {
			if strings.Contains(string(rec), path) {
				seen = true
				cancel()
			}
		}
		return nil
	})
	switch {
	case err != nil:
		fmt.Println(err)
	case !seen:
		fmt.Println("no event")
	default:
		fmt.Println("ok")
	}
	return 0
}

// runAs runs the probe child as user nobody with the given capabilities
// only, and returns what it printed.
func runAs(t *testing.T, caps []uintptr) string {
	t.Helper()
	// The test binary sits in a directory only root may enter: copy it out.
	dir, err := os.MkdirTemp("", "falconer-bpf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bpf.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = []string{workloadEnv + "=probe:" + target}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: 65534, Gid: 65534},
		AmbientCaps: caps,
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe child: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestLeastPrivilege: CAP_BPF and CAP_PERFMON are enough to load, attach
// and read; without them Load fails with ErrPermission naming both.
func TestLeastPrivilege(t *testing.T) {
	bpftest.Privileged(t)
	if got := runAs(t, []uintptr{unix.CAP_BPF, unix.CAP_PERFMON}); got != "ok" {
		t.Errorf("as nobody with CAP_BPF+CAP_PERFMON: %s", got)
	}
	got := runAs(t, nil)
	t.Logf("without capabilities: %s", got)
	if !strings.Contains(got, ErrPermission.Error()) || !strings.Contains(got, "CAP_BPF") || !strings.Contains(got, "CAP_PERFMON") {
		t.Errorf("as nobody without capabilities: %q, want a permission error naming CAP_BPF and CAP_PERFMON", got)
	}
	got = runAs(t, []uintptr{unix.CAP_BPF})
	if !strings.Contains(got, "CAP_PERFMON") || strings.Contains(got, "CAP_BPF ") {
		t.Errorf("as nobody with CAP_BPF only: %q, want a permission error naming CAP_PERFMON", got)
	}
}

// Without privileges Load says what is missing (run as non-root).
func TestLoadUnprivileged(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs as root; TestLeastPrivilege covers the unprivileged case")
	}
	_, err := Load(Options{})
	if !errors.Is(err, ErrPermission) && !errors.Is(err, ErrNoBTF) {
		t.Errorf("Load() as uid %d error = %v, want ErrPermission or ErrNoBTF", os.Geteuid(), err)
	}
}
