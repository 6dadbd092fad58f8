package fields

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Arg is the parsed argument of a field reference.
//
// Key holds the argument as written: "2" for proc.aname[2], "HOME" for
// proc.env[HOME], "flags" for evt.arg.flags, "src" for evt.abspath.src,
// "cpu" for thread.cgroup.cpu, "open" for evt.type.is.open. When the field
// reads the argument as a number (an ancestor level, a parameter position,
// an fd, a mount index, a timestamp), IsIndex is set and Index holds it.
type Arg struct {
	Set     bool   // an argument was given
	Key     string // the argument text
	IsIndex bool   // the argument is numeric for this field
	Index   int

	// Type is set for evt.arg.NAME and evt.rawarg.NAME: the type of the
	// named event parameter at its first occurrence in the event table,
	// which is the type evt.rawarg compares with.
	Type Type
}

// EffectiveType returns the type a reference compares with: the named
// parameter's type for evt.rawarg.NAME (whose catalog type is DYN), the
// field's type otherwise.
func EffectiveType(f *Field, a Arg) Type {
	if f.Type == TypeDyn && a.Type != TypeNone {
		return a.Type
	}
	return f.Type
}

// ErrUnknownField matches, with errors.Is, the error ResolveRef returns for
// a reference to a field that does not exist. Falco treats these as
// "unknown" errors, which skip-if-unknown-filter turns into warnings.
var ErrUnknownField = errors.New("nonexistent field")

// RefError reports a field reference that does not resolve. Its message
// is Falco's text for the same problem.
type RefError struct {
	Ref     string // the reference, with any bracket argument: "proc.aname[x]"
	Msg     string
	Unknown bool // no such field (as opposed to a malformed argument)
}

// Error returns Falco's message.
func (e *RefError) Error() string { return e.Msg }

// Is reports whether target is ErrUnknownField and the reference names no
// field.
func (e *RefError) Is(target error) bool { return target == ErrUnknownField && e.Unknown }

func nonexistent(ref string) error {
	return &RefError{Ref: ref, Msg: "filter_check called with nonexistent field " + ref, Unknown: true}
}

func refErr(ref, msg string) error { return &RefError{Ref: ref, Msg: msg} }

// longestField returns the field with the longest name that is a prefix of
// s, as libsinsp's parse_field_name picks it.
func longestField(s string) (*Field, bool) {
	for n := len(s); n > 0; n-- {
		if id, ok := fieldByName[s[:n]]; ok {
			return fieldPtrs[id], true
		}
	}
	return nil, false
}

// ResolveRef resolves a field reference as written in a condition: the
// field name token (which may carry a dotted argument, as in evt.arg.flags,
// evt.rawarg.res, evt.type.is.open, thread.cgroup.cpu, evt.abspath.src or
// container.label.app) and, when hasArg is set, the content of a bracket
// argument (proc.aname[2], proc.env[HOME], evt.arg[0], container.mount[0]),
// already unquoted. An empty bracket argument counts as none, as in Falco.
//
// Resolution follows libsinsp: the longest field name that is a prefix of
// the reference is chosen, the field parses its argument its own way, and
// the parsed length must cover the whole reference. Errors carry Falco's
// texts, among them:
//
//	filter_check called with nonexistent field <ref>
//	unknown event argument <name>
//	filter syntax error: <ref>
//	the field '<field>' requires an argument but ']' is not found
//	<x> is not a valid number
//	filter '<ref>': <field> requires an argument but none provided
//
// The first (and only the first) matches ErrUnknownField.
func ResolveRef(name string, hasArg bool, arg string) (*Field, Arg, error) {
	ref := name
	if hasArg && arg != "" {
		ref = name + "[" + arg + "]"
	}
	f, ok := longestField(ref)
	if !ok {
		return nil, Arg{}, nonexistent(ref)
	}
	rest := ref[len(f.Name):]
	var a Arg
	var err error
	switch {
	case f.Plugin != "":
		a, err = pluginArg(f, ref, rest)
	case f.ID == EvtArg || f.ID == EvtRawarg:
		a, err = eventArg(f, ref, rest)
	case f.ID == EvtAround:
		a, err = aroundArg(ref, rest)
	case f.ID == EvtTypeIs:
		a, err = typeIsArg(ref, rest)
	case f.ID == EvtAbspath:
		a, err = abspathArg(ref, rest)
	case f.ID == ThreadCgroup:
		a, err = cgroupArg(ref, rest)
	case f.ID == ProcApid, f.ID == ProcAname, f.ID == ProcAexe, f.ID == ProcAexepath,
		f.ID == ProcAcmdline, f.ID == ProcArgs, f.ID == ProcAargs, f.ID == FdTypes:
		a, err = indexArg(ref, rest)
	case f.ID == ProcEnv || f.ID == ProcAenv:
		a, err = envArg(ref, rest)
	default:
		if rest != "" {
			err = nonexistent(ref)
		}
	}
	if err != nil {
		return nil, Arg{}, err
	}
	return f, a, nil
}

