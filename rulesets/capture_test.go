package rulesets

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
)

var updateCaptures = flag.Bool("update-captures", false, "rewrite the capture files rule tests replay")

// catShadowCapture writes the capture that default/tests/captures.yaml
// replays: a login shell (sshd > bash) starts cat, which reads
// /etc/shadow through a path relative to its cwd, then reads a harmless
// file.
func catShadowCapture() ([]byte, error) {
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{Compress: true})
	if err := w.WriteUsers([]scap.User{{UID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"}}, []scap.Group{{GID: 0, Name: "root"}}); err != nil {
		return nil, err
	}
	if err := w.WriteProcesses([]scap.Process{
		{Tid: 1, Pid: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 800, Pid: 800, Ptid: 1, Comm: "sshd", Exe: "sshd", ExePath: "/usr/sbin/sshd", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 900, Pid: 900, Ptid: 800, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cwd: "/etc", LoginUID: 1000, Tty: 34816},
	}); err != nil {
		return nil, err
	}
	b := scaptest.NewBuilder(w, 1767225600e9)
	steps := []func() error{
		func() error { return b.Clone(900, scaptest.Clone{Res: 901, Exe: "-bash", Comm: "bash", Ptid: 800}) },
		func() error {
			return b.Clone(901, scaptest.Clone{Res: 0, Exe: "-bash", Comm: "bash", Ptid: 900, Cwd: "/etc"})
		},
		func() error {
			return b.Execve(901, scaptest.Exec{Exe: "cat", Args: []string{"shadow", "hostname"}, ExePath: "/usr/bin/cat", Ptid: 900, Login: true, LoginUID: 1000, Tty: 34816})
		},
		func() error { return b.Openat(901, 3, scap.AtFDCWD, "shadow", scap.OpenReadOnly, 0) },
		func() error { return b.Close(901, 3, 0) },
		func() error { return b.Openat(901, 3, scap.AtFDCWD, "hostname", scap.OpenReadOnly, 0) },
		func() error { return b.Close(901, 3, 0) },
		func() error { return b.ProcExit(901, 0, 900) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TestCaptureFilesCurrent keeps the committed capture in step with its
// generator (go test ./rulesets -update-captures rewrites it).
func TestCaptureFilesCurrent(t *testing.T) {
	want, err := catShadowCapture()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("default", "tests", "captures", "cat-shadow.scap.gz")
	if *updateCaptures {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rulesets -update-captures)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./rulesets -update-captures", path)
	}
}
