package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// loadOpts returns the flag defaults with the given overrides applied, as Main would parse them.
func loadOpts(t *testing.T, args ...string) *options {
	t.Helper()
	var o options
	fs := newLoadFlags(&o, io.Discard)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-url") {
			o.urlSet = true
		}
	}
	return &o
}

func mustRun(t *testing.T, o *options) *Report {
	t.Helper()
	rep, err := runLoad(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The integration test of the issue: a short bounded hit run against the bench origin itself.
func TestHitRunAgainstOrigin(t *testing.T) {
	o := loadOpts(t, "-scenario", "hit", "-origin-listen", "127.0.0.1:0", "-c", "4", "-d", "1s", "-n", "400", "-size", "1KiB")
	start := time.Now()
	rep := mustRun(t, o)
	if time.Since(start) > 3*time.Second {
		t.Fatalf("a run bounded to 1 s took %v", time.Since(start))
	}
	if rep.Requests != 400 || rep.Errors != 0 || rep.Status["2xx"] != 400 {
		t.Fatalf("requests %d errors %d status %v (%s)", rep.Requests, rep.Errors, rep.Status, rep.FirstError)
	}
	if rep.Bytes != 400*1024 {
		t.Fatalf("bytes %d, want %d", rep.Bytes, 400*1024)
	}
	// The origin answers everything itself: one origin request per request (the warm-up is
	// not counted), and so no hits.
	if rep.Origin == nil || rep.Origin.Requests != 400 || rep.Origin.Bytes != 400*1024 {
		t.Fatalf("origin %+v, want 400 requests of 1 KiB", rep.Origin)
	}
	if rep.HitRatioSrc != "origin" || rep.HitRatio != 0 {
		t.Fatalf("hit ratio %v from %s", rep.HitRatio, rep.HitRatioSrc)
	}
	l := rep.Latency
	if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) || rep.RPS <= 0 {
		t.Fatalf("latency %+v, rps %v", l, rep.RPS)
	}
}

// The duration bounds a run whose count would not.
func TestRunStopsAtDeadline(t *testing.T) {
	o := loadOpts(t, "-origin-listen", "127.0.0.1:0", "-c", "2", "-d", "300ms", "-n", "1000000000", "-size", "10")
	start := time.Now()
	rep := mustRun(t, o)
	if el := time.Since(start); el < 300*time.Millisecond || el > 2*time.Second {
		t.Fatalf("run took %v, want about 300 ms", el)
	}
	if rep.Requests == 0 || rep.Requests >= 1e9 || rep.Errors != 0 {
		t.Fatalf("requests %d errors %d", rep.Requests, rep.Errors)
	}
}

// Cancelling the context (SIGINT in Main) ends the run early with a report. The target
// cancels it at its 10th request: the warm-up and at least 8 measured ones.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var served atomic.Int64
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		if served.Add(1) == 10 {
			cancel()
		}
		c.SetBodyString("0123456789")
	}}
	base := startServer(t, srv.Serve, srv.Shutdown)
	o := loadOpts(t, "-url", base, "-size", "/x", "-c", "2", "-d", "30s")
	start := time.Now()
	rep, err := runLoad(ctx, o, io.Discard)
	if err != nil {
		t.Fatalf("cancelled run: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second || rep.Requests < 9 || rep.Errors != 0 {
		t.Fatalf("cancelled run: ended after %v with %d requests, %d errors (%s); want soon after the 10th request, no errors", el, rep.Requests, rep.Errors, rep.FirstError)
	}
}

func TestMainJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"-origin-listen", "127.0.0.1:0", "-c", "2", "-n", "50", "-d", "1s", "-size", "100", "-json", "-label", "tiny/origin"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Label != "tiny/origin" || rep.Requests != 50 || rep.Bytes != 5000 || rep.Scenario != "hit" {
		t.Fatalf("report %+v", rep)
	}
}

