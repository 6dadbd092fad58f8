// Package syntax holds the front end of the Falconer rule compiler: source
// positions and diagnostics, the YAML rule-file loader, and the scanner,
// parser, syntax tree and printer for Falco filter conditions.
//
// Nothing in this package knows the field catalog: a condition is checked
// for grammar only, and a bare identifier is a macro reference. Semantic
// checks live in package check.
package syntax

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// bytes, as go/token does. The zero Pos is not valid.
type Pos struct {
	File   string // file name as given to the loader
	Line   int    // 1-based line
	Col    int    // 1-based column, in bytes
	Offset int    // 0-based byte offset in the file
}

// IsValid reports whether p carries a line number.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as file:line:col, omitting the parts that are unknown.
func (p Pos) String() string {
	s := p.File
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d", p.Line)
		if p.Col > 0 {
			s += fmt.Sprintf(":%d", p.Col)
		}
	}
	if s == "" {
		s = "-"
	}
	return s
}

// Before reports whether p sorts before q (by file, line, column).
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Severity tells errors from warnings.
type Severity int

// Severities, most severe first.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Error is one diagnostic: a position, a severity, a stable code and a
// message. Messages follow Falco's wording so users recognise them.
type Error struct {
	Pos      Pos
	Severity Severity
	Code     Code
	Msg      string
}

// Error formats e as "file:line:col: severity: message [code]".
func (e *Error) Error() string {
	code := ""
	if e.Code != "" {
		code = " [" + string(e.Code) + "]"
	}
	return fmt.Sprintf("%s: %s: %s%s", e.Pos, e.Severity, e.Msg, code)
}

// ErrorList is a list of diagnostics. The zero value is an empty list ready
// to use. Like go/scanner.ErrorList it implements error.
type ErrorList []*Error

// Add appends a diagnostic.
func (l *ErrorList) Add(pos Pos, sev Severity, code Code, msg string) {
	*l = append(*l, &Error{Pos: pos, Severity: sev, Code: code, Msg: msg})
}

// Errorf appends an error-severity diagnostic with a formatted message.
func (l *ErrorList) Errorf(pos Pos, code Code, format string, args ...any) {
	l.Add(pos, SeverityError, code, fmt.Sprintf(format, args...))
}

// Warnf appends a warning with a formatted message.
func (l *ErrorList) Warnf(pos Pos, code Code, format string, args ...any) {
	l.Add(pos, SeverityWarning, code, fmt.Sprintf(format, args...))
}

// Len, Swap and Less make ErrorList sortable by position, then severity,
// then message.
func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i], l[j]
	if a.Pos != b.Pos {
		if a.Pos.File != b.Pos.File || a.Pos.Line != b.Pos.Line || a.Pos.Col != b.Pos.Col {
			return a.Pos.Before(b.Pos)
		}
	}
	if a.Severity != b.Severity {
		return a.Severity < b.Severity
	}
	if a.Code != b.Code {
		return a.Code < b.Code
	}
	return a.Msg < b.Msg
}

// Sort sorts the list in place, stably, by position.
func (l ErrorList) Sort() { sort.Stable(l) }

// HasErrors reports whether the list holds at least one error-severity
// diagnostic.
func (l ErrorList) HasErrors() bool {
	for _, e := range l {
		if e.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the error-severity diagnostics.
func (l ErrorList) Errors() ErrorList { return l.filter(SeverityError) }

// Warnings returns only the warnings.
func (l ErrorList) Warnings() ErrorList { return l.filter(SeverityWarning) }

func (l ErrorList) filter(s Severity) ErrorList {
	var out ErrorList
	for _, e := range l {
		if e.Severity == s {
			out = append(out, e)
		}
	}
	return out
}

// Error summarises the list: the first diagnostic and how many follow.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", l[0], len(l)-1)
}

// Err returns nil if the list has no error-severity diagnostics, and the
// list of errors (warnings removed) otherwise.
func (l ErrorList) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// String prints one diagnostic per line.
func (l ErrorList) String() string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}
