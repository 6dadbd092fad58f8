package syntax

import "testing"

// TestScannerTokens checks each lexing function on its own: the token it
// takes from the start of the input, or that it takes nothing and leaves
// the cursor in place.
func TestScannerTokens(t *testing.T) {
	type lexer func(*condScanner) (string, bool)
	lexers := map[string]lexer{
		"ident":       (*condScanner).ident,
		"fieldName":   (*condScanner).fieldName,
		"number":      (*condScanner).number,
		"bareValue":   (*condScanner).bareValue,
		"bareArg":     (*condScanner).bareArg,
		"quoted":      (*condScanner).quoted,
		"transformer": (*condScanner).transformer,
	}
	tests := []struct {
		lexer, in, want string // want "" means no token
	}{
		{"ident", "abc_1.x", "abc_1"},
		{"ident", "a", "a"},
		{"ident", "_a", ""},
		{"ident", "1a", ""},
		{"ident", "ünï", ""},
		{"fieldName", "proc.name=cat", "proc.name"},
		{"fieldName", "evt.arg.flags contains", "evt.arg.flags"},
		{"fieldName", "a.b.1", "a.b"},
		{"fieldName", "a.b.", "a.b"},
		{"fieldName", "a._b", ""},
		{"fieldName", "abc", ""},
		{"fieldName", "a1_.b2_[x]", "a1_.b2_"},
		{"number", "1000", "1000"},
		{"number", "-1.2)", "-1.2"},
		{"number", "+0.25e+10]", "+0.25e+10"},
		{"number", "1e5", "1"},
		{"number", "1.", "1."},
		{"number", "0x1fZ", "0x1f"},
		{"number", "0XaB00AB", "0XaB00AB"},
		{"number", "0xg", "0"},
		{"number", "0aaaa", "0"},
		{"number", "-x", ""},
		{"number", ".5", ""},
		{"bareValue", `0a!@#456:/\.;!$%^&*[]{}| x`, `0a!@#456:/\.;!$%^&*[]{}|`},
		{"bareValue", "<NA>)", "<NA>"},
		{"bareValue", "a=b", "a"},
		{"bareValue", "a,b", "a"},
		{"bareValue", "a\bb", "a\bb"},
		{"bareValue", "a\vb", "a"},
		{"bareValue", "(a", ""},
		{"bareValue", `"a"`, ""},
		{"bareArg", "0a!@#456:/\\.;!$%^&*(){}|] = x", "0a!@#456:/\\.;!$%^&*(){}|"},
		{"bareArg", "a b", "a"},
		{"bareArg", "]", ""},
		{"bareArg", "[", ""},
		{"quoted", `"a b" c`, `"a b"`},
		{"quoted", `'a\'b' c`, `'a\'b'`},
		{"quoted", `"mixed '"`, `"mixed '"`},
		{"quoted", `'x' 'y'`, `'x'`},
		{"quoted", `""`, `""`},
		{"quoted", `"a\\" b"`, `"a\\" b"`},
		{"quoted", `"a\\"`, ""},
		{"quoted", `"abc`, ""},
		{"quoted", "\"a\x00\"", ""},
		{"quoted", "abc", ""},
		{"transformer", "b64(x.y)", "b64"},
		{"transformer", "getopt(", "getopt"},
		{"transformer", "b64 (x.y)", ""},
		{"transformer", "b64and(x)", ""},
		{"transformer", "val(x.y)", ""},
		{"transformer", "B64(x.y)", ""},
	}
	for _, tt := range tests {
		s := &condScanner{src: tt.in}
		got, ok := lexers[tt.lexer](s)
		switch {
		case tt.want == "" && (ok || s.off != 0):
			t.Errorf("%s(%q) = %q, %v at offset %d, want no token", tt.lexer, tt.in, got, ok, s.off)
		case tt.want != "" && !ok:
			t.Errorf("%s(%q) found no token, want %q", tt.lexer, tt.in, tt.want)
		case tt.want != "" && (got != tt.want || (tt.lexer != "transformer" && s.off != len(tt.want))):
			t.Errorf("%s(%q) = %q, cursor %d; want %q", tt.lexer, tt.in, got, s.off, tt.want)
		}
	}
}

func TestScannerBlanksAndKeywords(t *testing.T) {
	s := &condScanner{src: " \t\b\r\n\vx"}
	if !s.blank() || s.off != 5 {
		t.Errorf("blank: cursor %d, want 5 (\\v is no blank)", s.off)
	}
	if s.blank() {
		t.Errorf("blank at \\v reported blanks")
	}
	for _, tt := range []struct {
		in   string
		want int // bytes taken, 0 for no match
	}{
		{"not a", 4},
		{"not\t\n\v\f\r a", 9},
		{"not(a)", 0},
		{"not\ba", 0},
		{"not", 0},
		{"nota", 0},
		{"NOT a", 0},
	} {
		s := &condScanner{src: tt.in}
		ok := s.notBlank()
		if ok != (tt.want > 0) || s.off != tt.want {
			t.Errorf("notBlank(%q) = %v at %d, want %d bytes", tt.in, ok, s.off, tt.want)
		}
	}
	s = &condScanner{src: "contains x"}
	if s.lit("contain") != true || s.last != "contain" || s.off != 7 {
		t.Errorf("lit: cursor %d, last %q", s.off, s.last)
	}
	if s.lit("xyz") || s.off != 7 {
		t.Errorf("failed lit moved the cursor to %d", s.off)
	}
}