func TestMainText(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"-origin-listen", "127.0.0.1:0", "-n", "20", "-d", "1s"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"scenario hit", "requests   20", "p99", "origin     20 requests"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("text report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestMainRefuses(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-url", "http://10.0.0.1:8080"}, 2, "not loopback"},
		{[]string{"-url", "http://example.com"}, 2, "not loopback"},
		{[]string{"-origin", "http://192.168.0.1:80"}, 2, "not loopback"},
		{[]string{"-origin-listen", "0.0.0.0:0"}, 2, "loopback"},
		{[]string{"-d", "0s"}, 2, "-d"},
		{[]string{"-d", "2h"}, 2, "-d"},
		{[]string{"-n", "0"}, 2, "-n"},
		{[]string{"-c", "0"}, 2, "connections"},
		{[]string{"-scenario", "flood"}, 2, "scenario"},
		{[]string{"-scenario", "zipf", "-catalog", "0"}, 2, "catalog"},
		{[]string{"-size", "lots"}, 2, "-size"},
		{[]string{"extra"}, 2, "unexpected"},
		{[]string{"-nosuchflag"}, 2, "nosuchflag"},
		{[]string{"origin", "-listen", ":0"}, 2, "loopback"},
		{[]string{"ceiling", "-listen", "0.0.0.0:0"}, 2, "loopback"},
		{[]string{"ceiling", "-size", "-5"}, 2, "size"},
		{[]string{"table"}, 2, "no report"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := Main(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("Main(%q) = %d, stderr %q; want %d with %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}

// A target that answers errors makes the run fail and says why.
func TestRunCountsErrors(t *testing.T) {
	o := loadOpts(t, "-origin-listen", "127.0.0.1:0", "-n", "30", "-size", "/nothing-here", "-no-warm")
	rep := mustRun(t, o)
	if rep.Errors != 30 || rep.Status["4xx"] != 30 || !strings.Contains(rep.FirstError, "status 404") {
		t.Fatalf("errors %d status %v first %q", rep.Errors, rep.Status, rep.FirstError)
	}
	// Warm-up failure is reported before the run.
	o = loadOpts(t, "-origin-listen", "127.0.0.1:0", "-n", "30", "-size", "/nothing-here")
	if _, err := runLoad(context.Background(), o, io.Discard); err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Fatalf("err %v, want a warm-up error", err)
	}
}

func TestZipfRun(t *testing.T) {
	o := loadOpts(t, "-scenario", "zipf", "-origin-listen", "127.0.0.1:0", "-c", "3", "-n", "600", "-d", "2s",
		"-catalog", "200", "-s", "1.1", "-objsize", "2KiB", "-cache-bytes", "40KiB", "-seed", "9")
	rep := mustRun(t, o)
	if rep.Requests != 600 || rep.Errors != 0 || rep.Bytes != 600*2048 {
		t.Fatalf("requests %d errors %d bytes %d (%s)", rep.Requests, rep.Errors, rep.Bytes, rep.FirstError)
	}
	z := rep.Zipf
	if z == nil || z.Trace != 600 || z.CacheBytes != 40<<10 || z.Catalog != 200 {
		t.Fatalf("zipf report %+v", z)
	}
	// 20 objects fit in the LRU; with s=1.1 over 200 objects it hits often but not always.
	if z.LRUHitRatio < 0.2 || z.LRUHitRatio > 0.9 {
		t.Fatalf("LRU hit ratio %v", z.LRUHitRatio)
	}
	if rep.Origin.Requests != 600 {
		t.Fatalf("origin requests %d, want 600 (no cache in between)", rep.Origin.Requests)
	}
}

func TestHerdRun(t *testing.T) {
	o := loadOpts(t, "-scenario", "herd", "-origin-listen", "127.0.0.1:0", "-herd", "25", "-rounds", "2",
		"-herd-delay", "20ms", "-objsize", "300", "-d", "5s")
	rep := mustRun(t, o)
	if rep.Requests != 50 || rep.Errors != 0 || rep.Bytes != 50*300 {
		t.Fatalf("requests %d errors %d bytes %d (%s)", rep.Requests, rep.Errors, rep.Bytes, rep.FirstError)
	}
	h := rep.Herd
	// Straight at the origin nothing collapses: every request of a herd is an origin request.
	if h == nil || h.Size != 25 || h.Rounds != 2 || len(h.OriginRequests) != 2 || h.OriginRequests[0] != 25 || h.OriginRequests[1] != 25 {
		t.Fatalf("herd report %+v", h)
	}
	if rep.Origin.Requests != 50 {
		t.Fatalf("origin requests %d, want 50 (the warm-up herd is not counted)", rep.Origin.Requests)
	}
	// Every request of a herd waited for the origin's 20 ms together.
	if rep.Latency.P50 < 20 {
		t.Fatalf("p50 %v ms, want ≥ 20", rep.Latency.P50)
	}
}

// smoothServer serves a client manifest and records the fragment URLs it is asked for.
type smoothServer struct {
	manifest []byte
	mu       sync.Mutex
	paths    []string
}

var fragRE = regexp.MustCompile(`^/v/p\.ism/QualityLevels\((\d+)\)/Fragments\((video|audio)=(\d+)\)$`)

func (s *smoothServer) handle(ctx *fasthttp.RequestCtx) {
	p := string(ctx.Path())
	if p == "/v/p.ism/Manifest" {
		ctx.SetBody(s.manifest)
		return
	}
	s.mu.Lock()
	s.paths = append(s.paths, p)
	s.mu.Unlock()
	if !fragRE.MatchString(p) {
		ctx.SetStatusCode(404)
		return
	}
	ctx.SetBodyString("fragment")
}

func startSmooth(t *testing.T, manifest []byte) (*smoothServer, string) {
	s := &smoothServer{manifest: manifest}
	srv := &fasthttp.Server{Handler: s.handle}
	return s, startServer(t, srv.Serve, srv.Shutdown)
}

func TestSmoothViewers(t *testing.T) {
	demo, err := os.ReadFile("testdata/demo.ismc")
	if err != nil {
		t.Fatal(err)
	}
	s, base := startSmooth(t, demo)
	// Two viewers, about two presentations each: 2 × 2 × (1 manifest + 10 fragments).
	o := loadOpts(t, "-scenario", "smooth", "-url", base, "-viewers", "2", "-switch", "-switch-every", "1",
		"-manifest", "/v/p.ism/Manifest", "-n", "44", "-d", "5s")
	rep := mustRun(t, o)
	if rep.Errors != 0 || rep.Requests != 44 {
		t.Fatalf("requests %d errors %d (%s)", rep.Requests, rep.Errors, rep.FirstError)
	}
	sm := rep.Smooth
	// The 44 requests are shared by both viewers, whichever claims first.
	if sm.Manifests < 4 || sm.Manifests+sm.Fragments != 44 || sm.Switches == 0 || sm.BadManifests != 0 {
		t.Fatalf("smooth report %+v", sm)
	}
	seen := map[string]bool{}
	for _, p := range s.paths {
		m := fragRE.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("bad fragment URL %q", p)
		}
		seen[m[2]+" "+m[1]] = true
		if m[2] == "audio" && m[1] != "64000" {
			t.Fatalf("audio at bitrate %s", m[1])
		}
	}
	if !seen["video 150000"] || !seen["video 400000"] || !seen["audio 64000"] {
		t.Fatalf("bitrates seen: %v", seen)
	}
	asked := strings.Join(s.paths, "\n")
	for _, want := range []string{"QualityLevels(64000)/Fragments(audio=0)", "QualityLevels(64000)/Fragments(audio=80000000)", "/Fragments(video=80000000)"} {
		if !strings.Contains(asked, want) {
			t.Fatalf("never asked for %s", want)
		}
	}
}

func TestSmoothRealtimePacing(t *testing.T) {
	// Four 150 ms video fragments fetched 50 ms ahead of playback: the last one is asked for
	// 400 ms after the first arrives, and none is late.
	manifest := `<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="6000000">
<StreamIndex Type="video" Url="QualityLevels({bitrate})/Fragments(video={start time})">
<QualityLevel Index="0" Bitrate="1000"/><c t="0" d="1500000" r="4"/></StreamIndex></SmoothStreamingMedia>`
	s, base := startSmooth(t, []byte(manifest))
	o := loadOpts(t, "-scenario", "smooth", "-url", base, "-viewers", "1", "-realtime", "-buffer", "50ms",
		"-manifest", "/v/p.ism/Manifest", "-n", "5", "-d", "5s")
	start := time.Now()
	rep := mustRun(t, o)
	el := time.Since(start)
	if el < 400*time.Millisecond || el > 3*time.Second {
		t.Fatalf("realtime presentation of 600 ms played in %v", el)
	}
	if rep.Smooth.Fragments != 4 || rep.Smooth.Late != 0 || rep.Errors != 0 {
		t.Fatalf("smooth %+v errors %d (%s)", rep.Smooth, rep.Errors, rep.FirstError)
	}
	want := []string{"Fragments(video=0)", "Fragments(video=1500000)", "Fragments(video=3000000)", "Fragments(video=4500000)"}
	for i, p := range s.paths {
		if !strings.HasSuffix(p, want[i]) {
			t.Fatalf("fragment %d: %s, want …%s", i, p, want[i])
		}
	}
}

func TestSmoothBadManifest(t *testing.T) {
	_, base := startSmooth(t, []byte("<nope/>"))
	o := loadOpts(t, "-scenario", "smooth", "-url", base, "-viewers", "1", "-manifest", "/v/p.ism/Manifest", "-n", "3", "-d", "2s")
	rep := mustRun(t, o)
	if rep.Smooth.BadManifests != 3 || rep.Errors != 3 || !strings.Contains(rep.FirstError, "manifest") {
		t.Fatalf("smooth %+v errors %d first %q", rep.Smooth, rep.Errors, rep.FirstError)
	}
}

func TestProgressLine(t *testing.T) {
	tg, err := parseTarget("http://127.0.0.1:1") // newRun dials nothing
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(context.Background(), tg, tg.addr, 1, 10, time.Second)
	r.conns[0].stats.requests.Store(1234)
	lines := make(chan string, 16)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { r.progress(lineWriter(lines), false, 20*time.Millisecond, stop); close(done) }()
	var got []string
	for len(got) < 2 {
		select {
		case l := <-lines:
			got = append(got, l)
		case <-time.After(10 * time.Second):
			t.Fatalf("progress wrote %q in 10 s, want two lines at 20 ms intervals", got)
		}
	}
	close(stop)
	<-done
	if !strings.Contains(got[0], "1,234 req") || !strings.Contains(got[1], " 0 req/s") || !strings.HasSuffix(got[1], "\n") {
		t.Fatalf("progress output %q", got)
	}
}

// lineWriter sends each Write (progress writes one line per call) on a channel, dropping
// writes the test no longer reads.
type lineWriter chan<- string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default:
	}
	return len(p), nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestGroup(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := group(in); got != want {
			t.Errorf("group(%d) = %q, want %q", in, got, want)
		}
	}
}

