package ruletest

import (
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key", "tests:\n  - name: x\n    evnt: {type: open}\n    silent: true\n", `t.yaml: line 3:5: unknown key "evnt"`},
		{"unknown nested key", "tests:\n  - name: x\n    process: {name: a, pidd: 3}\n    event: {type: open}\n    silent: true\n", `unknown key "pidd"`},
		{"no name", "tests:\n  - event: {type: open}\n    silent: true\n", "a case needs a name"},
		{"no events", "tests:\n  - name: x\n    silent: true\n", "exactly one of event, events or capture"},
		{"no expectation", "tests:\n  - name: x\n    event: {type: open}\n", "needs an expectation"},
		{"contradiction", "tests:\n  - name: x\n    event: {type: open}\n    silent: true\n    fires: R\n", "silent contradicts"},
		{"duplicate", "tests:\n  - name: x\n    event: {type: open}\n    silent: true\n  - name: x\n    event: {type: open}\n    silent: true\n", `t.yaml:5: case "x": duplicate name (first at line 2)`},
		{"not a list", "tests: 3\n", "tests must be a list"},
		{"bad top key", "cases: []\n", `unknown key "cases"`},
		{"bad yaml", "tests: [\n", "t.yaml: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseShortForms(t *testing.T) {
	src := `
- name: one
  process: {name: cat}
  event: {type: openat, fd: /etc/shadow, flags: O_RDONLY}
  fires: Rule A
- name: two
  process: {name: cat}
  events: [{type: openat, fd: {name: /x, type: file}}]
  not_fires: [Rule A, Rule B]
`
	f, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 2 {
		t.Fatalf("got %d cases, want 2", len(f.Cases))
	}
	c := f.Cases[0]
	if c.Line != 2 || c.Event.FD.Name != "/etc/shadow" || len(c.Fires) != 1 || c.Fires[0] != "Rule A" {
		t.Errorf("case one = %+v", c)
	}
	if got := f.Cases[1].NotFires; len(got) != 2 {
		t.Errorf("not_fires = %v", got)
	}
}

func TestOpenFlags(t *testing.T) {
	tests := []struct {
		in, want string
		bits     int64
	}{
		{"O_RDONLY", "O_RDONLY", 1},
		{"O_RDONLY|O_CLOEXEC", "O_RDONLY|O_CLOEXEC", 4097},
		{"O_CLOEXEC|O_RDONLY", "O_RDONLY|O_CLOEXEC", 4097},
		{"O_RDWR|O_CREAT", "O_RDWR|O_CREAT", 7},
		{"O_WRONLY|O_TRUNC", "O_WRONLY|O_TRUNC", 258},
	}
	for _, tt := range tests {
		bits, got, err := parseOpenFlags(tt.in)
		if err != nil || got != tt.want || bits != tt.bits {
			t.Errorf("parseOpenFlags(%q) = %d, %q, %v; want %d, %q", tt.in, bits, got, err, tt.bits, tt.want)
		}
	}
	if _, _, err := parseOpenFlags("O_BOGUS"); err == nil {
		t.Error("parseOpenFlags(O_BOGUS) succeeded")
	}
}
