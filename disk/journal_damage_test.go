package disk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadJournalDamage pins how readJournal tells a torn tail (dropped), a damaged payload
// (one record skipped) and a damaged frame length (records may be lost: lost is set, and
// reading goes on from the next intact frame) apart.
func TestReadJournalDamage(t *testing.T) {
	t0 := time.Unix(1_750_000_000, 0)
	rec := func(p string) []byte {
		return appendRecord(nil, record{kind: kindPlain, at: t0, dist: "D1", paths: []string{p}})
	}
	a, b, c := rec("/a"), rec("/b"), rec("/c")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	withLen := func(frame []byte, n uint32) []byte {
		f := bytes.Clone(frame)
		binary.LittleEndian.PutUint32(f, n)
		return f
	}
	flip := func(frame []byte, i int) []byte {
		f := bytes.Clone(frame)
		f[i] ^= 1
		return f
	}
	tests := []struct {
		name    string
		journal []byte
		applied []string // paths whose records apply
		skipped int
		torn    bool
		lost    bool
	}{
		{"intact", cat(a, b, c), []string{"/a", "/b", "/c"}, 0, false, false},
		{"torn tail", cat(a, b, c[:len(c)-1]), []string{"/a", "/b"}, 0, true, false},
		{"short tail", cat(a, b, c[:5]), []string{"/a", "/b"}, 0, true, false},
		{"damaged last payload", cat(a, b, flip(c, 12)), []string{"/a", "/b"}, 0, true, false},
		{"length over maxRecordLen last", cat(a, b, withLen(c, maxRecordLen+1)), []string{"/a", "/b"}, 0, true, false},
		{"length past the end last", cat(a, b, withLen(c, uint32(len(c)))), []string{"/a", "/b"}, 0, true, false},
		{"damaged middle payload", cat(a, flip(b, 12), c), []string{"/a", "/c"}, 1, false, false},
		{"length over maxRecordLen first", cat(withLen(a, 0xffffff00), b, c), []string{"/b", "/c"}, 0, false, true},
		{"length past the end first", cat(withLen(a, uint32(len(a)+len(b)+len(c))), b, c), []string{"/b", "/c"}, 0, false, true},
		{"length to the end first", cat(withLen(a, uint32(len(a)+len(b)+len(c)-8)), b, c), []string{"/b", "/c"}, 0, false, true},
		{"length swallowing a record", cat(withLen(a, uint32(len(a)+len(b)-8)), b, c), []string{"/b", "/c"}, 0, false, true},
		{"garbage then records", cat(bytes.Repeat([]byte{0xee}, 40), b, c), []string{"/b", "/c"}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "invalidations")
			if err := os.WriteFile(path, tt.journal, 0o600); err != nil {
				t.Fatal(err)
			}
			r := newRegistry()
			st, err := readJournal(path, r, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if st.records != len(tt.applied) || st.skipped != tt.skipped || st.torn != tt.torn || (st.lost != nil) != tt.lost {
				t.Errorf("%+v; want %d records, %d skipped, torn %v, lost %v", st, len(tt.applied), tt.skipped, tt.torn, tt.lost)
			}
			for _, p := range []string{"/a", "/b", "/c"} {
				want := false
				for _, q := range tt.applied {
					want = want || p == q
				}
				if got := r.invalidated("D1", p, t0); got != want {
					t.Errorf("%s invalidated %v, want %v", p, got, want)
				}
			}
		})
	}
}

// TestJournalLostFloor: when the journal is damaged so that records may be lost, Open drops
// every object stored until then (counted as invalidated by the scan, and the damage in
// Errors), refuses a Put of an object stored before it, keeps objects stored after it, and
// journals that floor, so it still holds after a restart; past MaxLifetime it is pruned.
func TestJournalLostFloor(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	cfg.MaxLifetime = 48 * time.Hour
	s := openLoaded(t, cfg)
	for _, k := range []string{"a", "b", "other"} {
		m := metaFor(k, clock.Now())
		if k == "other" {
			m.Dist = "D2"
		}
		if err := s.Put(m, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	s.Invalidate("D1", []string{"/a"}, clock.Now())
	s.Invalidate("D1", []string{"/b"}, clock.Now())
	s.Close()
	jpath := filepath.Join(cfg.Dir, "invalidations")
	j, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(j, maxRecordLen+1)
	if err := os.WriteFile(jpath, j, 0o600); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	s = openLoaded(t, cfg)
	st := s.Stats()
	if st.Errors != 1 || st.Invalidated != 3 || st.Objects != 0 {
		t.Errorf("%+v; want 1 error, 3 invalidated, no object left", st)
	}
	for _, k := range []string{"a", "b", "other"} {
		mustMiss(t, s, k)
	}
	if err := s.Put(metaFor("old", clock.Now().Add(-time.Hour)), strings.NewReader("x"), 1); !errors.Is(err, ErrNotAdmitted) {
		t.Errorf("Put of an object stored before the damage was found: %v, want ErrNotAdmitted", err)
	}
	clock.Advance(time.Second)
	mustPut(t, s, "new", 10)
	s.Close()

	r := newRegistry()
	if st, err := readJournal(jpath, r, time.Time{}); err != nil || st.torn || st.skipped != 0 || st.lost != nil {
		t.Fatalf("the journal after Open: %+v, %v", st, err)
	}
	if r.all.IsZero() {
		t.Fatal("the floor was not journaled")
	}
	s = openLoaded(t, cfg)
	mustGet(t, s, "new")
	if st := s.Stats(); st.Errors != 0 {
		t.Errorf("Errors %d after a clean restart", st.Errors)
	}
	s.Close()
	clock.Advance(49 * time.Hour)
	s = openLoaded(t, cfg)
	if !s.reg.all.IsZero() {
		t.Errorf("floor %v after MaxLifetime; want it pruned", s.reg.all)
	}
	s.Close()
}
