package cache

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfedge/edge/disk"
)

// sized returns an entry whose body is n bytes.
func sized(key, path string, n int, stored time.Time) *Entry {
	e := mkEntry(key, "D1", path, stored)
	e.Body = bytes.Repeat([]byte{'x'}, n)
	return e
}

func paths(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%s:%d", o.Path, o.Size))
	}
	return out
}

// TestLargest: the largest objects held, largest first, among more than the list keeps; an
// object replaced, deleted, invalidated or expired is listed as it is now, or not at all.
func TestLargest(t *testing.T) {
	start := time.Now()
	now := start
	s := newStore(t, Config{MaxBytes: 256 << 20, Now: func() time.Time { return now }})
	for i := range 100 { // 100 objects of 1..100 KiB, in a scrambled order
		n := (i*37)%100 + 1
		if !s.Set(sized(fmt.Sprintf("k%d", n), fmt.Sprintf("/o/%d", n), n<<10, start)) {
			t.Fatalf("Set %d: false", n)
		}
	}
	got := paths(s.Largest(4))
	want := []string{"/o/100:102400", "/o/99:101376", "/o/98:100352", "/o/97:99328"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Largest(4) = %v, want %v", got, want)
	}
	if objs := s.Largest(1); !objs[0].Memory || objs[0].Disk || objs[0].Dist != "D1" || !objs[0].Stored.Equal(start) {
		t.Fatalf("Largest(1) = %+v, want D1 in memory only, stored at start", objs[0])
	}

	// /o/100 replaced by a small body, /o/99 deleted, /o/98 invalidated.
	if !s.Set(sized("k100", "/o/100", 10, start)) {
		t.Fatal("Set k100: false")
	}
	s.Delete([]byte("k99"))
	s.Invalidate("D1", []string{"/o/98"}, start)
	got = paths(s.Largest(3))
	want = []string{"/o/97:99328", "/o/96:98304", "/o/95:97280"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("after replace, delete and invalidate: Largest(3) = %v, want %v", got, want)
	}

	// Everything expires: nothing is listed.
	now = start.Add(time.Hour + DefaultStaleFor)
	if objs := s.Largest(10); len(objs) != 0 {
		t.Fatalf("after expiry: Largest = %v, want none", paths(objs))
	}
	if s.Largest(0) != nil || (*Store)(nil).Largest(3) != nil {
		t.Fatal("Largest(0) or on a nil Store: want nil")
	}
}

// TestLargestDisk: an object the memory tier can't hold is listed from the disk tier.
func TestLargestDisk(t *testing.T) {
	d, err := disk.Open(disk.Config{Dir: t.TempDir(), MaxBytes: 64 << 20, MaxObjectSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Config{MaxBytes: 1 << 20, Disk: d})
	t.Cleanup(func() { d.Close() })
	now := time.Now()
	if !s.Set(sized("small", "/small", 1000, now)) {
		t.Fatal("Set small: false")
	}
	big := sized("big", "/big", 2<<20, now) // larger than the memory budget
	if !s.Set(big) {
		t.Fatal("Set big: false (the disk tier should take it)")
	}
	s.Flush()
	objs := s.Largest(5)
	if len(objs) != 2 || objs[0].Path != "/big" || objs[0].Memory || !objs[0].Disk || objs[0].Size != 2<<20 ||
		objs[1].Path != "/small" || !objs[1].Memory || !objs[1].Disk {
		t.Fatalf("Largest = %+v, want /big on disk only, then /small in both tiers", objs)
	}
}

// TestHot: objects hit often are listed hottest first with rates near the truth; an object
// never hit is not listed, and one no longer hit fades away.
func TestHot(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 64 << 20})
	now := time.Now()
	for _, k := range []string{"a", "b", "c"} {
		if !s.Set(mkEntry(k, "D1", "/"+k, now)) {
			t.Fatalf("Set %s: false", k)
		}
	}
	s.Set(mkEntry("a-gz", "D1", "/a", now)) // another variant of /a: summed with it
	tick := time.Now()
	s.top.hotAt(10, tick)
	get := func(k string, n int) {
		for range n {
			if s.Get([]byte(k)) == nil {
				t.Fatalf("Get %s: miss", k)
			}
		}
	}
	get("a", 48_000)
	get("a-gz", 16_000)
	get("b", 6_400)
	tick = tick.Add(time.Second)
	hot := s.top.hotAt(10, tick)
	if len(hot) != 2 || hot[0].Path != "/a" || hot[1].Path != "/b" {
		t.Fatalf("Hot = %+v, want /a then /b", hot)
	}
	// 1,000 samples expected for /a (sd about 31) and 100 for /b (sd 10): within 20 %.
	if r := hot[0].Rate; r < 64_000*0.8 || r > 64_000*1.2 {
		t.Errorf("/a: rate %.0f/s, want about 64000", r)
	}
	if r := hot[1].Rate; r < 6_400*0.6 || r > 6_400*1.4 {
		t.Errorf("/b: rate %.0f/s, want about 6400", r)
	}
	if h := hot[0].Hits; h < 64_000*0.8 || h > 64_000*1.2 {
		t.Errorf("/a: %d hits, want about 64000", h)
	}
	// Nothing more: the rates decay (a 10 s time constant), and after long enough the objects
	// leave the list.
	tick = tick.Add(10 * time.Second)
	if hot := s.top.hotAt(10, tick); len(hot) != 2 || hot[0].Rate > 64_000*1.2/2 {
		t.Fatalf("10 s later: %+v, want /a's rate below half", hot)
	}
	for range 40 {
		tick = tick.Add(10 * time.Second)
		s.top.hotAt(10, tick)
	}
	for i := range s.top.slots { // as if the slots had been taken by other objects since
		s.top.slots[i].Store(nil)
	}
	if hot := s.top.hotAt(10, tick.Add(time.Second)); len(hot) != 0 {
		t.Fatalf("400 s idle: %+v, want none", hot)
	}
}

// TestHotBounded: however many objects are hit, Hot keeps at most hotCandidates of them.
func TestHotBounded(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 256 << 20})
	now := time.Now()
	for i := range 2000 {
		k := fmt.Sprintf("k%d", i)
		s.Set(mkEntry(k, "D1", "/"+k, now))
		for range 3 * HotSampling {
			s.Get([]byte(k))
		}
		if i%100 == 0 {
			s.top.hotAt(5, now.Add(time.Duration(i)*time.Millisecond))
		}
	}
	s.top.hotAt(5, now.Add(3*time.Second))
	if n := len(s.top.hot); n > hotCandidates {
		t.Fatalf("%d candidates kept, want at most %d", n, hotCandidates)
	}
}

// TestTopConcurrent runs Get, Set, Delete, Largest and Hot together (for -race).
func TestTopConcurrent(t *testing.T) {
	s := newStore(t, Config{MaxBytes: 64 << 20})
	now := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprintf("k%d", (i+w)%50)
				switch i % 10 {
				case 0:
					s.Set(sized(k, "/"+k, i, now))
				case 1:
					s.Delete([]byte(k))
				case 2:
					s.Largest(5)
					s.Hot(5)
				default:
					s.Get([]byte(k))
				}
			}
		}()
	}
	wg.Wait()
	for _, o := range s.Largest(100) {
		if o.Size < 0 || !strings.HasPrefix(o.Path, "/k") {
			t.Fatalf("Largest: %+v", o)
		}
	}
}
