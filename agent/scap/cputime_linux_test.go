package scap_test

import (
	"syscall"
	"time"
)

// cpuTime returns the user+system CPU time of the process, so benchmarks
// can report throughput per CPU second on machines shared with other
// work, where wall time is noisy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
