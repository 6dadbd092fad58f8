package scap_test

import (
	"syscall"
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
)

// TestErrnoNumbersLinux checks the errno table against the numbers of the
// platform's syscall package.
func TestErrnoNumbersLinux(t *testing.T) {
	for _, tt := range []struct {
		errno syscall.Errno
		name  string
	}{
		{syscall.EPERM, "EPERM"}, {syscall.ENOENT, "ENOENT"}, {syscall.ESRCH, "ESRCH"}, {syscall.EINTR, "EINTR"},
		{syscall.EBADF, "EBADF"}, {syscall.EAGAIN, "EAGAIN"}, {syscall.ENOMEM, "ENOMEM"}, {syscall.EACCES, "EACCES"},
		{syscall.EEXIST, "EEXIST"}, {syscall.ENOTDIR, "ENOTDIR"}, {syscall.EISDIR, "EISDIR"}, {syscall.EINVAL, "EINVAL"},
		{syscall.EMFILE, "EMFILE"}, {syscall.ENOSPC, "ENOSPC"}, {syscall.EROFS, "EROFS"}, {syscall.EPIPE, "EPIPE"},
		{syscall.ENAMETOOLONG, "ENAMETOOLONG"}, {syscall.ENOSYS, "ENOSYS"}, {syscall.ELOOP, "ELOOP"},
		{syscall.ENOTSOCK, "ENOTSOCK"}, {syscall.EAFNOSUPPORT, "EAFNOSUPPORT"}, {syscall.EADDRINUSE, "EADDRINUSE"},
		{syscall.ENETUNREACH, "ENETUNREACH"}, {syscall.ECONNRESET, "ECONNRESET"}, {syscall.ETIMEDOUT, "ETIMEDOUT"},
		{syscall.ECONNREFUSED, "ECONNREFUSED"}, {syscall.EHOSTUNREACH, "EHOSTUNREACH"}, {syscall.EALREADY, "EALREADY"},
		{syscall.EINPROGRESS, "EINPROGRESS"}, {syscall.ESTALE, "ESTALE"}, {syscall.EDQUOT, "EDQUOT"},
		{syscall.ECANCELED, "ECANCELED"}, {syscall.EOWNERDEAD, "EOWNERDEAD"}, {syscall.ERFKILL, "ERFKILL"},
	} {
		if got := scap.ErrnoName(int(tt.errno)); got != tt.name {
			t.Errorf("ErrnoName(%d) = %q, want %q", int(tt.errno), got, tt.name)
		}
	}
}
