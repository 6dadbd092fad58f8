package state_test

import (
	"bytes"
	"path"
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
	"github.com/falconer-sec/falconer/agent/state"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// process feeds a capture through a fresh table and calls fn with every
// event that reaches the rules.
func process(t *testing.T, data []byte, fn func(tab *state.Table, ev *eval.Event)) {
	t.Helper()
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tab := state.New(state.Options{Hostname: "test"})
	tab.SeedCapture(r)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if ev, ok := tab.Process(e); ok {
			fn(tab, ev)
		}
	}
}

// Arguments are rendered once per event and cached: the cache must
// follow the event, and read twice an argument must not change.
func TestArgsPerEvent(t *testing.T) {
	type open struct {
		fd    int64
		name  string
		flags scap.OpenFlags
	}
	opens := []open{
		{3, "/etc/passwd", scap.OpenReadOnly},
		{4, "/tmp/x", scap.OpenWriteOnly | scap.OpenCreate | scap.OpenTrunc},
		{-2, "missing", scap.OpenReadOnly}, // ENOENT, relative to /home/dev
		{-13, "/root/secret", scap.OpenReadWrite | scap.OpenCloexec},
		{5, "/etc/passwd", scap.OpenReadOnly},
	}
	data := capture(t, func(b *scaptest.Builder) {
		for _, o := range opens {
			if err := b.Openat(900, o.fd, scap.AtFDCWD, o.name, o.flags, 0); err != nil {
				t.Fatal(err)
			}
		}
	})
	type got struct {
		flags, name, fdName string
		fdNum               int64
	}
	want := []got{
		{"O_RDONLY", "/etc/passwd", "/etc/passwd", 3},
		{"O_TRUNC|O_CREAT|O_WRONLY", "/tmp/x", "/tmp/x", 4},
		{"O_RDONLY", "missing", "/home/dev/missing", -1},
		{"O_RDWR|O_CLOEXEC", "/root/secret", "/root/secret", -1},
		{"O_RDONLY", "/etc/passwd", "/etc/passwd", 5},
	}
	var seen []got
	var first *eval.FD
	process(t, data, func(tab *state.Table, ev *eval.Event) {
		var g got
		for range 2 { // the second read comes from the cache
			flags, ok := ev.Arg("flags")
			if !ok || (g.flags != "" && flags.Value != g.flags) {
				t.Errorf("event %d: flags = %q (%v) after %q", len(seen)+1, flags.Value, ok, g.flags)
			}
			name, _ := ev.Arg("name")
			g.flags, g.name = flags.Value, name.Value
		}
		if all := ev.AllArgs(); len(all) < 4 || all[3].Value != g.flags {
			t.Errorf("event %d: AllArgs() = %+v, want flags %q at index 3", len(seen)+1, all, g.flags)
		}
		g.fdName, g.fdNum = ev.FD.Name, ev.FD.Num
		seen = append(seen, g)
		if first == nil {
			first = tab.FD(900, 3)
		}
		if g.fdNum < 0 && tab.FD(900, g.fdNum) != nil {
			t.Errorf("event %d: the failed open's fd was stored", len(seen))
		}
	})
	if len(seen) != len(want) {
		t.Fatalf("got %d events, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i+1, seen[i], want[i])
		}
	}
	// Later events, failed opens included, leave stored fds alone.
	if first == nil || first.Name != "/etc/passwd" || first.Num != 3 {
		t.Errorf("fd 3 after the other opens = %+v, want /etc/passwd", first)
	}
}

// Relative paths resolve as path.Join of the working directory and the
// path, clean or not.
func TestRelativePaths(t *testing.T) {
	tests := []struct{ cwd, name string }{
		{"/home/dev", "notes.txt"},
		{"/", "etc/passwd"},
		{"/var/log", "./syslog"},
		{"/var/log", "../lib/dpkg"},
		{"/var/log", "a//b"},
		{"/var/log", "dir/"},
		{"/var/log", "."},
		{"/var/log", ".."},
		{"/var/log/", "x"},
		{"/a//b", "c"},
		{"/srv", "a/./b/../c"},
	}
	data := capture(t, func(b *scaptest.Builder) {
		for i, tt := range tests {
			if err := b.Chdir(900, 0, tt.cwd); err != nil {
				t.Fatal(err)
			}
			// Twice: the second resolution may come from the intern table.
			for j := range 2 {
				if err := b.Openat(900, int64(10+2*i+j), scap.AtFDCWD, tt.name, scap.OpenReadOnly, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	var got []string
	process(t, data, func(_ *state.Table, ev *eval.Event) {
		if ev.Type == "openat" {
			got = append(got, ev.FD.Name)
		}
	})
	if len(got) != 2*len(tests) {
		t.Fatalf("got %d opens, want %d", len(got), 2*len(tests))
	}
	for i, tt := range tests {
		want := path.Join(tt.cwd, tt.name)
		for j := range 2 {
			if g := got[2*i+j]; g != want {
				t.Errorf("open %q in %q (#%d) = %q, want %q", tt.name, tt.cwd, j+1, g, want)
			}
		}
	}
}
