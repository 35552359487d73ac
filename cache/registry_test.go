package cache

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

type inval struct {
	dist  string
	paths []string
	at    time.Duration // after t0
}

type stored struct {
	key, dist, path string
	at              time.Duration // Stored, after t0
}

func TestInvalidate(t *testing.T) {
	tests := []struct {
		name    string
		entries []stored
		invals  []inval
		gone    []string // keys Get must no longer return; every other key stays
	}{
		{
			name:    "exact path",
			entries: []stored{{"a", "D1", "/a.jpg", 0}, {"a2", "D1", "/a.jpg2", 0}, {"b", "D1", "/b.jpg", 0}, {"dir", "D1", "/a.jpg/", 0}},
			invals:  []inval{{"D1", []string{"/a.jpg"}, time.Second}},
			gone:    []string{"a"},
		},
		{
			name: "prefix",
			entries: []stored{
				{"i1", "D1", "/images/a.jpg", 0}, {"i2", "D1", "/images/x/y.png", 0}, {"i3", "D1", "/images/", 0},
				{"dir", "D1", "/images", 0}, {"img", "D1", "/img/a.jpg", 0}, {"i22", "D1", "/images2/a.jpg", 0},
			},
			invals: []inval{{"D1", []string{"/images/*"}, time.Second}},
			gone:   []string{"i1", "i2", "i3"},
		},
		{
			name:    "prefix without slash",
			entries: []stored{{"i1", "D1", "/images/a.jpg", 0}, {"i22", "D1", "/images2/a.jpg", 0}, {"dir", "D1", "/images", 0}, {"im", "D1", "/imag", 0}},
			invals:  []inval{{"D1", []string{"/images*"}, time.Second}},
			gone:    []string{"i1", "i22", "dir"},
		},
		{
			name:    "everything",
			entries: []stored{{"root", "D1", "/", 0}, {"a", "D1", "/a", 0}, {"deep", "D1", "/x/y/z?q=1", 0}, {"other", "D2", "/a", 0}},
			invals:  []inval{{"D1", []string{"/*"}, time.Second}},
			gone:    []string{"root", "a", "deep"},
		},
		{
			name:    "case-sensitive",
			entries: []stored{{"lower", "D1", "/a.jpg", 0}, {"upper", "D1", "/A.jpg", 0}, {"imgs", "D1", "/Images/a", 0}},
			invals:  []inval{{"D1", []string{"/A.jpg", "/images/*"}, time.Second}},
			gone:    []string{"upper"},
		},
		{
			name:    "stored after invalidation survives",
			entries: []stored{{"before", "D1", "/a", 0}, {"same", "D1", "/b", time.Second}, {"after", "D1", "/c", 2 * time.Second}, {"pafter", "D1", "/p/x", 2 * time.Second}},
			invals:  []inval{{"D1", []string{"/a", "/b", "/c", "/p/*"}, time.Second}},
			gone:    []string{"before", "same"},
		},
		{
			name:    "other distributions unaffected",
			entries: []stored{{"d1", "D1", "/a", 0}, {"d2", "D2", "/a", 0}, {"d3", "D3", "/a", 0}},
			invals:  []inval{{"D1", []string{"/a"}, time.Second}, {"D2", []string{"/b", "/c*"}, time.Second}},
			gone:    []string{"d1"},
		},
		{
			name: "all variants of a path",
			entries: []stored{
				{"GET|/v.jpg|br", "D1", "/v.jpg", 0}, {"GET|/v.jpg|gzip", "D1", "/v.jpg", 0},
				{"GET|/v.jpg|identity|Cookie=a", "D1", "/v.jpg", 0}, {"GET|/w.jpg", "D1", "/w.jpg", 0},
			},
			invals: []inval{{"D1", []string{"/v.jpg"}, time.Second}},
			gone:   []string{"GET|/v.jpg|br", "GET|/v.jpg|gzip", "GET|/v.jpg|identity|Cookie=a"},
		},
		{
			name:    "later invalidation of same path wins",
			entries: []stored{{"a", "D1", "/a", 2 * time.Second}, {"b", "D1", "/b", 2 * time.Second}},
			invals:  []inval{{"D1", []string{"/a", "/b*"}, time.Second}, {"D1", []string{"/a", "/b*"}, 3 * time.Second}},
			gone:    []string{"a", "b"},
		},
		{
			name:    "out-of-order times keep the latest",
			entries: []stored{{"a", "D1", "/a", 2 * time.Second}},
			invals:  []inval{{"D1", []string{"/a"}, 3 * time.Second}, {"D1", []string{"/a", "/*"}, time.Second}},
			gone:    []string{"a"},
		},
		{
			name:    "empty and odd paths",
			entries: []stored{{"a", "D1", "/a", 0}, {"star", "D1", "/a*b", 0}},
			invals:  []inval{{"D1", nil, time.Second}, {"D1", []string{"", "a", "/a*b"}, time.Second}},
			gone:    []string{"star"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(t0.Add(time.Hour))
			s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
			for _, st := range tt.entries {
				e := mkEntry(st.key, st.dist, st.path, t0.Add(st.at))
				if !s.Set(e) {
					t.Fatalf("Set(%q): got false", st.key)
				}
			}
			for _, iv := range tt.invals {
				s.Invalidate(iv.dist, iv.paths, t0.Add(iv.at))
			}
			for _, st := range tt.entries {
				wantGone := false
				for _, g := range tt.gone {
					wantGone = wantGone || g == st.key
				}
				if gone := s.Get([]byte(st.key)) == nil; gone != wantGone {
					t.Errorf("%q (dist %s, path %q): gone %v, want %v", st.key, st.dist, st.path, gone, wantGone)
				}
			}
		})
	}
}

