//go:build linux && amd64

package agent_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/falconer-sec/falconer/bpf/bpftest"
)

// runHolder is the process that predates the agent in
// TestLeastPrivilege ("DIR"): it makes DIR its working directory and
// holds a directory fd on it, prints "ready", and for every line on stdin
// opens "shadow" relative to its working directory and "gshadow"
// relative to the directory fd, then prints "done". The agent resolves
// those relative paths only if it could read the process's cwd and fd
// table from /proc when it started.
func runHolder(dir string) error {
	if err := os.Chdir(dir); err != nil {
		return err
	}
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		for _, o := range []struct {
			dirfd int
			name  string
		}{{unix.AT_FDCWD, "shadow"}, {dirfd, "gshadow"}} {
			fd, err := unix.Openat(o.dirfd, o.name, unix.O_RDONLY, 0)
			if err != nil {
				return fmt.Errorf("open %s: %w", o.name, err)
			}
			unix.Close(fd)
		}
		fmt.Println("done")
	}
	return in.Err()
}

// holder is a running runHolder child.
type holder struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startHolder(t *testing.T, dir string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=holder:"+dir)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, in: in, out: bufio.NewReader(out)}
	t.Cleanup(func() {
		h.in.Close()
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("holder: %v", err)
		}
	})
	h.expect(t, "ready")
	return h
}

func (h *holder) expect(t *testing.T, want string) {
	t.Helper()
	line, err := h.out.ReadString('\n')
	if got := strings.TrimSpace(line); err != nil || got != want {
		t.Fatalf("holder said %q (%v), want %q", got, err, want)
	}
}

func (h *holder) open(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(h.in, "open\n"); err != nil {
		t.Fatal(err)
	}
	h.expect(t, "done")
}

// unprivilegedDir returns a temporary directory user nobody can enter.
func unprivilegedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startAs starts the agent bin as user nobody with only caps (ambient
// capabilities), its stdout and stderr collected. Its gRPC socket goes to
// a directory of its own, its metrics endpoint to a free port.
func startAs(t *testing.T, caps []uintptr, bin string, args ...string) (cmd *exec.Cmd, stdout, stderr *syncBuffer) {
	t.Helper()
	run := filepath.Join(filepath.Dir(bin), fmt.Sprintf("run-%d", time.Now().UnixNano()))
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(run, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	args = append(args, "--grpc-socket", filepath.Join(run, "falconer.sock"), "--web-addr", "127.0.0.1:0")
	cmd = exec.Command(bin, args...)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: 65534, Gid: 65534},
		AmbientCaps: caps,
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout, stderr
}

// bpfObjects lists the BPF link and program ids a process holds, from
// its fdinfo.
func bpfObjects(t *testing.T, pid int) (links, progs []uint32) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		for line := range strings.Lines(string(data)) {
			k, v, _ := strings.Cut(line, ":")
			id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				continue
			}
			switch k {
			case "link_id":
				links = append(links, uint32(id))
			case "prog_id":
				progs = append(progs, uint32(id))
			}
		}
	}
	return links, progs
}

// bpfObjectExists asks the kernel whether a BPF object id (of the kind
// cmd looks up: BPF_LINK_GET_FD_BY_ID, BPF_PROG_GET_FD_BY_ID) still
// exists.
func bpfObjectExists(cmd uintptr, id uint32) (bool, error) {
	attr := [3]uint32{id, 0, 0} // id, next_id, open_flags
	fd, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	switch errno {
	case 0:
		unix.Close(int(fd))
		return true, nil
	case unix.ENOENT:
		return false, nil
	default:
		return false, errno
	}
}

