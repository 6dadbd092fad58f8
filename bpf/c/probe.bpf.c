/*
 * Falconer capture probe.
 *
 * One tp_btf/sys_exit dispatcher drops uninteresting syscalls and the agent's
 * own threads before anything else, then tail-calls the exit program of the
 * syscall (exit_progs, filled by the loader). Process creation, successful
 * exec and exit come from the sched tracepoints, as in Falco's modern probe:
 * the clone programs on sys_exit emit only the parent side (or the failure),
 * the execve programs only failed execs. A task iterator dumps the process
 * table for seeding. Every event is written in the scap event layout.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "ppm.h"
#include "builder.h"
#include "extract.h"

/* GPL-compatible: bpf_probe_read_* and the task accessors require it. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define EXIT_PROG(name) \
	SEC("tp_btf/sys_exit") int BPF_PROG(name, struct pt_regs *regs, long ret)

#define BEGIN(type, n)                            \
	struct scratch *s = scratch_get();        \
	if (!s)                                   \
		return 0;                         \
	ev_begin(s, type, n)

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/* ======================================================== dispatcher */

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = (__u32)regs->orig_ax;
	if (nr >= 512)
		return 0;
	if (!is_interesting(nr))
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->tgid == self_tgid)
		return 0;
	if (t->thread_info.status & L_TS_COMPAT)
		return 0; /* ia32 syscall numbers differ: not captured */
	bpf_tail_call(ctx, &exit_progs, nr);
	return 0;
}

/* ======================================================== flag encodings */

static __always_inline __u32 open_flags(unsigned long f)
{
	__u32 r = 0;
	switch (f & L_O_ACCMODE) {
	case L_O_WRONLY:
		r |= PPM_O_WRONLY;
		break;
	case L_O_RDWR:
		r |= PPM_O_RDWR;
		break;
	default:
		r |= PPM_O_RDONLY;
	}
	if (f & L_O_CREAT)
		r |= PPM_O_CREAT;
	if (f & L_O_TMPFILE_ONLY)
		r |= PPM_O_TMPFILE;
	if (f & L_O_APPEND)
		r |= PPM_O_APPEND;
	if (f & L_O_DSYNC)
		r |= PPM_O_DSYNC;
	if (f & L_O_EXCL)
		r |= PPM_O_EXCL;
	if (f & L_O_NONBLOCK)
		r |= PPM_O_NONBLOCK;
	if (f & L_O_SYNC_ONLY)
		r |= PPM_O_SYNC;
	if (f & L_O_TRUNC)
		r |= PPM_O_TRUNC;
	if (f & L_O_DIRECT)
		r |= PPM_O_DIRECT;
	if ((f & L_O_DIRECTORY) && !(f & L_O_TMPFILE_ONLY))
		r |= PPM_O_DIRECTORY;
	if (f & L_O_LARGEFILE)
		r |= PPM_O_LARGEFILE;
	if (f & L_O_CLOEXEC)
		r |= PPM_O_CLOEXEC;
	return r;
}

/* The mode only matters when a file can be created; PPM_S_* equal S_*. */
static __always_inline __u32 open_mode(unsigned long flags, unsigned long mode)
{
	if (!(flags & (L_O_CREAT | L_O_TMPFILE_ONLY)))
		return 0;
	return mode & 07777;
}

static __always_inline __u32 resolve_flags(__u64 f)
{
	__u32 r = 0;
	if (f & 0x01)
		r |= PPM_RESOLVE_NO_XDEV;
	if (f & 0x02)
		r |= PPM_RESOLVE_NO_MAGICLINKS;
	if (f & 0x04)
		r |= PPM_RESOLVE_NO_SYMLINKS;
	if (f & 0x08)
		r |= PPM_RESOLVE_BENEATH;
	if (f & 0x10)
		r |= PPM_RESOLVE_IN_ROOT;
	if (f & 0x20)
		r |= PPM_RESOLVE_CACHED;
	return r;
}

static __always_inline __u32 clone_flags(unsigned long f)
{
	__u32 r = 0;
	if (f & L_CLONE_FILES)
		r |= PPM_CL_CLONE_FILES;
	if (f & L_CLONE_FS)
		r |= PPM_CL_CLONE_FS;
	if (f & L_CLONE_IO)
		r |= PPM_CL_CLONE_IO;
	if (f & L_CLONE_NEWIPC)
		r |= PPM_CL_CLONE_NEWIPC;
	if (f & L_CLONE_NEWNET)
		r |= PPM_CL_CLONE_NEWNET;
	if (f & L_CLONE_NEWNS)
		r |= PPM_CL_CLONE_NEWNS;
	if (f & L_CLONE_NEWPID)
		r |= PPM_CL_CLONE_NEWPID;
	if (f & L_CLONE_NEWUTS)
		r |= PPM_CL_CLONE_NEWUTS;
	if (f & L_CLONE_PARENT_SETTID)
		r |= PPM_CL_CLONE_PARENT_SETTID;
	if (f & L_CLONE_PARENT)
		r |= PPM_CL_CLONE_PARENT;
	if (f & L_CLONE_PTRACE)
		r |= PPM_CL_CLONE_PTRACE;
	if (f & L_CLONE_SIGHAND)
		r |= PPM_CL_CLONE_SIGHAND;
	if (f & L_CLONE_SYSVSEM)
		r |= PPM_CL_CLONE_SYSVSEM;
	if (f & L_CLONE_THREAD)
		r |= PPM_CL_CLONE_THREAD;
	if (f & L_CLONE_UNTRACED)
		r |= PPM_CL_CLONE_UNTRACED;
	if (f & L_CLONE_VM)
		r |= PPM_CL_CLONE_VM;
	if (f & L_CLONE_NEWUSER)
		r |= PPM_CL_CLONE_NEWUSER;
	if (f & L_CLONE_CHILD_CLEARTID)
		r |= PPM_CL_CLONE_CHILD_CLEARTID;
	if (f & L_CLONE_CHILD_SETTID)
		r |= PPM_CL_CLONE_CHILD_SETTID;
	if (f & L_CLONE_SETTLS)
		r |= PPM_CL_CLONE_SETTLS;
	if (f & L_CLONE_VFORK)
		r |= PPM_CL_CLONE_VFORK;
	if (f & L_CLONE_NEWCGROUP)
		r |= PPM_CL_CLONE_NEWCGROUP;
	return r;
}