// bracket splits rest of the form "[x]..." into x and what follows the
// first ']'. ok is false when there is no ']'.
func bracket(rest string) (inner, after string, ok bool) {
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return "", "", false
	}
	return rest[1:end], rest[end+1:], true
}

// parseInt32 parses a decimal integer like libsinsp's parsed32 (sscanf
// "%d" with nothing after it).
func parseInt32(s string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimLeft(s, " \t\n\v\f\r"), 10, 32)
	if err != nil {
		return 0, errors.New(s + " is not a valid number")
	}
	return int(n), nil
}

// parseUnsigned parses a decimal unsigned integer of the given size.
func parseUnsigned(s string, bits int) (uint64, error) {
	t := strings.TrimPrefix(strings.TrimLeft(s, " \t\n\v\f\r"), "+")
	if t == "" || t[0] < '0' || t[0] > '9' {
		return 0, errors.New(s + " is not a valid number")
	}
	n, err := strconv.ParseUint(t, 10, bits)
	if err != nil {
		return 0, errors.New(s + " is not a valid number")
	}
	return n, nil
}

// eventArg parses evt.arg[N], evt.arg.NAME and evt.rawarg.NAME.
func eventArg(f *Field, ref, rest string) (Arg, error) {
	switch {
	case strings.HasPrefix(rest, "["):
		if f.ID == EvtRawarg {
			return Arg{}, refErr(ref, "evt.arg fields must be expressed explicitly")
		}
		inner, after, ok := bracket(rest)
		if !ok {
			return Arg{}, refErr(ref, "the field '"+f.Name+"' requires an argument but ']' is not found")
		}
		n, err := parseInt32(inner)
		if err != nil {
			return Arg{}, refErr(ref, err.Error())
		}
		if after != "" {
			return Arg{}, nonexistent(ref)
		}
		return Arg{Set: true, Key: inner, IsIndex: true, Index: n}, nil
	case strings.HasPrefix(rest, "."):
		p, ok := longestEventArg(rest[1:])
		if !ok {
			return Arg{}, refErr(ref, "unknown event argument "+rest[1:])
		}
		if len(p.Name) != len(rest)-1 {
			return Arg{}, nonexistent(ref)
		}
		return Arg{Set: true, Key: p.Name, Type: p.Type}, nil
	}
	return Arg{}, refErr(ref, "filter syntax error: "+ref)
}

// aroundArg parses evt.around[T].
func aroundArg(ref, rest string) (Arg, error) {
	switch {
	case strings.HasPrefix(rest, "["):
		inner, after, ok := bracket(rest)
		if !ok {
			return Arg{}, refErr(ref, "the field 'evt.around' requires an argument but ']' is not found")
		}
		n, err := parseUnsigned(inner, 64)
		if err != nil {
			return Arg{}, refErr(ref, err.Error())
		}
		if n > math.MaxInt {
			return Arg{}, refErr(ref, inner+" is not a valid number")
		}
		if after != "" {
			return Arg{}, nonexistent(ref)
		}
		return Arg{Set: true, Key: inner, IsIndex: true, Index: int(n)}, nil
	case strings.HasPrefix(rest, "."):
		return Arg{}, refErr(ref, "wrong syntax for evt.around")
	}
	return Arg{}, refErr(ref, "filter syntax error: "+ref)
}

// typeIsArg parses evt.type.is.NAME and evt.type.is.CODE.
func typeIsArg(ref, rest string) (Arg, error) {
	if !strings.HasPrefix(rest, ".") {
		return Arg{}, refErr(ref, "filter syntax error: "+ref)
	}
	name := rest[1:]
	if n, err := parseUnsigned(name, 32); err == nil {
		return Arg{Set: true, Key: name, IsIndex: true, Index: int(n)}, nil
	}
	if !eventTableHasName(name) {
		return Arg{}, nonexistent(ref)
	}
	return Arg{Set: true, Key: name}, nil
}

// abspathArg parses evt.abspath, evt.abspath.src and evt.abspath.dst.
func abspathArg(ref, rest string) (Arg, error) {
	switch rest {
	case "":
		return Arg{}, nil
	case ".src":
		return Arg{Set: true, Key: "src"}, nil
	case ".dst":
		return Arg{Set: true, Key: "dst"}, nil
	}
	return Arg{}, nonexistent(ref)
}

