/*
 * Maps shared by every program, and the event builder.
 *
 * An event is assembled in a per-CPU scratch area in the scap layout:
 *
 *   ts u64 | tid u64 | len u32 | type u16 | nparams u32 | u16 len[nparams] | params
 *
 * then copied into the ring buffer with one bpf_ringbuf_output call, without
 * waking the reader (it polls). Offsets into the scratch area are masked with
 * OFF_MASK and every single write is at most MAX_EVENT bytes, so with a
 * scratch area of 2*MAX_EVENT bytes no write can leave it; an event whose
 * final length passes MAX_EVENT is counted as oversized and dropped.
 */
#pragma once

#define MAX_EVENT (64 * 1024)
#define OFF_MASK (MAX_EVENT - 1)
#define HDR_LEN 26
#define MAX_PATH 4096
#define MAX_ARGS 4096
#define MAX_NAME 256
#define MAX_COMPONENTS 32

/* Global settings, written by the loader before the programs load. */
volatile const __u32 self_tgid = 0;
volatile const __u64 boot_epoch_ns = 0;

struct counters {
	__u64 events;		/* events attempted (including the dropped ones) */
	__u64 drops_buffer;	/* ring buffer full */
	__u64 drops_oversize;	/* event larger than MAX_EVENT */
	__u64 drops_scratch;	/* no scratch area (should not happen) */
};

struct scratch {
	__u8 data[2 * MAX_EVENT];
	__u64 comps[MAX_COMPONENTS]; /* path walk: name pointers, leaf first */
	__u64 pos;		     /* next payload byte */
	__u64 lens;		     /* next length slot */
	__u64 tid;		     /* header tid */
	__u64 walk_pos;		     /* path writer position */
	__u32 walk_n;		     /* path names collected */
	__u32 nparams;
	__u16 type;
	__u8 bad; /* a parameter did not fit */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* replaced by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} stats SEC(".maps");

/* Indexed by CPU: per-CPU array values are limited to 32 KiB. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* replaced by the loader: possible CPUs */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* The task iterator builds its records here (it may sleep and migrate). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} iter_scratch SEC(".maps");

/* interesting[nr] != 0: emit events for syscall nr; see SLOT_* for the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} interesting SEC(".maps");

/* Per-syscall exit programs, filled by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u32);
} exit_progs SEC(".maps");

static __always_inline struct counters *counters_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline bool is_interesting(__u32 slot)
{
	__u8 *on = bpf_map_lookup_elem(&interesting, &slot);
	return on && *on;
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s) {
		struct counters *c = counters_get();
		if (c)
			c->drops_scratch++;
	}
	return s;
}

static __always_inline struct scratch *iter_scratch_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&iter_scratch, &zero);
}

static __always_inline void ev_begin(struct scratch *s, __u16 type, __u32 nparams)
{
	s->type = type;
	s->nparams = nparams;
	s->lens = HDR_LEN;
	s->pos = HDR_LEN + 2 * nparams;
	s->tid = bpf_get_current_pid_tgid() & 0xffffffff;
	s->bad = 0;
}

static __always_inline void ev_len(struct scratch *s, __u16 n)
{
	__u64 l = s->lens;
	*(__u16 *)&s->data[l & OFF_MASK] = n;
	s->lens = l + 2;
}

static __always_inline void ev_advance(struct scratch *s, __u64 n)
{
	__u64 p = s->pos + n;
	if (p > MAX_EVENT)
		s->bad = 1;
	s->pos = p;
	ev_len(s, n);
}

static __always_inline void ev_u8(struct scratch *s, __u8 v)
{
	s->data[s->pos & OFF_MASK] = v;
	ev_advance(s, 1);
}

static __always_inline void ev_u16(struct scratch *s, __u16 v)
{
	*(__u16 *)&s->data[s->pos & OFF_MASK] = v;
	ev_advance(s, 2);
}

static __always_inline void ev_u32(struct scratch *s, __u32 v)
{
	*(__u32 *)&s->data[s->pos & OFF_MASK] = v;
	ev_advance(s, 4);
}

static __always_inline void ev_u64(struct scratch *s, __u64 v)
{
	*(__u64 *)&s->data[s->pos & OFF_MASK] = v;
	ev_advance(s, 8);
}

static __always_inline void ev_empty(struct scratch *s)
{
	ev_len(s, 0);
}

/* ev_user_str stores a NUL-terminated user string (length includes the NUL). */
static __always_inline void ev_user_str(struct scratch *s, const void *ptr, __u32 max)
{
	long n = 0;
	if (ptr)
		n = bpf_probe_read_user_str(&s->data[s->pos & OFF_MASK], max, ptr);
	if (n <= 0) {
		ev_empty(s);
		return;
	}
	ev_advance(s, n);
}

static __always_inline void ev_kernel_str(struct scratch *s, const void *ptr, __u32 max)
{
	long n = 0;
	if (ptr)
		n = bpf_probe_read_kernel_str(&s->data[s->pos & OFF_MASK], max, ptr);
	if (n <= 0) {
		ev_empty(s);
		return;
	}
	ev_advance(s, n);
}

/* ev_user_bytes stores n (at most MAX_ARGS) bytes of user memory. */
static __always_inline void ev_user_bytes(struct scratch *s, const void *ptr, __u64 n)
{
	if (!ptr || n == 0) {
		ev_empty(s);
		return;
	}
	if (n > MAX_ARGS)
		n = MAX_ARGS;
	n &= (2 * MAX_ARGS - 1);
	if (bpf_probe_read_user(&s->data[s->pos & OFF_MASK], n, ptr) != 0) {
		ev_empty(s);
		return;
	}
	ev_advance(s, n);
}

/* ev_submit finishes the header and copies the event into the ring. */
static __always_inline void ev_submit(struct scratch *s)
{
	struct counters *c = counters_get();
	if (c)
		c->events++;
	__u64 len = s->pos;
	if (s->bad || len > MAX_EVENT) {
		if (c)
			c->drops_oversize++;
		return;
	}
	*(__u64 *)&s->data[0] = bpf_ktime_get_boot_ns() + boot_epoch_ns;
	*(__u64 *)&s->data[8] = s->tid;
	*(__u32 *)&s->data[16] = (__u32)len;
	*(__u16 *)&s->data[20] = s->type;
	*(__u32 *)&s->data[22] = s->nparams;
	if (bpf_ringbuf_output(&events, s->data, len & (2 * MAX_EVENT - 1), BPF_RB_NO_WAKEUP) != 0) {
		if (c)
			c->drops_buffer++;
	}
}