static __always_inline __u16 ptrace_request(long req)
{
	switch (req) {
	case 0:
		return PPM_PTRACE_TRACEME;
	case 1:
		return PPM_PTRACE_PEEKTEXT;
	case 2:
		return PPM_PTRACE_PEEKDATA;
	case 3:
		return PPM_PTRACE_PEEKUSR;
	case 4:
		return PPM_PTRACE_POKETEXT;
	case 5:
		return PPM_PTRACE_POKEDATA;
	case 6:
		return PPM_PTRACE_POKEUSR;
	case 7:
		return PPM_PTRACE_CONT;
	case 8:
		return PPM_PTRACE_KILL;
	case 9:
		return PPM_PTRACE_SINGLESTEP;
	case 12:
		return PPM_PTRACE_GETREGS;
	case 13:
		return PPM_PTRACE_SETREGS;
	case 14:
		return PPM_PTRACE_GETFPREGS;
	case 15:
		return PPM_PTRACE_SETFPREGS;
	case 16:
		return PPM_PTRACE_ATTACH;
	case 17:
		return PPM_PTRACE_DETACH;
	case 18:
		return PPM_PTRACE_GETFPXREGS;
	case 19:
		return PPM_PTRACE_SETFPXREGS;
	case 21:
		return PPM_PTRACE_OLDSETOPTIONS;
	case 24:
		return PPM_PTRACE_SYSCALL;
	case 25:
		return PPM_PTRACE_GET_THREAD_AREA;
	case 26:
		return PPM_PTRACE_SET_THREAD_AREA;
	case 30:
		return PPM_PTRACE_ARCH_PRCTL;
	case 31:
		return PPM_PTRACE_SYSEMU;
	case 32:
		return PPM_PTRACE_SYSEMU_SINGLESTEP;
	case 33:
		return PPM_PTRACE_SINGLEBLOCK;
	case 0x4200:
		return PPM_PTRACE_SETOPTIONS;
	case 0x4201:
		return PPM_PTRACE_GETEVENTMSG;
	case 0x4202:
		return PPM_PTRACE_GETSIGINFO;
	case 0x4203:
		return PPM_PTRACE_SETSIGINFO;
	case 0x4204:
		return PPM_PTRACE_GETREGSET;
	case 0x4205:
		return PPM_PTRACE_SETREGSET;
	case 0x4206:
		return PPM_PTRACE_SEIZE;
	case 0x4207:
		return PPM_PTRACE_INTERRUPT;
	case 0x4208:
		return PPM_PTRACE_LISTEN;
	case 0x4209:
		return PPM_PTRACE_PEEKSIGINFO;
	case 0x420a:
		return PPM_PTRACE_GETSIGMASK;
	case 0x420b:
		return PPM_PTRACE_SETSIGMASK;
	}
	return PPM_PTRACE_UNKNOWN;
}

/* ======================================================== files */

/* The file a successful open returned (NULL on failure). */
static __always_inline struct file *opened_file(long fd)
{
	return fd >= 0 ? fd_file(fd) : NULL;
}

static __always_inline void ev_dev_ino(struct scratch *s, struct file *f)
{
	__u32 dev = 0;
	__u64 ino = 0;
	file_dev_ino(f, &dev, &ino);
	ev_u32(s, dev);
	ev_u64(s, ino);
}

static __always_inline __u32 created_flag(struct file *f)
{
	if (!f)
		return 0;
	return (f->f_mode & L_FMODE_CREATED) ? PPM_O_F_CREATED : 0;
}

EXIT_PROG(open_x)
{
	BEGIN(PPME_SYSCALL_OPEN_X, 6);
	unsigned long flags = sc_arg(regs, 1);
	struct file *f = opened_file(ret);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_u32(s, open_flags(flags) | created_flag(f));
	ev_u32(s, open_mode(flags, sc_arg(regs, 2)));
	ev_dev_ino(s, f);
	ev_submit(s);
	return 0;
}

