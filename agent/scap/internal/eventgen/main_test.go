package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGeneratedCurrent fails when running the generator on the committed
// TSV would change the committed zevents.go: run `go generate ./agent/scap`.
func TestGeneratedCurrent(t *testing.T) {
	tsv, err := os.ReadFile("../../data/scap-event-table.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(tsv, "data/scap-event-table.tsv")
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile("../../zevents.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("zevents.go is stale: run `go generate ./agent/scap` (committed %d bytes, regenerated %d bytes)", len(got), len(want))
	}
}

func TestIdentFor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"PPME_SYSCALL_OPEN_X", "SyscallOpenX"},
		{"PPME_SYSCALL_OPENAT_2_X", "SyscallOpenatV2X"},
		{"PPME_SYSCALL_OPENAT2_X", "SyscallOpenat2X"},
		{"PPME_SOCKET_ACCEPT4_6_X", "SocketAccept4V6X"},
		{"PPME_CONTAINER_JSON_2_E", "ContainerJSONV2E"},
		{"PPME_SYSCALL_IO_URING_SETUP_X", "SyscallIOUringSetupX"},
		{"PPME_PROCEXIT_1_E", "ProcexitV1E"},
	}
	for _, tt := range tests {
		if got := identFor(tt.in); got != tt.want {
			t.Errorf("identFor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	const ok = "0\tPPME_GENERIC_E\tsyscall\t0x201\t0x1200\t2\tID:SYSCALLID, nativeID:UINT16\n"
	tests := []struct {
		name, tsv, want string
	}{
		{"empty", "# header only\n", "no events"},
		{"fields", "0\tPPME_X\n", "want 7 tab-separated fields"},
		{"sequence", "1\tPPME_GENERIC_E\tsyscall\t0x201\t0x1200\t0\t\n", "out of sequence"},
		{"nparams", "0\tPPME_GENERIC_E\tsyscall\t0x201\t0x1200\t3\tID:SYSCALLID\n", "nparams 3 but 1 params"},
		{"type", "0\tPPME_GENERIC_E\tsyscall\t0x201\t0x1200\t1\tID:WEIRD\n", `unknown type "WEIRD"`},
		{"flags", "0\tPPME_GENERIC_E\tsyscall\t0x201\tzz\t0\t\n", `bad flags "zz"`},
		{"duplicate", ok + "1\tPPME_GENERIC_E\tsyscall\t0x201\t0x1200\t0\t\n", "also generated for code 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := generate([]byte(tt.tsv), "x.tsv")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("generate(%q) error = %v, want it to contain %q", tt.tsv, err, tt.want)
			}
		})
	}
}

func TestDirFD(t *testing.T) {
	const tsv = "0\tPPME_A_E\ta\t0x202\t0x0\t5\tres:ERRNO, olddirfd:FD, oldpath:FSRELPATH, newdirfd:FD, newpath:FSRELPATH\n"
	rows, err := parse([]byte(tsv), "x.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range rows[0].params {
		got = append(got, p.dirfd)
	}
	want := []int{-1, -1, 1, -1, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("dirfd indexes = %v, want %v", got, want)
		}
	}
}