// The client side of a hit allocates nothing per request.
func TestGetAllocatesNothing(t *testing.T) {
	_, base := startOrigin(t, OriginConfig{})
	tg, _ := parseTarget(base)
	r := newRun(context.Background(), tg, tg.addr, 1, 1e9, 5*time.Second)
	c := r.conns[0]
	path := []byte("/bytes/1024")
	for range 10 {
		c.get(path, 1024)
	}
	allocs := testing.AllocsPerRun(200, func() { c.get(path, 1024) })
	if raceEnabled {
		allocs = 0 // only the counts below are meaningful under -race
	}
	if allocs > 0 || c.stats.errors.Load() != 0 || c.stats.requests.Load() != 211 {
		t.Fatalf("%.1f allocations per request, %d errors, %d requests (%s)", allocs, c.stats.errors.Load(), c.stats.requests.Load(), c.firstErr)
	}
}

func BenchmarkGet(b *testing.B) {
	_, base := startOrigin(b, OriginConfig{})
	tg, _ := parseTarget(base)
	r := newRun(context.Background(), tg, tg.addr, 1, 1e12, 5*time.Second)
	c := r.conns[0]
	path := []byte("/bytes/1024")
	b.ReportAllocs()
	for b.Loop() {
		c.get(path, 1024)
	}
	if c.stats.errors.Load() != 0 {
		b.Fatal(c.firstErr)
	}
}

