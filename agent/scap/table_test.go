package scap_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/agent/scap"
)

// TestEventTable spot-checks the generated table against the format notes.
func TestEventTable(t *testing.T) {
	if scap.EventMax != 454 {
		t.Errorf("EventMax = %d, want 454 (PPM_EVENT_MAX of schema 4.5.1)", scap.EventMax)
	}
	tests := []struct {
		code    scap.EventCode
		num     int
		name    string
		nparams int
	}{
		{scap.SyscallOpenatV2X, 307, "openat", 7},
		{scap.SyscallCloseX, 5, "close", 2},
		{scap.SyscallExecveV19X, 293, "execve", 31},
		{scap.SyscallExecveatX, 331, "execveat", 30},
		{scap.SyscallCloneV20X, 223, "clone", 21},
		{scap.SyscallClone3X, 335, "clone3", 21},
		{scap.ProcexitV1E, 186, "procexit", 5},
		{scap.SocketConnectX, 23, "connect", 4},
		{scap.SyscallPtraceX, 169, "ptrace", 5},
		{scap.UserAddedE, 354, "useradded", 6},
		{scap.GroupAddedE, 358, "groupadded", 3},
		{scap.AsynceventE, 402, "asyncevent", 3},
		{scap.SyscallCloseRangeX, 451, "close_range", 4},
	}
	for _, tt := range tests {
		info := tt.code.Info()
		if int(tt.code) != tt.num || info == nil || info.Name != tt.name || len(info.Params) != tt.nparams || info.Code != tt.code {
			t.Errorf("%s: code %d, info %+v; want code %d name %q with %d params", tt.code, tt.code, info, tt.num, tt.name, tt.nparams)
		}
	}
	open := scap.SyscallOpenatV2X.Info()
	want := []scap.ParamInfo{
		{Name: "fd", Type: scap.TypeFD, DirFD: -1}, {Name: "dirfd", Type: scap.TypeFD, DirFD: -1},
		{Name: "name", Type: scap.TypeFSRelPath, DirFD: 1}, {Name: "flags", Type: scap.TypeFlags32, DirFD: -1},
		{Name: "mode", Type: scap.TypeUint32, DirFD: -1}, {Name: "dev", Type: scap.TypeUint32, DirFD: -1},
		{Name: "ino", Type: scap.TypeUint64, DirFD: -1},
	}
	if diff := cmp.Diff(want, open.Params); diff != "" {
		t.Errorf("openat params mismatch (-want +got):\n%s", diff)
	}
	if p := scap.SyscallLinkatV2X.Info().Params; p[2].DirFD != 1 || p[4].DirFD != 3 {
		t.Errorf("linkat dirfd indexes = %d, %d; want 1, 3", p[2].DirFD, p[4].DirFD)
	}
	if p := scap.SyscallExecveV19X.Info().Params; p[27].Name != "trusted_exepath" || p[30].Name != "filename" || p[19].Type != scap.TypeFlags32 {
		t.Errorf("execve params 19/27/30 = %+v %+v %+v", p[19], p[27], p[30])
	}
	for _, c := range []scap.EventCode{scap.PlugineventE, scap.ContainerJSONV2E, scap.AsynceventE} {
		if w := c.Info().LengthWidth(); w != 4 {
			t.Errorf("%s length width = %d, want 4", c, w)
		}
	}
	large := 0
	for c := scap.EventCode(0); c < scap.EventMax; c++ {
		info := c.Info()
		if info.Flags&scap.FlagLargePayload != 0 {
			large++
		}
		if len(info.Params) > 32 {
			t.Errorf("%s has %d params, over the driver's limit", c, len(info.Params))
		}
	}
	if large != 3 {
		t.Errorf("%d large-payload events, want 3", large)
	}
	if scap.SyscallOpenatV2E.Info().Flags&scap.FlagOldVersion == 0 && scap.SyscallOpenatV2E.IsExit() {
		t.Errorf("openat enter event misclassified")
	}
	if !scap.SyscallOpenatV2X.IsExit() || scap.ProcexitV1E.IsExit() {
		t.Errorf("IsExit wrong")
	}
	if scap.EventCode(454).Info() != nil || scap.EventCode(454).String() != "EventCode(454)" {
		t.Errorf("code 454 should be outside the table")
	}
	if got := scap.SyscallOpenatV2X.String(); got != "PPME_SYSCALL_OPENAT_2_X" {
		t.Errorf("String() = %q", got)
	}
	if c := scap.SocketConnectX.Info().Category; c&scap.CatSyscall == 0 || c&0xff != scap.CatNet {
		t.Errorf("connect category = %#x", c)
	}
}

func TestParamTypes(t *testing.T) {
	tests := []struct {
		typ    scap.ParamType
		name   string
		size   int
		signed bool
	}{
		{scap.TypeFD, "FD", 8, true}, {scap.TypeErrno, "ERRNO", 8, true}, {scap.TypeUint32, "UINT32", 4, false},
		{scap.TypeFlags16, "FLAGS16", 2, false}, {scap.TypeEnumFlags8, "ENUMFLAGS8", 1, false},
		{scap.TypeCharBuf, "CHARBUF", 0, false}, {scap.TypeFSRelPath, "FSRELPATH", 0, false},
		{scap.TypePID32, "PID32", 4, true}, {scap.TypeIPv6Addr, "IPV6ADDR", 16, false}, {scap.TypeUID, "UID", 4, false},
	}
	for _, tt := range tests {
		if tt.typ.String() != tt.name || tt.typ.Size() != tt.size || tt.typ.Signed() != tt.signed {
			t.Errorf("%v: size %d signed %v, want %s size %d signed %v", tt.typ, tt.typ.Size(), tt.typ.Signed(), tt.name, tt.size, tt.signed)
		}
	}
	if scap.ParamType(200).String() != "ParamType(200)" {
		t.Errorf("unknown type name = %q", scap.ParamType(200).String())
	}
}

func TestInitialState(t *testing.T) {
	for c, want := range map[scap.EventCode]bool{
		scap.UserAddedE: true, scap.GroupDeletedE: true, scap.AsynceventE: true, scap.ContainerJSONV2E: true,
		scap.SyscallOpenatV2X: false, scap.ProcexitV1E: false,
	} {
		if got := scap.IsInitialState(c); got != want {
			t.Errorf("IsInitialState(%s) = %v, want %v", c, got, want)
		}
	}
}
