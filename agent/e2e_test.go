package agent_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/bpf/bpftest"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// recorder collects alerts from a running agent.
type recorder struct {
	mu     sync.Mutex
	alerts []*eval.Alert
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) add(a *eval.Alert) {
	r.mu.Lock()
	r.alerts = append(r.alerts, a)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// wait returns the first alert matching pred, or fails after timeout.
func (r *recorder) wait(t *testing.T, what string, timeout time.Duration, pred func(*eval.Alert) bool) *eval.Alert {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		for _, a := range r.alerts {
			if pred(a) {
				r.mu.Unlock()
				return a
			}
		}
		n := len(r.alerts)
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("no alert for %s within %s (%d alerts seen: %s)", what, timeout, n, r.summary())
			return nil
		}
	}
}

func (r *recorder) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for _, a := range r.alerts {
		parts = append(parts, a.Rule+": "+a.Message)
	}
	return strings.Join(parts, "; ")
}

func (r *recorder) any(pred func(*eval.Alert) bool) *eval.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.alerts {
		if pred(a) {
			return a
		}
	}
	return nil
}

func fieldOf(a *eval.Alert, name string) string {
	for _, f := range a.Fields {
		if f.Name == name {
			return fmt.Sprint(f.Value)
		}
	}
	return ""
}

// compileRules compiles the default ruleset plus extra rule files.
func compileRules(t *testing.T, extra ...string) *ir.Program {
	t.Helper()
	paths := append([]string{"../rulesets/default"}, extra...)
	p, diags, err := compiler.Compile(compiler.OSFS{}, paths, compiler.Options{})
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, diags.Errors())
	}
	return p
}

// startAgent runs an agent in the background until the test ends.
func startAgent(t *testing.T, prog *ir.Program, rec *recorder) *agent.Agent {
	t.Helper()
	ready := make(chan struct{})
	a, err := agent.New(agent.Config{
		Program:    prog,
		Stdout:     &strings.Builder{},
		Log:        testLog{t},
		OnAlert:    rec.add,
		OnReady:    func() { close(ready) },
		AllMatches: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("agent stopped before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("agent not ready after 20s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent Run: %v", err)
		}
	})
	return a
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("%s %v: %v\n%s", name, args, err, out)
	}
}

// containerCgroup creates a cgroup whose path carries a container id, as
// docker's does, and returns the file that moves a process into it.
func containerCgroup(t *testing.T, id string) string {
	t.Helper()
	// The probe reports the cpuset, cpu, cpuacct, io and memory
	// hierarchies, as Falco's does: use cpu (v1), else the v2 tree.
	for _, base := range []string{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		dir := filepath.Join(base, "docker", id)
		if base == "/sys/fs/cgroup/unified" || base == "/sys/fs/cgroup" {
			dir = filepath.Join(base, "falconer-e2e", "docker-"+id+".scope")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			continue
		}
		t.Cleanup(func() { os.Remove(dir); os.Remove(filepath.Dir(dir)) })
		return filepath.Join(dir, "cgroup.procs")
	}
	t.Fatal("cannot create a container-like cgroup")
	return ""
}