func TestSmoothRealtimeLate(t *testing.T) {
	// Fetched with no buffer, each fragment is asked for at its playback time: all but the
	// first (which starts playback) arrive late.
	manifest := `<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="0" TimeScale="1000">
<StreamIndex Type="video" Url="QualityLevels({bitrate})/Fragments(video={start time})">
<QualityLevel Index="0" Bitrate="1000"/><c d="100" r="4"/></StreamIndex></SmoothStreamingMedia>`
	_, base := startSmooth(t, []byte(manifest))
	o := loadOpts(t, "-scenario", "smooth", "-url", base, "-viewers", "1", "-realtime", "-buffer", "0s",
		"-manifest", "/v/p.ism/Manifest", "-n", "5", "-d", "5s")
	rep := mustRun(t, o)
	if rep.Smooth.Fragments != 4 || rep.Smooth.Late != 3 {
		t.Fatalf("smooth %+v, want 4 fragments, 3 late", rep.Smooth)
	}
}

// Without origin counters the hit ratio comes from X-Cache.
func TestHitRatioFromXCache(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			ctx.Response.Header.Set("X-Cache", "Miss from cloudfront")
		} else {
			ctx.Response.Header.Set("X-Cache", "Hit from cloudfront")
		}
		ctx.SetBodyString("0123456789")
	}}
	base := startServer(t, srv.Serve, srv.Shutdown)
	rep := mustRun(t, loadOpts(t, "-url", base, "-size", "/x", "-n", "40", "-c", "2", "-no-warm"))
	if rep.XCacheHits != 39 || rep.XCacheMiss != 1 || rep.HitRatioSrc != "x-cache" || rep.HitRatio != 39.0/40 || rep.Origin != nil {
		t.Fatalf("hits %d misses %d ratio %v from %s", rep.XCacheHits, rep.XCacheMiss, rep.HitRatio, rep.HitRatioSrc)
	}
}
