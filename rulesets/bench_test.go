package rulesets

import (
	"net/netip"
	"os"
	"testing"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// BenchmarkCompileDefault measures loading, checking and compiling the
// default ruleset.
func BenchmarkCompileDefault(b *testing.B) {
	fsys := os.DirFS(".")
	for b.Loop() {
		if _, diags, err := compiler.Compile(fsys, []string{"default"}, compiler.Options{}); err != nil {
			b.Fatalf("Compile: %v\n%s", err, diags.Errors())
		}
	}
}

// BenchmarkEvaluateDefault measures the default ruleset against events a
// node sees all the time and that match no rule: the common case, which
// decides the per-event cost on a node.
func BenchmarkEvaluateDefault(b *testing.B) {
	prog, diags, err := compiler.Compile(os.DirFS("."), []string{"default"}, compiler.Options{})
	if err != nil {
		b.Fatalf("Compile: %v\n%s", err, diags.Errors())
	}
	eng, err := eval.New(prog, eval.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range benchEvents(b) {
		b.Run(bc.name, func(b *testing.B) {
			var dst []*eval.Rule
			for b.Loop() {
				dst = eng.Evaluate(bc.ev, dst[:0])
			}
			if len(dst) != 0 {
				b.Fatalf("%s matched %d rule(s), want none", bc.name, len(dst))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

type benchEvent struct {
	name string
	ev   *eval.Event
}

// benchEvents returns benign events of the kinds the default rules are
// indexed under.
func benchEvents(b *testing.B) []benchEvent {
	b.Helper()
	ctr := &eval.Container{ID: "0a1b2c3d4e5f", Name: "api", Image: "docker.io/library/node:22",
		ImageRepository: "docker.io/library/node", ImageTag: "22"}
	shim := &eval.Thread{Pid: 900, Tid: 900, Comm: "containerd-shim", Exe: "containerd-shim", LoginUID: -1}
	node := &eval.Thread{Pid: 1000, Tid: 1000, VPid: 1, PPid: 900, Comm: "node", Exe: "node",
		ExePath: "/usr/local/bin/node", Args: []string{"server.js"}, LoginUID: -1,
		User: &eval.User{Name: "root"}, ContainerID: ctr.ID, Container: ctr, Parent: shim}
	sh := &eval.Thread{Pid: 1001, Tid: 1001, VPid: 7, PPid: 1000, Comm: "sh", Exe: "/bin/sh",
		ExePath: "/bin/sh", Args: []string{"-c", "date"}, LoginUID: -1,
		User: &eval.User{Name: "root"}, ContainerID: ctr.ID, Container: ctr, Parent: node}
	sshd := &eval.Thread{Pid: 500, Tid: 500, Comm: "sshd", Exe: "/usr/sbin/sshd", ExePath: "/usr/sbin/sshd", LoginUID: -1}

	mk := func(typ string, t *eval.Thread, fd *eval.FD, res int64, args ...eval.Arg) *eval.Event {
		code, ok := eval.EventCode(typ)
		if !ok {
			b.Fatalf("unknown event type %q", typ)
		}
		name, cat := eval.EventMeta(code)
		return &eval.Event{Num: 1, Time: 1767225600e9, Code: code, Type: name, Category: cat,
			Res: res, HasRes: true, Thread: t, FD: fd, Args: args}
	}
	rdonly := eval.Arg{Name: "flags", Value: "O_RDONLY|O_CLOEXEC", Num: 1 | 4096, HasNum: true}
	return []benchEvent{
		{"execve", mk("execve", sh, nil, 0)},
		{"openat_library", mk("openat", node, &eval.FD{Num: 3, Type: eval.FDFile, Name: "/usr/lib/libssl.so.3", OpenFlags: 1 | 4096}, 3, rdonly)},
		{"openat_shadow_sshd", mk("openat", sshd, &eval.FD{Num: 3, Type: eval.FDFile, Name: "/etc/shadow", OpenFlags: 1 | 4096}, 3, rdonly)},
		{"connect_private", mk("connect", node, &eval.FD{Num: 20, Type: eval.FDIPv4, L4Proto: "tcp", Connected: true,
			ClientIP: netip.MustParseAddr("172.17.0.2"), ClientPort: 40000,
			ServerIP: netip.MustParseAddr("10.96.0.10"), ServerPort: 5432}, 0)},
		{"accept_web", mk("accept4", node, &eval.FD{Num: 21, Type: eval.FDIPv4, L4Proto: "tcp", Connected: true, IsServer: true,
			ClientIP: netip.MustParseAddr("203.0.113.7"), ClientPort: 51234,
			ServerIP: netip.MustParseAddr("172.17.0.2"), ServerPort: 3000}, 21)},
	}
}