// TestInvalidateCopiesPaths checks that the registry keeps no reference to the caller's memory:
// the paths may alias a request buffer that is reused after Invalidate returns.
func TestInvalidateCopiesPaths(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 1 << 20})
	now := time.Now()
	e := mkEntry("k", "D1", "/abc/d", now.Add(-time.Second))
	if !s.Set(e) {
		t.Fatal("Set: got false")
	}
	buf := []byte("/xyz*/xyz")
	dist := []byte("D1")
	s.Invalidate(unsafeStringForTest(dist), []string{unsafeStringForTest(buf[:5]), unsafeStringForTest(buf[5:])}, now)
	copy(buf, "/abc*/abc")
	copy(dist, "D2")
	if s.Get(e.Key) == nil {
		t.Fatal("entry invalidated through a caller buffer modified after Invalidate")
	}
	d := s.reg.Load().dists["D1"]
	if d == nil {
		t.Fatal("no records under D1 after the caller's buffer changed")
	}
	for p := range exactRecords(d) {
		if p != "/xyz" {
			t.Errorf("exact record: got %q, want /xyz", p)
		}
	}
}

// TestInvalidatePrune checks that records older than MaxEntryLifetime are dropped: a
// distribution whose every record is that old on the next Invalidate, single records once the
// oldest is older still by an eighth of the lifetime. Entries old enough to have been covered
// by them are gone anyway.
func TestInvalidatePrune(t *testing.T) {
	clk := newFakeClock(t0)
	const life = time.Hour
	s := newStore(t, Config{MaxBytes: 1 << 20, StaleFor: time.Minute, MaxEntryLifetime: life, Now: clk.Now})
	s.Invalidate("D1", []string{"/old", "/old-prefix/*"}, t0)
	s.Invalidate("D1", []string{"/mid"}, t0.Add(50*time.Minute))
	s.Invalidate("D2", []string{"/d2"}, t0)
	s.Invalidate("D3", []string{"/d3"}, t0.Add(50*time.Minute))
	if got := recordCount(s.reg.Load()); got != 5 {
		t.Fatalf("records: got %d, want 5", got)
	}
	clk.Advance(life + time.Second)
	s.Invalidate("D1", []string{"/new"}, clk.Now())
	reg := s.reg.Load()
	if reg.dists["D2"] != nil {
		t.Error("D2: its only record is older than MaxEntryLifetime, want the distribution dropped")
	}
	if got := recordCount(reg); got != 4 {
		t.Errorf("records one second past the lifetime: got %d, want 4 (D1 /old, /mid, /new; D3 /d3)", got)
	}
	clk.Advance(life / 8)
	s.Invalidate("D1", []string{"/newer"}, clk.Now())
	reg = s.reg.Load()
	if got := recordCount(reg); got != 4 {
		t.Errorf("records after prune: got %d, want 4 (D1 /mid, /new, /newer; D3 /d3)", got)
	}
	if _, ok := exactRecords(reg.dists["D1"])["/old"]; ok {
		t.Error("D1 /old: want pruned")
	}
	// A record already older than the lifetime is not even kept.
	s.Invalidate("D4", []string{"/ancient"}, clk.Now().Add(-2*life))
	if s.reg.Load().dists["D4"] != nil {
		t.Error("D4: record older than MaxEntryLifetime was kept")
	}
	// Nothing stored before the pruned records can still be served: Set caps at
	// Stored+MaxEntryLifetime.
	if s.Set(&Entry{Key: []byte("k"), Dist: "D1", Path: "/old", Stored: t0, Expires: clk.Now().Add(time.Hour)}) {
		t.Error("Set of an entry stored before the pruned record: got true, want false")
	}
}

