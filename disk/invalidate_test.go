package disk

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestInvalidate(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	tests := []struct {
		name    string
		dist    string
		paths   []string
		at      time.Time
		except  func(string) bool
		covered []string // keys (paths without the leading "/") gone afterwards
	}{
		{"exact", "D1", []string{"/a/1.jpg"}, t0, nil, []string{"a/1.jpg"}},
		{"prefix", "D1", []string{"/a/*"}, t0, nil, []string{"a/1.jpg", "a/2.jpg", "a/b/3.jpg"}},
		{"everything", "D1", []string{"/*"}, t0, nil, []string{"a/1.jpg", "a/2.jpg", "a/b/3.jpg", "x.html", "v.ism/QualityLevels(1)/Fragments(video=0)"}},
		{"case-sensitive", "D1", []string{"/A/*", "/X.html"}, t0, nil, nil},
		{"other distribution", "D2", []string{"/*"}, t0, nil, nil},
		{"before the objects were stored", "D1", []string{"/*"}, t0.Add(-time.Second), nil, nil},
		{"at the instant they were stored", "D1", []string{"/x.html"}, t0, nil, []string{"x.html"}},
		{"prefix with an exception", "D1", []string{"/*"}, t0, func(p string) bool { return strings.Contains(p, ".ism/") },
			[]string{"a/1.jpg", "a/2.jpg", "a/b/3.jpg", "x.html"}},
	}
	allKeys := []string{"a/1.jpg", "a/2.jpg", "a/b/3.jpg", "x.html", "v.ism/QualityLevels(1)/Fragments(video=0)"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := slices.Clone(allKeys)
			cfg := testConfig(t)
			cfg.Now = clock.Now
			s := openLoaded(t, cfg)
			for _, k := range keys {
				m := metaFor(k, t0) // Path "/"+k
				if err := s.Put(m, strings.NewReader(k), -1); err != nil {
					t.Fatal(err)
				}
			}
			check := func(when string) {
				t.Helper()
				for _, k := range keys {
					gone := false
					for _, c := range tt.covered {
						gone = gone || c == k
					}
					o, err := s.Get([]byte(k))
					if err != nil {
						t.Fatal(err)
					}
					if (o == nil) != gone {
						t.Errorf("%s: %s: hit %v, want %v", when, k, o != nil, !gone)
					}
					if o != nil {
						o.Close()
					}
				}
			}
			if tt.except != nil {
				s.InvalidateExcept(tt.dist, tt.paths, tt.except, tt.at)
			} else {
				s.Invalidate(tt.dist, tt.paths, tt.at)
			}
			check("now")
			if st := s.Stats(); st.Invalidated != int64(len(tt.covered)) {
				t.Errorf("Invalidated %d, want %d", st.Invalidated, len(tt.covered))
			}
			// Put them back (stored after the records), then restart: the records still apply
			// to objects stored at or before them, and not to the new ones.
			s.Close()
			cfg2 := cfg
			s = openLoaded(t, cfg2)
			if tt.except != nil {
				// The predicate is not journaled: until it is given again, what guarded records
				// cover is not served (more than was asked, never less), but it is kept: the
				// start-up scan leaves it, and the predicate, given again, lets it be served.
				for _, k := range keys {
					if strings.Contains(k, ".ism/") {
						mustMiss(t, s, k)
					}
				}
				if st := s.Stats(); st.Invalidated != 0 {
					t.Errorf("after a restart without the predicate, %d objects removed as invalidated, want 0", st.Invalidated)
				}
				s.InvalidateExcept(tt.dist, nil, tt.except, time.Time{})
			}
			check("after a restart")
			for _, k := range keys {
				if err := s.Put(metaFor(k, t0.Add(time.Second)), strings.NewReader(k), -1); err != nil {
					t.Fatalf("Put %s after the invalidation: %v", k, err)
				}
			}
			s.Close()
			s = openLoaded(t, cfg2)
			for _, k := range keys {
				mustGet(t, s, k)
			}
		})
	}
}

// TestJournalTornTail: a record cut short by a crash (or a damaged one) ends the journal; the
// records before it still apply, and the journal is rewritten without it.
func TestJournalTornTail(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	s := openLoaded(t, cfg)
	m := metaFor("a", clock.Now())
	for _, k := range []string{"a", "b"} {
		m = metaFor(k, clock.Now())
		if err := s.Put(m, strings.NewReader(k), 1); err != nil {
			t.Fatal(err)
		}
	}
	s.Invalidate("D1", []string{"/a"}, clock.Now())
	s.Close()
	jpath := filepath.Join(cfg.Dir, "invalidations")
	whole, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	torn := appendRecord(nil, record{kind: kindPlain, at: clock.Now(), dist: "D1", paths: []string{"/b"}})
	for i, tail := range [][]byte{torn[:len(torn)-1], torn[:3], append(bytes.Clone(torn[:8]), bytes.Repeat([]byte{1}, len(torn)-8)...)} {
		if err := os.WriteFile(jpath, append(bytes.Clone(whole), tail...), 0o600); err != nil {
			t.Fatal(err)
		}
		s = openLoaded(t, cfg)
		if i == 0 {
			mustMiss(t, s, "a")
		}
		mustGet(t, s, "b") // the torn record is not applied
		s.Close()
		got, err := os.ReadFile(jpath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, whole) {
			t.Errorf("tail %d: journal of %d bytes after Open, want the %d whole ones", i, len(got), len(whole))
		}
	}
}

