//go:build linux && amd64

package bpf

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// want lists expected parameter values by name: string for text params
// (compared without the NUL), []byte for raw ones, int64 for integers.
type want map[string]any

func (w want) match(e event) error {
	for name, v := range w {
		switch v := v.(type) {
		case string:
			if got := e.str(name); got != v {
				return fmt.Errorf("%s = %q, want %q", name, got, v)
			}
		case []byte:
			if got := e.raw(name); string(got) != string(v) {
				return fmt.Errorf("%s = %q, want %q", name, got, v)
			}
		case int64:
			if got := e.int(name); got != v && int64(e.uint(name)) != v {
				return fmt.Errorf("%s = %d, want %d", name, got, v)
			}
		case int:
			if got := e.int(name); got != int64(v) && int64(e.uint(name)) != int64(v) {
				return fmt.Errorf("%s = %d, want %d", name, got, v)
			}
		default:
			panic(fmt.Sprintf("want %s: unsupported %T", name, v))
		}
	}
	return nil
}

// res turns a raw syscall result into the event's return value.
func res(r uintptr, errno unix.Errno) int64 {
	if errno != 0 {
		return -int64(errno)
	}
	return int64(r)
}

func sys(nr uintptr, args ...uintptr) int64 {
	var a [6]uintptr
	copy(a[:], args)
	r, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return res(r, errno)
}

func cstr(s string) uintptr {
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		panic(err)
	}
	return uintptr(unsafe.Pointer(p))
}

