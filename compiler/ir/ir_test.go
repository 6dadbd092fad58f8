package ir_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
)

var update = flag.Bool("update", false, "rewrite golden files")

var upstream = []string{
	"testdata/upstream-rules/falco_rules.yaml",
	"testdata/upstream-rules/falco-incubating_rules.yaml",
	"testdata/upstream-rules/falco-sandbox_rules.yaml",
}

func compile(t testing.TB, paths ...string) *ir.Program {
	t.Helper()
	p, diags, err := compiler.Compile(os.DirFS("../.."), paths, compiler.Options{})
	if err != nil {
		t.Fatalf("compile %v: %v\n%s", paths, err, diags.Errors())
	}
	return p
}

func TestEncodeDeterministic(t *testing.T) {
	a, err := ir.Encode(compile(t, upstream...))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ir.Encode(compile(t, upstream...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two compilations of the same files encode differently (%s vs %s)", ir.Digest(a), ir.Digest(b))
	}
	p, err := ir.Decode(a)
	if err != nil {
		t.Fatalf("Decode(Encode(p)): %v", err)
	}
	c, err := ir.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c) {
		t.Fatal("Encode(Decode(b)) != b")
	}
	if len(p.Rules) < 80 {
		t.Errorf("upstream program has %d rules, want every enabled upstream rule (81)", len(p.Rules))
	}
	for _, s := range []string{"execve", "openat", "connect", "clone", "procexit"} {
		found := false
		for _, x := range p.Syscalls {
			found = found || x == s
		}
		if !found {
			t.Errorf("syscall set lacks %s", s)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid, err := ir.Encode(compile(t, "testdata/upstream-rules/falco_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	deep := `{"format":1,"sources":[],"syscalls":[],"rules":[{"name":"r","priority":1,"source":"syscall","origin":{"file":"f","line":1,"col":1},"output":[],"condition":` +
		strings.Repeat(`{"kind":"not","args":[`, ir.MaxDepth+5) + `{"kind":"check","check":{"left":{"field":"proc.name"},"op":"exists"}}` + strings.Repeat(`]}`, ir.MaxDepth+5) + `}]}`
	tests := []struct {
		name string
		data string
		want error
		msg  string
	}{
		{"empty", "", ir.ErrMalformed, ""},
		{"not json", "\x00\x01", ir.ErrMalformed, ""},
		{"no version", `{"rules":[]}`, ir.ErrMalformed, "no format version"},
		{"future version", `{"format":2,"rules":[]}`, ir.ErrVersion, "version 2"},
		{"unknown field", strings.Replace(string(valid), `"format":1,`, `"format":1,"surprise":true,`, 1), ir.ErrMalformed, "surprise"},
		{"trailing data", string(valid) + "{}", ir.ErrMalformed, ""},
		{"bad operator", strings.Replace(string(valid), `"op":"in"`, `"op":"~="`, 1), ir.ErrMalformed, "unknown operator"},
		{"bad priority", strings.Replace(string(valid), `"priority":4`, `"priority":9`, 1), ir.ErrMalformed, "invalid priority"},
		{"too deep", deep, ir.ErrTooLarge, "deeper"},
		{"too large", `{"format":1,"x":"` + strings.Repeat("a", ir.MaxEncodedSize) + `"}`, ir.ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ir.Decode([]byte(tt.data))
			if err == nil || p != nil {
				t.Fatalf("Decode() = %v, %v; want error", p != nil, err)
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Decode() error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	old := compile(t, "compiler/ir/testdata/diff-old.yaml")
	new := compile(t, "compiler/ir/testdata/diff-new.yaml")
	changes := ir.Diff(old, new, func(c uint16) string { return fields.EventName(fields.EventCode(c)) })
	var text, md bytes.Buffer
	if err := ir.WriteDiffText(&text, changes); err != nil {
		t.Fatal(err)
	}
	if err := ir.WriteDiffMarkdown(&md, changes); err != nil {
		t.Fatal(err)
	}
	golden(t, "diff.txt.golden", text.Bytes())
	golden(t, "diff.md.golden", md.Bytes())
	if got := ir.Diff(old, old, nil); len(got) != 0 {
		t.Errorf("Diff(p, p) = %v, want no changes", got)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func FuzzDecode(f *testing.F) {
	for _, path := range []string{"compiler/ir/testdata/diff-old.yaml", "compiler/ir/testdata/diff-new.yaml"} {
		b, err := ir.Encode(compile(f, path))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ir.Decode(data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Decode() = %v, %v: want exactly one of program and error", p, err)
		}
		if err != nil {
			return
		}
		// A decoded program re-encodes and decodes to the same bytes.
		b, err := ir.Encode(p)
		if err != nil {
			t.Fatalf("Encode(Decode(x)): %v", err)
		}
		q, err := ir.Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(x))): %v", err)
		}
		c, _ := ir.Encode(q)
		if !bytes.Equal(b, c) {
			t.Fatal("encoding is not stable")
		}
	})
}
