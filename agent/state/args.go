package state

import (
	"strconv"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// lazyArgs renders the current event's parameters on demand, as Falco
// prints them: numbers in decimal, flags and enumerations by name, paths
// and strings as text, tuples as "a:p->b:q". Only the arguments a rule
// reads are rendered.
type lazyArgs struct {
	e *scap.Event
	l *layout
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
	return render(a.e, i, info.Params[i]), true
}

func (a *lazyArgs) AllArgs() []eval.Arg {
	info := a.e.Info()
	if info == nil {
		return nil
	}
	n := min(len(info.Params), a.e.NParams())
	out := make([]eval.Arg, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, render(a.e, i, info.Params[i]))
	}
	return out
}

// render formats parameter i of e.
func render(e *scap.Event, i int, p scap.ParamInfo) eval.Arg {
	arg := eval.Arg{Name: p.Name}
	if e.Empty(i) {
		return arg
	}
	if names := scap.ParamNames(e.Code, i); names != nil {
		v := e.Uint64(i)
		arg.Num, arg.HasNum = int64(v), true
		arg.Value = names.Format(uint32(v))
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