// checkDetached fails t unless every link and program is gone: links
// go with their last fd, programs after an RCU grace period.
func checkDetached(t *testing.T, links, progs []uint32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, obj := range []struct {
		kind string
		cmd  uintptr
		ids  []uint32
	}{{"link", unix.BPF_LINK_GET_FD_BY_ID, links}, {"program", unix.BPF_PROG_GET_FD_BY_ID, progs}} {
		for _, id := range obj.ids {
			for {
				ok, err := bpfObjectExists(obj.cmd, id)
				if err != nil {
					t.Fatalf("look up %s %d: %v", obj.kind, id, err)
				}
				if !ok {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%s %d still exists after the agent exited", obj.kind, id)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}

// alertLine returns the first alert line on out with all of parts.
func alertLine(out string, parts ...string) string {
	for line := range strings.Lines(out) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// TestLeastPrivilege runs the falconer-agent binary as user nobody with
// only the capabilities docs/agent.md lists. CAP_BPF and CAP_PERFMON
// load, attach and read the probe: `cat /etc/shadow` is detected.
// CAP_SYS_PTRACE (a process's cwd and the targets of its fds) and
// CAP_DAC_READ_SEARCH (its fd directory and environment) let the agent
// read /proc for processes of other users that predate it: without them
// a relative open by such a process is not resolved, and goes unseen.
// SIGTERM stops the agent with status 0 and nothing left in the kernel.
// Without CAP_BPF (or CAP_PERFMON) the agent exits 1 naming what is
// missing.
func TestLeastPrivilege(t *testing.T) {
	bpftest.Privileged(t)
	dir := unprivilegedDir(t)
	bin := buildAgentBinary(t, dir)
	ruleset := writeRuleset(t, dir, "../rulesets/default")
	self := filepath.Base(os.Args[0])
	self = "process=" + self[:min(len(self), 15)] + " "

	for _, tc := range []struct {
		name string
		caps []uintptr
		// Whether the pre-existing root process's opens relative to its
		// cwd and to a directory fd are detected.
		wantCwd, wantDirfd bool
	}{
		{"CAP_BPF+CAP_PERFMON", []uintptr{unix.CAP_BPF, unix.CAP_PERFMON}, false, false},
		{"CAP_BPF+CAP_PERFMON+CAP_SYS_PTRACE", []uintptr{unix.CAP_BPF, unix.CAP_PERFMON, unix.CAP_SYS_PTRACE}, true, false},
		{"CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH", []uintptr{unix.CAP_BPF, unix.CAP_PERFMON, unix.CAP_DAC_READ_SEARCH}, false, false},
		{"documented set", []uintptr{unix.CAP_BPF, unix.CAP_PERFMON, unix.CAP_SYS_PTRACE, unix.CAP_DAC_READ_SEARCH}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHolder(t, "/etc")
			cmd, stdout, stderr := startAs(t, tc.caps, bin, "--ruleset", ruleset)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				if cmd.ProcessState == nil {
					cmd.Process.Kill()
					<-exited
				}
			}()

			// Ready once a fresh `cat /etc/shadow` is reported.
			deadline := time.Now().Add(20 * time.Second)
			for alertLine(stdout.String(), "file=/etc/shadow", "process=cat ") == "" {
				select {
				case err := <-exited:
					t.Fatalf("agent exited before detecting anything: %v\n%s", err, stderr.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("no alert for cat /etc/shadow within 20s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				}
				if out, err := exec.Command("cat", "/etc/shadow").CombinedOutput(); err != nil {
					t.Fatalf("cat /etc/shadow: %v\n%s", err, out)
				}
				time.Sleep(100 * time.Millisecond)
			}
			line := alertLine(stdout.String(), "file=/etc/shadow", "process=cat ")
			for _, want := range []string{"Warning Sensitive file opened for reading", "user=root", "proc_exepath=/usr/bin/cat"} {
				if !strings.Contains(line, want) {
					t.Errorf("alert %q lacks %q", line, want)
				}
			}
			links, progs := bpfObjects(t, cmd.Process.Pid)
			if len(links) == 0 || len(progs) == 0 {
				t.Fatalf("agent holds %d BPF links and %d programs, want some", len(links), len(progs))
			}

			// The pre-existing process's relative opens, then a marker:
			// once the marker is reported, so would they have been.
			h.open(t)
			if out, err := exec.Command("head", "-c1", "/etc/shadow").CombinedOutput(); err != nil {
				t.Fatalf("head: %v\n%s", err, out)
			}
			waitFor(t, 10*time.Second, func() bool { return alertLine(stdout.String(), "file=/etc/shadow", "process=head ") != "" })
			out := stdout.String()
			if got := alertLine(out, "file=/etc/shadow", self) != ""; got != tc.wantCwd {
				t.Errorf("open of shadow relative to the cwd /etc by a process predating the agent: detected = %v, want %v", got, tc.wantCwd)
			}
			if got := alertLine(out, "file=/etc/gshadow", self) != ""; got != tc.wantDirfd {
				t.Errorf("open of gshadow relative to a directory fd on /etc by a process predating the agent: detected = %v, want %v", got, tc.wantDirfd)
			}

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("after SIGTERM: %v, want exit status 0\n%s", err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("agent still running 10s after SIGTERM")
			}
			if !strings.Contains(stderr.String(), "falconer-agent: stopped:") {
				t.Errorf("no final counters on stderr:\n%s", stderr.String())
			}
			checkDetached(t, links, progs)
		})
	}

	for _, tc := range []struct {
		name    string
		caps    []uintptr
		missing []string
	}{
		{"no capabilities", nil, []string{"CAP_BPF", "CAP_PERFMON"}},
		{"without CAP_BPF", []uintptr{unix.CAP_PERFMON, unix.CAP_SYS_PTRACE, unix.CAP_DAC_READ_SEARCH}, []string{"CAP_BPF"}},
		{"without CAP_PERFMON", []uintptr{unix.CAP_BPF, unix.CAP_SYS_PTRACE, unix.CAP_DAC_READ_SEARCH}, []string{"CAP_PERFMON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, _, stderr := startAs(t, tc.caps, bin, "--ruleset", ruleset)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var err error
			select {
			case err = <-exited:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatal("agent still running after 20s, want it to fail at once")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit = %v, want exit status 1\n%s", err, stderr.String())
			}
			msg := stderr.String()
			t.Logf("stderr: %s", strings.TrimSpace(msg))
			want := "missing [" + strings.Join(tc.missing, " ") + "]"
			if !strings.Contains(msg, want) || !strings.Contains(msg, "not permitted to load BPF programs") {
				t.Errorf("stderr = %q, want a permission error with %q", msg, want)
			}
		})
	}
}
