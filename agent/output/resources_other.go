//go:build !linux

package output

import "time"

// cpuTime is not implemented off Linux.
func cpuTime() (time.Duration, bool) { return 0, false }

// memoryUsage is not implemented off Linux.
func memoryUsage() (rss, vsz uint64, ok bool) { return 0, 0, false }