// TestInvalidateRedundant checks that records dominated by a newer covering prefix are dropped:
// wildcard records at once, exact ones at the next merge.
func TestInvalidateRedundant(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 1 << 20})
	s.reg.Store(&registry{lim: limits{recent: 2}})
	now := time.Now()
	s.Invalidate("D1", []string{"/a/b.jpg", "/a/c/*", "/z"}, now.Add(-time.Minute))
	s.Invalidate("D1", []string{"/a/*", "/y"}, now)
	d := s.reg.Load().dists["D1"]
	if ex := exactRecords(d); len(ex) != 2 || len(d.prefixes) != 1 || d.prefixes[0].prefix != "/a/" {
		t.Errorf("got exact %v prefixes %v, want only /z, /y and /a/*", ex, d.prefixes)
	}
	// An older covering prefix does not drop a newer exact record.
	s.Invalidate("D1", []string{"/a/new", "/x"}, now.Add(time.Minute))
	if _, ok := exactRecords(s.reg.Load().dists["D1"])["/a/new"]; !ok {
		t.Error("/a/new, newer than /a/*: want kept")
	}
}

// TestInvalidateManyPrefixes goes past prefixScanMax so that lookups use the per-length map.
func TestInvalidateManyPrefixes(t *testing.T) {
	clk := newFakeClock(t0.Add(time.Hour))
	s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
	var paths []string
	for i := range 3 * prefixScanMax {
		paths = append(paths, fmt.Sprintf("/dir%d/%s*", i, strings.Repeat("x", i%5)))
	}
	s.Invalidate("D1", paths, t0.Add(time.Second))
	if s.reg.Load().dists["D1"].byPrefix == nil {
		t.Fatal("want the per-length map in use")
	}
	tests := []struct {
		path string
		gone bool
	}{
		{"/dir7/xx/a", true},
		{"/dir7/x", false},
		{"/dir0/", true},
		{"/dir47/xx", true},
		{"/dir48/xxx", false},
		{"/d", false},
	}
	for i, tt := range tests {
		key := fmt.Sprintf("k%d", i)
		if !s.Set(mkEntry(key, "D1", tt.path, t0)) {
			t.Fatalf("Set %q: got false", key)
		}
		if gone := s.Get([]byte(key)) == nil; gone != tt.gone {
			t.Errorf("%q: gone %v, want %v", tt.path, gone, tt.gone)
		}
	}
}

