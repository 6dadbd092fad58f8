/*
 * Readers of kernel state (CO-RE) and the parameters built from it.
 */
#pragma once

/* Older kernel layouts, resolved by CO-RE at load time. */
struct kernfs_node___old {
	struct kernfs_node___old *parent;
} __attribute__((preserve_access_index));

struct inode___timespec {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/* ---------------------------------------------------------------- syscall args */

/* regs is the tracepoint's trusted pointer: plain loads, no probe reads. */
static __always_inline unsigned long sc_arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}

/* dirfd as the event encodes it: AT_FDCWD is -100 on both sides. */
static __always_inline __s64 sc_dirfd(unsigned long v)
{
	return (__s64)(int)v;
}

/* ---------------------------------------------------------------- tasks */

static __always_inline struct pid *task_pid_of(struct task_struct *t, enum pid_type type)
{
	if (type == PIDTYPE_PID)
		return BPF_CORE_READ(t, thread_pid);
	return BPF_CORE_READ(t, signal, pids[type]);
}

/* task_nr returns the id as seen from the initial pid namespace. */
static __always_inline __s32 task_nr(struct task_struct *t, enum pid_type type)
{
	struct pid *p = task_pid_of(t, type);
	if (!p)
		return 0;
	return BPF_CORE_READ(p, numbers[0].nr);
}

/* task_vnr returns the id as seen from the task's own pid namespace. */
static __always_inline __s32 task_vnr(struct task_struct *t, enum pid_type type)
{
	struct pid *p = task_pid_of(t, type);
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up = {};
	bpf_core_read(&up, sizeof(up), &p->numbers[level & 31]);
	return up.nr;
}

static __always_inline unsigned int task_pidns_level(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	if (!p)
		return 0;
	return BPF_CORE_READ(p, level);
}

/* Start time (monotonic ns) of the init task of the task's pid namespace. */
static __always_inline __u64 task_pidns_start(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up = {};
	bpf_core_read(&up, sizeof(up), &p->numbers[level & 31]);
	if (!up.ns)
		return 0;
	return BPF_CORE_READ(up.ns, child_reaper, start_time);
}

/* Parent process id, as getppid() reports it. */
static __always_inline __s32 task_ppid(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, tgid);
}

static __always_inline __u64 task_fdlimit(struct task_struct *t)
{
	return BPF_CORE_READ(t, signal, rlim[L_RLIMIT_NOFILE].rlim_cur);
}

static __always_inline __u32 mm_counter_kb(struct mm_struct *mm, int member)
{
	__s64 v = BPF_CORE_READ(mm, rss_stat[member].count);
	if (v < 0)
		v = 0;
	return (__u32)(v << (L_PAGE_SHIFT - 10));
}

static __always_inline __u32 mm_vm_size_kb(struct mm_struct *mm)
{
	if (!mm)
		return 0;
	return (__u32)(BPF_CORE_READ(mm, total_vm) << (L_PAGE_SHIFT - 10));
}

static __always_inline __u32 mm_vm_rss_kb(struct mm_struct *mm)
{
	if (!mm)
		return 0;
	return mm_counter_kb(mm, MM_FILEPAGES) + mm_counter_kb(mm, MM_ANONPAGES) +
	       mm_counter_kb(mm, MM_SHMEMPAGES);
}

static __always_inline __u32 mm_vm_swap_kb(struct mm_struct *mm)
{
	if (!mm)
		return 0;
	return mm_counter_kb(mm, MM_SWAPENTS);
}

static __always_inline __u64 cap_read(const kernel_cap_t *c)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), c);
	return v;
}

static __always_inline __u32 task_loginuid(struct task_struct *t)
{
	if (bpf_core_field_exists(t->loginuid))
		return BPF_CORE_READ(t, loginuid.val);
	return 0xffffffff;
}

