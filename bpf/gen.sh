#!/usr/bin/env bash
# Regenerates the committed BPF objects: probe_x86_bpfel.{go,o} from c/.
#
#   bpf/gen.sh            # compile the probe (needs clang-19, llvm-strip-19, libbpf-dev)
#   bpf/gen.sh vmlinux    # also refresh c/vmlinux.h from the running kernel's BTF (needs bpftool)
#
# BPF_OUT=dir writes the outputs to dir instead (the staleness test uses it).
#
# Source paths are passed relative to this directory and the compile
# directory is mapped to ".", so the object holds no machine paths and the
# output is the same in every checkout.
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = vmlinux ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > c/vmlinux.h
fi

CC=${BPF_CLANG:-clang-19}
STRIP=${BPF_STRIP:-llvm-strip-19}
GOPACKAGE=bpf go tool bpf2go -cc "$CC" -strip "$STRIP" -target amd64 -tags linux \
	-output-dir "${BPF_OUT:-.}" \
	-type counters \
	probe c/probe.bpf.c -- -I./c -O2 -g -Wall -Werror "-ffile-prefix-map=$PWD=."