// TestAgentEndToEnd runs the agent with the default ruleset on this
// machine, does real things, and checks the alerts and their fields.
func TestAgentEndToEnd(t *testing.T) {
	bpftest.Privileged(t)
	tmp := t.TempDir()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	// Test-only rules on top of the default ruleset: a shell spawned two
	// levels below the test binary, and a connection to our listener.
	extra := filepath.Join(tmp, "e2e_rules.yaml")
	rules := fmt.Sprintf(`
- rule: E2E shell from process tree
  desc: a shell whose grandparent is the test binary
  condition: spawned_process and proc.name = sh and proc.pname = sh and proc.aname[2] = %q
  output: shell below test (proc=%%proc.name parent=%%proc.pname gparent=%%proc.aname[2] cmdline=%%proc.cmdline)
  priority: NOTICE
- rule: E2E loopback connect
  desc: a connection to the test's listener
  condition: evt.type = connect and fd.sip = 127.0.0.1 and fd.sport = %d and evt.rawres >= 0
  output: loopback connect (proc=%%proc.name connection=%%fd.name sport=%%fd.sport)
  priority: NOTICE
`, filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))], port)
	if err := os.WriteFile(extra, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	startAgent(t, compileRules(t, extra), rec)

	t.Run("sensitive file read with cat", func(t *testing.T) {
		run(t, "cat", "/etc/shadow")
		a := rec.wait(t, "cat /etc/shadow", 10*time.Second, func(a *eval.Alert) bool {
			return a.Rule == "Read sensitive file untrusted" && fieldOf(a, "fd.name") == "/etc/shadow" && fieldOf(a, "proc.name") == "cat"
		})
		if got := fieldOf(a, "proc.exepath"); !strings.HasSuffix(got, "/cat") {
			t.Errorf("proc.exepath = %q", got)
		}
		if a.Priority != ir.Warning {
			t.Errorf("priority = %v", a.Priority)
		}
	})

	t.Run("shell spawned from a process tree", func(t *testing.T) {
		run(t, "sh", "-c", "sh -c 'exit 0'; true")
		a := rec.wait(t, "sh below sh below the test", 10*time.Second, func(a *eval.Alert) bool { return a.Rule == "E2E shell from process tree" })
		if fieldOf(a, "proc.pname") != "sh" {
			t.Errorf("proc.pname = %q", fieldOf(a, "proc.pname"))
		}
	})

	t.Run("nc -e in a container-like cgroup", func(t *testing.T) {
		id := "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e"
		procs := containerCgroup(t, id)
		nc := filepath.Join(tmp, "nc")
		if err := os.Symlink("/bin/true", nc); err != nil {
			t.Fatal(err)
		}
		run(t, "sh", "-c", fmt.Sprintf("echo $$ > %s && exec %s -e /bin/sh 127.0.0.1 4444", procs, nc))
		a := rec.wait(t, "nc -e in a container", 10*time.Second, func(a *eval.Alert) bool {
			return strings.HasPrefix(a.Rule, "Netcat") && strings.Contains(a.Message, "-e /bin/sh")
		})
		if got := fieldOf(a, "container.id"); got != id[:12] {
			t.Errorf("container.id = %q, want %q (output %q)", got, id[:12], a.Message)
		}
	})

	t.Run("connect to a loopback port", func(t *testing.T) {
		run(t, "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", port))
		a := rec.wait(t, "loopback connect", 10*time.Second, func(a *eval.Alert) bool { return a.Rule == "E2E loopback connect" })
		if got := fieldOf(a, "fd.sport"); got != fmt.Sprint(port) {
			t.Errorf("fd.sport = %q, want %d", got, port)
		}
		if !strings.HasSuffix(fieldOf(a, "fd.name"), fmt.Sprintf("->127.0.0.1:%d", port)) {
			t.Errorf("fd.name = %q", fieldOf(a, "fd.name"))
		}
	})

	t.Run("write below a binary directory in a private mount", func(t *testing.T) {
		cmd := exec.Command("sh", "-c", "mount -t tmpfs falconer-e2e /usr/sbin && echo x > /usr/sbin/falconer-e2e-dropped")
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("write in a private mount namespace: %v\n%s", err, out)
		}
		a := rec.wait(t, "write below /usr/sbin", 10*time.Second, func(a *eval.Alert) bool {
			return a.Rule == "Write below binary dir" && fieldOf(a, "fd.name") == "/usr/sbin/falconer-e2e-dropped"
		})
		if fieldOf(a, "proc.name") != "sh" {
			t.Errorf("proc.name = %q", fieldOf(a, "proc.name"))
		}
	})

	t.Run("ordinary activity stays silent", func(t *testing.T) {
		marker := filepath.Join(tmp, "silent-marker.txt")
		if err := os.WriteFile(marker, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "cat", marker)
		run(t, "ls", tmp)
		// Then a detectable event, so we know the silent ones were
		// processed before we look.
		run(t, "cat", "/etc/gshadow")
		rec.wait(t, "a later detection", 10*time.Second, func(a *eval.Alert) bool { return fieldOf(a, "fd.name") == "/etc/gshadow" })
		if a := rec.any(func(a *eval.Alert) bool {
			return strings.Contains(a.Message, marker) || strings.Contains(a.Message, "ls "+tmp)
		}); a != nil {
			t.Errorf("ordinary activity raised %q: %s", a.Rule, a.Message)
		}
	})
}
