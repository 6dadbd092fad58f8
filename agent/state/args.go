package state

import (
	"strconv"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// lazyArgs renders the current event's parameters on demand, as Falco
// prints them: numbers in decimal, flags and enumerations by name, paths
// and strings as text, tuples as "a:p->b:q". Only the arguments a rule
// reads are rendered, each once per event however many rules read it.
type lazyArgs struct {
	e *scap.Event
	l *layout

	// The current event's arguments rendered so far: bit i of have says
	// cache[i] holds argument i.
	have  uint64
	cache [64]eval.Arg
	// Flag and enumeration values rendered by name, across events: a
	// node sees few distinct ones.
	flagNames map[flagKey]string
}

type flagKey struct {
	t *scap.FlagTable
	v uint32
}

// maxFlagNames bounds flagNames; values past it are rendered each time.
const maxFlagNames = 4096

// reset points the arguments at a new event.
func (a *lazyArgs) reset(e *scap.Event, l *layout) {
	a.e, a.l, a.have = e, l, 0
}

func (a *lazyArgs) Arg(name string) (eval.Arg, bool) {
	i, ok := a.l.params[name]
	if !ok {
		return eval.Arg{}, false
	}
	return a.ArgAt(i)
}

func (a *lazyArgs) ArgAt(i int) (eval.Arg, bool) {
	info := a.e.Info()
	if info == nil || i < 0 || i >= len(info.Params) || i >= a.e.NParams() {
		return eval.Arg{}, false
	}
	if i >= len(a.cache) {
		return a.render(i, info.Params[i]), true
	}
	if a.have&(1<<i) == 0 {
		a.cache[i] = a.render(i, info.Params[i])
		a.have |= 1 << i
	}
	return a.cache[i], true
}

func (a *lazyArgs) AllArgs() []eval.Arg {
	info := a.e.Info()
	if info == nil {
		return nil
	}
	n := min(len(info.Params), a.e.NParams())
	out := make([]eval.Arg, 0, n)
	for i := 0; i < n; i++ {
		arg, _ := a.ArgAt(i)
		out = append(out, arg)
	}
	return out
}

// flagName renders v with names, from the cache when it can.
func (a *lazyArgs) flagName(names *scap.FlagTable, v uint32) string {
	k := flagKey{names, v}
	if s, ok := a.flagNames[k]; ok {
		return s
	}
	s := names.Format(v)
	if a.flagNames == nil {
		a.flagNames = make(map[flagKey]string)
	}
	if len(a.flagNames) < maxFlagNames {
		a.flagNames[k] = s
	}
	return s
}

// render formats parameter i of the current event.
func (a *lazyArgs) render(i int, p scap.ParamInfo) eval.Arg {
	e := a.e
	arg := eval.Arg{Name: p.Name}
	if e.Empty(i) {
		return arg
	}
	if i < len(a.l.names) && a.l.names[i] != nil {
		v := e.Uint64(i)
		arg.Num, arg.HasNum = int64(v), true
		arg.Value = a.flagName(a.l.names[i], uint32(v))
		return arg
	}
	switch p.Type {
	case scap.TypeInt8, scap.TypeInt16, scap.TypeInt32, scap.TypeInt64, scap.TypeFD, scap.TypePID, scap.TypeFD32, scap.TypePID32:
		n := e.Int64(i)
		arg.Num, arg.HasNum, arg.Value = n, true, strconv.FormatInt(n, 10)
	case scap.TypeErrno:
		n := e.Int64(i)
		arg.Num, arg.HasNum = n, true
		if n < 0 {
			arg.Value = eval.ErrnoName(n)
		} else {
			arg.Value = strconv.FormatInt(n, 10)
		}
	case scap.TypeUint8, scap.TypeUint16, scap.TypeUint32, scap.TypeUint64, scap.TypeUID, scap.TypeGID,
		scap.TypeSyscallID, scap.TypeSigType, scap.TypeRelTime, scap.TypeAbsTime, scap.TypePort,
		scap.TypeFlags8, scap.TypeFlags16, scap.TypeFlags32, scap.TypeEnumFlags8, scap.TypeEnumFlags16, scap.TypeEnumFlags32:
		v := e.Uint64(i)
		arg.Num, arg.HasNum, arg.Value = int64(v), true, strconv.FormatUint(v, 10)
	case scap.TypeMode:
		v := e.Uint64(i)
		arg.Num, arg.HasNum, arg.Value = int64(v), true, "0"+strconv.FormatUint(v, 8)
	case scap.TypeSockAddr:
		if sa, ok := e.SockAddr(i); ok {
			arg.Value = sa.String()
		}
	case scap.TypeSockTuple:
		if st, ok := e.SockTuple(i); ok {
			arg.Value = st.String()
		}
	case scap.TypeCharBufArray:
		arg.Value = string(e.StringBytes(i))
	default:
		arg.Value = string(e.StringBytes(i))
	}
	return arg
}