/* Controlling terminal, encoded like new_encode_dev(); 0 when none. */
static __always_inline __u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	int index = BPF_CORE_READ(tty, index);
	__u32 major = BPF_CORE_READ(tty, driver, major);
	__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + index;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}

/* ---------------------------------------------------------------- files */

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * fd_file looks fd up in the current task's table. The walk uses direct
 * (fault-safe) loads through BTF pointers rather than one probe read per
 * hop; only the slot of the fd array needs a probe read, and the file
 * pointer is cast back to a BTF pointer for its callers.
 */
static __always_inline struct file *fd_file(long fd)
{
	if (fd < 0)
		return NULL;
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	if (!fdt || (unsigned long)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return NULL;
	return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

static __always_inline void file_dev_ino(struct file *f, __u32 *dev, __u64 *ino)
{
	*dev = 0;
	*ino = 0;
	if (!f)
		return;
	struct inode *i = f->f_inode;
	if (!i)
		return;
	*dev = i->i_sb->s_dev;
	*ino = i->i_ino;
}

static __always_inline __u64 ts_ns(__s64 sec, __s64 nsec)
{
	return (__u64)sec * 1000000000ULL + (__u64)nsec;
}

static __always_inline __u64 inode_ctime(struct inode *i)
{
	if (!i)
		return 0;
	if (bpf_core_field_exists(i->i_ctime_sec))
		return ts_ns(BPF_CORE_READ(i, i_ctime_sec), BPF_CORE_READ(i, i_ctime_nsec));
	struct inode___timespec *it = (void *)i;
	if (bpf_core_field_exists(it->__i_ctime))
		return ts_ns(BPF_CORE_READ(it, __i_ctime.tv_sec), BPF_CORE_READ(it, __i_ctime.tv_nsec));
	struct inode___old *io = (void *)i;
	return ts_ns(BPF_CORE_READ(io, i_ctime.tv_sec), BPF_CORE_READ(io, i_ctime.tv_nsec));
}

static __always_inline __u64 inode_mtime(struct inode *i)
{
	if (!i)
		return 0;
	if (bpf_core_field_exists(i->i_mtime_sec))
		return ts_ns(BPF_CORE_READ(i, i_mtime_sec), BPF_CORE_READ(i, i_mtime_nsec));
	struct inode___old *io = (void *)i;
	return ts_ns(BPF_CORE_READ(io, i_mtime.tv_sec), BPF_CORE_READ(io, i_mtime.tv_nsec));
}

/* A simplified inode_permission(MAY_WRITE) for the exe writable flag. */
static __always_inline bool exe_writable(struct task_struct *t, struct inode *i)
{
	if (!i)
		return false;
	const struct cred *cred = BPF_CORE_READ(t, cred);
	__u64 eff = cap_read(&cred->cap_effective);
	if (eff & (1ULL << L_CAP_DAC_OVERRIDE))
		return true;
	umode_t mode = BPF_CORE_READ(i, i_mode);
	__u32 fsuid = BPF_CORE_READ(cred, fsuid.val);
	__u32 fsgid = BPF_CORE_READ(cred, fsgid.val);
	if (BPF_CORE_READ(i, i_uid.val) == fsuid)
		return mode & L_S_IWUSR;
	if (BPF_CORE_READ(i, i_gid.val) == fsgid)
		return mode & L_S_IWGRP;
	return mode & L_S_IWOTH;
}

static __always_inline bool exe_from_memfd(struct file *f)
{
	if (!f)
		return false;
	const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	char buf[7] = {};
	bpf_probe_read_kernel(buf, 6, name);
	return buf[0] == 'm' && buf[1] == 'e' && buf[2] == 'm' && buf[3] == 'f' && buf[4] == 'd' &&
	       buf[5] == ':';
}

/*
 * Path building. Names are collected leaf-first into s->comps by a walk up
 * the tree, then written root-first. Both loops run under bpf_loop so the
 * verifier checks each body once, whatever the depth.
 */
/*
 * The loop state lives in the scratch map, not in the callback context: the
 * verifier then sees the same state on every iteration and checks the body
 * once instead of once per iteration.
 */
static long write_comp(__u64 j, struct scratch **ps)
{
	struct scratch *s = *ps;
	__u32 n = s->walk_n;
	if (j >= n)
		return 1;
	__u32 idx = n - 1 - (__u32)j;
	const char *name = (const char *)s->comps[idx & (MAX_COMPONENTS - 1)];
	__u64 p = s->walk_pos;
	s->data[p & OFF_MASK] = '/';
	p++;
	long r = bpf_probe_read_kernel_str(&s->data[p & OFF_MASK], MAX_NAME, name);
	if (r > 1)
		p += r - 1;
	s->walk_pos = p;
	return 0;
}

/* put_comps writes s->comps[0..walk_n) as "/a/b/c" plus a NUL at p; returns the end. */
static __always_inline __u64 put_comps(struct scratch *s, __u64 p)
{
	if (s->walk_n == 0) {
		s->data[p & OFF_MASK] = '/';
		s->data[(p + 1) & OFF_MASK] = 0;
		return p + 2;
	}
	s->walk_pos = p;
	bpf_loop(MAX_COMPONENTS, write_comp, &s, 0);
	p = s->walk_pos;
	s->data[p & OFF_MASK] = 0;
	return p + 1;
}

struct walk_ctx {
	struct scratch *s;
	struct dentry *d;
	struct mount *m;
	struct dentry *mnt_root;
};

static long walk_dentry(__u64 i, struct walk_ctx *c)
{
	struct dentry *d = c->d;
	if (d == c->mnt_root) {
		struct mount *m = c->m;
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (!parent || parent == m)
			return 1;
		c->d = BPF_CORE_READ(m, mnt_mountpoint);
		c->m = parent;
		c->mnt_root = BPF_CORE_READ(parent, mnt.mnt_root);
		return 0;
	}
	struct dentry *pd = BPF_CORE_READ(d, d_parent);
	struct scratch *s = c->s;
	__u32 n = s->walk_n;
	if (!pd || pd == d || n >= MAX_COMPONENTS)
		return 1;
	s->comps[n & (MAX_COMPONENTS - 1)] = (__u64)BPF_CORE_READ(d, d_name.name);
	s->walk_n = n + 1;
	c->d = pd;
	return 0;
}

/* ev_path writes the absolute path of (dentry, vfsmount), crossing mounts. */
static __always_inline void ev_path(struct scratch *s, struct dentry *d, struct vfsmount *vm)
{
	if (!d || !vm) {
		ev_empty(s);
		return;
	}
	struct walk_ctx c = {
		.s = s,
		.d = d,
		.m = container_of(vm, struct mount, mnt),
		.mnt_root = BPF_CORE_READ(vm, mnt_root),
	};
	s->walk_n = 0;
	bpf_loop(2 * MAX_COMPONENTS, walk_dentry, &c, 0);
	__u64 start = s->pos;
	__u64 end = put_comps(s, start);
	ev_advance(s, end - start);
}

static __always_inline void ev_file_path(struct scratch *s, struct file *f)
{
	if (!f) {
		ev_empty(s);
		return;
	}
	ev_path(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
}

static __always_inline void ev_fs_path(struct scratch *s, struct task_struct *t, bool root)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	if (!fs) {
		ev_empty(s);
		return;
	}
	if (root)
		ev_path(s, BPF_CORE_READ(fs, root.dentry), BPF_CORE_READ(fs, root.mnt));
	else
		ev_path(s, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt));
}

/* ---------------------------------------------------------------- cgroups */

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	struct kernfs_node___old *old = (void *)kn;
	return (struct kernfs_node *)BPF_CORE_READ(old, parent);
}