// TestEvents runs each captured syscall once and checks the event it
// produces, parameter by parameter; every event is also checked against the
// format (nparams and widths from the event table) by the collector.
func TestEvents(t *testing.T) {
	c := startProbe(t, Options{IncludeSelf: true})
	base := t.TempDir()
	const atFDCWD = unix.AT_FDCWD
	const fdcwd = uintptr(0xffffffffffffff9c) // AT_FDCWD as a register value

	tests := []struct {
		name string
		typ  uint16
		// do runs the syscall in dir (on a locked thread) and returns the
		// expected params.
		do func(t *testing.T, dir string) want
	}{
		{"open", 3, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "f")
			fd := sys(unix.SYS_OPEN, cstr(p), unix.O_CREAT|unix.O_WRONLY, 0o600)
			return want{"fd": fd, "name": p, "flags": 2 | 4 | 1<<14, "mode": 0o600}
		}},
		{"creat", 59, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "f")
			fd := sys(unix.SYS_CREAT, cstr(p), 0o644)
			return want{"fd": fd, "name": p, "mode": 0o644, "creat_flags": 0}
		}},
		{"openat2", 327, func(t *testing.T, dir string) want {
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_DIRECTORY, Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH}
			fd := sys(unix.SYS_OPENAT2, fdcwd, cstr(dir), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))
			return want{"fd": fd, "dirfd": atFDCWD, "name": dir, "flags": 1 | 1024 | 4096, "mode": 0, "resolve": 1<<3 | 1<<0}
		}},
		{"close", 5, func(t *testing.T, dir string) want {
			fd := sys(unix.SYS_OPEN, cstr(dir), unix.O_RDONLY)
			return want{"res": sys(unix.SYS_CLOSE, uintptr(fd)), "fd": fd}
		}},
		{"close bad fd", 5, func(t *testing.T, dir string) want {
			return want{"res": sys(unix.SYS_CLOSE, 98765), "fd": 98765}
		}},
		{"dup", 367, func(t *testing.T, dir string) want {
			r := sys(unix.SYS_DUP, 2)
			unix.Close(int(r))
			return want{"res": r, "oldfd": 2}
		}},
		{"dup2", 363, func(t *testing.T, dir string) want {
			r := sys(unix.SYS_DUP2, 2, 900)
			unix.Close(900)
			return want{"res": r, "oldfd": 2, "newfd": 900}
		}},
		{"dup3", 365, func(t *testing.T, dir string) want {
			r := sys(unix.SYS_DUP3, 2, 901, unix.O_CLOEXEC)
			unix.Close(901)
			return want{"res": r, "oldfd": 2, "newfd": 901, "flags": 4096}
		}},
		{"mkdir", 277, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "d")
			return want{"res": sys(unix.SYS_MKDIR, cstr(p), 0o751), "path": p, "mode": 0o751}
		}},
		{"mkdirat", 305, func(t *testing.T, dir string) want {
			dfd := openDir(t, dir)
			return want{"res": sys(unix.SYS_MKDIRAT, uintptr(dfd), cstr("sub"), 0o700), "dirfd": dfd, "path": "sub", "mode": 0o700}
		}},
		{"rmdir", 279, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "d")
			mustMkdir(t, p)
			return want{"res": sys(unix.SYS_RMDIR, cstr(p)), "path": p}
		}},
		{"unlink missing", 301, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "missing")
			r := sys(unix.SYS_UNLINK, cstr(p))
			if r != -int64(unix.ENOENT) {
				t.Fatalf("unlink(missing) = %d", r)
			}
			return want{"res": r, "path": p}
		}},
		{"unlinkat", 303, func(t *testing.T, dir string) want {
			mustMkdir(t, filepath.Join(dir, "d"))
			dfd := openDir(t, dir)
			return want{"res": sys(unix.SYS_UNLINKAT, uintptr(dfd), cstr("d"), unix.AT_REMOVEDIR), "dirfd": dfd, "name": "d", "flags": 0x200}
		}},
		{"rename", 175, func(t *testing.T, dir string) want {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			mustMkdir(t, a)
			return want{"res": sys(unix.SYS_RENAME, cstr(a), cstr(b)), "oldpath": a, "newpath": b}
		}},
		{"renameat", 177, func(t *testing.T, dir string) want {
			mustMkdir(t, filepath.Join(dir, "a"))
			dfd := openDir(t, dir)
			return want{"res": sys(unix.SYS_RENAMEAT, uintptr(dfd), cstr("a"), fdcwd, cstr(filepath.Join(dir, "b"))),
				"olddirfd": dfd, "oldpath": "a", "newdirfd": atFDCWD, "newpath": filepath.Join(dir, "b")}
		}},
		{"renameat2", 319, func(t *testing.T, dir string) want {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			mustMkdir(t, a)
			mustMkdir(t, b)
			return want{"res": sys(unix.SYS_RENAMEAT2, fdcwd, cstr(a), fdcwd, cstr(b), unix.RENAME_NOREPLACE),
				"olddirfd": atFDCWD, "oldpath": a, "newdirfd": atFDCWD, "newpath": b, "flags": 1}
		}},
		{"symlink", 179, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "l")
			return want{"res": sys(unix.SYS_SYMLINK, cstr("/etc/hostname"), cstr(p)), "target": "/etc/hostname", "linkpath": p}
		}},
		{"symlinkat", 181, func(t *testing.T, dir string) want {
			dfd := openDir(t, dir)
			return want{"res": sys(unix.SYS_SYMLINKAT, cstr("target"), uintptr(dfd), cstr("l")), "target": "target", "linkdirfd": dfd, "linkpath": "l"}
		}},
		{"chmod", 315, func(t *testing.T, dir string) want {
			return want{"res": sys(unix.SYS_CHMOD, cstr(dir), 0o4755), "filename": dir, "mode": 0o4755}
		}},
		{"fchmod", 317, func(t *testing.T, dir string) want {
			dfd := openDir(t, dir)
			return want{"res": sys(unix.SYS_FCHMOD, uintptr(dfd), 0o700), "fd": dfd, "mode": 0o700}
		}},
		{"fchmodat", 313, func(t *testing.T, dir string) want {
			return want{"res": sys(unix.SYS_FCHMODAT, fdcwd, cstr(dir), 0o711), "dirfd": atFDCWD, "filename": dir, "mode": 0o711}
		}},
		{"chdir", 95, func(t *testing.T, dir string) want {
			wd, _ := os.Getwd()
			defer unix.Chdir(wd)
			return want{"res": sys(unix.SYS_CHDIR, cstr(dir)), "path": dir}
		}},
		{"fchdir", 97, func(t *testing.T, dir string) want {
			wd, _ := os.Getwd()
			defer unix.Chdir(wd)
			dfd := openDir(t, dir)
			return want{"res": sys(unix.SYS_FCHDIR, uintptr(dfd)), "fd": dfd}
		}},
		{"setuid", 199, func(t *testing.T, dir string) want {
			u := os.Getuid()
			return want{"res": sys(unix.SYS_SETUID, uintptr(u)), "uid": u}
		}},
		{"setgid", 201, func(t *testing.T, dir string) want {
			g := os.Getgid()
			return want{"res": sys(unix.SYS_SETGID, uintptr(g)), "gid": g}
		}},
		{"setresuid", 193, func(t *testing.T, dir string) want {
			keep := ^uintptr(0)
			return want{"res": sys(unix.SYS_SETRESUID, keep, keep, keep), "ruid": -1, "euid": -1, "suid": -1}
		}},
		{"setresgid", 195, func(t *testing.T, dir string) want {
			keep := ^uintptr(0)
			return want{"res": sys(unix.SYS_SETRESGID, keep, keep, keep), "rgid": -1, "egid": -1, "sgid": -1}
		}},
		{"capset", 353, func(t *testing.T, dir string) want {
			hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
			var data [2]unix.CapUserData
			if err := unix.Capget(&hdr, &data[0]); err != nil {
				t.Fatal(err)
			}
			r := sys(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])))
			caps := func(lo, hi uint32) int64 { return int64(uint64(hi)<<32 | uint64(lo)) }
			return want{"res": r, "cap_effective": caps(data[0].Effective, data[1].Effective),
				"cap_permitted": caps(data[0].Permitted, data[1].Permitted), "cap_inheritable": caps(data[0].Inheritable, data[1].Inheritable)}
		}},
		{"ptrace", 169, func(t *testing.T, dir string) want {
			r := sys(unix.SYS_PTRACE, unix.PTRACE_PEEKDATA, 1, 0x1000, 0)
			return want{"res": r, "request": 3, "pid": 1, "addr": []byte{0, 0, 0x10, 0, 0, 0, 0, 0, 0}}
		}},
		{"ptrace detach", 169, func(t *testing.T, dir string) want {
			r := sys(unix.SYS_PTRACE, unix.PTRACE_DETACH, 1, 0, 9)
			return want{"res": r, "request": 12, "pid": 1, "data": []byte{1, 9}}
		}},
		{"mount", 257, func(t *testing.T, dir string) want {
			r := sys(unix.SYS_MOUNT, cstr("none"), cstr(dir), cstr("falconer-nofs"), unix.MS_RDONLY|unix.MS_NOSUID, 0)
			return want{"res": r, "dev": "none", "dir": dir, "type": "falconer-nofs", "flags": 3}
		}},
		{"umount2", 391, func(t *testing.T, dir string) want {
			return want{"res": sys(unix.SYS_UMOUNT2, cstr(dir), unix.MNT_DETACH), "name": dir, "flags": 2}
		}},
		{"socket", 19, func(t *testing.T, dir string) want {
			fd := sys(unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, 0)
			unix.Close(int(fd))
			return want{"fd": fd, "domain": 10, "type": unix.SOCK_DGRAM | unix.SOCK_NONBLOCK, "proto": 0, "flags": 64}
		}},
		{"bind", 21, func(t *testing.T, dir string) want {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			sa := [16]byte{2, 0, 0x1f, 0x90, 127, 0, 0, 1} // sockaddr_in 127.0.0.1:8080
			r := sys(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa[0])), 16)
			return want{"res": r, "fd": fd, "addr": []byte{2, 127, 0, 0, 1, 0x90, 0x1f}}
		}},
		{"bind ipv6", 21, func(t *testing.T, dir string) want {
			fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			var sa [28]byte // sockaddr_in6 [::1]:53
			sa[0], sa[2], sa[3], sa[23] = 10, 0, 53, 1
			r := sys(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa[0])), 28)
			addr := append([]byte{10}, sa[8:24]...)
			return want{"res": r, "fd": fd, "addr": append(addr, 53, 0)}
		}},
		{"listen", 25, func(t *testing.T, dir string) want {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			return want{"res": sys(unix.SYS_LISTEN, uintptr(fd), 7), "fd": fd, "backlog": 7}
		}},
		{"accept", 247, func(t *testing.T, dir string) want {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if err := unix.Listen(fd, 5); err != nil {
				t.Fatal(err)
			}
			return want{"fd": sys(unix.SYS_ACCEPT, uintptr(fd), 0, 0), "tuple": []byte{}, "queuelen": 0, "queuemax": 5, "queuepct": 0}
		}},
		{"execve failure", 293, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "missing")
			argv := []uintptr{cstr(p), 0}
			r := sys(unix.SYS_EXECVE, cstr(p), uintptr(unsafe.Pointer(&argv[0])), 0)
			return want{"res": r, "filename": p, "tid": unix.Gettid(), "pid": os.Getpid(), "uid": os.Geteuid()}
		}},
		{"execveat failure", 331, func(t *testing.T, dir string) want {
			p := filepath.Join(dir, "missing")
			argv := []uintptr{cstr(p), 0}
			r := sys(unix.SYS_EXECVEAT, fdcwd, cstr(p), uintptr(unsafe.Pointer(&argv[0])), 0, 0)
			return want{"res": r, "tid": unix.Gettid(), "pid": os.Getpid(), "gid": os.Getegid()}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(base, fmt.Sprint(i))
			mustMkdir(t, dir)
			tid := lockThread(t)
			w := tt.do(t, dir)
			var mismatch error
			c.findExplained(t, tt.name, func() string { return fmt.Sprint(mismatch) }, func(e event) bool {
				if e.typ != tt.typ || e.tid != uint64(tid) {
					return false
				}
				if err := w.match(e); err != nil {
					mismatch = fmt.Errorf("%w in %v", err, e)
					return false
				}
				return true
			})
		})
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func openDir(t *testing.T, p string) int {
	t.Helper()
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}
