//go:build unix

package disk

import (
	"syscall"
	"testing"
)

// BenchmarkOpenFloor is the floor under BenchmarkGet: the bare system calls of a hit
// (openat, fstat, pread of 4 KiB, close) on the same file, with nothing else.
func BenchmarkOpenFloor(b *testing.B) {
	s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 1 << 30})
	mustPut(b, s, "/D1/bench", 1<<10)
	path := s.path(hashKey([]byte("/D1/bench")))
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			b.Fatal(err)
		}
		if _, err := syscall.Pread(fd, buf[:min(int64(len(buf)), st.Size)], 0); err != nil {
			b.Fatal(err)
		}
		syscall.Close(fd)
	}
}
