package accesslog

import (
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestWriteAllocs fails if Write allocates once warmed up, into a file and into an
// io.Writer, and for a record whose time comes from Config.Now. The 8 KiB buffers swap every
// ~20 records, so the flusher's hand-over is measured too. MaxPending keeps the pool at four
// buffers, so that a flusher slow to be scheduled makes Write drop rather than grow the pool
// (growing allocates, once per buffer, and is tested by TestSlowDestinationDrops).
func TestWriteAllocs(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(t *testing.T) Config
		zero bool // leave Record.Time zero
	}{
		{"file", func(t *testing.T) Config {
			return Config{Path: filepath.Join(t.TempDir(), "access.log"), BufferSize: 8 << 10, MaxPending: 32 << 10}
		}, false},
		{"writer", func(*testing.T) Config { return Config{W: io.Discard, BufferSize: 8 << 10, MaxPending: 32 << 10} }, false},
		{"zero time", func(*testing.T) Config { return Config{W: io.Discard, BufferSize: 8 << 10, MaxPending: 32 << 10} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := sampleRecords()
			if tt.zero {
				for i := range recs {
					recs[i].r.Time = time.Time{}
				}
			}
			w := mustNew(t, tt.cfg(t))
			for range 100 { // warm up: the scratch line reaches the longest record
				for i := range recs {
					w.Write(&recs[i].r)
				}
			}
			if avg := testing.AllocsPerRun(2000, func() { w.Write(&recs[0].r) }); avg != 0 {
				t.Errorf("Write: %v allocs per record, want 0", avg)
			}

			// AllocsPerRun rounds down and counts the whole process. Count exactly over many
			// records: one allocation per record would give n, one per buffer swap about n/20.
			// The runtime allocates a little for itself meanwhile, outside Write: about six
			// objects each time it starts an OS thread to run the woken flusher (runtime.allocm),
			// the odd sudog or scavenger timer. 9-20 per run were seen over 900 runs.
			const n = 20000
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := range n {
				w.Write(&recs[i%len(recs)].r)
			}
			runtime.ReadMemStats(&after)
			if got := after.Mallocs - before.Mallocs; got > n/200 {
				t.Errorf("%d Writes made %d allocations, want none (at most %d from the runtime itself)", n, got, n/200)
			}
		})
	}
}