EXIT_PROG(openat_x)
{
	BEGIN(PPME_SYSCALL_OPENAT_2_X, 7);
	unsigned long flags = sc_arg(regs, 2);
	struct file *f = opened_file(ret);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u32(s, open_flags(flags) | created_flag(f));
	ev_u32(s, open_mode(flags, sc_arg(regs, 3)));
	ev_dev_ino(s, f);
	ev_submit(s);
	return 0;
}

EXIT_PROG(openat2_x)
{
	BEGIN(PPME_SYSCALL_OPENAT2_X, 8);
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)sc_arg(regs, 2));
	struct file *f = opened_file(ret);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u32(s, open_flags(how.flags) | created_flag(f));
	ev_u32(s, open_mode(how.flags, how.mode));
	ev_u32(s, resolve_flags(how.resolve));
	ev_dev_ino(s, f);
	ev_submit(s);
	return 0;
}

EXIT_PROG(creat_x)
{
	BEGIN(PPME_SYSCALL_CREAT_X, 6);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_u32(s, sc_arg(regs, 1) & 07777);
	ev_dev_ino(s, opened_file(ret));
	ev_u16(s, 0); /* overlay layer flags: not computed */
	ev_submit(s);
	return 0;
}

EXIT_PROG(close_x)
{
	BEGIN(PPME_SYSCALL_CLOSE_X, 2);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

EXIT_PROG(dup_x)
{
	BEGIN(PPME_SYSCALL_DUP_1_X, 2);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

EXIT_PROG(dup2_x)
{
	BEGIN(PPME_SYSCALL_DUP2_X, 3);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_u64(s, (__s64)(int)sc_arg(regs, 1));
	ev_submit(s);
	return 0;
}

EXIT_PROG(dup3_x)
{
	BEGIN(PPME_SYSCALL_DUP3_X, 4);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_u64(s, (__s64)(int)sc_arg(regs, 1));
	ev_u32(s, (sc_arg(regs, 2) & L_O_CLOEXEC) ? PPM_O_CLOEXEC : 0);
	ev_submit(s);
	return 0;
}

EXIT_PROG(chdir_x)
{
	BEGIN(PPME_SYSCALL_CHDIR_X, 2);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(fchdir_x)
{
	BEGIN(PPME_SYSCALL_FCHDIR_X, 2);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

/* Syscalls of the shape (res, path...) with every path a user string. */
EXIT_PROG(unlink_x)
{
	BEGIN(PPME_SYSCALL_UNLINK_2_X, 2);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(unlinkat_x)
{
	BEGIN(PPME_SYSCALL_UNLINKAT_2_X, 4);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u32(s, sc_arg(regs, 2) & PPM_AT_REMOVEDIR);
	ev_submit(s);
	return 0;
}

EXIT_PROG(rmdir_x)
{
	BEGIN(PPME_SYSCALL_RMDIR_2_X, 2);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(mkdir_x)
{
	BEGIN(PPME_SYSCALL_MKDIR_2_X, 3);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_u32(s, sc_arg(regs, 1));
	ev_submit(s);
	return 0;
}

EXIT_PROG(mkdirat_x)
{
	BEGIN(PPME_SYSCALL_MKDIRAT_X, 4);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u32(s, sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

EXIT_PROG(rename_x)
{
	BEGIN(PPME_SYSCALL_RENAME_X, 3);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(renameat_x)
{
	BEGIN(PPME_SYSCALL_RENAMEAT_X, 5);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u64(s, sc_dirfd(sc_arg(regs, 2)));
	ev_user_str(s, (void *)sc_arg(regs, 3), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(renameat2_x)
{
	BEGIN(PPME_SYSCALL_RENAMEAT2_X, 6);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u64(s, sc_dirfd(sc_arg(regs, 2)));
	ev_user_str(s, (void *)sc_arg(regs, 3), MAX_PATH);
	ev_u32(s, sc_arg(regs, 4) & 7); /* RENAME_* bits equal PPM_RENAME_* */
	ev_submit(s);
	return 0;
}

EXIT_PROG(symlink_x)
{
	BEGIN(PPME_SYSCALL_SYMLINK_X, 3);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(symlinkat_x)
{
	BEGIN(PPME_SYSCALL_SYMLINKAT_X, 4);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_u64(s, sc_dirfd(sc_arg(regs, 1)));
	ev_user_str(s, (void *)sc_arg(regs, 2), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(chmod_x)
{
	BEGIN(PPME_SYSCALL_CHMOD_X, 3);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_u32(s, sc_arg(regs, 1) & 07777);
	ev_submit(s);
	return 0;
}

EXIT_PROG(fchmod_x)
{
	BEGIN(PPME_SYSCALL_FCHMOD_X, 3);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_u32(s, sc_arg(regs, 1) & 07777);
	ev_submit(s);
	return 0;
}

EXIT_PROG(fchmodat_x)
{
	BEGIN(PPME_SYSCALL_FCHMODAT_X, 4);
	ev_u64(s, ret);
	ev_u64(s, sc_dirfd(sc_arg(regs, 0)));
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_u32(s, sc_arg(regs, 2) & 07777);
	ev_submit(s);
	return 0;
}

EXIT_PROG(mount_x)
{
	BEGIN(PPME_SYSCALL_MOUNT_X, 5);
	unsigned long flags = sc_arg(regs, 3);
	if ((flags & 0xffff0000UL) == 0xC0ED0000UL)
		flags &= 0xffff; /* MS_MGC_VAL */
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_user_str(s, (void *)sc_arg(regs, 1), MAX_PATH);
	ev_user_str(s, (void *)sc_arg(regs, 2), MAX_NAME);
	ev_u32(s, flags); /* MS_* bits equal PPM_MS_* */
	ev_submit(s);
	return 0;
}

EXIT_PROG(umount2_x)
{
	BEGIN(PPME_SYSCALL_UMOUNT2_X, 3);
	ev_u64(s, ret);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_u32(s, sc_arg(regs, 1) & 0xf); /* MNT_* bits equal PPM_MNT_* */
	ev_submit(s);
	return 0;
}

/* ======================================================== credentials */

EXIT_PROG(setuid_x)
{
	BEGIN(PPME_SYSCALL_SETUID_X, 2);
	ev_u64(s, ret);
	ev_u32(s, sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

EXIT_PROG(setgid_x)
{
	BEGIN(PPME_SYSCALL_SETGID_X, 2);
	ev_u64(s, ret);
	ev_u32(s, sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

EXIT_PROG(setresuid_x)
{
	BEGIN(PPME_SYSCALL_SETRESUID_X, 4);
	ev_u64(s, ret);
	ev_u32(s, sc_arg(regs, 0));
	ev_u32(s, sc_arg(regs, 1));
	ev_u32(s, sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

EXIT_PROG(setresgid_x)
{
	BEGIN(PPME_SYSCALL_SETRESGID_X, 4);
	ev_u64(s, ret);
	ev_u32(s, sc_arg(regs, 0));
	ev_u32(s, sc_arg(regs, 1));
	ev_u32(s, sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

/* capset reports the capabilities in force after the call. */
EXIT_PROG(capset_x)
{
	BEGIN(PPME_SYSCALL_CAPSET_X, 4);
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(t, cred);
	ev_u64(s, ret);
	ev_u64(s, cap_read(&cred->cap_inheritable));
	ev_u64(s, cap_read(&cred->cap_permitted));
	ev_u64(s, cap_read(&cred->cap_effective));
	ev_submit(s);
	return 0;
}

EXIT_PROG(ptrace_x)
{
	BEGIN(PPME_SYSCALL_PTRACE_X, 5);
	long req = sc_arg(regs, 0);
	__u16 preq = ptrace_request(req);
	unsigned long addr = sc_arg(regs, 2);
	unsigned long data = sc_arg(regs, 3);
	ev_u64(s, ret);
	/* addr: DYN, always a u64. */
	__u64 p = s->pos;
	s->data[p & OFF_MASK] = PPM_PTRACE_IDX_UINT64;
	*(__u64 *)&s->data[(p + 1) & OFF_MASK] = addr;
	ev_advance(s, 9);
	/* data: the peeked word, a signal, or the raw value. */
	p = s->pos;
	if (preq == PPM_PTRACE_CONT || preq == PPM_PTRACE_SYSCALL || preq == PPM_PTRACE_SINGLESTEP ||
	    preq == PPM_PTRACE_DETACH || preq == PPM_PTRACE_SYSEMU ||
	    preq == PPM_PTRACE_SYSEMU_SINGLESTEP || preq == PPM_PTRACE_SINGLEBLOCK) {
		s->data[p & OFF_MASK] = PPM_PTRACE_IDX_SIGTYPE;
		s->data[(p + 1) & OFF_MASK] = (__u8)data;
		ev_advance(s, 2);
	} else {
		__u64 v = data;
		if (ret >= 0 && (preq == PPM_PTRACE_PEEKTEXT || preq == PPM_PTRACE_PEEKDATA ||
				 preq == PPM_PTRACE_PEEKUSR))
			bpf_probe_read_user(&v, sizeof(v), (void *)data);
		s->data[p & OFF_MASK] = PPM_PTRACE_IDX_UINT64;
		*(__u64 *)&s->data[(p + 1) & OFF_MASK] = v;
		ev_advance(s, 9);
	}
	ev_u16(s, preq);
	ev_u64(s, (__s64)(int)sc_arg(regs, 1));
	ev_submit(s);
	return 0;
}

/* ======================================================== network */

EXIT_PROG(socket_x)
{
	BEGIN(PPME_SOCKET_SOCKET_X, 5);
	unsigned long domain = sc_arg(regs, 0);
	unsigned long type = sc_arg(regs, 1);
	__u32 flags = 0;
	if (type & L_SOCK_NONBLOCK)
		flags |= PPM_O_NONBLOCK;
	if (type & L_SOCK_CLOEXEC)
		flags |= PPM_O_CLOEXEC;
	ev_u64(s, ret);
	ev_u32(s, domain <= 45 ? domain : PPM_AF_UNSPEC); /* PPM_AF_* equal AF_* */
	ev_u32(s, type);
	ev_u32(s, sc_arg(regs, 2));
	ev_u32(s, flags);
	ev_submit(s);
	return 0;
}

EXIT_PROG(bind_x)
{
	BEGIN(PPME_SOCKET_BIND_X, 3);
	ev_u64(s, ret);
	ev_user_sockaddr(s, (void *)sc_arg(regs, 1), sc_arg(regs, 2));
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

EXIT_PROG(connect_x)
{
	BEGIN(PPME_SOCKET_CONNECT_X, 4);
	long fd = (int)sc_arg(regs, 0);
	ev_u64(s, ret);
	if (ret == 0 || ret == -115 /* EINPROGRESS */)
		ev_tuple(s, fd_sock(fd), false);
	else
		ev_empty(s);
	ev_u64(s, fd);
	ev_user_sockaddr(s, (void *)sc_arg(regs, 1), sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

EXIT_PROG(listen_x)
{
	BEGIN(PPME_SOCKET_LISTEN_X, 3);
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_u32(s, (int)sc_arg(regs, 1));
	ev_submit(s);
	return 0;
}

static __always_inline void ev_accept(struct scratch *s, struct pt_regs *regs, long ret)
{
	ev_u64(s, ret);
	if (ret >= 0)
		ev_tuple(s, fd_sock(ret), true);
	else
		ev_empty(s);
	__u32 qlen = 0, qmax = 0;
	__u8 pct = 0;
	struct sock *lsk = fd_sock((int)sc_arg(regs, 0));
	if (lsk) {
		qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
		qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
		if (qmax)
			pct = (__u8)((qlen * 100) / qmax);
	}
	ev_u8(s, pct);
	ev_u32(s, qlen);
	ev_u32(s, qmax);
}

EXIT_PROG(accept_x)
{
	BEGIN(PPME_SOCKET_ACCEPT_5_X, 5);
	ev_accept(s, regs, ret);
	ev_submit(s);
	return 0;
}

EXIT_PROG(accept4_x)
{
	BEGIN(PPME_SOCKET_ACCEPT4_6_X, 6);
	ev_accept(s, regs, ret);
	ev_u32(s, (int)sc_arg(regs, 3));
	ev_submit(s);
	return 0;
}

/* ======================================================== processes */

/*
 * ev_proc_common writes the parameters clone and execve events share, in
 * order: exe, args, tid, pid, ptid, cwd, fdlimit, pgft_maj, pgft_min,
 * vm_size, vm_rss, vm_swap, comm, cgroups. Argument memory is read from the
 * current address space (the task's own, or a fork child's copy of it).
 */
static __always_inline void ev_proc_common(struct scratch *s, struct task_struct *t, bool cwd)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	unsigned long arg_start = 0, arg_end = 0;
	if (mm) {
		arg_start = BPF_CORE_READ(mm, arg_start);
		arg_end = BPF_CORE_READ(mm, arg_end);
	}
	/* exe: argv[0] */
	__u64 before = s->pos;
	ev_user_str(s, (void *)arg_start, MAX_PATH);
	__u64 exe_len = s->pos - before;
	/* args: argv[1..], NUL-separated */
	if (arg_end > arg_start + exe_len)
		ev_user_bytes(s, (void *)(arg_start + exe_len), arg_end - arg_start - exe_len);
	else
		ev_empty(s);
	ev_u64(s, task_nr(t, PIDTYPE_PID));
	ev_u64(s, task_nr(t, PIDTYPE_TGID));
	ev_u64(s, task_ppid(t));
	if (cwd)
		ev_fs_path(s, t, false);
	else
		ev_empty(s);
	ev_u64(s, task_fdlimit(t));
	ev_u64(s, BPF_CORE_READ(t, maj_flt));
	ev_u64(s, BPF_CORE_READ(t, min_flt));
	ev_u32(s, mm_vm_size_kb(mm));
	ev_u32(s, mm_vm_rss_kb(mm));
	ev_u32(s, mm_vm_swap_kb(mm));
	ev_kernel_str(s, t->comm, 16);
	ev_cgroups(s, t);
}

/* The execve/execveat params after cgroups; filename (execve only) is the caller's. */
static __always_inline void ev_exec_tail(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	unsigned long env_start = 0, env_end = 0;
	struct file *exe = NULL;
	if (mm) {
		env_start = BPF_CORE_READ(mm, env_start);
		env_end = BPF_CORE_READ(mm, env_end);
		exe = BPF_CORE_READ(mm, exe_file);
	}
	if (env_end > env_start)
		ev_user_bytes(s, (void *)env_start, env_end - env_start);
	else
		ev_empty(s);
	ev_u32(s, task_tty(t));
	ev_u64(s, task_vnr(t, PIDTYPE_PGID));
	ev_u32(s, task_loginuid(t));
	struct inode *ino = exe ? BPF_CORE_READ(exe, f_inode) : NULL;
	__u32 flags = 0;
	if (exe_writable(t, ino))
		flags |= PPM_EXE_WRITABLE;
	if (exe_from_memfd(exe))
		flags |= PPM_EXE_FROM_MEMFD;
	ev_u32(s, flags);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	ev_u64(s, cap_read(&cred->cap_inheritable));
	ev_u64(s, cap_read(&cred->cap_permitted));
	ev_u64(s, cap_read(&cred->cap_effective));
	ev_u64(s, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	ev_u64(s, inode_ctime(ino));
	ev_u64(s, inode_mtime(ino));
	ev_u32(s, BPF_CORE_READ(cred, euid.val));
	ev_file_path(s, exe);
	ev_u64(s, task_nr(t, PIDTYPE_PGID));
	ev_u32(s, BPF_CORE_READ(cred, egid.val));
}

/* Successful execs: the new image is in place, res is 0. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	__u32 nr = (__u32)BPF_CORE_READ(regs, orig_ax);
	bool at = nr == NR_execveat;
	__u32 slot = (nr == NR_execve || at) ? nr : SLOT_SCHED_EXEC;
	if (!is_interesting(slot))
		return 0;
	BEGIN(at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X, at ? 30 : 31);
	ev_u64(s, 0);
	ev_proc_common(s, t, true);
	ev_exec_tail(s, t);
	if (!at)
		ev_kernel_str(s, BPF_CORE_READ(bprm, filename), MAX_PATH);
	ev_submit(s);
	return 0;
}

/* Failed execs (successful ones come from sched_process_exec). */
EXIT_PROG(execve_x)
{
	if (ret == 0)
		return 0;
	BEGIN(PPME_SYSCALL_EXECVE_19_X, 31);
	struct task_struct *t = bpf_get_current_task_btf();
	ev_u64(s, ret);
	ev_proc_common(s, t, true);
	ev_exec_tail(s, t);
	ev_user_str(s, (void *)sc_arg(regs, 0), MAX_PATH);
	ev_submit(s);
	return 0;
}

EXIT_PROG(execveat_x)
{
	if (ret == 0)
		return 0;
	BEGIN(PPME_SYSCALL_EXECVEAT_X, 30);
	struct task_struct *t = bpf_get_current_task_btf();
	ev_u64(s, ret);
	ev_proc_common(s, t, true);
	ev_exec_tail(s, t);
	ev_submit(s);
	return 0;
}

static __always_inline void ev_clone_tail(struct scratch *s, struct task_struct *t, __u32 flags)
{
	const struct cred *cred = BPF_CORE_READ(t, cred);
	if (task_pidns_level(t) != 0)
		flags |= PPM_CL_CHILD_IN_PIDNS;
	ev_u32(s, flags);
	ev_u32(s, BPF_CORE_READ(cred, euid.val));
	ev_u32(s, BPF_CORE_READ(cred, egid.val));
	ev_u64(s, task_vnr(t, PIDTYPE_PID));
	ev_u64(s, task_vnr(t, PIDTYPE_TGID));
	ev_u64(s, task_pidns_start(t));
}

/* Parent side (or failure) of the clone family; the child comes from sched_process_fork. */
static __always_inline int clone_parent(long ret, __u16 type, __u32 flags)
{
	if (ret == 0)
		return 0;
	BEGIN(type, 21);
	struct task_struct *t = bpf_get_current_task_btf();
	ev_u64(s, ret);
	ev_proc_common(s, t, false);
	ev_clone_tail(s, t, flags);
	ev_submit(s);
	return 0;
}

EXIT_PROG(clone_x)
{
	return clone_parent(ret, PPME_SYSCALL_CLONE_20_X, clone_flags(sc_arg(regs, 0)));
}

EXIT_PROG(clone3_x)
{
	__u64 flags = 0;
	bpf_probe_read_user(&flags, sizeof(flags), (void *)sc_arg(regs, 0));
	return clone_parent(ret, PPME_SYSCALL_CLONE3_X, clone_flags(flags));
}

EXIT_PROG(fork_x)
{
	return clone_parent(ret, PPME_SYSCALL_FORK_20_X, 0);
}

EXIT_PROG(vfork_x)
{
	return clone_parent(ret, PPME_SYSCALL_VFORK_20_X, PPM_CL_CLONE_VM | PPM_CL_CLONE_VFORK);
}

/*
 * The child side of every clone. It runs in the parent before the child is
 * scheduled, so the event is queued before anything the child does; the
 * header carries the child's tid.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	if (is_self())
		return 0;
	if (BPF_CORE_READ(parent, flags) & L_PF_KTHREAD)
		return 0;
	if (!is_interesting(SLOT_SCHED_FORK))
		return 0;
	BEGIN(PPME_SYSCALL_CLONE_20_X, 21);
	s->tid = BPF_CORE_READ(child, pid);
	ev_u64(s, 0);
	ev_proc_common(s, child, false);
	__u32 flags = 0;
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		flags |= PPM_CL_CLONE_THREAD | PPM_CL_CLONE_SIGHAND;
	if (BPF_CORE_READ(child, mm) == BPF_CORE_READ(parent, mm))
		flags |= PPM_CL_CLONE_VM;
	if (BPF_CORE_READ(child, files) == BPF_CORE_READ(parent, files))
		flags |= PPM_CL_CLONE_FILES;
	if (BPF_CORE_READ(child, fs) == BPF_CORE_READ(parent, fs))
		flags |= PPM_CL_CLONE_FS;
	ev_clone_tail(s, child, flags);
	ev_submit(s);
	return 0;
}

/* procexit, for every exiting thread. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	if (is_self())
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->flags & L_PF_KTHREAD)
		return 0;
	if (!is_interesting(SLOT_PROCEXIT))
		return 0;
	BEGIN(PPME_PROCEXIT_1_E, 5);
	__s64 status = BPF_CORE_READ(t, exit_code);
	__u8 sig = status & 0x7f;
	if (sig == 0x7f)
		sig = 0; /* stopped, not signaled */
	/*
	 * reaper_tid: 0 when there are no children to reparent; -1 when another
	 * thread of the group or a subreaper will adopt them (not resolved
	 * here); else the init of the pid namespace.
	 */
	__s64 reaper = 0;
	struct list_head *head = &t->children;
	struct list_head *next = BPF_CORE_READ(t, children.next);
	if (next != head) {
		struct signal_struct *sig_s = BPF_CORE_READ(t, signal);
		if (BPF_CORE_READ(sig_s, live.counter) > 0 ||
		    BPF_CORE_READ_BITFIELD_PROBED(sig_s, has_child_subreaper))
			reaper = -1;
		else {
			struct pid *pid = BPF_CORE_READ(t, thread_pid);
			unsigned int level = BPF_CORE_READ(pid, level);
			struct upid up = {};
			bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
			reaper = up.ns ? BPF_CORE_READ(up.ns, child_reaper, pid) : -1;
		}
	}
	ev_u64(s, status);
	ev_u64(s, (status >> 8) & 0xff);
	ev_u8(s, sig);
	ev_u8(s, (status & 0x80) ? 1 : 0);
	ev_u64(s, reaper);
	ev_submit(s);
	return 0;
}

/* ======================================================== process snapshot */

/* A user memory range of another task, as a NUL-separated list. */
static __always_inline void ev_task_bytes(struct scratch *s, struct task_struct *t, unsigned long start,
					  unsigned long end)
{
	if (!start || end <= start) {
		ev_empty(s);
		return;
	}
	__u64 n = end - start;
	if (n > MAX_ARGS)
		n = MAX_ARGS;
	n &= (2 * MAX_ARGS - 1);
	if (bpf_copy_from_user_task(&s->data[s->pos & OFF_MASK], n, (void *)start, t, 0) != 0) {
		ev_empty(s);
		return;
	}
	ev_advance(s, n);
}

/* iter_submit finishes the header and writes the record to the iterator. */
static __always_inline void iter_submit(struct scratch *s, struct seq_file *seq)
{
	__u64 len = s->pos;
	if (s->bad || len > MAX_EVENT)
		return;
	*(__u64 *)&s->data[0] = bpf_ktime_get_boot_ns() + boot_epoch_ns;
	*(__u64 *)&s->data[8] = s->tid;
	*(__u32 *)&s->data[16] = (__u32)len;
	*(__u16 *)&s->data[20] = s->type;
	*(__u32 *)&s->data[22] = s->nparams;
	bpf_seq_write(seq, s->data, len & (2 * MAX_EVENT - 1));
}

/* One PPME_ITER_TASK_E record per user thread; header tid is tgid<<32|tid. */
SEC("iter.s/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	if (!t)
		return 0;
	if (BPF_CORE_READ(t, flags) & L_PF_KTHREAD)
		return 0;
	struct scratch *s = iter_scratch_get();
	if (!s)
		return 0;
	ev_begin(s, PPME_ITER_TASK_E, 32);
	s->tid = ((__u64)task_nr(t, PIDTYPE_TGID) << 32) | (__u32)task_nr(t, PIDTYPE_PID);
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	struct file *exe = mm ? BPF_CORE_READ(mm, exe_file) : NULL;
	struct inode *ino = exe ? BPF_CORE_READ(exe, f_inode) : NULL;
	const struct cred *cred = BPF_CORE_READ(t, cred);

	ev_u32(s, task_ppid(t));
	ev_u32(s, task_nr(t, PIDTYPE_PGID));
	ev_u32(s, task_vnr(t, PIDTYPE_PGID));
	ev_u32(s, task_nr(t, PIDTYPE_SID));
	ev_kernel_str(s, t->comm, 16);
	ev_task_bytes(s, t, mm ? BPF_CORE_READ(mm, arg_start) : 0, mm ? BPF_CORE_READ(mm, arg_end) : 0);
	ev_file_path(s, exe);
	__u32 flags = 0;
	if (exe_writable(t, ino))
		flags |= PPM_EXE_WRITABLE;
	if (exe_from_memfd(exe))
		flags |= PPM_EXE_FROM_MEMFD;
	ev_u32(s, flags);
	ev_task_bytes(s, t, mm ? BPF_CORE_READ(mm, env_start) : 0, mm ? BPF_CORE_READ(mm, env_end) : 0);
	ev_fs_path(s, t, false);
	ev_u64(s, task_fdlimit(t));
	ev_u32(s, BPF_CORE_READ(cred, euid.val));
	ev_u32(s, BPF_CORE_READ(cred, egid.val));
	ev_u64(s, cap_read(&cred->cap_permitted));
	ev_u64(s, cap_read(&cred->cap_effective));
	ev_u64(s, cap_read(&cred->cap_inheritable));
	ev_u64(s, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	ev_u64(s, inode_ctime(ino));
	ev_u64(s, inode_mtime(ino));
	ev_u32(s, mm_vm_size_kb(mm));
	ev_u32(s, mm_vm_rss_kb(mm));
	ev_u32(s, mm_vm_swap_kb(mm));
	ev_u64(s, BPF_CORE_READ(t, maj_flt));
	ev_u64(s, BPF_CORE_READ(t, min_flt));
	ev_u32(s, task_vnr(t, PIDTYPE_TGID));
	ev_u32(s, task_vnr(t, PIDTYPE_PID));
	ev_u64(s, task_pidns_start(t));
	ev_cgroups(s, t);
	ev_fs_path(s, t, true);
	ev_u64(s, boot_epoch_ns + BPF_CORE_READ(t, start_boottime));
	ev_u32(s, task_tty(t));
	ev_u32(s, task_loginuid(t));

	iter_submit(s, seq);
	return 0;
}

static __always_inline __u32 file_mnt_id(struct file *f)
{
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct mount *m = container_of(vm, struct mount, mnt);
	return BPF_CORE_READ(m, mnt_id);
}

/*
 * One PPME_ITER_TASK_FILE_*_E record per open file of each process (regular
 * files, memfds, directories, pipes, and inet, inet6, unix and netlink
 * sockets; other kinds are skipped). Header tid is tgid<<32|tid.
 */
SEC("iter.s/task_file")
int dump_task_file(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct file *f = ctx->file;
	if (!t || !f)
		return 0;
	if (BPF_CORE_READ(t, flags) & L_PF_KTHREAD)
		return 0;
	struct scratch *s = iter_scratch_get();
	if (!s)
		return 0;
	__u32 fd = ctx->fd;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	umode_t mode = BPF_CORE_READ(ino, i_mode);
	__u64 ino_num = BPF_CORE_READ(ino, i_ino);
	__u64 tid = ((__u64)task_nr(t, PIDTYPE_TGID) << 32) | (__u32)task_nr(t, PIDTYPE_PID);

	switch (mode & L_S_IFMT) {
	case L_S_IFREG:
		if (exe_from_memfd(f)) {
			ev_begin(s, PPME_ITER_TASK_FILE_MEMFD_E, 3);
			ev_u32(s, fd);
			ev_file_path(s, f);
			ev_u64(s, ino_num);
			break;
		}
		ev_begin(s, PPME_ITER_TASK_FILE_REGULAR_E, 5);
		ev_u32(s, fd);
		ev_file_path(s, f);
		ev_u32(s, open_flags(BPF_CORE_READ(f, f_flags)));
		ev_u32(s, file_mnt_id(f));
		ev_u64(s, ino_num);
		break;
	case L_S_IFDIR:
		ev_begin(s, PPME_ITER_TASK_FILE_DIRECTORY_E, 3);
		ev_u32(s, fd);
		ev_file_path(s, f);
		ev_u64(s, ino_num);
		break;
	case L_S_IFIFO:
		ev_begin(s, PPME_ITER_TASK_FILE_PIPE_E, 3);
		ev_u32(s, fd);
		ev_empty(s); /* anonymous pipes have no path */
		ev_u64(s, ino_num);
		break;
	case L_S_IFSOCK: {
		struct socket *sock = BPF_CORE_READ(f, private_data);
		struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
		if (!sk)
			return 0;
		__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
		__u16 type = BPF_CORE_READ(sk, sk_type);
		__u16 proto = BPF_CORE_READ(sk, sk_protocol);
		if (family == L_AF_INET) {
			ev_begin(s, PPME_ITER_TASK_FILE_SOCKET_INET_E, 8);
			ev_u32(s, fd);
			ev_u16(s, type);
			ev_u16(s, proto);
			ev_u32(s, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
			ev_u16(s, BPF_CORE_READ(sk, __sk_common.skc_num));
			ev_u32(s, BPF_CORE_READ(sk, __sk_common.skc_daddr));
			ev_u16(s, bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport)));
			ev_u64(s, ino_num);
		} else if (family == L_AF_INET6) {
			ev_begin(s, PPME_ITER_TASK_FILE_SOCKET_INET6_E, 8);
			ev_u32(s, fd);
			ev_u16(s, type);
			ev_u16(s, proto);
			struct in6_addr a = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
			__builtin_memcpy(&s->data[s->pos & OFF_MASK], &a, 16);
			ev_advance(s, 16);
			ev_u16(s, BPF_CORE_READ(sk, __sk_common.skc_num));
			a = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
			__builtin_memcpy(&s->data[s->pos & OFF_MASK], &a, 16);
			ev_advance(s, 16);
			ev_u16(s, bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport)));
			ev_u64(s, ino_num);
		} else if (family == L_AF_UNIX) {
			ev_begin(s, PPME_ITER_TASK_FILE_SOCKET_UNIX_E, 6);
			ev_u32(s, fd);
			ev_u16(s, type);
			ev_u16(s, proto);
			ev_u64(s, (__u64)sk);
			__u64 p = s->pos;
			__u64 end = put_unix_path(s, p, sk);
			if (end - p <= 1)
				ev_empty(s); /* unnamed */
			else
				ev_advance(s, end - p);
			ev_u64(s, ino_num);
		} else if (family == L_AF_NETLINK) {
			ev_begin(s, PPME_ITER_TASK_FILE_SOCKET_NETLINK_E, 4);
			ev_u32(s, fd);
			ev_u16(s, type);
			ev_u16(s, proto);
			ev_u64(s, ino_num);
		} else {
			return 0;
		}
		break;
	}
	default:
		return 0;
	}
	s->tid = tid;
	iter_submit(s, seq);
	return 0;
}
