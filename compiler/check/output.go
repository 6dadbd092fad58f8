package check

import (
	"strings"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// This file parses and checks rule outputs the way libsinsp's event
// formatter does: literal text and %-tokens, each token being the longest
// prefix of the text after '%' that parses as a field or transformer and
// compiles.

const (
	containerInfo    = "%container.info"
	msgContainerInfo = "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. " +
		"The container plugin will automatically add required fields to the output message."
)

// deprecatedFields are the fields Falco warns about, in conditions (by
// field) and in outputs (by substring), with the condition warning text.
var deprecatedFields = []struct{ name, msg string }{
	{"evt.dir", "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and " +
		"'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing " +
		"the condition on 'evt.dir'"},
	{"evt.latency", msgLatency},
	{"evt.latency.s", msgLatency},
	{"evt.latency.ns", msgLatency},
	{"evt.latency.human", msgLatency},
	{"evt.wait_latency", msgLatency},
}

const msgLatency = "field is not available due to the drop of enter events."

// removeAll returns t with every occurrence of s removed, keeping the
// position map of what remains.
func (t srcText) removeAll(s string) srcText {
	var out srcText
	rest := 0
	for {
		i := strings.Index(t.text[rest:], s)
		if i < 0 {
			break
		}
		i += rest
		out.spans = append(out.spans, t.slice(rest, i, len(out.text))...)
		out.text += t.text[rest:i]
		rest = i + len(s)
	}
	out.spans = append(out.spans, t.slice(rest, len(t.text), len(out.text))...)
	out.text += t.text[rest:]
	return out
}

// deprecatedOutputFields warns about deprecated fields found anywhere in
// the output text, as Falco's substring search does.
func (c *checker) deprecatedOutputFields(t *srcText, itemPos syntax.Pos) {
	for _, d := range deprecatedFields {
		if i := strings.Index(t.text, d.name); i >= 0 {
			c.warnf(t.posAt(i), syntax.CodeDeprecated, "usage of deprecated field '%s' has been detected in the rule output", d.name)
		}
	}
}

// compileOutput splits an output format into tokens and checks every
// field token. It returns the first error, as Falco does.
// start is the position of the output as written, for an output that
// became empty.
func (c *checker) compileOutput(t *srcText, start syntax.Pos, info *Info) ([]OutputToken, *syntax.Error) {
	fmt := t.text
	errAt := func(off int, code syntax.Code, msg string) *syntax.Error {
		pos := t.posAt(off)
		if !pos.IsValid() {
			pos = start
		}
		return &syntax.Error{Pos: pos, Severity: syntax.SeverityError, Code: code, Msg: msg}
	}
	if fmt == "" {
		return nil, errAt(0, syntax.CodeOutputSyntax, "empty formatting token")
	}
	base := 0
	if fmt[0] == '*' {
		base = 1
	}
	toks := make([]OutputToken, 0, 2*strings.Count(fmt, "%")+1)
	last := base
	j := base
	for ; j < len(fmt); j++ {
		if fmt[j] != '%' {
			continue
		}
		if last != j {
			toks = append(toks, OutputToken{Pos: t.posAt(last), Text: fmt[last:j]})
		}
		pct := j
		if j == len(fmt)-1 {
			return nil, errAt(j, syntax.CodeOutputSyntax, "invalid formatting syntax: formatting cannot end with a %")
		}
		width := 0
		if isDigit(fmt[j+1]) {
			k := j + 1
			for k < len(fmt) && isDigit(fmt[k]) {
				if width < 1<<30 {
					width = width*10 + int(fmt[k]-'0')
				}
				k++
			}
			if k == len(fmt) {
				return nil, errAt(j, syntax.CodeOutputSyntax, "invalid formatting syntax: formatting cannot end with a number")
			}
			j = k - 1
		}
		start := j + 1
		tok, n, msg, code := c.outputToken(fmt[start:], func(off int) syntax.Pos { return t.posAt(start + off) }, info)
		if tok == nil {
			return nil, errAt(pct, code, msg)
		}
		toks = append(toks, OutputToken{
			Pos:     t.posAt(pct),
			Text:    fmt[start : start+n],
			Name:    operandName(tok),
			Width:   width,
			Operand: tok,
		})
		j = start + n - 1
		last = j + 1
	}
	if last < len(fmt) {
		toks = append(toks, OutputToken{Pos: t.posAt(last), Text: fmt[last:]})
	}
	return toks, nil
}

// outputToken finds the longest prefix of rest that parses as a field or
// transformer and compiles. It returns the token and its length, or an
// error message and code.
func (c *checker) outputToken(rest string, m func(int) syntax.Pos, info *Info) (syntax.Operand, int, string, syntax.Code) {
	// As in libsinsp, a shorter candidate is tried after each failure
	// and the error of the last (one-byte) attempt is reported. A
	// candidate's token only depends on the bytes up to its end and one
	// byte of lookahead, so candidates longer than a failed token can be
	// skipped.
	size := len(rest)
	lastErr := ""
	for size > 0 {
		cand := rest[:size]
		ext := tokenExtent(cand)
		if ext == 0 {
			lastErr = "unexpected token after '"
			size--
			continue
		}
		op, err := plainField(cand[:ext], m)
		if op == nil && err == nil {
			op, err = parseOperand(cand[:ext], m)
		}
		if err != nil {
			lastErr = err.Error()
			size = ext - 1
			continue
		}
		x := exprChecker{c: c, info: newInfo()}
		in, cerr := x.operand(op)
		if cerr != nil {
			lastErr = cerr.msg
			size = ext - 1
			continue
		}
		if in.field != nil && in.field.FilterOnly {
			return nil, 0, cand[:ext] + " is filter only and cannot be used as a display field", syntax.CodeOutputField
		}
		for k, v := range x.info.Fields {
			info.Fields[k] = v
		}
		for k, v := range x.info.Transformers {
			info.Transformers[k] = v
		}
		return op, ext, "", ""
	}
	return nil, 0, "unknown filter: " + lastErr, syntax.CodeOutputField
}

// plainField builds the field reference of a token that is a field name
// with an optional unquoted argument, the common case, without going
// through the parser. It returns nil and no error for other tokens.
func plainField(tok string, m func(int) syntax.Pos) (syntax.Operand, error) {
	n := fieldNameLen(tok)
	if n == 0 {
		return nil, nil
	}
	f := &syntax.FieldRef{NamePos: m(0), Name: tok[:n]}
	switch {
	case n == len(tok):
	case tok[n] == '[' && tok[len(tok)-1] == ']' && n+2 < len(tok) && tok[n+1] != '"' && tok[n+1] != '\'':
		f.HasArg, f.Arg, f.ArgPos = true, tok[n+1:len(tok)-1], m(n+1)
	default:
		return nil, nil
	}
	return f, nil
}

// tokenExtent returns the length of the field or transformer token at the
// start of s, or 0 if s does not start with one: a field name
// ([a-zA-Z]+[a-zA-Z0-9_]* with at least one dotted part) with an optional
// [argument], or a transformer name, its parenthesised arguments and an
// optional [argument].
func tokenExtent(s string) int {
	if n := fieldNameLen(s); n > 0 {
		return n + bracketLen(s[n:])
	}
	for _, t := range outputTransformers {
		if strings.HasPrefix(s, t) && len(s) > len(t) && s[len(t)] == '(' {
			n := parenLen(s[len(t):])
			if n == 0 {
				return 0
			}
			n += len(t)
			return n + bracketLen(s[n:])
		}
	}
	return 0
}

// outputTransformers are the transformers an output token may start with.
var outputTransformers = []string{"tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"}

// fieldNameLen matches [a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+
// at the start of s.
func fieldNameLen(s string) int {
	word := func(i int) int {
		if i >= len(s) || !isLetter(s[i]) {
			return 0
		}
		j := i + 1
		for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '_') {
			j++
		}
		return j - i
	}
	n := word(0)
	if n == 0 {
		return 0
	}
	parts := 0
	for n < len(s) && s[n] == '.' {
		w := word(n + 1)
		if w == 0 {
			break
		}
		n += 1 + w
		parts++
	}
	if parts == 0 {
		return 0
	}
	return n
}