// cgroupArg parses thread.cgroup.SUBSYSTEM (letters and underscores).
func cgroupArg(ref, rest string) (Arg, error) {
	if !strings.HasPrefix(rest, ".") {
		return Arg{}, refErr(ref, "filter syntax error: "+ref)
	}
	sub := rest[1:]
	for i := 0; i < len(sub); i++ {
		if c := sub[i]; !isLetter(c) && c != '_' {
			return Arg{}, nonexistent(ref)
		}
	}
	return Arg{Set: true, Key: sub}, nil
}

// indexArg parses the optional [N] of the ancestor fields (proc.aname[2]),
// proc.args[N] and fd.types[N]. Without it the field applies to every
// ancestor (or every argument, or every fd). As in libsinsp, a malformed
// argument makes the whole reference unknown.
func indexArg(ref, rest string) (Arg, error) {
	if rest == "" {
		return Arg{}, nil
	}
	if !strings.HasPrefix(rest, "[") {
		return Arg{}, nonexistent(ref)
	}
	inner, after, ok := bracket(rest)
	if !ok || after != "" {
		return Arg{}, nonexistent(ref)
	}
	n, err := parseInt32(inner)
	if err != nil {
		return Arg{}, nonexistent(ref)
	}
	return Arg{Set: true, Key: inner, IsIndex: true, Index: n}, nil
}

// envArg parses the optional [NAME] of proc.env and proc.aenv; an all-digit
// argument is an index (an ancestor level for proc.aenv).
func envArg(ref, rest string) (Arg, error) {
	if rest == "" {
		return Arg{}, nil
	}
	if !strings.HasPrefix(rest, "[") {
		return Arg{}, nonexistent(ref)
	}
	inner, after, ok := bracket(rest)
	if !ok || after != "" {
		return Arg{}, nonexistent(ref)
	}
	a := Arg{Set: true, Key: inner}
	if allDigits(inner) {
		n, err := parseInt32(inner)
		if err != nil {
			return Arg{}, nonexistent(ref)
		}
		a.IsIndex, a.Index = true, n
	}
	return a, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// pluginArg parses the argument of a plugin field the way libsinsp parses
// plugin field arguments: FIELD[ARG], where ARG is an index (digits, no
// leading zero), a key, or either. Fields that take only a key also accept
// the dotted form FIELD.KEY their descriptions document
// (container.label.foo, k8s.pod.label.foo).
func pluginArg(f *Field, ref, rest string) (Arg, error) {
	switch {
	case rest == "":
		if f.Arg == ArgRequired {
			return Arg{}, refErr(ref, "filter '"+ref+"': "+f.Name+" requires an argument but none provided")
		}
		return Arg{}, nil
	case strings.HasPrefix(rest, "."):
		if f.ArgKey && !f.ArgIndex && len(rest) > 1 {
			return Arg{Set: true, Key: rest[1:]}, nil
		}
		return Arg{}, nonexistent(ref)
	case !strings.HasPrefix(rest, "["):
		return Arg{}, nonexistent(ref)
	}
	if rest == "[" {
		return Arg{}, refErr(ref, "filter '"+ref+"': "+f.Name+" terminates with incomplete argument brackets")
	}
	inner, after, ok := bracket(rest)
	if !ok {
		return Arg{}, refErr(ref, "filter '"+ref+"': "+f.Name+" has unbalanced argument brackets")
	}
	if f.Arg == ArgNone {
		return Arg{}, refErr(ref, "filter '"+ref+"': "+f.Name+" does not allow nor require an argument but one is provided: "+inner)
	}
	if after != "" {
		return Arg{}, nonexistent(ref)
	}
	a := Arg{Set: true, Key: inner}
	if f.ArgIndex {
		n, msg := pluginIndex(inner)
		switch {
		case msg == "":
			a.IsIndex, a.Index = true, n
		case !f.ArgKey:
			return Arg{}, refErr(ref, "filter "+ref+" "+f.Name+msg+inner)
		}
	}
	return a, nil
}

// pluginIndex validates a plugin index argument; msg is libsinsp's
// complaint, or "" when the index is valid.
func pluginIndex(s string) (n int, msg string) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		msg = " has an invalid index argument starting with 0: "
	}
	if !allDigits(s) && s != "" {
		return 0, " has an invalid index argument not composed only by digits: "
	}
	if msg != "" {
		return 0, msg
	}
	v, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, " has an invalid index argument not representable on 64 bit: "
	}
	return int(v), ""
}
