package bench

import (
	"os"
	"testing"
	"testing/synctest"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tedge\nVmPeak:\t  100 kB\nVmRSS:\t   2048 kB\nThreads: 3\n", 2048 << 10, true},
		{"VmRSS: 1 kB", 1024, true},
		{"Name: x\n", 0, false},
		{"VmRSS: 12 MB\n", 0, false},
		{"VmRSS: -4 kB\n", 0, false},
		{"VmRSS: x kB\n", 0, false},
	}
	for _, tc := range tests {
		got, err := parseVmRSS([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseVmRSS(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestWatchRSS(t *testing.T) {
	// In a synctest bubble the sampling ticker runs on the bubble's clock: 30 ms of it is six
	// ticks, whatever the machine's load.
	synctest.Test(t, func(t *testing.T) {
		w, err := watchRSS(os.Getpid(), 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond) // advances the bubble's clock once the sampler waits
		rep := w.finish()
		// 1 sample at the start, 5 or 6 ticks (the 6th is due with the wake-up), 1 at finish.
		if rep.Samples < 7 || rep.MaxRSS < 1<<20 || rep.LastRSS > rep.MaxRSS || rep.PID != os.Getpid() {
			t.Fatalf("rss report %+v", rep)
		}
	})
	if _, err := watchRSS(-5, time.Second); err == nil {
		t.Fatal("watching pid -5 worked")
	}
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add([]byte("VmRSS:\t 2048 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := parseVmRSS(b); err == nil && n < 0 {
			t.Fatalf("negative rss %d", n)
		}
	})
}
