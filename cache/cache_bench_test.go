package cache

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// hitStore returns a Store holding one entry under key, with nExact exact and nPrefix prefix
// invalidations of other paths recorded after the entry was stored, so that Get runs every
// registry check and still hits.
func hitStore(tb testing.TB, key string, nExact, nPrefix int) *Store {
	tb.Helper()
	now := time.Now()
	s := newStore(tb, Config{MaxBytes: 64 << 20})
	e := mkEntry(key, "D1", "/video/a.ism/QualityLevels(400000)/Fragments(video=0)", now.Add(-time.Minute))
	if !s.Set(e) {
		tb.Fatal("Set: got false")
	}
	for i := range nExact {
		s.Invalidate("D1", []string{fmt.Sprintf("/other/%d.jpg", i)}, now.Add(-time.Duration(i)*time.Second))
	}
	for i := range nPrefix {
		s.Invalidate("D1", []string{fmt.Sprintf("/video/b%d*", i)}, now.Add(-time.Duration(i)*time.Second))
	}
	if s.Get([]byte(key)) != e {
		tb.Fatal("Get: want a hit")
	}
	return s
}

// BenchmarkGetHit measures a hit, alone and with invalidation records of other paths that Get
// must check. BenchmarkGetHitRistretto is the bare ristretto Get it builds on.
func BenchmarkGetHit(b *testing.B) {
	for _, n := range []int{0, 10, 40} {
		b.Run(fmt.Sprintf("invalidations=%d+%d", n, n), func(b *testing.B) {
			s := hitStore(b, "k", n, n)
			key := []byte("k")
			b.ReportAllocs()
			for b.Loop() {
				if s.Get(key) == nil {
					b.Fatal("miss")
				}
			}
		})
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	s := hitStore(b, "k", 10, 10)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := []byte("k")
		for pb.Next() {
			if s.Get(key) == nil {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkGetHitRistretto(b *testing.B) {
	c, err := ristretto.NewCache(&ristretto.Config[[]byte, *Entry]{
		NumCounters: 1e5, MaxCost: 64 << 20, BufferItems: 64, Metrics: true, IgnoreInternalCost: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	key := []byte("k")
	c.SetWithTTL(key, &Entry{Key: key}, 1, time.Hour)
	c.Wait()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get(key); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkSet measures Set of a new key, which includes waiting for ristretto to apply it.
// BenchmarkSetNoWait is the bare buffered ristretto SetWithTTL: the difference is the price of
// the visibility guarantee. Both allocate a key and an Entry per iteration, as a miss does.
func BenchmarkSet(b *testing.B) {
	s := newStore(b, Config{MaxBytes: 1 << 30})
	now := time.Now()
	body := make([]byte, 4096)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		e := &Entry{Key: strconv.AppendInt([]byte("GET|/obj/"), int64(i), 10), Path: "/obj", Body: body, Stored: now, Expires: now.Add(time.Hour)}
		i++
		if !s.Set(e) {
			b.Fatal("Set: got false")
		}
	}
}

func BenchmarkSetNoWait(b *testing.B) {
	c, err := ristretto.NewCache(&ristretto.Config[[]byte, *Entry]{
		NumCounters: 1e6, MaxCost: 1 << 30, BufferItems: 64, Metrics: true, IgnoreInternalCost: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	body := make([]byte, 4096)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		e := &Entry{Key: strconv.AppendInt([]byte("GET|/obj/"), int64(i), 10), Path: "/obj", Body: body, Stored: now, Expires: now.Add(time.Hour)}
		i++
		c.SetWithTTL(e.Key, e, e.Size(), time.Hour)
	}
}

func BenchmarkSetParallel(b *testing.B) {
	s := newStore(b, Config{MaxBytes: 1 << 30})
	now := time.Now()
	body := make([]byte, 4096)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := &Entry{Key: strconv.AppendInt([]byte("GET|/obj/"), n.Add(1), 10), Path: "/obj", Body: body, Stored: now, Expires: now.Add(time.Hour)}
			if !s.Set(e) {
				b.Fatal("Set: got false")
			}
		}
	})
}

// BenchmarkInvalidate measures recording one path with 1,000 records already held.
func BenchmarkInvalidate(b *testing.B) {
	s := newStore(b, Config{MaxBytes: 1 << 20})
	now := time.Now()
	for i := range 1000 {
		s.Invalidate("D1", []string{fmt.Sprintf("/p/%d", i)}, now)
	}
	paths := []string{"/q/x.jpg"}
	b.ReportAllocs()
	for b.Loop() {
		s.Invalidate("D1", paths, now)
	}
}

// BenchmarkGroupDo measures an uncontended Do (the leader's overhead on every miss), and many
// goroutines collapsing onto a few keys.
func BenchmarkGroupDo(b *testing.B) {
	b.Run("uncontended", func(b *testing.B) {
		var g Group[int]
		fn := func() (int, error) { return 1, nil }
		b.ReportAllocs()
		for b.Loop() {
			if v, _, _ := g.Do("GET|/a.jpg", fn); v != 1 {
				b.Fatal("wrong value")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var g Group[int]
		keys := []string{"a", "b", "c", "d"}
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			k := keys[n.Add(1)%int64(len(keys))]
			for pb.Next() {
				if v, _, _ := g.Do(k, func() (int, error) { return 1, nil }); v != 1 {
					b.Fatal("wrong value")
				}
			}
		})
	})
}
