package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkGet measures a disk hit as the edge would make it: Get (hash, index, open, fstat,
// one pread of the header and metadata, checks), then Close, without reading the body (the
// body goes to the socket with sendfile). The object is already verified.
func BenchmarkGet(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 20} {
		b.Run(sizeName(n), func(b *testing.B) {
			s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 1 << 30})
			mustPut(b, s, "/D1/bench", n)
			key := []byte("/D1/bench")
			b.ReportAllocs()
			for b.Loop() {
				o, err := s.Get(key)
				if err != nil || o == nil {
					b.Fatal(o, err)
				}
				o.Close()
			}
		})
	}
}

// BenchmarkGetParallel is BenchmarkGet from GOMAXPROCS goroutines on 1,000 objects.
func BenchmarkGetParallel(b *testing.B) {
	s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 1 << 30})
	const objects = 1000
	for i := range objects {
		mustPut(b, s, fmt.Sprint("/D1/p/", i), 1<<10)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			o, err := s.Get(fmt.Appendf(nil, "/D1/p/%d", i%objects))
			if err != nil || o == nil {
				b.Fatal(o, err)
			}
			o.Close()
			i++
		}
	})
}

// BenchmarkGetRead is a 1 MiB hit read through a Go buffer (what sendfile avoids), for scale.
func BenchmarkGetRead(b *testing.B) {
	s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 1 << 30})
	mustPut(b, s, "/D1/bench", 1<<20)
	key := []byte("/D1/bench")
	buf := make([]byte, 256<<10)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		o, err := s.Get(key)
		if err != nil || o == nil {
			b.Fatal(o, err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{o.File}, buf); err != nil {
			b.Fatal(err)
		}
		o.Close()
	}
}

// BenchmarkGetFirstAfterRestart is the first Get of a 1 MiB object after Open: it also reads
// the body to verify its checksum (page cache warm).
func BenchmarkGetFirstAfterRestart(b *testing.B) {
	s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 1 << 30})
	mustPut(b, s, "/D1/bench", 1<<20)
	key := []byte("/D1/bench")
	h := hashKey(key)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		s.shard(h).m[h].verified.Store(false)
		o, err := s.Get(key)
		if err != nil || o == nil {
			b.Fatal(o, err)
		}
		o.Close()
	}
}

// BenchmarkPut measures storing a 1 MiB body: replacing one key, and new keys under a 256 MiB
// budget (so that evictions run once it is full, as in service).
func BenchmarkPut(b *testing.B) {
	const n = 1 << 20
	body := bodyFor("body", n)
	b.Run("1MiB/replace", func(b *testing.B) {
		s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 1 << 30})
		m := metaFor("/D1/bench", time.Now())
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Put(m, bytes.NewReader(body), n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("1MiB/new", func(b *testing.B) {
		s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 4 << 30})
		b.SetBytes(n)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m := metaFor(fmt.Sprint("/D1/bench/", i), time.Now())
			i++
			if err := s.Put(m, bytes.NewReader(body), n); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A new key the admission policy refuses (the budget is full of objects requested more
	// often): decided before anything is written.
	b.Run("1MiB/refused", func(b *testing.B) {
		s := openLoaded(b, Config{Dir: b.TempDir(), MaxBytes: 16 << 20})
		for i := range 15 {
			m := metaFor(fmt.Sprint("/D1/hot/", i), time.Now())
			if err := s.Put(m, bytes.NewReader(body), n); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 15 * 100 { // ristretto samples accesses 64 at a time: make them many
			if o, _ := s.Get(fmt.Appendf(nil, "/D1/hot/%d", i%15)); o != nil {
				o.Close()
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m := metaFor(fmt.Sprint("/D1/cold/", i), time.Now())
			i++
			if err := s.Put(m, bytes.NewReader(body), n); !errors.Is(err, ErrNotAdmitted) {
				b.Fatalf("Put of a cold key: %v, want ErrNotAdmitted", err)
			}
		}
	})
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}
