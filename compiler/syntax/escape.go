package syntax

import (
	"strings"
)

// This file holds the string escaping of Falco conditions: decoding quoted
// strings (libsinsp's filter/escaping.cpp) and quoting values for the
// printer.

// escapeError describes a bad escape sequence in a quoted string.
type escapeError struct {
	off int // offset of the backslash within the raw quoted text
	msg string
}

// decodeQuoted decodes the raw text of a quoted string, delimiters included, as
// libsinsp does:
//   - \b \f \n \r \t \\ \/ are the usual escapes;
//   - \" only inside "...", \' only inside '...';
//   - "\ " (backslash, space) decodes to a single backslash, dropping the
//     space (a compatibility hack in libsinsp);
//   - \xHH decodes to the byte 0xHH (engine 0.63.0);
//   - anything else is an error.
//
// When raw holds no backslash the result is a substring of raw and does
// not allocate.
func decodeQuoted(raw string) (string, *escapeError) {
	if len(raw) < 2 {
		return "", &escapeError{0, "invalid quoted string"}
	}
	q := raw[0]
	body := raw[1 : len(raw)-1]
	i := strings.IndexByte(body, '\\')
	if i < 0 {
		return body, nil
	}
	b := make([]byte, 0, len(body))
	b = append(b, body[:i]...)
	for ; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i+1 >= len(body) {
			// The scanner never ends a string on an escaped delimiter,
			// so this only happens for hand-made input.
			return "", &escapeError{1 + i, "unterminated string escape sequence"}
		}
		i++
		switch e := body[i]; e {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case ' ', '\\':
			b = append(b, '\\')
		case '/':
			b = append(b, '/')
		case '"':
			if q != '"' {
				return "", &escapeError{i, `invalid \" escape in '-quoted string`}
			}
			b = append(b, '"')
		case '\'':
			if q != '\'' {
				return "", &escapeError{i, `invalid \' escape in "-quoted string`}
			}
			b = append(b, '\'')
		case 'x':
			if i+2 >= len(body) || !isHexDigit(body[i+1]) || !isHexDigit(body[i+2]) {
				return "", &escapeError{i, `invalid \x escape: expected two hexadecimal digits`}
			}
			b = append(b, hexValue(body[i+1])<<4|hexValue(body[i+2]))
			i += 2
		default:
			return "", &escapeError{i, `unsupported string escape sequence: \` + string(e)}
		}
	}
	return string(b), nil
}

func hexValue(c byte) byte {
	if isASCIIDigit(c) {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// Unquote decodes a quoted Falco string literal such as "a\tb" or 'it\'s',
// delimiters included, with the escapes libsinsp accepts.
func Unquote(s string) (string, error) {
	if len(s) < 2 || (s[0] != '"' && s[0] != '\'') || s[len(s)-1] != s[0] {
		return "", &Error{Pos: Pos{Line: 1, Col: 1}, Code: CodeConditionSyntax, Msg: "not a quoted string"}
	}
	sc := condScanner{src: s}
	if raw, ok := sc.quoted(); !ok || len(raw) != len(s) {
		return "", &Error{Pos: Pos{Line: 1, Col: 1}, Code: CodeConditionSyntax, Msg: "not a quoted string"}
	}
	v, e := decodeQuoted(s)
	if e != nil {
		return "", &Error{Pos: Pos{Line: 1, Col: 1 + e.off, Offset: e.off}, Code: CodeConditionSyntax, Msg: e.msg}
	}
	return v, nil
}

// valueNeedsQuotes reports whether Falco's printer quotes a value: it contains
// a space, '=', a quote, a backslash or a control character.
func valueNeedsQuotes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ', c == '=', c == '"', c == '\'', c == '\\', c < 0x20, c == 0x7f:
			return true
		}
	}
	return false
}

// QuoteValue returns s the way the printer writes a string value: bare
// when s can be read back as a bare value and Falco would not quote it,
// otherwise double-quoted with C escapes. Falco quotes a value that holds a
// space, '=', a quote, a backslash or a control character; QuoteValue
// also quotes the empty string and values with '(', ')' or ',' so that the
// result always parses back to s.
func QuoteValue(s string) string {
	if isPlainValue(s) {
		return s
	}
	return string(appendCondQuoted(nil, s))
}

// isPlainValue reports whether QuoteValue leaves s bare.
func isPlainValue(s string) bool {
	return s != "" && !valueNeedsQuotes(s) && isBareValue(s)
}

// appendCondValue appends QuoteValue(s).
func appendCondValue(b []byte, s string) []byte {
	if isPlainValue(s) {
		return append(b, s...)
	}
	return appendCondQuoted(b, s)
}

// isBareValue reports whether all of s lexes as one bare value.
func isBareValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBareValueByte(s[i]) {
			return false
		}
	}
	return true
}

// isBareArg reports whether all of s lexes as one bare field argument.
func isBareArg(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBareArgByte(s[i]) {
			return false
		}
	}
	return true
}

const lowerHexDigits = "0123456789abcdef"

// appendCondQuoted appends s double-quoted with C escapes. A backslash right
// before the closing quote is written \x5c: the scanner, like libsinsp's,
// would take \\" for an escaped quote.
func appendCondQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '"':
			b = append(b, `\"`...)
		case '\\':
			if i == len(s)-1 {
				b = append(b, `\x5c`...)
			} else {
				b = append(b, `\\`...)
			}
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, '\\', 'x', lowerHexDigits[c>>4], lowerHexDigits[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}
