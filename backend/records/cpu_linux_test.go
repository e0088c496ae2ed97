package records

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the benchmark goroutine's thread CPU time, which a machine shared with other work
// inflates much less than wall time.
type cpuClock struct{ start time.Duration }

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B) *cpuClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &cpuClock{start: threadCPU()}
}

// report adds cpu-ns/op and, when bytes > 0, cpu-MB/s.
func (c *cpuClock) report(b *testing.B, bytes int64) {
	d := threadCPU() - c.start
	if d <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if bytes > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}