struct kn_ctx {
	struct scratch *s;
	struct kernfs_node *kn;
};

static long walk_kn(__u64 i, struct kn_ctx *c)
{
	struct kernfs_node *kn = c->kn;
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	struct scratch *s = c->s;
	__u32 n = s->walk_n;
	if (!parent || n >= MAX_COMPONENTS)
		return 1; /* the root has no name in the path */
	s->comps[n & (MAX_COMPONENTS - 1)] = (__u64)BPF_CORE_READ(kn, name);
	s->walk_n = n + 1;
	c->kn = parent;
	return 0;
}

/* cgroup_entry appends "subsys=/path\0" for one controller at s->pos. */
static __always_inline void cgroup_entry(struct scratch *s, struct task_struct *t, int id,
					 const char *subsys, int subsys_len)
{
	struct kn_ctx c = {.s = s, .kn = BPF_CORE_READ(t, cgroups, subsys[id], cgroup, kn)};
	s->walk_n = 0;
	bpf_loop(MAX_COMPONENTS, walk_kn, &c, 0);
	__u64 p = s->pos;
	bpf_probe_read_kernel(&s->data[p & OFF_MASK], subsys_len & 15, subsys);
	p += subsys_len;
	s->data[p & OFF_MASK] = '=';
	s->pos = put_comps(s, p + 1);
}

