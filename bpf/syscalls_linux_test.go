//go:build linux && amd64

package bpf

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The syscall numbers in the table are the kernel's.
func TestSyscallNumbers(t *testing.T) {
	want := map[string]uint32{
		"open": unix.SYS_OPEN, "close": unix.SYS_CLOSE, "dup": unix.SYS_DUP, "dup2": unix.SYS_DUP2,
		"socket": unix.SYS_SOCKET, "connect": unix.SYS_CONNECT, "accept": unix.SYS_ACCEPT,
		"bind": unix.SYS_BIND, "listen": unix.SYS_LISTEN, "clone": unix.SYS_CLONE, "fork": unix.SYS_FORK,
		"vfork": unix.SYS_VFORK, "execve": unix.SYS_EXECVE, "chdir": unix.SYS_CHDIR,
		"fchdir": unix.SYS_FCHDIR, "rename": unix.SYS_RENAME, "mkdir": unix.SYS_MKDIR,
		"rmdir": unix.SYS_RMDIR, "creat": unix.SYS_CREAT, "unlink": unix.SYS_UNLINK,
		"symlink": unix.SYS_SYMLINK, "chmod": unix.SYS_CHMOD, "fchmod": unix.SYS_FCHMOD,
		"ptrace": unix.SYS_PTRACE, "setuid": unix.SYS_SETUID, "setgid": unix.SYS_SETGID,
		"setresuid": unix.SYS_SETRESUID, "setresgid": unix.SYS_SETRESGID, "capset": unix.SYS_CAPSET,
		"mount": unix.SYS_MOUNT, "umount2": unix.SYS_UMOUNT2, "openat": unix.SYS_OPENAT,
		"mkdirat": unix.SYS_MKDIRAT, "unlinkat": unix.SYS_UNLINKAT, "renameat": unix.SYS_RENAMEAT,
		"symlinkat": unix.SYS_SYMLINKAT, "fchmodat": unix.SYS_FCHMODAT, "accept4": unix.SYS_ACCEPT4,
		"dup3": unix.SYS_DUP3, "renameat2": unix.SYS_RENAMEAT2, "execveat": unix.SYS_EXECVEAT,
		"clone3": unix.SYS_CLONE3, "openat2": unix.SYS_OPENAT2,
	}
	if len(want) != len(syscalls) {
		t.Errorf("checked %d syscalls, table has %d", len(want), len(syscalls))
	}
	for _, sc := range syscalls {
		if w, ok := want[sc.name]; !ok || w != sc.nr {
			t.Errorf("%s: number %d, want %d", sc.name, sc.nr, w)
		}
	}
}
