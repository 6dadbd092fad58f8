package syntax

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestParseBool(t *testing.T) {
	tests := []struct {
		in       string
		want, ok bool
	}{
		{"y", true, true}, {"Y", true, true}, {"n", false, true}, {"N", false, true},
		{"yes", true, true}, {"Yes", true, true}, {"YES", true, true},
		{"no", false, true}, {"No", false, true}, {"NO", false, true},
		{"true", true, true}, {"True", true, true}, {"TRUE", true, true},
		{"false", false, true}, {"False", false, true}, {"FALSE", false, true},
		{"on", true, true}, {"On", true, true}, {"ON", true, true},
		{"off", false, true}, {"Off", false, true}, {"OFF", false, true},
		{"yEs", false, false}, {"tRUE", false, false}, {"TRue", false, false},
		{"1", false, false}, {"0", false, false}, {"", false, false}, {"yes ", false, false},
		{"enabled", false, false}, {"t", false, false},
	}
	for _, tt := range tests {
		got, ok := ParseBool(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseBool(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseUint32(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"0", 0, true}, {"17", 17, true}, {"+5", 5, true}, {"0x1F", 31, true}, {"0X10", 16, true},
		{"010", 8, true}, {"4294967295", 4294967295, true}, {"7 ", 7, true}, {"7\n", 7, true},
		{"", 0, false}, {"-1", 0, false}, {"-0", 0, false}, {" 7", 0, false}, {"4294967296", 0, false},
		{"08", 0, false}, {"0x", 0, false}, {"1.5", 0, false}, {"0.10.0", 0, false}, {"12abc", 0, false},
		{"+", 0, false}, {"0xg", 0, false}, {"99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseUint32(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseUint32(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// ruleWith returns a rule item with extra key lines.
func ruleWith(extra string) string {
	return "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n" + extra
}

func loadRule(t *testing.T, src string) (*RuleItem, ErrorList) {
	t.Helper()
	f, errs := LoadFile("t.yaml", []byte(src))
	for _, it := range f.Items {
		if r, ok := it.(*RuleItem); ok {
			return r, errs
		}
	}
	t.Fatalf("LoadFile(%q) gave no rule; diagnostics:\n%s", src, errs)
	return nil, nil
}

func TestLoadBooleans(t *testing.T) {
	tests := []struct {
		text string
		want bool
		ok   bool
	}{
		{"true", true, true}, {"True", true, true}, {"TRUE", true, true}, {`"true"`, true, true},
		{`'false'`, false, true}, {"yes", true, true}, {`"yes"`, true, true}, {"Y", true, true},
		{"n", false, true}, {"on", true, true}, {"OFF", false, true}, {"No", false, true},
		{"yEs", false, false}, {"1", false, false}, {"0", false, false}, {"enabled", false, false},
		{`"t"`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r, errs := loadRule(t, ruleWith("  enabled: "+tt.text+"\n  capture: "+tt.text+"\n"))
			if tt.ok {
				if errs.HasErrors() {
					t.Fatalf("enabled: %s: %v", tt.text, errs)
				}
				if !r.Enabled.Set || r.Enabled.Value != tt.want || r.Capture.Value != tt.want {
					t.Errorf("enabled: %s = %+v, capture %+v, want %v", tt.text, r.Enabled, r.Capture, tt.want)
				}
				if r.Enabled.Pos != (Pos{"t.yaml", 6, 12, 75}) {
					t.Errorf("enabled: %s at %v, want t.yaml:6:12", tt.text, r.Enabled.Pos)
				}
				return
			}
			got := diagStrings(errs.Errors(), false)
			want := []string{
				"6:12: error: Can't decode YAML scalar value [bad-value]",
				"7:12: error: Can't decode YAML scalar value [bad-value]",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("enabled: %s: errors %q, want %q", tt.text, got, want)
			}
		})
	}
}

func TestLoadIntegers(t *testing.T) {
	tests := []struct {
		text string
		ok   bool
	}{
		{"10", true}, {`"10"`, true}, {"0x10", true}, {"010", true}, {"+5", true}, {"4294967295", true},
		{"-1", false}, {"4294967296", false}, {"1.5", false}, {"08", false}, {"ten", false}, {`" 1"`, false},
	}
	for _, tt := range tests {
		r, errs := loadRule(t, ruleWith("  capture_duration: "+tt.text+"\n"))
		if errs.HasErrors() == tt.ok {
			t.Errorf("capture_duration: %s: errors %v, want ok=%v", tt.text, errs.Errors(), tt.ok)
		}
		if want := strings.Trim(tt.text, `"`); r.CaptureDuration.Value != want {
			t.Errorf("capture_duration: %s kept as %q, want %q", tt.text, r.CaptureDuration.Value, want)
		}
	}
}

func TestLoadScalarTraps(t *testing.T) {
	src := "- rule: r\n" +
		"  desc: != after evt.type\n" +
		"  condition: !!str c\n" +
		"  output: &o o\n" +
		"  priority: INFO\n" +
		"  tags: [3333, 0x10, true, ~x, 1.50,]\n" +
		"  exceptions:\n" +
		"    - name: e\n" +
		"      fields: [proc.name]\n" +
		"      comps: [=]\n" +
		"      values: [[a]]\n"
	r, errs := loadRule(t, src)
	if errs.HasErrors() {
		t.Fatalf("LoadFile: %v", errs)
	}
	if r.Desc.Value != "after evt.type" || r.Desc.Pos != (Pos{"t.yaml", 2, 12, 21}) || r.Desc.PosAt(6) != (Pos{"t.yaml", 2, 18, 27}) {
		t.Errorf("tagged desc = %q at %v, byte 6 at %v", r.Desc.Value, r.Desc.Pos, r.Desc.PosAt(6))
	}
	if r.Condition.Value != "c" || r.Condition.Pos.Col != 20 {
		t.Errorf("!!str condition = %q at %v", r.Condition.Value, r.Condition.Pos)
	}
	if r.Output.Value != "o" || r.Output.Pos.Col != 14 {
		t.Errorf("anchored output = %q at %v", r.Output.Value, r.Output.Pos)
	}
	var tags []string
	for _, s := range r.Tags {
		tags = append(tags, s.Value)
	}
	if got, want := strings.Join(tags, ","), "3333,0x10,true,~x,1.50"; got != want {
		t.Errorf("tags = %s, want %s", got, want)
	}
	if got := r.Exceptions[0].Comps; len(got) != 1 || got[0].Value != "=" {
		t.Errorf("comps: [=] = %+v, want the string =", got)
	}
}

// posChecker checks positions against one file.
type posChecker struct {
	src    []byte
	starts []int // offsets where lines start
}

func newPosChecker(src []byte) *posChecker {
	c := &posChecker{src: src, starts: []int{0}}
	for i, b := range src {
		if b == '\n' {
			c.starts = append(c.starts, i+1)
		}
	}
	return c
}

// check fails the test unless p is a position inside the file whose line
// and column agree with its offset.
func (c *posChecker) check(t *testing.T, p Pos, what string) {
	t.Helper()
	if p.Offset < 0 || p.Offset > len(c.src) {
		t.Fatalf("%s: offset %d outside the file (%d bytes)", what, p.Offset, len(c.src))
	}
	line := sort.SearchInts(c.starts, p.Offset+1)
	col := p.Offset - c.starts[line-1] + 1
	if p.Line != line || p.Col != col {
		t.Fatalf("%s: position %d:%d does not match offset %d (%d:%d)", what, p.Line, p.Col, p.Offset, line, col)
	}
}

// checkMapping checks that every byte of s maps to a file byte it can
// have been decoded from: the same byte, a line break (for a folded
// space or newline), or the backslash of an escape.
func (c *posChecker) checkMapping(t *testing.T, s Scalar) {
	t.Helper()
	src := c.src
	c.check(t, s.Pos, fmt.Sprintf("scalar %.30q", s.Value))
	if !s.Exact() {
		return
	}
	prev := -1
	for i := 0; i < len(s.Value); i++ {
		p := s.PosAt(i)
		what := fmt.Sprintf("byte %d of %.40q", i, s.Value)
		c.check(t, p, what)
		if p.Offset >= len(src) {
			t.Fatalf("%s: maps past the end of the file", what)
		}
		if p.Offset < prev {
			t.Fatalf("%s: maps to offset %d, before byte %d (offset %d)", what, p.Offset, i-1, prev)
		}
		prev = p.Offset
		b, sb := s.Value[i], src[p.Offset]
		switch {
		case b == sb:
		case sb == '\\' && s.Style == StyleDoubleQuoted:
		case (b == ' ' || b == '\n') && breakLen(src, p.Offset) > 0:
		case sb == 0xE2 && breakLen(src, p.Offset) == 3:
		default:
			t.Fatalf("%s: %q maps to file byte %q at %v", what, b, sb, p)
		}
	}
}

// find returns the position PosAt gives for the first occurrence of word
// in s.
func find(t *testing.T, s Scalar, word string) Pos {
	t.Helper()
	i := strings.Index(s.Value, word)
	if i < 0 {
		t.Fatalf("%q not in %q", word, s.Value)
	}
	return s.PosAt(i)
}

func TestScalarPositions(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		value     string // the decoded condition
		word      string
		line, col int // where word is in the file
		// at maps more bytes of the value to where they must map:
		// folded spaces and newlines map to the line break they stand
		// for, escapes to their backslash.
		at map[int]string
	}{
		{
			name:  "plain one line",
			src:   "- macro: m\n  condition: evt.type = open and proc.nam = x\n",
			value: "evt.type = open and proc.nam = x",
			word:  "proc.nam", line: 2, col: 34,
		},
		{
			name:  "plain multi-line",
			src:   "- macro: m\n  condition: evt.type = open\n    and   proc.nam = x\n\n    or  y   \n",
			value: "evt.type = open and   proc.nam = x\nor  y",
			word:  "proc.nam", line: 3, col: 11,
			at: map[int]string{15: "2:29", 34: "4:1", 38: "5:8"},
		},
		{
			name:  "single quoted",
			src:   "- macro: m\n  condition: 'proc.name = ''it''s''\n      and proc.nam = x'\n",
			value: "proc.name = 'it's' and proc.nam = x",
			word:  "proc.nam ", line: 3, col: 11,
			at: map[int]string{12: "2:27", 15: "2:31", 17: "2:34", 18: "2:36"},
		},
		{
			name:  "double quoted with escapes",
			src:   "- macro: m\n  condition: \"a\\tb \\\"q\\\" \\u00e9\\x41 \\\n    proc.nam \\\n\n    = x  \n    y\"\n",
			value: "a\tb \"q\" \u00e9A proc.nam \n= x y",
			word:  "proc.nam", line: 3, col: 5,
			at: map[int]string{1: "2:16", 4: "2:20", 8: "2:26", 9: "2:26", 10: "2:32", 11: "2:36", 12: "3:5", 21: "4:1", 22: "5:5", 25: "5:10"},
		},
		{
			name:  "double quoted ending in an escaped break",
			src:   "- macro: m\n  condition: \"a \\\n    proc.nam\\x20\\\n\"\n",
			value: "a proc.nam ",
			word:  "proc.nam", line: 3, col: 5,
			at: map[int]string{1: "2:16", 10: "3:13"},
		},
		{
			name:  "literal keep",
			src:   "- macro: m\n  condition: |+\n    evt.type = open\n\n      and proc.nam = x\n\n\n- list: l\n  items: []\n",
			value: "evt.type = open\n\n  and proc.nam = x\n\n\n",
			word:  "proc.nam", line: 5, col: 11,
			at: map[int]string{15: "3:20", 16: "4:1", 17: "5:5", 35: "5:23", 36: "6:1", 37: "7:1"},
		},
		{
			name:  "literal strip with indicator",
			src:   "- macro: m\n  condition: |2-\n     evt.type = open\n     and proc.nam = x\n",
			value: " evt.type = open\n and proc.nam = x",
			word:  "proc.nam", line: 4, col: 10,
		},
		{
			name:  "folded",
			src:   "- macro: m\n  condition: >\n    evt.type = open\n    and (proc.name in (a, b,\n      c)\n\n    or proc.nam = x)\n",
			value: "evt.type = open and (proc.name in (a, b,\n  c)\n\nor proc.nam = x)\n",
			word:  "proc.nam ", line: 7, col: 8,
			at: map[int]string{15: "3:20", 40: "4:29", 41: "5:5", 45: "5:9", 46: "6:1", 63: "7:21"},
		},
		{
			name:  "folded with comment after the indicator",
			src:   "- macro: m # c\n  condition: >- # why\n    a\n    proc.nam\n",
			value: "a proc.nam",
			word:  "proc.nam", line: 4, col: 5,
			at: map[int]string{1: "3:6"},
		},
		{
			name:  "tagged plain",
			src:   "- macro: m\n  condition: !x evt.type = open\n    and proc.nam = x\n",
			value: "evt.type = open and proc.nam = x",
			word:  "proc.nam", line: 3, col: 9,
		},
		{
			name:  "anchored and tagged folded",
			src:   "- macro: m\n  condition: &c !!str\n    # why\n    >\n    evt.type = open\n    and proc.nam = x\n",
			value: "evt.type = open and proc.nam = x\n",
			word:  "proc.nam", line: 6, col: 9,
			at: map[int]string{15: "5:20"},
		},
		{
			name:  "crlf",
			src:   "- macro: m\r\n  condition: >\r\n    evt.type = open\r\n    and proc.nam = x\r\n",
			value: "evt.type = open and proc.nam = x\n",
			word:  "proc.nam", line: 4, col: 9,
			at: map[int]string{15: "3:20", 32: "4:21"},
		},
		{
			name:  "non-ascii before the scalar",
			src:   "- macro: m\n  condition: fd.name = \"é\" and 'ü' and proc.nam = x\n",
			value: "fd.name = \"é\" and 'ü' and proc.nam = x",
			word:  "proc.nam", line: 2, col: 42,
		},
		{
			name:  "flow sequence value",
			src:   "- list: l\n  items: [aé, \"b\n    proc.nam\"]\n",
			value: "",
			word:  "proc.nam", line: 3, col: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := LoadFile("p.yaml", []byte(tt.src))
			var s Scalar
			switch x := f.Items[0].(type) {
			case *MacroItem:
				s = x.Condition
			case *ListItem:
				s = x.Items[1]
			}
			if tt.value != "" {
				if errs.HasErrors() {
					t.Fatalf("LoadFile: %v", errs)
				}
				if s.Value != tt.value {
					t.Fatalf("condition = %q, want %q", s.Value, tt.value)
				}
			}
			if !s.Exact() {
				t.Fatalf("%q is not mapped exactly", s.Value)
			}
			newPosChecker([]byte(tt.src)).checkMapping(t, s)
			p := find(t, s, tt.word)
			if p.Line != tt.line || p.Col != tt.col {
				t.Errorf("%q is at %d:%d, want %d:%d", tt.word, p.Line, p.Col, tt.line, tt.col)
			}
			if got := tt.src[p.Offset : p.Offset+len(tt.word)]; got != tt.word {
				t.Errorf("offset %d holds %q, want %q", p.Offset, got, tt.word)
			}
			for i, want := range tt.at {
				if p := s.PosAt(i); fmt.Sprintf("%d:%d", p.Line, p.Col) != want {
					t.Errorf("byte %d (%q) of the value is at %d:%d, want %s", i, s.Value[i], p.Line, p.Col, want)
				}
			}
		})
	}
}

// TestScalarPositionsRealisticRule finds a field inside the folded
// condition of a rule shaped like the upstream ones.
func TestScalarPositionsRealisticRule(t *testing.T) {
	src := `- rule: Read sensitive file untrusted
  desc: >
    An attempt to read any sensitive file (e.g. files containing user/password/authentication
    information).
  condition: >
    open_read
    and sensitive_files
    and not proc.name in (user_mgmt_binaries, userexec_binaries, package_mgmt_binaries,
     cron_binaries, read_sensitive_file_binaries, shell_binaries, hids_binaries,
     google_oslogin_
     )
    and not proc.pname in (sshd)
  output: Sensitive file opened for reading by non-trusted program | file=%fd.name
  priority: WARNING
`
	r, errs := loadRule(t, src)
	if errs.HasErrors() {
		t.Fatalf("LoadFile: %v", errs)
	}
	c := r.Condition
	want := "open_read and sensitive_files and not proc.name in (user_mgmt_binaries, userexec_binaries, package_mgmt_binaries,\n" +
		" cron_binaries, read_sensitive_file_binaries, shell_binaries, hids_binaries,\n google_oslogin_\n )\nand not proc.pname in (sshd)\n"
	if c.Value != want {
		t.Fatalf("condition = %q, want %q", c.Value, want)
	}
	newPosChecker([]byte(src)).checkMapping(t, c)
	for _, tt := range []struct {
		word      string
		line, col int
	}{
		{"open_read", 6, 5},
		{"proc.nam", 8, 13},
		{"cron_binaries", 9, 6},
		{"google_oslogin_", 10, 6},
		{")\nand", 11, 6},
		{"proc.pname", 12, 13},
	} {
		if p := find(t, c, tt.word); p.Line != tt.line || p.Col != tt.col {
			t.Errorf("%q at %d:%d, want %d:%d", tt.word, p.Line, p.Col, tt.line, tt.col)
		}
	}
	// The space that joins "open_read" and "and" stands for the line
	// break after open_read.
	if p := c.PosAt(len("open_read")); p.Line != 6 || p.Col != 14 {
		t.Errorf("folded space at %v, want 6:14", p)
	}
}

func TestScalarInexact(t *testing.T) {
	s := Scalar{Pos: Pos{"f", 3, 5, 40}, Value: "abc", Style: StyleDoubleQuoted, Set: true, inexact: true}
	if s.Exact() {
		t.Error("Exact() = true for an unmapped scalar")
	}
	if got, want := s.PosAt(2), (Pos{"f", 3, 6, 41}); got != want {
		t.Errorf("PosAt(2) = %v, want %v (the start of the text)", got, want)
	}
}