/* ev_cgroups writes the cgroups param: "cpuset=/..\0cpu=/..\0...". */
static __always_inline void ev_cgroups(struct scratch *s, struct task_struct *t)
{
	__u64 start = s->pos;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id))
		cgroup_entry(s, t, bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id), "cpuset", 6);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		cgroup_entry(s, t, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id), "cpu", 3);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id))
		cgroup_entry(s, t, bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id), "cpuacct", 7);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, io_cgrp_id))
		cgroup_entry(s, t, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id), "io", 2);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		cgroup_entry(s, t, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id), "memory", 6);
	__u64 n = s->pos - start;
	s->pos = start;
	ev_advance(s, n);
}

/* ---------------------------------------------------------------- sockets */

static __always_inline struct socket *file_socket(struct file *f)
{
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & L_S_IFMT) != L_S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

static __always_inline struct sock *fd_sock(long fd)
{
	struct socket *sock = file_socket(fd_file(fd));
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline __u16 bswap16(__u16 v)
{
	return (v >> 8) | (v << 8);
}

/* Writes a unix socket's bound path (abstract names lose their leading NUL). */
static __always_inline __u64 put_unix_path(struct scratch *s, __u64 p, struct sock *sk)
{
	struct unix_sock *us = (struct unix_sock *)sk;
	struct unix_address *addr = sk ? BPF_CORE_READ(us, addr) : NULL;
	long r = 0;
	if (addr) {
		char *path = (char *)&addr->name[0].sun_path[0];
		char first = 0;
		bpf_probe_read_kernel(&first, 1, path);
		if (first == 0)
			path++;
		r = bpf_probe_read_kernel_str(&s->data[p & OFF_MASK], 108, path);
	}
	if (r <= 0) {
		s->data[p & OFF_MASK] = 0;
		r = 1;
	}
	return p + r;
}

/*
 * ev_tuple writes a SOCKTUPLE for sk. peer_first orders the addresses peer
 * then local (accept); otherwise local then peer (connect): client first.
 */
static __always_inline void ev_tuple(struct scratch *s, struct sock *sk, bool peer_first)
{
	if (!sk) {
		ev_empty(s);
		return;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u64 p = s->pos;
	if (family == L_AF_INET) {
		__u32 lip = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u32 rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u16 rport = bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (peer_first) {
			__u32 ti = lip;
			lip = rip;
			rip = ti;
			__u16 tp = lport;
			lport = rport;
			rport = tp;
		}
		s->data[p & OFF_MASK] = PPM_AF_INET;
		*(__u32 *)&s->data[(p + 1) & OFF_MASK] = lip;
		*(__u16 *)&s->data[(p + 5) & OFF_MASK] = lport;
		*(__u32 *)&s->data[(p + 7) & OFF_MASK] = rip;
		*(__u16 *)&s->data[(p + 11) & OFF_MASK] = rport;
		ev_advance(s, 13);
		return;
	}
	if (family == L_AF_INET6) {
		struct in6_addr l = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr r = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		struct in6_addr *a = peer_first ? &r : &l;
		struct in6_addr *b = peer_first ? &l : &r;
		__u16 ap = peer_first ? rport : lport;
		__u16 bp = peer_first ? lport : rport;
		s->data[p & OFF_MASK] = PPM_AF_INET6;
		__builtin_memcpy(&s->data[(p + 1) & OFF_MASK], a, 16);
		*(__u16 *)&s->data[(p + 17) & OFF_MASK] = ap;
		__builtin_memcpy(&s->data[(p + 19) & OFF_MASK], b, 16);
		*(__u16 *)&s->data[(p + 35) & OFF_MASK] = bp;
		ev_advance(s, 37);
		return;
	}
	if (family == L_AF_UNIX) {
		struct unix_sock *us = (struct unix_sock *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		__u64 src = (__u64)sk, dst = (__u64)peer;
		s->data[p & OFF_MASK] = PPM_AF_UNIX;
		*(__u64 *)&s->data[(p + 1) & OFF_MASK] = src;
		*(__u64 *)&s->data[(p + 9) & OFF_MASK] = dst;
		/* The server's bound name: the peer's for connect, ours for accept. */
		__u64 end = put_unix_path(s, p + 17, peer_first ? sk : peer);
		ev_advance(s, end - p);
		return;
	}
	ev_empty(s);
}

/* ev_user_sockaddr writes a SOCKADDR param from a user struct sockaddr. */
static __always_inline void ev_user_sockaddr(struct scratch *s, const void *uaddr, unsigned long alen)
{
	__u16 family = 0;
	if (!uaddr || alen < 2 || bpf_probe_read_user(&family, sizeof(family), uaddr) != 0) {
		ev_empty(s);
		return;
	}
	__u64 p = s->pos;
	if (family == L_AF_INET) {
		struct sockaddr_in in = {};
		if (bpf_probe_read_user(&in, sizeof(in), uaddr) != 0) {
			ev_empty(s);
			return;
		}
		s->data[p & OFF_MASK] = PPM_AF_INET;
		*(__u32 *)&s->data[(p + 1) & OFF_MASK] = in.sin_addr.s_addr;
		*(__u16 *)&s->data[(p + 5) & OFF_MASK] = bswap16(in.sin_port);
		ev_advance(s, 7);
		return;
	}
	if (family == L_AF_INET6) {
		struct sockaddr_in6 in6 = {};
		if (bpf_probe_read_user(&in6, sizeof(in6), uaddr) != 0) {
			ev_empty(s);
			return;
		}
		s->data[p & OFF_MASK] = PPM_AF_INET6;
		__builtin_memcpy(&s->data[(p + 1) & OFF_MASK], &in6.sin6_addr, 16);
		*(__u16 *)&s->data[(p + 17) & OFF_MASK] = bswap16(in6.sin6_port);
		ev_advance(s, 19);
		return;
	}
	if (family == L_AF_UNIX) {
		const char *path = (const char *)uaddr + 2;
		char first = 0;
		bpf_probe_read_user(&first, 1, path);
		if (first == 0)
			path++;
		s->data[p & OFF_MASK] = PPM_AF_UNIX;
		long r = bpf_probe_read_user_str(&s->data[(p + 1) & OFF_MASK], 108, path);
		if (r <= 0) {
			s->data[(p + 1) & OFF_MASK] = 0;
			r = 1;
		}
		ev_advance(s, 1 + r);
		return;
	}
	ev_empty(s);
}