// recordCount counts the records of every distribution, guarded ones included, the floor not.
func recordCount(r *registry) int {
	n := 0
	if r != nil {
		for _, d := range r.dists {
			n += len(exactRecords(d)) + len(d.prefixes)
		}
		for _, g := range r.guarded {
			n += len(exactRecords(g.recs)) + len(g.recs.prefixes)
		}
	}
	return n
}

// exactRecords returns d's exact records, base and recent together (the latest time of each).
func exactRecords(d *distRecords) map[string]time.Time {
	m := map[string]time.Time{}
	if d == nil {
		return m
	}
	for _, src := range []map[string]time.Time{d.base, d.recent} {
		for p, t := range src {
			if cur, ok := m[p]; !ok || cur.Before(t) {
				m[p] = t
			}
		}
	}
	return m
}

// TestInvalidateConcurrent races Invalidate against Get (run with -race): each reader sees a
// consistent snapshot, and once every Invalidate has returned all covered entries are gone.
func TestInvalidateConcurrent(t *testing.T) {
	clk := newFakeClock(t0.Add(time.Hour))
	s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
	const n = 50
	for i := range n {
		if !s.Set(mkEntry(fmt.Sprintf("k%d", i), "D1", fmt.Sprintf("/p%d/x", i), t0)) {
			t.Fatal("Set: got false")
		}
	}
	keep := mkEntry("keep", "D1", "/keep", t0)
	if !s.Set(keep) {
		t.Fatal("Set keep: got false")
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := range n {
					s.Get([]byte(fmt.Sprintf("k%d", i)))
				}
				if s.Get(keep.Key) != keep {
					t.Error("an unrelated entry vanished during invalidations")
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := w; i < n; i += 2 {
				p := fmt.Sprintf("/p%d/x", i)
				if i%4 < 2 {
					p = fmt.Sprintf("/p%d/*", i)
				}
				s.Invalidate("D1", []string{p}, t0.Add(time.Second))
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	for i := range n {
		if s.Get([]byte(fmt.Sprintf("k%d", i))) != nil {
			t.Errorf("k%d: still served after its invalidation", i)
		}
	}
}

// unsafeStringForTest returns a string sharing b's memory, as a caller's zero-copy conversion
// of a request buffer would.
func unsafeStringForTest(b []byte) string { return unsafe.String(&b[0], len(b)) }

// TestInvalidateExcept: guarded records leave the paths their except function protects, and
// plain records still cover them.
func TestInvalidateExcept(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	s, err := New(Config{MaxBytes: 8 << 20, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(path string) *Entry {
		e := &Entry{Key: []byte("k" + path), Dist: "D", Path: path, Status: 200, Body: []byte("b"), Stored: now.Add(-time.Second), Expires: now.Add(time.Hour)}
		if !s.Set(e) {
			t.Fatalf("set %s", path)
		}
		return e
	}
	smoothMedia := func(p string) bool { return strings.Contains(p, ".ism") }
	for _, p := range []string{"/v/a.ism/Manifest", "/v/a.ismv", "/v/poster.jpg", "/w/x.jpg"} {
		put(p)
	}
	s.InvalidateExcept("D", []string{"/v/*"}, smoothMedia, now)
	for p, gone := range map[string]bool{"/v/a.ism/Manifest": false, "/v/a.ismv": false, "/v/poster.jpg": true, "/w/x.jpg": false} {
		if got := s.Get([]byte("k"+p)) == nil; got != gone {
			t.Errorf("after guarded /v/*: %s gone=%v, want %v", p, got, gone)
		}
	}
	// A plain invalidation in the same distribution keeps the guarded records and covers everything.
	s.Invalidate("D", []string{"/w/*"}, now)
	if s.Get([]byte("k/w/x.jpg")) != nil || s.Get([]byte("k/v/a.ismv")) == nil {
		t.Errorf("plain /w/* after guarded /v/*: wrong entries survive")
	}
	key := []byte("k/v/a.ismv")
	if allocs := testing.AllocsPerRun(100, func() { s.Get(key) }); allocs > 0 {
		t.Errorf("Get with guarded records allocates %.1f", allocs)
	}
}
