package fields

import (
	"errors"
	"testing"
)

func TestResolveRef(t *testing.T) {
	tests := []struct {
		name    string
		hasArg  bool
		arg     string
		wantID  ID
		wantArg Arg
	}{
		{"proc.name", false, "", ProcName, Arg{}},
		{"evt.type", false, "", EvtType, Arg{}},
		{"evt.args", false, "", EvtArgs, Arg{}},
		{"fd.name", false, "", FdName, Arg{}},
		{"fd.name_changed", false, "", FdNameChanged, Arg{}},
		{"proc.pid.ts", false, "", ProcPidTs, Arg{}},
		{"proc.aname", false, "", ProcAname, Arg{}},
		{"proc.aname", true, "", ProcAname, Arg{}}, // an empty argument counts as none
		{"proc.aname", true, "2", ProcAname, Arg{Set: true, Key: "2", IsIndex: true, Index: 2}},
		{"proc.apid", true, "1", ProcApid, Arg{Set: true, Key: "1", IsIndex: true, Index: 1}},
		{"proc.aexe", true, "0", ProcAexe, Arg{Set: true, Key: "0", IsIndex: true, Index: 0}},
		{"proc.aexepath", true, "3", ProcAexepath, Arg{Set: true, Key: "3", IsIndex: true, Index: 3}},
		{"proc.acmdline", true, "-1", ProcAcmdline, Arg{Set: true, Key: "-1", IsIndex: true, Index: -1}},
		{"proc.args", true, "0", ProcArgs, Arg{Set: true, Key: "0", IsIndex: true, Index: 0}},
		{"proc.aargs", true, "1", ProcAargs, Arg{Set: true, Key: "1", IsIndex: true, Index: 1}},
		{"fd.types", false, "", FdTypes, Arg{}},
		{"fd.types", true, "1", FdTypes, Arg{Set: true, Key: "1", IsIndex: true, Index: 1}},
		{"proc.env", false, "", ProcEnv, Arg{}},
		{"proc.env", true, "HOME", ProcEnv, Arg{Set: true, Key: "HOME"}},
		{"proc.aenv", true, "2", ProcAenv, Arg{Set: true, Key: "2", IsIndex: true, Index: 2}},
		{"proc.aenv", true, "PATH", ProcAenv, Arg{Set: true, Key: "PATH"}},
		{"evt.arg", true, "0", EvtArg, Arg{Set: true, Key: "0", IsIndex: true, Index: 0}},
		{"evt.arg.flags", false, "", EvtArg, Arg{Set: true, Key: "flags", Type: TypeFlags32}},
		{"evt.arg.fd", false, "", EvtArg, Arg{Set: true, Key: "fd", Type: TypeFD}},
		{"evt.arg.name", false, "", EvtArg, Arg{Set: true, Key: "name", Type: TypeFSPath}},
		{"evt.rawarg.res", false, "", EvtRawarg, Arg{Set: true, Key: "res", Type: TypeErrno}},
		{"evt.rawarg.size", false, "", EvtRawarg, Arg{Set: true, Key: "size", Type: TypeUint32}},
		{"evt.type.is.open", false, "", EvtTypeIs, Arg{Set: true, Key: "open"}},
		{"evt.type.is.procexit", false, "", EvtTypeIs, Arg{Set: true, Key: "procexit"}},
		{"evt.type.is.3", false, "", EvtTypeIs, Arg{Set: true, Key: "3", IsIndex: true, Index: 3}},
		{"evt.around", true, "1404996934793590564", EvtAround, Arg{Set: true, Key: "1404996934793590564", IsIndex: true, Index: 1404996934793590564}},
		{"evt.abspath", false, "", EvtAbspath, Arg{}},
		{"evt.abspath.src", false, "", EvtAbspath, Arg{Set: true, Key: "src"}},
		{"evt.abspath.dst", false, "", EvtAbspath, Arg{Set: true, Key: "dst"}},
		{"thread.cgroup.cpuacct", false, "", ThreadCgroup, Arg{Set: true, Key: "cpuacct"}},
		{"thread.cgroup.net_cls", false, "", ThreadCgroup, Arg{Set: true, Key: "net_cls"}},
		{"thread.cgroups", false, "", ThreadCgroups, Arg{}},
		{"container.id", false, "", ContainerId, Arg{}},
		{"container.mount", true, "0", ContainerMount, Arg{Set: true, Key: "0", IsIndex: true, Index: 0}},
		{"container.mount", true, "/usr/local", ContainerMount, Arg{Set: true, Key: "/usr/local"}},
		{"container.mount", true, "01", ContainerMount, Arg{Set: true, Key: "01"}}, // not an index: a key
		{"container.mount.source", true, "2", ContainerMountSource, Arg{Set: true, Key: "2", IsIndex: true, Index: 2}},
		{"container.label", true, "app.kubernetes.io/name", ContainerLabel, Arg{Set: true, Key: "app.kubernetes.io/name"}},
		{"container.label.foo", false, "", ContainerLabel, Arg{Set: true, Key: "foo"}},
		{"k8s.pod.label.app.kubernetes.io", false, "", K8sPodLabel, Arg{Set: true, Key: "app.kubernetes.io"}},
		{"k8s.pod.labels", false, "", K8sPodLabels, Arg{}},
		{"k8s.ns.name", false, "", K8sNsName, Arg{}},
	}
	for _, tt := range tests {
		f, a, err := ResolveRef(tt.name, tt.hasArg, tt.arg)
		if err != nil {
			t.Errorf("ResolveRef(%q, %v, %q) = %v", tt.name, tt.hasArg, tt.arg, err)
			continue
		}
		if f.ID != tt.wantID || a != tt.wantArg {
			t.Errorf("ResolveRef(%q, %v, %q) = %s, %+v, want %s, %+v", tt.name, tt.hasArg, tt.arg, f.Name, a, tt.wantID, tt.wantArg)
		}
	}
}

