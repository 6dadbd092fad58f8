package syntax

// This file holds the condition scanner: one lexing function per token
// class of libsinsp's filter grammar, each a hand-written equivalent of the
// POSIX regular expression libsinsp uses (leftmost-longest, anchored at the
// cursor). A lexing function either consumes its token and returns true, or
// leaves the cursor where it was and returns false. The parser drives the
// scanner directly, as libsinsp's parser drives its lexer: which token
// classes are tried depends on the grammar position.

// scanner is a cursor over a condition's text.
type condScanner struct {
	src string
	off int // byte offset of the cursor

	// last is the text of the last token consumed (blanks excluded); a
	// quoted string counts as its decoded value. It feeds the message
	// "unexpected token after '<last>', expecting 'or', 'and'".
	last string
}

// isCondBlank reports whether c is a blank in the sense of libsinsp's
// lex_blank: space, tab, backspace, carriage return or line feed.
func isCondBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n'
}

// isPosixSpace reports whether c is in the POSIX class [:space:], which the
// token regular expressions use: space, \t, \n, \v, \f and \r. Unlike
// isCondBlank it excludes backspace and includes \v and \f.
func isPosixSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isASCIIDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool    { return isASCIIDigit(c) || ((c|0x20) >= 'a' && (c|0x20) <= 'f') }

// isIdentByte reports whether c may follow the first letter of an
// identifier: [a-zA-Z0-9_].
func isIdentByte(c byte) bool { return isASCIILetter(c) || isASCIIDigit(c) || c == '_' }

// isBareValueByte reports whether c may appear in a bare string value:
// [^()"'[:space:]=,].
func isBareValueByte(c byte) bool {
	switch c {
	case '(', ')', '"', '\'', '=', ',':
		return false
	}
	return !isPosixSpace(c)
}

// isBareArgByte reports whether c may appear in a bare field argument:
// [^][\"'[:space:]].
func isBareArgByte(c byte) bool {
	switch c {
	case '[', ']', '"', '\'':
		return false
	}
	return !isPosixSpace(c)
}

// peek returns the byte at the cursor, or 0 at the end of the input.
func (s *condScanner) peek() byte {
	if s.off < len(s.src) {
		return s.src[s.off]
	}
	return 0
}

// blank skips blanks and reports whether there were any. It does not
// change last.
func (s *condScanner) blank() bool {
	start := s.off
	for s.off < len(s.src) && isCondBlank(s.src[s.off]) {
		s.off++
	}
	return s.off > start
}

// lit consumes the literal text t if the input continues with it.
func (s *condScanner) lit(t string) bool {
	if len(s.src)-s.off >= len(t) && s.src[s.off:s.off+len(t)] == t {
		s.off += len(t)
		s.last = t
		return true
	}
	return false
}

// word returns the length of the identifier-shaped word
// [a-zA-Z][a-zA-Z0-9_]* at offset i, or 0.
func (s *condScanner) word(i int) int {
	if i >= len(s.src) || !isASCIILetter(s.src[i]) {
		return 0
	}
	j := i + 1
	for j < len(s.src) && isIdentByte(s.src[j]) {
		j++
	}
	return j - i
}

// take consumes n bytes as a token and returns them.
func (s *condScanner) take(n int) string {
	t := s.src[s.off : s.off+n]
	s.off += n
	s.last = t
	return t
}

// ident lexes an identifier: [a-zA-Z]+[a-zA-Z0-9_]*.
func (s *condScanner) ident() (string, bool) {
	n := s.word(s.off)
	if n == 0 {
		return "", false
	}
	return s.take(n), true
}

// fieldName lexes a field name: an identifier followed by one or more
// ".identifier" parts, as in proc.name or evt.arg.flags.
func (s *condScanner) fieldName() (string, bool) {
	n := s.word(s.off)
	if n == 0 {
		return "", false
	}
	end := s.off + n
	parts := 0
	for end < len(s.src) && s.src[end] == '.' {
		m := s.word(end + 1)
		if m == 0 {
			break
		}
		end += 1 + m
		parts++
	}
	if parts == 0 {
		return "", false
	}
	return s.take(end - s.off), true
}

