package cache

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newStore returns a Store closed at the end of the test.
func newStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// mkEntry returns an entry fresh for an hour from stored.
func mkEntry(key, dist, path string, stored time.Time) *Entry {
	return &Entry{
		Key:     []byte(key),
		Dist:    dist,
		Path:    path,
		Status:  200,
		Header:  []Field{{Key: []byte("Content-Type"), Value: []byte("text/plain")}},
		Body:    []byte("body of " + key),
		Stored:  stored,
		Expires: stored.Add(time.Hour),
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring naming the field; "" means success
	}{
		{"minimal", Config{MaxBytes: 1}, ""},
		{"all set", Config{MaxBytes: 1 << 20, StaleFor: time.Minute, MaxEntryLifetime: time.Hour, NumCounters: 100, Now: time.Now}, ""},
		{"huge budget", Config{MaxBytes: 1 << 40}, ""},
		{"zero budget", Config{}, "MaxBytes"},
		{"negative budget", Config{MaxBytes: -1}, "MaxBytes"},
		{"negative stale", Config{MaxBytes: 1, StaleFor: -time.Second}, "StaleFor"},
		{"negative lifetime", Config{MaxBytes: 1, MaxEntryLifetime: -time.Second}, "MaxEntryLifetime"},
		{"negative counters", Config{MaxBytes: 1, NumCounters: -5}, "NumCounters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("got no error, want one naming %s", tt.wantErr)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want it to wrap ErrConfig", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tt.wantErr)) {
				t.Errorf("got %q, want it to name %s", err, tt.wantErr)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 1 << 20})
	if s.staleFor != DefaultStaleFor {
		t.Errorf("staleFor: got %v, want %v", s.staleFor, DefaultStaleFor)
	}
	if want := 365*24*time.Hour + DefaultStaleFor; s.maxLife != want {
		t.Errorf("maxLife: got %v, want %v", s.maxLife, want)
	}
}

func TestSetGetRoundTrip(t *testing.T) {
	clk := newFakeClock(t0)
	s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
	e := mkEntry("GET|example.com|/a.jpg", "D1", "/a.jpg", t0)
	if !s.Set(e) {
		t.Fatal("Set: got false, want true")
	}
	if got := s.Get([]byte("GET|example.com|/a.jpg")); got != e {
		t.Fatalf("Get: got %p, want the stored entry %p", got, e)
	}
	for _, k := range []string{"GET|example.com|/a.jpg ", "GET|example.com|/b.jpg", "", "get|example.com|/a.jpg"} {
		if got := s.Get([]byte(k)); got != nil {
			t.Errorf("Get(%q): got %p, want nil", k, got)
		}
	}
	// Replacement is visible at once.
	e2 := mkEntry("GET|example.com|/a.jpg", "D1", "/a.jpg", t0.Add(time.Second))
	if !s.Set(e2) {
		t.Fatal("Set replacement: got false")
	}
	if got := s.Get(e.Key); got != e2 {
		t.Fatalf("Get after replace: got %p, want %p", got, e2)
	}
	s.Delete(e.Key)
	if got := s.Get(e.Key); got != nil {
		t.Fatalf("Get after Delete: got %p, want nil", got)
	}
	st := s.Stats()
	if st.Hits != 2 || st.Misses != 5 || st.Sets != 2 || st.Rejected != 0 {
		t.Errorf("Stats: got %+v, want 2 hits, 5 misses, 2 sets, 0 rejected", st)
	}
}

// TestGetKeyMismatch stores an entry whose Key differs from the key it is stored under
// (which a hash collision would produce) and checks that Get refuses it.
func TestGetKeyMismatch(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 1 << 20})
	e := mkEntry("real-key", "D1", "/a", time.Now())
	if !s.c.SetWithTTL([]byte("other-key"), e, e.Size(), time.Hour) {
		t.Fatal("ristretto SetWithTTL: got false")
	}
	s.c.Wait()
	if got := s.Get([]byte("other-key")); got != nil {
		t.Fatalf("Get: got entry with Key %q under another key, want nil", got.Key)
	}
	if st := s.Stats(); st.Hits != 0 || st.Misses != 1 {
		t.Errorf("Stats: got %d hits %d misses, want 0 and 1", st.Hits, st.Misses)
	}
}

