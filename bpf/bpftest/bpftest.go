// Package bpftest holds the gate every privileged (kernel) test goes through.
//
// Privileged skips a test with the reason when the machine cannot run BPF
// programs (not root, no BTF, not Linux), and fails it instead when
// FALCONER_PRIVILEGED_TESTS=1, so CI can never skip kernel tests silently.
package bpftest

import (
	"os"
	"runtime"
	"testing"
)

// EnvRequire is the variable that turns skips into failures.
const EnvRequire = "FALCONER_PRIVILEGED_TESTS"

// BTFPath is where the kernel exposes its BTF.
const BTFPath = "/sys/kernel/btf/vmlinux"

// Privileged skips (or, under FALCONER_PRIVILEGED_TESTS=1, fails) tb unless
// the process can load and attach the probe here.
func Privileged(tb testing.TB) {
	tb.Helper()
	if reason := Unavailable(); reason != "" {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("privileged test cannot run (%s=1 forbids skipping): %s", EnvRequire, reason)
		}
		tb.Skipf("privileged test skipped: %s (set %s=1 to fail instead)", reason, EnvRequire)
	}
}

// Unavailable returns why privileged tests cannot run, or "" if they can.
func Unavailable() string {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "needs linux/amd64, have " + runtime.GOOS + "/" + runtime.GOARCH
	}
	if os.Geteuid() != 0 {
		return "not running as root"
	}
	if _, err := os.Stat(BTFPath); err != nil {
		return "kernel has no BTF at " + BTFPath
	}
	return ""
}
