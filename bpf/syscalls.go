package bpf

import (
	"fmt"
	"slices"
	"sort"
)

// ProcExit is the name that turns on process-exit events (PPME_PROCEXIT_1_E,
// from the sched_process_exit tracepoint) in a syscall set, as in Falco.
const ProcExit = "procexit"

// syscallInfo describes one captured syscall on x86_64.
type syscallInfo struct {
	name  string
	nr    uint32 // x86_64 syscall number
	prog  string // exit program in the BPF object
	event uint16 // the exit event it produces
}

// syscalls is every syscall the probe has an exit program for.
var syscalls = []syscallInfo{
	{"open", 2, "open_x", 3},
	{"close", 3, "close_x", 5},
	{"dup", 32, "dup_x", 367},
	{"dup2", 33, "dup2_x", 363},
	{"socket", 41, "socket_x", 19},
	{"connect", 42, "connect_x", 23},
	{"accept", 43, "accept_x", 247},
	{"bind", 49, "bind_x", 21},
	{"listen", 50, "listen_x", 25},
	{"clone", 56, "clone_x", 223},
	{"fork", 57, "fork_x", 225},
	{"vfork", 58, "vfork_x", 227},
	{"execve", 59, "execve_x", 293},
	{"chdir", 80, "chdir_x", 95},
	{"fchdir", 81, "fchdir_x", 97},
	{"rename", 82, "rename_x", 175},
	{"mkdir", 83, "mkdir_x", 277},
	{"rmdir", 84, "rmdir_x", 279},
	{"creat", 85, "creat_x", 59},
	{"unlink", 87, "unlink_x", 301},
	{"symlink", 88, "symlink_x", 179},
	{"chmod", 90, "chmod_x", 315},
	{"fchmod", 91, "fchmod_x", 317},
	{"ptrace", 101, "ptrace_x", 169},
	{"setuid", 105, "setuid_x", 199},
	{"setgid", 106, "setgid_x", 201},
	{"setresuid", 117, "setresuid_x", 193},
	{"setresgid", 119, "setresgid_x", 195},
	{"capset", 126, "capset_x", 353},
	{"mount", 165, "mount_x", 257},
	{"umount2", 166, "umount2_x", 391},
	{"openat", 257, "openat_x", 307},
	{"mkdirat", 258, "mkdirat_x", 305},
	{"unlinkat", 263, "unlinkat_x", 303},
	{"renameat", 264, "renameat_x", 177},
	{"symlinkat", 266, "symlinkat_x", 181},
	{"fchmodat", 268, "fchmodat_x", 313},
	{"accept4", 288, "accept4_x", 389},
	{"dup3", 292, "dup3_x", 365},
	{"renameat2", 316, "renameat2_x", 319},
	{"execveat", 322, "execveat_x", 331},
	{"clone3", 435, "clone3_x", 335},
	{"openat2", 437, "openat2_x", 327},
}

// Slots of the interesting-syscall map past the syscall numbers (ppm.h).
const (
	slotCount     = 1024
	slotSchedFork = 1000
	slotSchedExec = 1001
	slotProcExit  = 1002
)

// Syscalls returns the names the probe can capture, sorted, including
// ProcExit. A ruleset may name others; the caller decides what to do with them.
func Syscalls() []string {
	names := make([]string, 0, len(syscalls)+1)
	for _, sc := range syscalls {
		names = append(names, sc.name)
	}
	names = append(names, ProcExit)
	sort.Strings(names)
	return names
}

// DefaultSyscalls returns the set used when Options.Syscalls is nil: every
// syscall the probe captures, plus ProcExit.
func DefaultSyscalls() []string {
	return Syscalls()
}

// Supported splits names into the ones the probe captures and the rest.
func Supported(names []string) (supported, unsupported []string) {
	for _, n := range names {
		if n == ProcExit || slices.ContainsFunc(syscalls, func(sc syscallInfo) bool { return sc.name == n }) {
			supported = append(supported, n)
		} else {
			unsupported = append(unsupported, n)
		}
	}
	return supported, unsupported
}

// slotsFor computes the interesting-syscall map contents for a set of names.
// Unknown names are an error wrapping ErrUnknownSyscall.
func slotsFor(names []string) ([slotCount]uint8, error) {
	var slots [slotCount]uint8
	byName := make(map[string]syscallInfo, len(syscalls))
	for _, sc := range syscalls {
		byName[sc.name] = sc
	}
	var unknown []string
	for _, n := range names {
		if n == ProcExit {
			slots[slotProcExit] = 1
			continue
		}
		sc, ok := byName[n]
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		slots[sc.nr] = 1
		switch n {
		case "clone", "clone3", "fork", "vfork":
			slots[slotSchedFork] = 1
		case "execve":
			slots[slotSchedExec] = 1
		}
	}
	if len(unknown) > 0 {
		return slots, fmt.Errorf("%w: %q", ErrUnknownSyscall, unknown)
	}
	return slots, nil
}
