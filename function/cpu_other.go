//go:build !linux

package function

// threadID is 0 where threads' CPU clocks can't be read: the budget is then wall time.
func threadID() int { return 0 }

// threadCPU returns -1: no per-thread CPU clock here.
func threadCPU(int) int64 { return -1 }
