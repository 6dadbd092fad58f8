package bpf

// The probe is compiled by gen.sh (make bpf); the outputs probe_x86_bpfel.go
// and probe_x86_bpfel.o are committed so that building needs no clang.
//go:generate ./gen.sh