// bracketLen returns the length of a "[argument]" at the start of s (a
// quoted string or a run of bytes other than brackets, quotes and
// blanks), or 0.
func bracketLen(s string) int {
	if s == "" || s[0] != '[' {
		return 0
	}
	i := 1
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		n := quotedLen(s[i:])
		if n == 0 {
			return 0
		}
		i += n
	} else {
		start := i
		for i < len(s) && strings.IndexByte("[]\"' \t\n\r\f\v", s[i]) < 0 {
			i++
		}
		if i == start {
			return 0
		}
	}
	if i < len(s) && s[i] == ']' {
		return i + 1
	}
	return 0
}

// quotedLen returns the length of the quoted string at the start of s,
// ending at the first matching quote not preceded by a backslash, or 0.
func quotedLen(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		if s[i] == q && s[i-1] != '\\' {
			return i + 1
		}
	}
	return 0
}

// parenLen returns the length of the balanced parenthesised group at the
// start of s (quotes respected), or 0.
func parenLen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"', '\'':
			n := quotedLen(s[i:])
			if n == 0 {
				return 0
			}
			i += n - 1
		}
	}
	return 0
}

// operandName returns the name Falco gives an output token: the operand
// printed as in a condition.
func operandName(o syntax.Operand) string {
	s := syntax.FormatCondition(&syntax.CheckExpr{Left: o, Op: "exists"})
	return strings.TrimSuffix(s, " exists")
}