func TestSetRejects(t *testing.T) {
	clk := newFakeClock(t0)
	const budget = 4096
	s := newStore(t, Config{MaxBytes: budget, StaleFor: time.Minute, MaxEntryLifetime: 2 * time.Hour, Now: clk.Now})
	tests := []struct {
		name string
		e    *Entry
		want bool
	}{
		{"nil entry", nil, false},
		{"empty key", &Entry{Stored: t0, Expires: t0.Add(time.Hour)}, false},
		{"larger than budget", &Entry{Key: []byte("big"), Body: make([]byte, budget), Stored: t0, Expires: t0.Add(time.Hour)}, false},
		{"dead: expires+stale is now", &Entry{Key: []byte("dead"), Stored: t0.Add(-time.Hour), Expires: t0.Add(-time.Minute)}, false},
		{"stale but inside stale window", &Entry{Key: []byte("stale"), Stored: t0.Add(-time.Hour), Expires: t0.Add(-time.Second)}, true},
		{"stored longer ago than lifetime", &Entry{Key: []byte("old"), Stored: t0.Add(-3 * time.Hour), Expires: t0.Add(time.Hour)}, false},
		{"zero times", &Entry{Key: []byte("zero")}, false},
		{"fits exactly", &Entry{Key: []byte("fit"), Body: make([]byte, budget-entryOverhead-3), Stored: t0, Expires: t0.Add(time.Hour)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Set(tt.e); got != tt.want {
				t.Fatalf("Set: got %v, want %v", got, tt.want)
			}
			if tt.e != nil && len(tt.e.Key) > 0 {
				if got := s.Get(tt.e.Key) != nil; got != tt.want {
					t.Errorf("Get found: got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestGetDeadline checks Get against the Store's clock: stale entries are returned until
// Expires+StaleFor, and never after Stored+MaxEntryLifetime.
func TestGetDeadline(t *testing.T) {
	clk := newFakeClock(t0)
	s := newStore(t, Config{MaxBytes: 1 << 20, StaleFor: 10 * time.Minute, MaxEntryLifetime: 2 * time.Hour, Now: clk.Now})
	short := &Entry{Key: []byte("short"), Stored: t0, Expires: t0.Add(time.Minute)}
	long := &Entry{Key: []byte("long"), Stored: t0, Expires: t0.Add(24 * time.Hour)}
	if !s.Set(short) || !s.Set(long) {
		t.Fatal("Set: got false")
	}
	tests := []struct {
		at        time.Duration
		short     bool
		shortFrsh bool
		long      bool
	}{
		{0, true, true, true},
		{59 * time.Second, true, true, true},
		{time.Minute, true, false, true},
		{11*time.Minute - 1, true, false, true},
		{11 * time.Minute, false, false, true},
		{2*time.Hour - 1, false, false, true},
		{2 * time.Hour, false, false, false}, // capped by MaxEntryLifetime
	}
	for _, tt := range tests {
		t.Run(tt.at.String(), func(t *testing.T) {
			clk.mu.Lock()
			clk.t = t0.Add(tt.at)
			clk.mu.Unlock()
			got := s.Get(short.Key)
			if (got != nil) != tt.short {
				t.Errorf("short present: got %v, want %v", got != nil, tt.short)
			}
			if got != nil && got.Fresh(clk.Now()) != tt.shortFrsh {
				t.Errorf("short fresh: got %v, want %v", got.Fresh(clk.Now()), tt.shortFrsh)
			}
			if (s.Get(long.Key) != nil) != tt.long {
				t.Errorf("long present: got %v, want %v", !tt.long, tt.long)
			}
		})
	}
}

// TestTTLExpiry checks that ristretto's own TTL drops entries at Expires+StaleFor (the Store's
// clock is frozen, so its own deadline check never fires), and that expiry frees the budget.
// synctest runs ristretto's goroutines and timers on a fake clock.
func TestTTLExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		frozen := time.Now()
		s, err := New(Config{MaxBytes: 1 << 20, StaleFor: 300 * time.Millisecond, Now: func() time.Time { return frozen }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		e := &Entry{Key: []byte("k"), Body: []byte("x"), Stored: frozen, Expires: frozen.Add(300 * time.Millisecond)}
		if !s.Set(e) {
			t.Fatal("Set: got false")
		}
		time.Sleep(500 * time.Millisecond)
		if s.Get(e.Key) != e {
			t.Fatal("Get at 500ms (stale window): got nil, want the entry")
		}
		time.Sleep(200 * time.Millisecond)
		if got := s.Get(e.Key); got != nil {
			t.Fatal("Get at 700ms (past Expires+StaleFor): got the entry, want nil")
		}
		if st := s.Stats(); st.Bytes != e.Size() {
			t.Fatalf("Bytes before cleanup: got %d, want %d", st.Bytes, e.Size())
		}
		time.Sleep(15 * time.Second) // ristretto's cleanup runs every 2.5s over 5s buckets
		st := s.Stats()
		if st.Bytes != 0 || st.Evictions != 1 {
			t.Errorf("after cleanup: got Bytes %d Evictions %d, want 0 and 1", st.Bytes, st.Evictions)
		}
	})
}

// TestBudget inserts ten times the budget and checks that the bytes held never exceed it.
func TestBudget(t *testing.T) {
	const budget = 64 << 10
	s := newStore(t, Config{MaxBytes: budget})
	now := time.Now()
	var inserted int64
	for i := 0; inserted < 10*budget; i++ {
		e := mkEntry(fmt.Sprintf("key-%d", i), "D1", fmt.Sprintf("/obj/%d", i), now)
		e.Body = make([]byte, 1000+i%500)
		inserted += e.Size()
		s.Set(e)
		if i%50 == 0 {
			if st := s.Stats(); st.Bytes > budget {
				t.Fatalf("after %d sets: Bytes %d > budget %d", i+1, st.Bytes, budget)
			}
		}
	}
	st := s.Stats()
	if st.Bytes > budget || st.Bytes < budget/2 {
		t.Errorf("Bytes: got %d, want in (budget/2, budget=%d]", st.Bytes, budget)
	}
	if st.Evictions == 0 && st.Rejected == 0 {
		t.Errorf("Stats %+v: 10× the budget went in with no eviction or rejection", st)
	}
	if st.Sets+st.Rejected < 10*budget/1700 {
		t.Errorf("Stats %+v: too few Set calls counted", st)
	}
}

// TestSetVisibility checks Set's guarantee under concurrency: once Set returns true, a Get
// from another goroutine sees the entry, though ristretto's Set is buffered.
func TestSetVisibility(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 256 << 20})
	const writers, perWriter = 8, 1000
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		keys := make(chan []byte, 16)
		wg.Go(func() { // reader: Get each key right after the writer's Set returned
			for k := range keys {
				if got := s.Get(k); got == nil || !bytes.Equal(got.Key, k) {
					errs <- fmt.Errorf("Get(%q) right after Set returned true: got %v", k, got)
					for range keys {
					}
					return
				}
			}
		})
		wg.Go(func() {
			defer close(keys)
			for i := range perWriter {
				e := mkEntry(fmt.Sprintf("w%d-%d", w, i), "D1", "/x", now)
				if !s.Set(e) {
					errs <- fmt.Errorf("Set(%q): got false with a budget far from full", e.Key)
					return
				}
				keys <- e.Key
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := s.Stats(); st.Sets != writers*perWriter || st.Hits != writers*perWriter {
		t.Errorf("Stats: got %d sets %d hits, want %d each", st.Sets, st.Hits, writers*perWriter)
	}
}

func TestClose(t *testing.T) {
	s, err := New(Config{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	e := mkEntry("k", "D1", "/a", time.Now())
	if !s.Set(e) || s.Get(e.Key) == nil {
		t.Fatal("Set/Get before Close failed")
	}
	s.Close()
	s.Close() // idempotent
	if s.Get(e.Key) != nil {
		t.Error("Get after Close: got an entry, want nil")
	}
	if s.Set(mkEntry("k2", "D1", "/b", time.Now())) {
		t.Error("Set after Close: got true, want false")
	}
	s.Delete(e.Key)
	s.Invalidate("D1", []string{"/*"}, time.Now())
	if st := s.Stats(); st.Hits != 1 || st.Sets != 1 || st.Rejected != 1 || st.Evictions != 0 {
		t.Errorf("Stats after Close: got %+v, want 1 hit, 1 set, 1 rejected, 0 evictions", st)
	}
	var nilStore *Store
	if nilStore.Get(e.Key) != nil || nilStore.Set(e) || nilStore.Stats() != (Stats{}) {
		t.Error("nil Store: want nil, false and zero Stats")
	}
	nilStore.Delete(e.Key)
	nilStore.Invalidate("D1", []string{"/a"}, time.Now())
	nilStore.Close()
}
