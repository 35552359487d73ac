package disk

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestStartup100k: with 100,000 objects on disk, Open returns at once and the first Get (of
// any object, the scan having reached it or not) is a hit within 2 s of Open being called; the
// scan then indexes every object. The durations are logged:
//
//	go test -run TestStartup100k -v ./disk
//
// With DISK_DROP_CACHES=1 (root only) the page cache is dropped before Open, for a cold start.
func TestStartup100k(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	cfg := testConfig(t)
	cfg.MaxBytes = 1 << 30
	// Write the files directly (as Put would lay them out), on a few goroutines.
	made := time.Now()
	now := time.Now()
	var wg sync.WaitGroup
	const writers = 8
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				key := fmt.Sprint("/D1/startup/", i)
				m := metaFor(key, now)
				m.Deadline = now.Add(24 * time.Hour)
				writeRaw(t, cfg.Dir, m, bodyFor(key, 200+i%2000))
			}
		})
	}
	wg.Wait()
	t.Logf("%d object files written in %v", n, time.Since(made))
	if os.Getenv("DISK_DROP_CACHES") == "1" {
		if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
			t.Fatalf("dropping the page cache: %v", err)
		}
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	s := openStore(t, cfg)
	opened := time.Since(start)
	r := rand.New(rand.NewPCG(uint64(start.UnixNano()), 2))
	key := fmt.Sprint("/D1/startup/", r.IntN(n))
	mustGet(t, s, key)
	first := time.Since(start)
	loading := s.Stats().Loading
	<-s.Loaded()
	scanned := time.Since(start)
	st := s.Stats()
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("Open returned in %v; first Get a hit after %v (scan still running: %v); scan of %d objects done after %v (%.1f µs an object); heap %+d KiB (%.0f bytes an object, the admission sketch included)",
		opened, first, loading, st.Loaded, scanned, float64(scanned.Microseconds())/float64(n),
		(int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(n))
	if first > 2*time.Second {
		t.Errorf("first hit %v after Open was called, want within 2 s", first)
	}
	if st.Objects != int64(n) || st.Corrupt != 0 || st.Errors != 0 {
		t.Errorf("%+v: want %d objects, no corrupt, no error", st, n)
	}
	// Every object is there (a sample: reading all would only measure the page cache).
	for range 100 {
		mustGet(t, s, fmt.Sprint("/D1/startup/", r.IntN(n)))
	}
}
