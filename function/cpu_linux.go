//go:build linux

package function

import "golang.org/x/sys/unix"

// threadID is the calling OS thread's id (the caller has locked its goroutine to the thread).
func threadID() int { return unix.Gettid() }

// threadCPU returns the CPU time thread tid has used, readable from any thread: the clock id
// of another thread's CPU clock is built as glibc's pthread_getcpuclockid builds it
// (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in the kernel's posix-timers.h). It returns -1
// when the clock can't be read.
func threadCPU(tid int) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(^tid<<3|6), &ts); err != nil {
		return -1
	}
	return ts.Nano()
}
