package scap_test

import (
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
)

// TestFlagNames pins the rendering against strings Falco prints.
func TestFlagNames(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		// From the capture notes: /etc/ld.so.cache opened with 0x1001.
		{"open rdonly cloexec", scap.OpenFlags(0x1001).String(), "O_RDONLY|O_CLOEXEC"},
		// libsinsp's own test expectation for an openat creating a file.
		{"open created", scap.OpenFlags(20742).String(), "O_TRUNC|O_CREAT|O_WRONLY|O_CLOEXEC|O_F_CREATED"},
		// A Falco alert on an overlayfs write.
		{"open upper layer", (scap.OpenLargefile | scap.OpenTrunc | scap.OpenCreate | scap.OpenWriteOnly | scap.OpenFCreated | scap.OpenFDUpperLayer).String(),
			"O_LARGEFILE|O_TRUNC|O_CREAT|O_WRONLY|O_F_CREATED|FD_UPPER_LAYER"},
		{"open rdwr is not rdonly|wronly", scap.OpenReadWrite.String(), "O_RDWR"},
		{"open rdwr append", (scap.OpenReadWrite | scap.OpenAppend).String(), "O_APPEND|O_RDWR"},
		{"open none", scap.OpenNone.String(), "O_NONE"},
		{"open lower layer", (scap.OpenReadOnly | scap.OpenFDLowerLayer).String(), "O_RDONLY|FD_LOWER_LAYER"},
		{"open unknown bit", scap.OpenFlags(1 << 30).String(), ""},
		{"family inet", scap.AFInet.String(), "AF_INET"},
		{"family inet6", scap.AFInet6.String(), "AF_INET6"},
		{"family unix names both aliases", scap.AFUnix.String(), "AF_LOCAL|AF_UNIX"},
		{"family netlink", scap.AFNetlink.String(), "AF_ROUTE|AF_NETLINK"},
		{"family unknown", scap.SocketFamily(200).String(), "200"},
		{"ptrace attach", scap.PtraceAttach.String(), "PTRACE_ATTACH"},
		{"ptrace traceme", scap.PtraceTraceme.String(), "PTRACE_TRACEME"},
		{"ptrace pokedata", scap.PtracePokedata.String(), "PTRACE_POKEDATA"},
		{"ptrace seize", scap.PtraceSeize.String(), "PTRACE_SEIZE"},
		{"ptrace setregs", scap.PtraceSetregs.String(), "PTRACE_SETREGS"},
		{"exe writable lower", (scap.ExeWritable | scap.ExeLowerLayer).String(), "EXE_WRITABLE|EXE_LOWER_LAYER"},
		{"exe memfd", scap.ExeFromMemfd.String(), "EXE_FROM_MEMFD"},
		{"exe none", scap.ExeFlags(0).String(), ""},
		{"clone thread", (scap.CloneVM | scap.CloneFS | scap.CloneFiles | scap.CloneSighand | scap.CloneThread).String(),
			"CLONE_FILES|CLONE_FS|CLONE_SIGHAND|CLONE_THREAD|CLONE_VM"},
		{"clone vfork", (scap.CloneVM | scap.CloneVfork).String(), "CLONE_VM|CLONE_VFORK"},
		{"fcntl dupfd cloexec", scap.FcntlDupfdCloexec.String(), "F_DUPFD_CLOEXEC"},
		{"fcntl setfl", scap.FcntlSetfl.String(), "F_SETFL"},
		{"mode 4755", (scap.ModeISUID | scap.ModeIRUSR | scap.ModeIWUSR | scap.ModeIXUSR | scap.ModeIRGRP | scap.ModeIXGRP | scap.ModeIROTH | scap.ModeIXOTH).String(),
			"S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestFlagValues pins the PPM encodings, which differ from Linux values.
func TestFlagValues(t *testing.T) {
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"PPM_O_RDONLY", uint64(scap.OpenReadOnly), 1},
		{"PPM_O_RDWR", uint64(scap.OpenReadWrite), 3},
		{"PPM_O_CREAT", uint64(scap.OpenCreate), 4},
		{"PPM_O_TRUNC", uint64(scap.OpenTrunc), 256},
		{"PPM_O_CLOEXEC", uint64(scap.OpenCloexec), 4096},
		{"PPM_O_TMPFILE", uint64(scap.OpenTmpfile), 8192},
		{"PPM_O_F_CREATED", uint64(scap.OpenFCreated), 1 << 14},
		{"PPM_FD_LOWER_LAYER", uint64(scap.OpenFDLowerLayer), 1 << 16},
		{"PPM_AF_INET6", uint64(scap.AFInet6), 10},
		{"PPM_PTRACE_ATTACH", uint64(scap.PtraceAttach), 11},
		{"PPM_PTRACE_SEIZE", uint64(scap.PtraceSeize), 20},
		{"PPM_PTRACE_SETREGS", uint64(scap.PtraceSetregs), 27},
		{"PPM_EXE_LOWER_LAYER", uint64(scap.ExeLowerLayer), 8},
		{"PPM_CL_CLONE_VFORK", uint64(scap.CloneVfork), 1 << 27},
		{"PPM_FCNTL_F_DUPFD_CLOEXEC", uint64(scap.FcntlDupfdCloexec), 26},
		{"PPM_S_ISUID", uint64(scap.ModeISUID), 1 << 11},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestFlagTableValue(t *testing.T) {
	if v, ok := scap.OpenFlagNames.Value("O_CLOEXEC"); !ok || v != uint32(scap.OpenCloexec) {
		t.Errorf(`OpenFlagNames.Value("O_CLOEXEC") = %d, %v`, v, ok)
	}
	if _, ok := scap.PtraceRequestNames.Value("PTRACE_NOPE"); ok {
		t.Errorf("Value of an unknown name succeeded")
	}
	var nilTable *scap.FlagTable
	if nilTable.Format(3) != "" {
		t.Errorf("nil table renders a name")
	}
}

func TestParamNames(t *testing.T) {
	tests := []struct {
		code scap.EventCode
		i    int
		want *scap.FlagTable
	}{
		{scap.SyscallOpenatV2X, 3, scap.OpenFlagNames},
		{scap.SyscallOpenX, 2, scap.OpenFlagNames},
		{scap.SyscallOpenat2X, 3, scap.OpenFlagNames},
		{scap.SocketSocketX, 1, scap.SocketFamilyNames},
		{scap.SyscallPtraceX, 3, scap.PtraceRequestNames},
		{scap.SyscallExecveV19X, 19, scap.ExeFlagNames},
		{scap.SyscallExecveatX, 19, scap.ExeFlagNames},
		{scap.SyscallCloneV20X, 15, scap.CloneFlagNames},
		{scap.SyscallFcntlX, 2, scap.FcntlCmdNames},
		{scap.SyscallFchmodatX, 3, scap.FileModeNames},
		{scap.SyscallOpenatV2X, 0, nil},
		{scap.SyscallOpenatV2X, 99, nil},
		{scap.EventCode(60000), 0, nil},
	}
	for _, tt := range tests {
		if got := scap.ParamNames(tt.code, tt.i); got != tt.want {
			t.Errorf("ParamNames(%s, %d) = %p, want %p", tt.code, tt.i, got, tt.want)
		}
	}
}

func TestErrnoName(t *testing.T) {
	tests := []struct {
		errno int
		want  string
	}{
		{2, "ENOENT"}, {13, "EACCES"}, {111, "ECONNREFUSED"}, {115, "EINPROGRESS"}, {133, "EHWPOISON"},
		{0, ""}, {-1, ""}, {41, ""}, {134, ""},
	}
	for _, tt := range tests {
		if got := scap.ErrnoName(tt.errno); got != tt.want {
			t.Errorf("ErrnoName(%d) = %q, want %q", tt.errno, got, tt.want)
		}
	}
}