// notBlank lexes the keyword "not" followed by at least one [:space:]
// byte, consuming those bytes too.
func (s *condScanner) notBlank() bool {
	if len(s.src)-s.off < 4 || s.src[s.off:s.off+3] != "not" || !isPosixSpace(s.src[s.off+3]) {
		return false
	}
	end := s.off + 4
	for end < len(s.src) && isPosixSpace(s.src[end]) {
		end++
	}
	s.take(end - s.off)
	return true
}

// number lexes a hexadecimal number 0[xX][0-9a-fA-F]+ or, failing that,
// a decimal one: [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?.
func (s *condScanner) number() (string, bool) {
	if n := s.hexLen(s.off); n > 0 {
		return s.take(n), true
	}
	if n := s.decimalLen(s.off); n > 0 {
		return s.take(n), true
	}
	return "", false
}

func (s *condScanner) hexLen(i int) int {
	if i+2 >= len(s.src) || s.src[i] != '0' || (s.src[i+1]|0x20) != 'x' || !isHexDigit(s.src[i+2]) {
		return 0
	}
	j := i + 3
	for j < len(s.src) && isHexDigit(s.src[j]) {
		j++
	}
	return j - i
}

func (s *condScanner) decimalLen(i int) int {
	j := i
	if j < len(s.src) && (s.src[j] == '+' || s.src[j] == '-') {
		j++
	}
	d := j
	for j < len(s.src) && isASCIIDigit(s.src[j]) {
		j++
	}
	if j == d {
		return 0
	}
	if j < len(s.src) && s.src[j] == '.' {
		j++
		for j < len(s.src) && isASCIIDigit(s.src[j]) {
			j++
		}
	}
	// The exponent needs an explicit sign and at least one digit;
	// otherwise it is not part of the number.
	if j+2 < len(s.src) && (s.src[j]|0x20) == 'e' && (s.src[j+1] == '+' || s.src[j+1] == '-') && isASCIIDigit(s.src[j+2]) {
		j += 3
		for j < len(s.src) && isASCIIDigit(s.src[j]) {
			j++
		}
	}
	return j - i
}

// isNumberToken reports whether t is exactly one number token.
func isNumberToken(t string) bool {
	s := condScanner{src: t}
	if n := s.hexLen(0); n == len(t) && n > 0 {
		return true
	}
	n := s.decimalLen(0)
	return n == len(t) && n > 0
}

// bareValue lexes a bare string value: [^()"'[:space:]=,]+.
func (s *condScanner) bareValue() (string, bool) {
	j := s.off
	for j < len(s.src) && isBareValueByte(s.src[j]) {
		j++
	}
	if j == s.off {
		return "", false
	}
	return s.take(j - s.off), true
}

// bareArg lexes a bare field argument: [^][\"'[:space:]]+.
func (s *condScanner) bareArg() (string, bool) {
	j := s.off
	for j < len(s.src) && isBareArgByte(s.src[j]) {
		j++
	}
	if j == s.off {
		return "", false
	}
	return s.take(j - s.off), true
}

// quoted lexes a quoted string and returns its raw text, delimiters
// included; the caller decodes it with decodeQuoted. As in libsinsp, the string
// ends at the first delimiter whose preceding byte is not a backslash, and
// a NUL byte ends the input, so "a\\" is unterminated. On failure the
// cursor does not move.
func (s *condScanner) quoted() (string, bool) {
	if s.off >= len(s.src) {
		return "", false
	}
	q := s.src[s.off]
	if q != '"' && q != '\'' {
		return "", false
	}
	for j := s.off + 1; j < len(s.src); j++ {
		c := s.src[j]
		if c == 0 {
			break
		}
		if c == q && s.src[j-1] != '\\' {
			raw := s.src[s.off : j+1]
			s.off = j + 1
			return raw, true
		}
	}
	return "", false
}

// transformerNames are the transformer functions a check may apply to a
// field, in libsinsp's order. "val" is handled on its own: it is allowed
// only on the right-hand side.
var transformerNames = [...]string{"tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"}

// transformer lexes a transformer name immediately followed by "(" and
// returns the name. A blank before "(" makes it no transformer.
func (s *condScanner) transformer() (string, bool) {
	n := s.word(s.off)
	if n == 0 || s.off+n >= len(s.src) || s.src[s.off+n] != '(' {
		return "", false
	}
	w := s.src[s.off : s.off+n]
	for _, t := range transformerNames {
		if w == t {
			s.off += n + 1
			s.last = w + "("
			return w, true
		}
	}
	return "", false
}
