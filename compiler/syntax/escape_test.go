package syntax

import (
	"strings"
	"testing"
)

func TestQuoteValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cat", "cat"},
		{"/usr/bin/*", "/usr/bin/*"},
		{"<NA>", "<NA>"},
		{"ünï", "ünï"},
		{"", `""`},
		{"a b", `"a b"`},
		{"a=b", `"a=b"`},
		{`it's`, `"it's"`},
		{`say "hi"`, `"say \"hi\""`},
		{`a\b`, `"a\\b"`},
		{`a\`, `"a\x5c"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x1b\x7f", `"\x00\x1b\x7f"`},
		{"(x)", `"(x)"`},
		{"a,b", `"a,b"`},
		{"\v", `"\x0b"`},
	}
	for _, tt := range tests {
		if got := QuoteValue(tt.in); got != tt.want {
			t.Errorf("QuoteValue(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// The quoted form decodes back to the input.
		if strings.HasPrefix(tt.want, `"`) {
			if got, err := Unquote(tt.want); err != nil || got != tt.in {
				t.Errorf("Unquote(%s) = %q, %v, want %q", tt.want, got, err, tt.in)
			}
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{`"abc"`, "abc", ""},
		{`'a\'b'`, "a'b", ""},
		{`"a\x41\x5c"`, `aA\`, ""},
		{`"a\ b"`, `a\b`, ""},
		{`"\/"`, "/", ""},
		{`'a\"'`, "", `1:3: error: invalid \" escape in '-quoted string [condition-syntax]`},
		{`"\z"`, "", `1:2: error: unsupported string escape sequence: \z [condition-syntax]`},
		{`"abc`, "", "1:1: error: not a quoted string [condition-syntax]"},
		{`"a"b"`, "", "1:1: error: not a quoted string [condition-syntax]"},
		{`abc`, "", "1:1: error: not a quoted string [condition-syntax]"},
	}
	for _, tt := range tests {
		got, err := Unquote(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("Unquote(%s) = %q, %q; want %q, %q", tt.in, got, gotErr, tt.want, tt.err)
		}
	}
}

func TestDecodeQuoted(t *testing.T) {
	tests := []struct {
		raw, want string
		errOff    int
		errMsg    string
	}{
		{`""`, "", 0, ""},
		{`"plain"`, "plain", 0, ""},
		{`"\b\f\n\r\t\\\/"`, "\b\f\n\r\t\\/", 0, ""},
		{`'\''`, "'", 0, ""},
		{`"\""`, `"`, 0, ""},
		{`"a\ b"`, `a\b`, 0, ""},
		{`"\x00\xFF\x5c"`, "\x00\xff\\", 0, ""},
		{`'\"'`, "", 1, `invalid \" escape in '-quoted string`},
		{`"\'"`, "", 1, `invalid \' escape in "-quoted string`},
		{`"ab\q"`, "", 3, `unsupported string escape sequence: \q`},
		{`"\x4g"`, "", 1, `invalid \x escape: expected two hexadecimal digits`},
		{`"\x4"`, "", 1, `invalid \x escape: expected two hexadecimal digits`},
	}
	for _, tt := range tests {
		got, e := decodeQuoted(tt.raw)
		switch {
		case tt.errMsg == "" && e != nil:
			t.Errorf("decodeQuoted(%s) failed: %s", tt.raw, e.msg)
		case tt.errMsg == "" && got != tt.want:
			t.Errorf("decodeQuoted(%s) = %q, want %q", tt.raw, got, tt.want)
		case tt.errMsg != "" && e == nil:
			t.Errorf("decodeQuoted(%s) = %q, want error %q", tt.raw, got, tt.errMsg)
		case tt.errMsg != "" && (e.off != tt.errOff || e.msg != tt.errMsg):
			t.Errorf("decodeQuoted(%s) error at %d %q, want at %d %q", tt.raw, e.off, e.msg, tt.errOff, tt.errMsg)
		}
	}
}

// TestQuoteRoundTrip checks that every byte value survives quoting.
func TestQuoteRoundTrip(t *testing.T) {
	var all strings.Builder
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		q := QuoteValue(s)
		got, err := parseSrc("a.b = " + q)
		if err != nil {
			t.Errorf("byte %#x: ParseCondition(a.b = %s) = %v", c, q, err)
			continue
		}
		if v := got.(*CheckExpr).Right.(*StringLit).Value; v != s {
			t.Errorf("byte %#x: quoted as %s, read back as %q", c, q, v)
		}
		all.WriteByte(byte(c))
	}
	s := all.String() + `\\\`
	if got, err := Unquote(QuoteValue(s)); err != nil || got != s {
		t.Errorf("Unquote(QuoteValue(all bytes)) = %q, %v", got, err)
	}
}
