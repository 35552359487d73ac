package smooth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// mustReplace replaces every old in s with new, and fails the test when s holds no old: a
// fixture that drifted from the text a test edits must not pass silently unedited.
func mustReplace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture edit: %q not found in:\n%s", old, s)
	}
	return strings.ReplaceAll(s, old, new)
}

func newTestResolver(t testing.TB, src Source) *Resolver {
	t.Helper()
	r, err := NewResolver(ResolverConfig{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewResolverErrors(t *testing.T) {
	if _, err := NewResolver(ResolverConfig{}); err == nil {
		t.Error("no error without Source")
	}
	if _, err := NewResolver(ResolverConfig{Source: newMemSource(), MaxIndexes: -1}); err == nil {
		t.Error("no error for a negative bound")
	}
}

// TestResolverEveryFragment requests every fragment listed in each committed client manifest,
// as Fragments, FragmentInfo and RawFragments, and compares the body with the bytes found by
// walking the media file's top-level boxes (independent of mfra/tfra).
func TestResolverEveryFragment(t *testing.T) {
	src := loadMedia(t)
	r := newTestResolver(t, src)
	ctx := context.Background()
	for _, pres := range presentations {
		t.Run(pres, func(t *testing.T) {
			ismc, err := r.Manifest(ctx, pres)
			if err != nil {
				t.Fatal(err)
			}
			want := readMedia(t, strings.TrimSuffix(pres, ".ism")+".ismc")
			if !bytes.Equal(ismc, want) {
				t.Fatal("Manifest is not the .ismc verbatim")
			}
			sm, err := ParseServerManifest(readMedia(t, pres))
			if err != nil {
				t.Fatal(err)
			}
			urls := fragmentURLs(t, pres, ismc)
			if len(urls) == 0 {
				t.Fatal("no fragments")
			}
			walks := map[string]map[uint32][]walkedFragment{}
			for _, fu := range urls {
				req, err := ParseURL(fu.url)
				if err != nil {
					t.Fatalf("%s: %v", fu.url, err)
				}
				tr, err := sm.Resolve(fu.bitrate, fu.stream, nil)
				if err != nil {
					t.Fatal(err)
				}
				file := readMedia(t, path.Join(path.Dir(pres), tr.Src))
				if walks[tr.Src] == nil {
					walks[tr.Src] = walkFragments(t, file)
				}
				w := walks[tr.Src][tr.TrackID][fu.chunk]
				whole := file[w.off : w.off+w.totalSize]
				for kind, want := range map[Kind][]byte{
					Fragments:    whole,
					FragmentInfo: whole[:w.moofSize],
					RawFragments: whole[w.moofSize+w.mdatHdr:],
				} {
					req.Kind = kind
					got, err := r.Fragment(ctx, req)
					if err != nil {
						t.Fatalf("%s as %v: %v", fu.url, kind, err)
					}
					if !bytes.Equal(got.Body, want) {
						t.Fatalf("%s as %v: body differs from the file's bytes", fu.url, kind)
					}
					if got.Offset != w.off || got.Length != w.totalSize || got.Path != path.Join(path.Dir(pres), tr.Src) {
						t.Fatalf("%s: range %s [%d,+%d), want [%d,+%d)", fu.url, got.Path, got.Offset, got.Length, w.off, w.totalSize)
					}
					wantType := map[string]string{"video": "video/mp4", "audio": "audio/mp4"}[tr.Type]
					if kind == RawFragments {
						wantType = "application/octet-stream"
					}
					if got.ContentType != wantType {
						t.Fatalf("%s as %v: content type %q, want %q", fu.url, kind, got.ContentType, wantType)
					}
				}
			}
		})
	}
}

// TestResolverGeneratedManifest removes each .ismc from the origin: the resolver must then
// generate a client manifest equal to the one Package wrote.
func TestResolverGeneratedManifest(t *testing.T) {
	src := loadMedia(t)
	for _, pres := range presentations {
		src.remove(strings.TrimSuffix(pres, ".ism") + ".ismc")
	}
	r := newTestResolver(t, src)
	for _, pres := range presentations {
		got, err := r.Manifest(context.Background(), pres)
		if err != nil {
			t.Fatalf("%s: %v", pres, err)
		}
		if want := readMedia(t, strings.TrimSuffix(pres, ".ism")+".ismc"); !bytes.Equal(got, want) {
			t.Errorf("%s: generated manifest differs:\n%s\nwant\n%s", pres, got, want)
		}
	}
	// A server manifest without clientManifestRelativePath also gets a generated one.
	ism := mustReplace(t, string(readMedia(t, "demo/demo.ism")), `<meta name="clientManifestRelativePath" content="demo.ismc" />`, "")
	src.put("/demo/noismc.ism", []byte(ism), `"n"`)
	got, err := r.Manifest(context.Background(), "/demo/noismc.ism")
	if err != nil || !bytes.Equal(got, readMedia(t, "demo/demo.ismc")) {
		t.Fatalf("manifest without clientManifestRelativePath: %v\n%s", err, got)
	}
}

// gatedSource holds every read of one file until open is closed.
type gatedSource struct {
	*memSource
	file string
	open <-chan struct{}
}

func (s gatedSource) ReadRange(ctx context.Context, p string, off, n int64) ([]byte, int64, string, error) {
	if p == s.file {
		<-s.open
	}
	return s.memSource.ReadRange(ctx, p, off, n)
}

func TestResolverIndexBuiltOnce(t *testing.T) {
	synctest.Test(t, testResolverIndexBuiltOnce)
}

// testResolverIndexBuiltOnce runs in a synctest bubble: every request for a fragment of
// demo_360.ismv is held at the first read of that file until all of them have started, so
// the index build is shared by concurrent requests.
func testResolverIndexBuiltOnce(t *testing.T) {
	mem := loadMedia(t)
	open := make(chan struct{})
	r := newTestResolver(t, gatedSource{memSource: mem, file: "/demo/demo_360.ismv", open: open})
	urls := fragmentURLs(t, "/demo/demo.ism", readMedia(t, "demo/demo.ismc"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	n := 0
	for _, fu := range urls {
		if fu.bitrate != 400000 {
			continue
		}
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := ParseURL(fu.url)
			if err == nil {
				_, err = r.Fragment(context.Background(), req)
			}
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	synctest.Wait() // one request reads the file's index, the others wait for that index
	if got := mem.count("/demo/demo_360.ismv"); got != 0 {
		t.Fatalf("%d reads of demo_360.ismv went through the closed gate", got)
	}
	close(open)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Two reads build the index (mfro tail, mfra), then one read per fragment.
	if got := mem.count("/demo/demo_360.ismv"); got != n+2 {
		t.Fatalf("%d reads of demo_360.ismv for %d concurrent fragment requests, want %d", got, n, n+2)
	}
	// Later requests reuse the index: one read each.
	req, _ := ParseURL(urls[0].url)
	before := mem.count("/demo/demo_180.ismv")
	for i := 0; i < 3; i++ {
		if _, err := r.Fragment(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if got := mem.count("/demo/demo_180.ismv") - before; got != 2+3 {
		t.Fatalf("%d reads for 3 requests of a new file, want 5", got)
	}
}

func TestResolverFileReplaced(t *testing.T) {
	mem := loadMedia(t)
	r := newTestResolver(t, mem)
	ctx := context.Background()
	req, err := ParseURL("/demo/demo.ism/QualityLevels(150000)/Fragments(video=20000000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fragment(ctx, req); err != nil {
		t.Fatal(err)
	}
	// Replace demo_180 by the 360p file (other offsets) under a new ETag.
	other := readMedia(t, "demo/demo_360.ismv")
	mem.put("/demo/demo_180.ismv", other, `"v2"`)
	got, err := r.Fragment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	w := walkFragments(t, other)[1][1]
	if !bytes.Equal(got.Body, other[w.off:w.off+w.totalSize]) {
		t.Fatal("served bytes of the old index after the file changed")
	}
}

func TestResolverIndexEviction(t *testing.T) {
	mem := loadMedia(t)
	r, err := NewResolver(ResolverConfig{Source: mem, MaxIndexes: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := ParseURL("/demo/demo.ism/QualityLevels(150000)/Fragments(video=0)")
	b, _ := ParseURL("/demo/demo.ism/QualityLevels(400000)/Fragments(video=0)")
	for _, req := range []Request{a, b, a} {
		if _, err := r.Fragment(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	// demo_180 was indexed twice (evicted by demo_360): 2×(2 index reads + 1 fragment read).
	if got := mem.count("/demo/demo_180.ismv"); got != 6 {
		t.Fatalf("%d reads of demo_180.ismv, want 6", got)
	}
}

func TestResolverErrors(t *testing.T) {
	mem := loadMedia(t)
	// A file without mfra: the first fragment only.
	file := readMedia(t, "demo/demo_180.ismv")
	w := walkFragments(t, file)[1][0]
	mem.put("/bad/nomfra.ismv", file[:w.off+w.totalSize], `"x"`)
	// A file whose mfra is corrupt.
	corrupt := append([]byte(nil), file...)
	corrupt[len(corrupt)-16-8]++ // inside the last tfra entry / mfro region
	mem.put("/bad/corrupt.ismv", corrupt, `"c"`)
	ism := `<smil><body><switch>
<video src="nomfra.ismv" systemBitrate="1"><param name="trackID" value="1"/></video>
<video src="missing.ismv" systemBitrate="2"><param name="trackID" value="1"/></video>
<video src="../demo/demo_180.ismv" systemBitrate="3"><param name="trackID" value="1"/></video>
<video src="http://elsewhere/x.ismv" systemBitrate="4"><param name="trackID" value="1"/></video>
<video src="../demo/demo_180.ismv" systemBitrate="5"><param name="trackID" value="7"/></video>
<video src="corrupt.ismv" systemBitrate="6"><param name="trackID" value="1"/></video>
</switch></body></smil>`
	mem.put("/bad/bad.ism", []byte(ism), `"b"`)
	mem.put("/bad/broken.ism", []byte("<smil><body>"), `"k"`)
	mem.put("/bad/missingismc.ism", []byte(`<smil><head><meta name="clientManifestRelativePath" content="gone.ismc"/></head><body>
<video src="nomfra.ismv" systemBitrate="1"><param name="trackID" value="1"/></video></body></smil>`), `"m"`)
	r := newTestResolver(t, mem)
	ctx := context.Background()
	tests := []struct {
		url    string
		status int
	}{
		{"/demo/demo.ism/QualityLevels(150000)/Fragments(video=20000000)", 200},
		{"/demo/demo.ism/QualityLevels(150000)/Fragments(video=20000001)", 200}, // ±1 tick
		{"/demo/demo.ism/QualityLevels(150000)/Fragments(video=20000002)", 404},
		{"/demo/demo.ism/QualityLevels(150001)/Fragments(video=0)", 404},
		{"/demo/demo.ism/QualityLevels(150000)/Fragments(audio=0)", 404},
		{"/demo/demo.ism/QualityLevels(150000,a=b)/Fragments(video=0)", 404},
		{"/demo/demo.ism/QualityLevels(150000)/KeyFrames(video=0)", 400},
		{"/nothere/x.ism/QualityLevels(1)/Fragments(video=0)", 404},
		{"/nothere/x.ism/Manifest", 404},
		{"/bad/bad.ism/QualityLevels(1)/Fragments(video=0)", 502},
		{"/bad/bad.ism/QualityLevels(2)/Fragments(video=0)", 404},
		{"/bad/bad.ism/QualityLevels(3)/Fragments(video=0)", 200},
		{"/bad/bad.ism/QualityLevels(4)/Fragments(video=0)", 502},
		{"/bad/bad.ism/QualityLevels(5)/Fragments(video=0)", 404},
		{"/bad/bad.ism/QualityLevels(6)/Fragments(video=0)", 502},
		{"/bad/broken.ism/QualityLevels(1)/Fragments(video=0)", 502},
		{"/bad/broken.ism/Manifest", 502},
		{"/bad/missingismc.ism/Manifest", 502}, // .ismc missing, generation fails: no mfra
	}
	for _, tt := range tests {
		req, err := ParseURL(tt.url)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		if req.Kind == Manifest {
			_, err = r.Manifest(ctx, req.Presentation)
		} else {
			_, err = r.Fragment(ctx, req)
		}
		if got := StatusOf(err); got != tt.status {
			t.Errorf("%s: status %d (%v), want %d", tt.url, got, err, tt.status)
		}
	}
	if _, err := r.Fragment(ctx, Request{Presentation: "/demo/demo.ism", Kind: Manifest}); StatusOf(err) != 400 {
		t.Errorf("Fragment with Kind Manifest: %v", err)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{&URLError{Path: "/x", Reason: "y"}, 400},
		{fmt.Errorf("wrapped: %w", &URLError{}), 400},
		{ErrUnsupported, 400},
		{ErrNotFound, 404},
		{fmt.Errorf("x: %w", ErrNotFound), 404},
		{ErrLive, 404},
		{ErrAmbiguous, 404},
		{ErrBadMedia, 502},
		{ErrNoMfra, 502},
		{context.DeadlineExceeded, 504},
		{errors.New("other"), 500},
		{ErrNotSmooth, 500},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestManifestCharset(t *testing.T) {
	if ManifestCharset([]byte{0xFF, 0xFE, '<', 0}) != "utf-16" || ManifestCharset([]byte("<x/>")) != "utf-8" {
		t.Fatal("ManifestCharset")
	}
}

func TestJoin(t *testing.T) {
	for _, tt := range []struct{ pres, ref, want string }{
		{"/demo/demo.ism", "demo.ismc", "/demo/demo.ismc"},
		{"/demo/demo.ism", "sub/v.ismv", "/demo/sub/v.ismv"},
		{"/demo/demo.ism", `sub\v.ismv`, "/demo/sub/v.ismv"},
		{"/a/b/demo.ism", "../v.ismv", "/a/v.ismv"},
		{"/demo.ism", "../../v.ismv", "/v.ismv"},
		{"/demo/demo.ism", "/other/v.ismv", "/other/v.ismv"},
	} {
		if got, err := join(tt.pres, tt.ref); err != nil || got != tt.want {
			t.Errorf("join(%q, %q) = %q, %v; want %q", tt.pres, tt.ref, got, err, tt.want)
		}
	}
	for _, ref := range []string{"", "http://x/y.ismv"} {
		if _, err := join("/d/x.ism", ref); !errors.Is(err, ErrBadMedia) {
			t.Errorf("join(%q): %v", ref, err)
		}
	}
}

func TestMemoSharesLoad(t *testing.T) {
	synctest.Test(t, testMemoSharesLoad)
}

// testMemoSharesLoad runs in a synctest bubble, so that synctest.Wait tells when every
// goroutine is blocked in the memo.
func testMemoSharesLoad(t *testing.T) {
	m := newMemo[int](2)
	var calls int
	var mu sync.Mutex
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := m.do(context.Background(), "k", func() (int, error) {
				mu.Lock()
				calls++
				mu.Unlock()
				<-release
				return 42, nil
			})
			if err != nil || v != 42 {
				t.Errorf("do = %d, %v", v, err)
			}
		}()
	}
	synctest.Wait() // one load blocked on release, seven callers waiting for it
	close(release)
	wg.Wait()
	if calls != 1 {
		t.Fatalf("load ran %d times", calls)
	}
	// A failed load is not remembered; a panicking one releases its waiters as an error.
	if _, err := m.do(context.Background(), "e", func() (int, error) { return 0, errors.New("boom") }); err == nil {
		t.Fatal("no error")
	}
	if v, err := m.do(context.Background(), "e", func() (int, error) { return 7, nil }); err != nil || v != 7 {
		t.Fatalf("retry after failure: %d, %v", v, err)
	}
	if _, err := m.do(context.Background(), "p", func() (int, error) { panic("bad") }); err == nil {
		t.Fatal("panic not turned into an error")
	}
	// Bounded: the oldest key goes.
	m.put("a", 1)
	m.put("b", 2)
	m.put("c", 3)
	if _, ok := m.get("a"); ok {
		t.Fatal("a not evicted")
	}
	// A waiter gives up with its own context.
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	go func() { _, _ = m.do(context.Background(), "slow", func() (int, error) { <-block; return 1, nil }) }()
	synctest.Wait() // the load of "slow" is in flight
	cancel()
	if _, err := m.do(ctx, "slow", func() (int, error) { return 2, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter err = %v", err)
	}
	close(block)
}
