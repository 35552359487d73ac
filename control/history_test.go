package control

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// heapInUse returns the heap bytes in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rssBytes returns the process's resident set size from /proc/self/status, or 0 where that file
// does not exist.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// BenchmarkInvalidationHistory replays the growth scenario: 120 CreateInvalidation batches of
// 3,000 distinct paths each, sent by the SDK to the API over 127.0.0.1 with a real cache.Store
// behind it (every batch completes at once, so the in-progress limits allow them all). It
// reports the heap in use after GC and the RSS growth over the run, and the duration of the
// last request.
//
//	go test -run '^$' -bench InvalidationHistory -benchtime 1x ./control/
func BenchmarkInvalidationHistory(b *testing.B) {
	const batches, perBatch = 120, MaxBatchPaths
	for range b.N {
		b.StopTimer()
		h := newHarness(b, nil, nil)
		cf := h.cf()
		ctx := context.Background()
		heap0, rss0 := heapInUse(), rssBytes()
		b.StartTimer()
		var last time.Duration
		for i := range batches {
			paths := make([]string, perBatch)
			for j := range paths {
				paths[j] = fmt.Sprintf("/assets/build-%03d/chunk-%04d.js", i, j)
			}
			in := createInput(distMain, fmt.Sprintf("history-%d", i), paths...)
			start := time.Now()
			if _, err := cf.CreateInvalidation(ctx, in); err != nil {
				b.Fatalf("batch %d: %v", i, err)
			}
			last = time.Since(start)
			h.clock.Advance(time.Second)
		}
		b.StopTimer()
		heap1, rss1 := heapInUse(), rssBytes()
		b.ReportMetric(float64(heap1)/(1<<20), "heap-MiB")
		b.ReportMetric((float64(heap1)-float64(heap0))/(1<<20), "heap-growth-MiB")
		b.ReportMetric(float64(rss1)/(1<<20), "rss-MiB")
		b.ReportMetric((float64(rss1)-float64(rss0))/(1<<20), "rss-growth-MiB")
		b.ReportMetric(float64(last.Microseconds())/1000, "last-request-ms")
		b.StartTimer()
	}
}
