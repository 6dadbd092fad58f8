package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runParse runs "falconer parse ARGS..." and returns its output and error.
func runParse(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	c := newParseCmd()
	var out, errOut bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SetArgs(args)
	err = c.Execute()
	return out.String(), errOut.String(), err
}

func TestParseCmdText(t *testing.T) {
	out, _, err := runParse(t, `(proc.aname[2]=nginx and evt.type in (connect,accept)) or not fd.name exists or b64(x.y) = val(a.b)`)
	if err != nil {
		t.Fatal(err)
	}
	want := `or @1:2
  and @1:2
    check = @1:2
      field proc.aname arg "2" @1:2
      value "nginx" @1:16
    check in @1:26
      field evt.type @1:26
      list @1:38
        value "connect" @1:39
        value "accept" @1:47
  not @1:59
    check exists @1:63
      field fd.name @1:63
  check = @1:81
    transformer b64 @1:81
      field x.y @1:85
    transformer val @1:92
      field a.b @1:96
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

func TestParseCmdJSON(t *testing.T) {
	out, _, err := runParse(t, "--format", "json", `proc.name startswith oneof (a, "b c") and
  not getopt(proc.args, "t:")[t] in ()`)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var want any
	if err := json.Unmarshal([]byte(`{
	  "kind": "and", "line": 1, "col": 1,
	  "operands": [
	    {"kind": "check", "line": 1, "col": 1, "op": "startswith", "modifier": "oneof",
	     "left": {"kind": "field", "line": 1, "col": 1, "field": "proc.name"},
	     "right": {"kind": "list", "line": 1, "col": 28, "values": [
	       {"kind": "value", "line": 1, "col": 29, "value": "a"},
	       {"kind": "value", "line": 1, "col": 32, "value": "b c", "quoted": true}]}},
	    {"kind": "not", "line": 2, "col": 3, "operands": [
	      {"kind": "check", "line": 2, "col": 7, "op": "in",
	       "left": {"kind": "transformer", "line": 2, "col": 7, "name": "getopt", "arg": "t", "args": [
	         {"kind": "field", "line": 2, "col": 14, "field": "proc.args"},
	         {"kind": "value", "line": 2, "col": 25, "value": "t:", "quoted": true}]},
	       "right": {"kind": "list", "line": 2, "col": 37, "values": []}}]}
	  ]}`), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
}

func TestParseCmdErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // output
	}{
		{[]string{"proc.name = (systemd)"},
			"<input>:1:13: error: expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt' [condition-syntax]\n"},
		{[]string{"a and\n  b orc"}, "<input>:2:7: error: expected blank or '(' after 'or' [condition-syntax]\n"},
		{[]string{""}, "<input>:1:1: error: filter input string is empty [condition-syntax]\n"},
		{[]string{"--format", "json", "a.b ="}, `[
  {
    "file": "<input>",
    "line": 1,
    "col": 6,
    "severity": "error",
    "code": "condition-syntax",
    "message": "expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'"
  }
]
`},
	}
	for _, tt := range tests {
		out, _, err := runParse(t, tt.args...)
		if !errors.Is(err, errFindings) {
			t.Errorf("parse %q: error %v, want errFindings", tt.args, err)
		}
		if out != tt.want {
			t.Errorf("parse %q printed\n%s\nwant\n%s", tt.args, out, tt.want)
		}
	}
}

func TestParseCmdUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"a", "b"}, {"--format", "yaml", "a"}} {
		_, _, err := runParse(t, args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("parse %q: error %v, want a usage error", args, err)
		}
	}
}
