// Package bpf is the kernel half of the agent: an eBPF capture probe that
// emits syscall events in the scap event layout (the one .scap captures
// use), so one decoder serves captures and live events.
//
// The probe hooks tp_btf/sys_exit with a single dispatcher that drops
// syscalls outside the interesting set (an array map written by
// SetSyscalls) and the agent's own threads before reserving ring space, then
// tail-calls a per-syscall exit program. Process creation, successful exec
// and exit come from the sched_process_fork/exec/exit tracepoints, as in
// Falco's modern probe. Events go to one BPF ring buffer without wakeups;
// Read polls the mapped ring and hands out batches of raw records. Stats
// sums the per-CPU counters (events, ring-full drops, oversized events).
// Snapshot and Files dump the process and file tables through BPF task and
// task_file iterators, for seeding the agent's state.
//
// Requirements: linux/amd64, Linux 6.2 or later with BTF
// (/sys/kernel/btf/vmlinux; the probe uses ring buffers, tp_btf programs,
// bpf_loop, sleepable task iterators and the bpf_rdonly_cast kfunc), and
// the capabilities CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN). Neither
// tracefs nor bpffs is needed. Elsewhere Load returns ErrUnsupported.
//
// The BPF objects are compiled from c/ by gen.sh (make bpf) and committed,
// so building needs no clang.
package bpf