func TestResolveRefErrors(t *testing.T) {
	tests := []struct {
		name        string
		hasArg      bool
		arg         string
		want        string
		wantUnknown bool
	}{
		{"proc.nobody", false, "", "filter_check called with nonexistent field proc.nobody", true},
		{"proc.namex", false, "", "filter_check called with nonexistent field proc.namex", true},
		{"foo.bar", false, "", "filter_check called with nonexistent field foo.bar", true},
		{"ka.user.name", false, "", "filter_check called with nonexistent field ka.user.name", true},
		{"proc.name", true, "1", "filter_check called with nonexistent field proc.name[1]", true},
		{"fd.type", true, "0", "filter_check called with nonexistent field fd.type[0]", true},
		{"evt.args", true, "0", "filter_check called with nonexistent field evt.args[0]", true},
		{"evt.typex", false, "", "filter_check called with nonexistent field evt.typex", true},
		{"evt.arg.zzz", false, "", "unknown event argument zzz", false},
		{"evt.arg.nothing", false, "", "unknown event argument nothing", false},
		{"evt.arg.names", false, "", "filter_check called with nonexistent field evt.arg.names", true},
		{"evt.arg.flagsx", false, "", "filter_check called with nonexistent field evt.arg.flagsx", true},
		{"evt.arg", false, "", "filter syntax error: evt.arg", false},
		{"evt.argument", false, "", "filter syntax error: evt.argument", false},
		{"evt.arg", true, "x", "x is not a valid number", false},
		{"evt.arg", true, "0x10", "0x10 is not a valid number", false},
		{"evt.arg[1", false, "", "the field 'evt.arg' requires an argument but ']' is not found", false},
		{"evt.rawarg", true, "0", "evt.arg fields must be expressed explicitly", false},
		{"evt.rawarg", false, "", "filter syntax error: evt.rawarg", false},
		{"evt.rawargs", false, "", "filter syntax error: evt.rawargs", false},
		{"evt.rawarg.zzz", false, "", "unknown event argument zzz", false},
		{"evt.around", false, "", "filter syntax error: evt.around", false},
		{"evt.around.x", false, "", "wrong syntax for evt.around", false},
		{"evt.around", true, "abc", "abc is not a valid number", false},
		{"evt.around", true, "-5", "-5 is not a valid number", false},
		{"evt.type.is", false, "", "filter syntax error: evt.type.is", false},
		{"evt.type.isx", false, "", "filter syntax error: evt.type.isx", false},
		{"evt.type.is", true, "open", "filter syntax error: evt.type.is[open]", false},
		{"evt.type.is.nosuchevent", false, "", "filter_check called with nonexistent field evt.type.is.nosuchevent", true},
		{"evt.type.is.acct", false, "", "filter_check called with nonexistent field evt.type.is.acct", true}, // a syscall, not an event name
		{"evt.abspath.foo", false, "", "filter_check called with nonexistent field evt.abspath.foo", true},
		{"evt.abspath", true, "src", "filter_check called with nonexistent field evt.abspath[src]", true},
		{"thread.cgroup", false, "", "filter syntax error: thread.cgroup", false},
		{"thread.cgroup", true, "cpu", "filter syntax error: thread.cgroup[cpu]", false},
		{"thread.cgroup.cpu2", false, "", "filter_check called with nonexistent field thread.cgroup.cpu2", true},
		{"thread.cgroupx", false, "", "filter syntax error: thread.cgroupx", false},
		{"proc.aname", true, "x", "filter_check called with nonexistent field proc.aname[x]", true},
		{"proc.aname", true, "99999999999", "filter_check called with nonexistent field proc.aname[99999999999]", true},
		{"proc.aname.x", false, "", "filter_check called with nonexistent field proc.aname.x", true},
		{"proc.anamex", false, "", "filter_check called with nonexistent field proc.anamex", true},
		{"proc.env[HOME", false, "", "filter_check called with nonexistent field proc.env[HOME", true},
		{"proc.env.HOME", false, "", "filter_check called with nonexistent field proc.env.HOME", true},
		{"container.label", false, "", "filter 'container.label': container.label requires an argument but none provided", false},
		{"k8s.pod.label", false, "", "filter 'k8s.pod.label': k8s.pod.label requires an argument but none provided", false},
		{"container.id", true, "1", "filter 'container.id[1]': container.id does not allow nor require an argument but one is provided: 1", false},
		{"container.mount.x", false, "", "filter_check called with nonexistent field container.mount.x", true},
		{"container.idx", false, "", "filter_check called with nonexistent field container.idx", true},
		{"container.mount[", false, "", "filter 'container.mount[': container.mount terminates with incomplete argument brackets", false},
		{"container.mount[0", false, "", "filter 'container.mount[0': container.mount has unbalanced argument brackets", false},
	}
	for _, tt := range tests {
		f, a, err := ResolveRef(tt.name, tt.hasArg, tt.arg)
		if err == nil {
			t.Errorf("ResolveRef(%q, %v, %q) = %s, %+v, want error %q", tt.name, tt.hasArg, tt.arg, f.Name, a, tt.want)
			continue
		}
		if f != nil || a != (Arg{}) {
			t.Errorf("ResolveRef(%q, %v, %q) returned a result with its error", tt.name, tt.hasArg, tt.arg)
		}
		if err.Error() != tt.want {
			t.Errorf("ResolveRef(%q, %v, %q) error = %q, want %q", tt.name, tt.hasArg, tt.arg, err, tt.want)
		}
		if got := errors.Is(err, ErrUnknownField); got != tt.wantUnknown {
			t.Errorf("ResolveRef(%q, %v, %q): errors.Is(err, ErrUnknownField) = %v, want %v", tt.name, tt.hasArg, tt.arg, got, tt.wantUnknown)
		}
		var re *RefError
		if !errors.As(err, &re) {
			t.Errorf("ResolveRef(%q, %v, %q) error %T is not a *RefError", tt.name, tt.hasArg, tt.arg, err)
		}
	}
}

// TestResolveEveryField checks that every catalog field resolves to itself
// when written plainly, or reports the argument it needs.
func TestResolveEveryField(t *testing.T) {
	for _, f := range All() {
		got, _, err := ResolveRef(f.Name, false, "")
		switch {
		case f.Arg != ArgRequired || f.ID == EvtAbspath:
			if err != nil || got != f {
				t.Errorf("ResolveRef(%q) = %v, %v, want the field itself", f.Name, got, err)
			}
		case err == nil:
			t.Errorf("ResolveRef(%q) succeeded, but the field requires an argument", f.Name)
		}
	}
}

func TestEffectiveType(t *testing.T) {
	f, a, err := ResolveRef("evt.rawarg.res", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := EffectiveType(f, a); got != TypeErrno {
		t.Errorf("EffectiveType(evt.rawarg.res) = %v, want ERRNO", got)
	}
	f, a, err = ResolveRef("evt.arg.res", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := EffectiveType(f, a); got != TypeCharBuf {
		t.Errorf("EffectiveType(evt.arg.res) = %v, want CHARBUF", got)
	}
}