// TestJournalDamagedMiddle: a damaged record followed by intact ones (damage on disk) is
// skipped and counted as an error; the records after it still apply.
func TestJournalDamagedMiddle(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	s := openLoaded(t, cfg)
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Put(metaFor(k, clock.Now()), strings.NewReader(k), 1); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	jpath := filepath.Join(cfg.Dir, "invalidations")
	var j []byte
	for _, p := range []string{"/a", "/b", "/c"} {
		j = appendRecord(j, record{kind: kindPlain, at: clock.Now(), dist: "D1", paths: []string{p}})
	}
	first := len(appendRecord(nil, record{kind: kindPlain, at: clock.Now(), dist: "D1", paths: []string{"/a"}}))
	j[first+10] ^= 1 // in the second record's payload
	if err := os.WriteFile(jpath, j, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openLoaded(t, cfg)
	mustMiss(t, s, "a")
	mustMiss(t, s, "b") // its record was lost: everything stored before the damage goes
	mustMiss(t, s, "c")
	if st := s.Stats(); st.Errors != 1 {
		t.Errorf("Errors %d, want 1 (the lost record)", st.Errors)
	}
	clock.Advance(time.Second)
	mustPut(t, s, "b", 1) // stored after the damage was found: served
	mustGet(t, s, "b")
}

// TestJournalBounded: however many invalidations are recorded, the journal stays bounded
// (rewritten from the records held, which fold into a floor past their bounds) and the
// records past MaxLifetime are dropped at Open.
func TestJournalBounded(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	cfg.MaxLifetime = 48 * time.Hour
	s := openLoaded(t, cfg)
	mustPut(t, s, "old", 1)
	jpath := filepath.Join(cfg.Dir, "invalidations")
	var maxSize int64
	long := strings.Repeat("x", 200)
	for i := range 300 {
		clock.Advance(time.Second)
		paths := make([]string, 100)
		for j := range paths {
			paths[j] = fmt.Sprintf("/%s/%d/%d", long, i, j)
		}
		s.Invalidate("D1", paths, time.Time{})
		if fi, err := os.Stat(jpath); err == nil {
			maxSize = max(maxSize, fi.Size())
		}
	}
	// 30,000 records of ~220 bytes were written (6.6 MB); the registry keeps at most 16,384
	// exact paths, so the journal never holds much more than 4× that.
	if limit := int64(4*maxExact*240 + journalMinCompact); maxSize > limit {
		t.Errorf("journal grew to %d bytes, want at most %d", maxSize, limit)
	}
	mustMiss(t, s, "old") // folded into the floor: still invalidated
	s.Close()
	clock.Advance(49 * time.Hour)
	s = openLoaded(t, cfg)
	fi, err := os.Stat(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 0 {
		t.Errorf("journal of %d bytes after every record passed MaxLifetime, want 0", fi.Size())
	}
}

func TestRegistryBounds(t *testing.T) {
	r := newRegistry()
	t0 := time.Unix(1_000_000, 0)
	for i := range maxExact + 10 {
		r.add(kindPlain, "D", []string{fmt.Sprint("/p", i)}, nil, t0.Add(time.Duration(i)*time.Second), time.Time{})
	}
	for i := range maxPrefixes + 10 {
		r.add(kindPlain, "D", []string{fmt.Sprint("/w", i, "/*")}, nil, t0.Add(time.Duration(maxExact+i)*time.Second), time.Time{})
	}
	d := r.plain["D"]
	if len(d.exact) > maxExact || len(d.prefixes) > maxPrefixes || d.floor.IsZero() {
		t.Fatalf("%d exact, %d prefixes, floor %v: want bounded, with a floor", len(d.exact), len(d.prefixes), d.floor)
	}
	// Every record still covers its path (through the floor when folded).
	for i := range maxExact + 10 {
		if !r.invalidated("D", fmt.Sprint("/p", i), t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("/p%d no longer covered", i)
		}
	}
	for i := range maxPrefixes + 10 {
		if !r.invalidated("D", fmt.Sprint("/w", i, "/x"), t0.Add(time.Duration(maxExact+i)*time.Second)) {
			t.Fatalf("/w%d/* no longer covered", i)
		}
	}
	if r.invalidated("D", "/p1", t0.Add(time.Duration(maxExact+maxPrefixes+20)*time.Second)) {
		t.Error("an object stored after every record is covered")
	}
}
