package edge

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/cfedge/edge/origin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// tierSecret is the origin_shield.secret the tier tests share.
const tierSecret = "tier-Secret_42"

// withShield puts the origin of cfg (baseConfig or smoothConfig) behind a shield: enabled, at
// addr, with secret ("" for none). With addr "" it only gives the origin the secret, as a
// top-tier shield has it (enabled = false).
func withShield(t *testing.T, cfg, addr, secret string) string {
	t.Helper()
	line := fmt.Sprintf("origin_shield = { enabled = true, address = %q, secret = %q }", addr, secret)
	if addr == "" {
		line = fmt.Sprintf("origin_shield = { enabled = false, secret = %q }", secret)
	}
	return mustReplace(t, cfg, "http_port = {{ORIGIN_PORT}}\n", "http_port = {{ORIGIN_PORT}}\n"+line+"\n")
}

// startShield starts an edge on cfg served (also) on a listener whose address is known before
// the edge starts, and returns the edge as reached there and that listener, which reports the
// requests the edge reads.
func startShield(t *testing.T, cfg string, originPort int, adjust func(*Config)) (*testEdge, *watchedListener) {
	t.Helper()
	ln := watchListener(t)
	e := startEdgeWith(t, cfg, originPort, adjust)
	go e.srv.Serve(ln)
	return e.via(ln), ln
}

// viaHops is how many edges a request the origin saw went through (its Via entries).
func viaHops(r recorded) int { return strings.Count(r.Header.Get("Via"), "(CloudFront)") }

// waitDone waits for wg, or fails the test after d.
func waitDone(t *testing.T, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// TestShieldHopNotForgeable: a lower edge believes the hop header only when it carries the
// secret of the origin the behavior targets, so a viewer can't send its requests around the
// shield; the header (like any X-Edge-* header) never reaches the origin, believed or not,
// even where the behavior forwards every viewer header.
func TestShieldHopNotForgeable(t *testing.T) {
	o := newTestOrigin(t)
	const all = "cache_policy = \"CachingOptimized\"\norigin_request_policy = \"AllViewerExceptHostHeader\"\n"
	shield, _ := startShield(t, withShield(t, baseConfig(""), "", tierSecret)+all, o.port(), nil)
	lower := startEdge(t, withShield(t, baseConfig(""), shield.addr, tierSecret)+all, o.port())
	for _, tc := range []struct {
		name string
		at   *testEdge
		hop  string
		hops int // Via entries at the origin: 2 through the shield, 1 straight
	}{
		{"no hop header", lower, "", 2},
		{"forged hop from a loopback viewer", lower, "1", 2},
		{"secret less one character", lower, tierSecret[:len(tierSecret)-1], 2},
		{"secret and one more", lower, tierSecret + "x", 2},
		{"secret in another case", lower, strings.ToUpper(tierSecret), 2},
		{"the secret (another lower edge)", lower, tierSecret, 1},
		{"at the shield, the secret", shield, tierSecret, 1},
	} {
		path := "/hop/" + strconv.Itoa(len(tc.name)) + strings.ReplaceAll(tc.name, " ", "-")
		o.static(path, 200, map[string]string{"Cache-Control": "max-age=600"}, "body of "+path)
		hdr := map[string]string{"X-Viewer-Probe": "forwarded", "X-Edge-Probe": "never"}
		if tc.hop != "" {
			hdr[origin.ShieldHopHeader] = tc.hop
		}
		r, b := tc.at.do(t, http.MethodGet, path, hdr)
		if r.StatusCode != 200 || b != "body of "+path {
			t.Fatalf("%s: %d %q", tc.name, r.StatusCode, b)
		}
		seen := o.last(path)
		if n := o.count(path); n != 1 || viaHops(seen) != tc.hops {
			t.Errorf("%s: the origin saw %d requests through %d edges (Via %q), want 1 through %d", tc.name, n, viaHops(seen), seen.Header.Get("Via"), tc.hops)
		}
		if v := seen.Header.Get(origin.ShieldHopHeader); v != "" || seen.Header.Get("X-Edge-Probe") != "" {
			t.Errorf("%s: the origin was sent %s %q, X-Edge-Probe %q", tc.name, origin.ShieldHopHeader, v, seen.Header.Get("X-Edge-Probe"))
		}
		if seen.Header.Get("X-Viewer-Probe") != "forwarded" {
			t.Errorf("%s: the behavior should forward every viewer header; the origin saw %v", tc.name, seen.Header)
		}
	}
}

// TestShieldHopWithoutSecret: with no secret on the target origin (or on either member of a
// group), the hop header is believed from loopback peers only; with secrets, only the secret
// of one of the target's origins is, from anywhere.
func TestShieldHopWithoutSecret(t *testing.T) {
	o := newTestOrigin(t)
	group := `
[[distribution.origin]]
id = "other"
kind = "http"
domain_name = "127.0.0.1"
http_port = 1024
origin_shield = { enabled = false, secret = "other-secret" }
[[distribution.origin_group]]
id = "pair"
members = ["web", "other"]
failover_status_codes = [500]
[[distribution.behavior]]
path_pattern = "/pair/*"
target_origin_id = "pair"
`
	plain := startEdge(t, baseConfig(group), o.port())
	secret := startEdge(t, withShield(t, baseConfig(group), "", tierSecret), o.port())
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 40000}
	for _, tc := range []struct {
		name string
		e    *testEdge
		path string
		peer net.Addr
		hop  string
		want bool
	}{
		{"no secret, loopback peer", plain, "/a", loopback, "1", true},
		{"no secret, remote peer", plain, "/a", remote, "1", false},
		{"no secret, no header", plain, "/a", loopback, "", false},
		{"secret, loopback peer without it", secret, "/a", loopback, "1", false},
		{"secret, remote peer with it", secret, "/a", remote, tierSecret, true},
		{"group, the other member's secret", plain, "/pair/a", remote, "other-secret", true},
		{"group, a member has a secret: no loopback rule", plain, "/pair/a", loopback, "1", false},
		{"group, the first member's secret", secret, "/pair/a", remote, tierSecret, true},
		{"group, the other member's secret too", secret, "/pair/a", remote, "other-secret", true},
		{"group, neither", secret, "/pair/a", remote, "nope", false},
	} {
		var req fasthttp.Request
		req.SetRequestURI(tc.path)
		if tc.hop != "" {
			req.Header.Set(origin.ShieldHopHeader, tc.hop)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, tc.peer, nil)
		d := tc.e.srv.snap.Load().dists[0]
		x := &exchange{ctx: &ctx, dist: d, beh: d.table.Match([]byte(tc.path))}
		if got, _ := hopTrust(x); got != tc.want {
			t.Errorf("%s: hopTrust %v, want %v", tc.name, got, tc.want)
		}
	}
}

// timingConfig is cfg with a response headers policy that writes Server-Timing when asked
// (Pragma: server-timing) on the default behavior.
func timingConfig(cfg string) string {
	return `
[[response_headers_policy]]
name = "Timing"
[response_headers_policy.server_timing_headers_config]
enabled = true
sampling_rate = 0
` + cfg + "response_headers_policy = \"Timing\"\n"
}

// TestShieldServerTiming: X-Cache stays this edge's own result, and Server-Timing names the
// tier that answered a miss: the shield from its cache (hit layer and upstream layer), the
// shield after asking the origin (upstream layer), or the origin (when the shield was not
// used); the shield's own cdn-* metrics are not passed on, the origin's are.
func TestShieldServerTiming(t *testing.T) {
	o := newTestOrigin(t)
	for _, p := range []string{"/st/miss", "/st/hit", "/st/origin", "/st/fallback"} {
		o.static(p, 200, map[string]string{"Cache-Control": "max-age=600", "Server-Timing": "db;dur=53"}, "timed")
	}
	shield, _ := startShield(t, timingConfig(withShield(t, baseConfig(""), "", tierSecret)), o.port(), nil)
	lower := startEdge(t, timingConfig(withShield(t, baseConfig(""), shield.addr, tierSecret)), o.port())
	direct := startEdge(t, timingConfig(baseConfig("")), o.port())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	orphan := startEdge(t, timingConfig(withShield(t, baseConfig(""), dead, tierSecret)), o.port())
	if r, _ := shield.get(t, "/st/hit"); xcache(r) != "Miss from cloudfront" {
		t.Fatalf("warming the shield: %q", xcache(r))
	}
	const head = `cdn-pop;desc="TST1-C1",cdn-rid;desc="[A-Za-z0-9_=-]+",`
	const tail = `cdn-upstream-fbl;dur=\d+,cdn-downstream-fbl;dur=\d+$`
	for _, tc := range []struct {
		name, path, xcache, want string
		e                        *testEdge
	}{
		{"the shield missed", "/st/miss", "Miss from cloudfront",
			`^db;dur=53,cdn-cache-miss,` + head + `cdn-upstream-layer;desc="Origin Shield",` + tail, lower},
		{"the shield hit", "/st/hit", "Miss from cloudfront",
			`^cdn-cache-miss,` + head + `cdn-hit-layer;desc="Origin Shield",cdn-upstream-layer;desc="Origin Shield",` + tail, lower},
		{"then a hit here", "/st/hit", "Hit from cloudfront",
			`^cdn-cache-hit,` + head + `cdn-hit-layer;desc="EDGE",cdn-downstream-fbl;dur=\d+$`, lower},
		{"no shield", "/st/origin", "Miss from cloudfront",
			`^db;dur=53,cdn-cache-miss,` + head + `cdn-upstream-layer;desc="Origin",` + tail, direct},
		{"the shield can't be reached", "/st/fallback", "Miss from cloudfront",
			`^db;dur=53,cdn-cache-miss,` + head + `cdn-upstream-layer;desc="Origin",` + tail, orphan},
	} {
		r, b := tc.e.do(t, http.MethodGet, tc.path, map[string]string{"Pragma": "server-timing"})
		st := r.Header.Get("Server-Timing")
		if b != "timed" || xcache(r) != tc.xcache || !regexp.MustCompile(tc.want).MatchString(st) {
			t.Errorf("%s: %q, X-Cache %q (want %q), Server-Timing\n  %s\nwant\n  %s", tc.name, b, xcache(r), tc.xcache, st, tc.want)
		}
	}
}

// TestShieldCollapses300Viewers: 3 lower edges with 100 concurrent cold viewers each, one
// shield: the origin is held until every viewer's request has been read by its edge and every
// lower edge's request by the shield, and sees one request; all 300 bodies are byte-exact.
func TestShieldCollapses300Viewers(t *testing.T) {
	const edges, each = 3, 100
	body := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(16, 3))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	o := newTestOrigin(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	o.handle("/cold", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-time.After(30 * time.Second): // the test has failed already: let it end
		}
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write(body)
	})
	open := sync.OnceFunc(func() { close(release) })
	t.Cleanup(open)
	shield, sln := startShield(t, withShield(t, baseConfig(""), "", tierSecret), o.port(), nil)
	var wg sync.WaitGroup
	bodies := make([][]byte, edges*each)
	xcs := make([]string, edges*each)
	var lns []*watchedListener
	for i := range edges {
		e := startEdge(t, withShield(t, baseConfig(""), shield.addr, tierSecret), o.port())
		ln := watchListener(t)
		go e.srv.Serve(ln)
		lns = append(lns, ln)
		ev := e.via(ln)
		for j := range each {
			wg.Go(func() {
				req := ev.request(t, "/cold")
				resp, err := viewer.Do(req)
				if err != nil {
					t.Errorf("viewer %d/%d: %v", i, j, err)
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Errorf("viewer %d/%d: body: %v", i, j, err)
				}
				bodies[i*each+j], xcs[i*each+j] = b, xcache(resp)
			})
		}
	}
	waitFor(t, arrived, "the origin request")
	for i, ln := range lns {
		for j := range each {
			waitFor(t, ln.heads, fmt.Sprintf("viewer request %d at lower edge %d", j+1, i+1))
		}
	}
	for i := range edges {
		waitFor(t, sln.heads, fmt.Sprintf("lower edge request %d at the shield", i+1))
	}
	open()
	waitDone(t, &wg, 60*time.Second, "300 viewers")
	if n := o.count("/cold"); n != 1 {
		t.Fatalf("the origin saw %d requests for %d viewers on %d shielded edges, want 1", n, edges*each, edges)
	}
	misses := 0
	for i, b := range bodies {
		if !bytes.Equal(b, body) {
			t.Fatalf("viewer %d: %d bytes, not the origin's %d-byte body", i, len(b), len(body))
		}
		if xcs[i] == "Miss from cloudfront" {
			misses++
		}
	}
	if misses != edges {
		t.Errorf("%d viewers saw a Miss, want %d (one fill per lower edge)", misses, edges)
	}
}

// standIn is a stand-in for a shield edge on a raw TCP listener: it reads each request head
// and answers with head, then the first cut bytes of body, and drops the connection (a shield
// killed mid-body). It counts the requests it read.
type standIn struct {
	ln       net.Listener
	requests atomic.Int32
}

func startStandIn(t *testing.T, head string, body []byte, cut int) *standIn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &standIn{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				s.requests.Add(1)
				io.WriteString(c, head)
				c.Write(body[:cut])
			})
		}
	})
	return s
}

// getLoose is a GET that reports a broken body instead of failing the test.
func (e *testEdge) getLoose(t *testing.T, uri string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := viewer.Do(e.request(t, uri))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// TestShieldCutMidBodyStandIn: a shield that dies in the middle of a body (a raw TCP stand-in
// that cuts the connection). The lower edge takes the rest from the origin: its viewer gets the
// whole body (also when the object is too large to hold, so its bytes had started to flow),
// the fallback is counted, and what is cached is the whole body. When the origin's answer
// can't be proven the same representation, the viewer's answer is visibly cut, nothing is
// cached, and the next request (the shield gone) gets the whole body from the origin.
func TestShieldCutMidBodyStandIn(t *testing.T) {
	body := make([]byte, 100<<10)
	rng := rand.New(rand.NewPCG(5, 8))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Cache-Control": "max-age=600", "Etag": `"v1"`}, string(body))
	o.static("/nov", 200, map[string]string{"Cache-Control": "max-age=600"}, string(body))
	head := func(etag bool) string {
		h := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nCache-Control: max-age=600\r\nX-Cache: Miss from cloudfront\r\n", len(body))
		if etag {
			h += "Etag: \"v1\"\r\n"
		}
		return h + "\r\n"
	}

	t.Run("resumed from the origin", func(t *testing.T) {
		for _, tc := range []struct{ name, maxObject, second string }{
			{"held whole before the viewer's answer", "8MiB", "Hit from cloudfront"},
			{"streamed to the viewer (over max_object_size)", "16KiB", "Miss from cloudfront"},
		} {
			before := o.count("/obj")
			sh := startStandIn(t, head(true), body, 30000)
			reg := prometheus.NewRegistry()
			cfg := mustReplace(t, withShield(t, baseConfig(""), sh.ln.Addr().String(), tierSecret), `max_object_size = "8MiB"`, `max_object_size = "`+tc.maxObject+`"`)
			lower := startEdgeWith(t, cfg, o.port(), func(c *Config) { c.Metrics = reg })
			r, b, err := lower.getLoose(t, "/obj")
			if err != nil || r.StatusCode != 200 || !bytes.Equal(b, body) || xcache(r) != "Miss from cloudfront" {
				t.Fatalf("%s: %v, %d bytes of %d, X-Cache %q", tc.name, err, len(b), len(body), xcache(r))
			}
			if n := o.count("/obj") - before; n != 1 || sh.requests.Load() != 1 {
				t.Fatalf("%s: the origin saw %d requests and the shield %d, want 1 and 1", tc.name, n, sh.requests.Load())
			}
			if v := metricValue(t, reg, "edge_origin_shield_fallbacks_total"); v != 1 {
				t.Fatalf("%s: edge_origin_shield_fallbacks_total %v, want 1", tc.name, v)
			}
			r, b, err = lower.getLoose(t, "/obj")
			if err != nil || !bytes.Equal(b, body) || xcache(r) != tc.second {
				t.Fatalf("%s: the next request: %v, %d bytes, X-Cache %q (want %q)", tc.name, err, len(b), xcache(r), tc.second)
			}
		}
	})

	t.Run("not resumable", func(t *testing.T) {
		sh := startStandIn(t, head(false), body, 30000)
		lower := startEdge(t, withShield(t, baseConfig(""), sh.ln.Addr().String(), tierSecret), o.port())
		r, b, err := lower.getLoose(t, "/nov")
		if err == nil || len(b) >= len(body) || !bytes.Equal(b, body[:len(b)]) {
			t.Fatalf("a body that can't be finished: err %v, %d bytes of %d (want a visibly cut prefix)", err, len(b), len(body))
		}
		if r.StatusCode != 200 || sh.requests.Load() != 1 || o.count("/nov") != 1 {
			t.Fatalf("status %d; the shield saw %d requests, the origin %d; want 200, 1, 1", r.StatusCode, sh.requests.Load(), o.count("/nov"))
		}
		sh.ln.Close() // the shield is gone: the next request falls back to the origin
		r, b, err = lower.getLoose(t, "/nov")
		if err != nil || !bytes.Equal(b, body) || xcache(r) != "Miss from cloudfront" {
			t.Fatalf("after the cut: %v, %d bytes, X-Cache %q: want the whole body, a Miss (nothing was cached)", err, len(b), xcache(r))
		}
		r, b, err = lower.getLoose(t, "/nov")
		if err != nil || !bytes.Equal(b, body) || xcache(r) != "Hit from cloudfront" || o.count("/nov") != 2 {
			t.Fatalf("then: %v, %d bytes, X-Cache %q, origin requests %d", err, len(b), xcache(r), o.count("/nov"))
		}
	})
}

// TestShieldCutMidBodyRealShield: a real shield edge whose origin cuts the body it is filling.
// The shield relays the cut (and caches nothing), the lower edge takes the rest from the
// origin and caches the whole body; the shield, asked afterwards, fetches the object anew.
func TestShieldCutMidBodyRealShield(t *testing.T) {
	body := make([]byte, 100<<10)
	rng := rand.New(rand.NewPCG(7, 9))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	o := newTestOrigin(t)
	var calls atomic.Int32
	o.handle("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Etag", `"v1"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if calls.Add(1) == 1 {
			w.Write(body[:40000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the connection drops mid-body
		}
		w.Write(body)
	})
	shield, _ := startShield(t, withShield(t, baseConfig(""), "", tierSecret), o.port(), nil)
	reg := prometheus.NewRegistry()
	lower := startEdgeWith(t, withShield(t, baseConfig(""), shield.addr, tierSecret), o.port(), func(c *Config) { c.Metrics = reg })
	r, b, err := lower.getLoose(t, "/cut")
	if err != nil || !bytes.Equal(b, body) || xcache(r) != "Miss from cloudfront" {
		t.Fatalf("through the shield: %v, %d bytes of %d, X-Cache %q", err, len(b), len(body), xcache(r))
	}
	if n := o.count("/cut"); n != 2 {
		t.Fatalf("the origin saw %d requests, want 2 (the shield's, cut; the lower edge's fallback)", n)
	}
	if v := metricValue(t, reg, "edge_origin_shield_fallbacks_total"); v != 1 {
		t.Fatalf("edge_origin_shield_fallbacks_total %v, want 1", v)
	}
	r, b, err = lower.getLoose(t, "/cut")
	if err != nil || !bytes.Equal(b, body) || xcache(r) != "Hit from cloudfront" || o.count("/cut") != 2 {
		t.Fatalf("the lower edge's next request: %v, %d bytes, X-Cache %q, origin requests %d", err, len(b), xcache(r), o.count("/cut"))
	}
	r, b, err = shield.getLoose(t, "/cut")
	if err != nil || !bytes.Equal(b, body) || xcache(r) != "Miss from cloudfront" || o.count("/cut") != 3 {
		t.Fatalf("the shield afterwards: %v, %d bytes, X-Cache %q (want a Miss: it kept nothing), origin requests %d", err, len(b), xcache(r), o.count("/cut"))
	}
}

// TestShieldSmoothRanges plays every fragment of the demo presentation, and its Manifest,
// through two lower edges behind one shield at once. The lower edges' Smooth resolvers read
// the server manifest, the media files' indexes (mfro, mfra) and the fragments through the
// shield as Range requests; the shield answers them (206) from whole files it fetched once, so
// the origin sees each file read once, without a Range. Every answer is byte-exact against an
// edge that reads its own origin directly.
func TestShieldSmoothRanges(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	o := newTestOrigin(t)
	o.serveDir(media)
	od := newTestOrigin(t)
	od.serveDir(media)
	var out syncBuffer
	log, err := accesslog.New(accesslog.Config{W: &out})
	if err != nil {
		t.Fatal(err)
	}
	shield, _ := startShield(t, withShield(t, smoothConfig, "", tierSecret), o.port(), func(c *Config) { c.AccessLog = log })
	lower := []*testEdge{
		startEdge(t, withShield(t, smoothConfig, shield.addr, tierSecret), o.port()),
		startEdge(t, withShield(t, smoothConfig, shield.addr, tierSecret), o.port()),
	}
	direct := startEdge(t, smoothConfig, od.port())

	shape := readManifestShape(t, filepath.Join(media, "demo/demo.ismc"))
	urls := []string{"/demo/demo.ism/Manifest"}
	for _, s := range shape.Streams {
		for _, l := range s.Levels {
			for _, ts := range chunkTimes(t, filepath.Join(media, "demo/demo.ismc"), s.Type) {
				urls = append(urls, fmt.Sprintf("/demo/demo.ism/QualityLevels(%d)/Fragments(%s=%d)", l.Bitrate, s.Type, ts))
			}
		}
	}
	want := make([]string, len(urls))
	for i, u := range urls {
		r, b := direct.get(t, u)
		if r.StatusCode != 200 || len(b) == 0 {
			t.Fatalf("direct %s: %d, %d bytes", u, r.StatusCode, len(b))
		}
		want[i] = b
	}
	var wg sync.WaitGroup
	for k, e := range lower {
		wg.Go(func() {
			for i, u := range urls {
				r, b, err := e.getLoose(t, u)
				if err != nil || r.StatusCode != 200 || b == nil || string(b) != want[i] {
					t.Errorf("lower edge %d, %s: %v, %d bytes, not the direct edge's %d", k+1, u, err, len(b), len(want[i]))
					return
				}
			}
		})
	}
	waitDone(t, &wg, 60*time.Second, "two lower edges playing the presentation")

	// The origin: each file once, whole.
	o.mu.Lock()
	seen := map[string]int{}
	for _, r := range o.reqs {
		seen[r.URI]++
		if rg := r.Header.Get("Range"); rg != "" {
			t.Errorf("the origin was asked for %s with Range %q: the shield should fill whole files", r.URI, rg)
		}
	}
	o.mu.Unlock()
	for _, f := range []string{"/demo/demo.ism", "/demo/demo.ismc", "/demo/demo_180.ismv", "/demo/demo_360.ismv", "/demo/demo_audio.isma"} {
		if seen[f] != 1 {
			t.Errorf("the origin read %s %d times, want once", f, seen[f])
		}
		delete(seen, f)
	}
	if len(seen) != 0 {
		t.Errorf("the origin also saw %v", seen)
	}

	// The shield: every media read a range (206), each file a Miss once and Hits after.
	log.Close()
	reads, misses := 0, map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f, err := accesslog.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		stem := f["cs-uri-stem"]
		if !strings.HasSuffix(stem, ".ismv") && !strings.HasSuffix(stem, ".isma") {
			continue
		}
		reads++
		if f["sc-status"] != "206" {
			t.Errorf("the shield answered a read of %s with %s, want 206", stem, f["sc-status"])
		}
		if f["x-edge-result-type"] == "Miss" {
			misses[stem]++
		}
	}
	for _, f := range []string{"/demo/demo_180.ismv", "/demo/demo_360.ismv", "/demo/demo_audio.isma"} {
		if misses[f] != 1 {
			t.Errorf("the shield filled %s %d times, want once", f, misses[f])
		}
	}
	// Each lower edge reads each file's mfro and mfra and each fragment it serves.
	t.Logf("the shield served %d media ranges for %d URLs", reads, len(urls))
	if min := 2 * (len(urls) - 1 + 2*3); reads < min {
		t.Errorf("the shield served %d media ranges, want at least %d", reads, min)
	}
}

// TestShieldSmoothMediaTooLargeForTheShield: a shield that can't hold the media files (its
// max_object_size is smaller than each of them, and it has no disk tier) streams them whole
// instead of answering ranges; the lower edges then read the ranges from the origin, and every
// fragment is still byte-exact. The shield is asked for a file's ranges once, not each time.
func TestShieldSmoothMediaTooLargeForTheShield(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	o := newTestOrigin(t)
	o.serveDir(media)
	od := newTestOrigin(t)
	od.serveDir(media)
	small := mustReplace(t, withShield(t, smoothConfig, "", tierSecret), `max_object_size = "8MiB"`, `max_object_size = "64KiB"`)
	shield, _ := startShield(t, small, o.port(), nil)
	lower := []*testEdge{
		startEdge(t, withShield(t, smoothConfig, shield.addr, tierSecret), o.port()),
		startEdge(t, withShield(t, smoothConfig, shield.addr, tierSecret), o.port()),
	}
	direct := startEdge(t, smoothConfig, od.port())
	shape := readManifestShape(t, filepath.Join(media, "demo/demo.ismc"))
	urls := []string{"/demo/demo.ism/Manifest"}
	for _, s := range shape.Streams {
		for _, l := range s.Levels {
			for _, ts := range chunkTimes(t, filepath.Join(media, "demo/demo.ismc"), s.Type) {
				urls = append(urls, fmt.Sprintf("/demo/demo.ism/QualityLevels(%d)/Fragments(%s=%d)", l.Bitrate, s.Type, ts))
			}
		}
	}
	for _, u := range urls {
		_, want := direct.get(t, u)
		for k, e := range lower {
			r, b, err := e.getLoose(t, u)
			if err != nil || r.StatusCode != 200 || string(b) != want {
				t.Fatalf("lower edge %d, %s: %v, %d bytes, not the direct edge's %d", k+1, u, err, len(b), len(want))
			}
		}
	}
	o.mu.Lock()
	whole, ranged := map[string]int{}, map[string]int{}
	for _, r := range o.reqs {
		if r.Header.Get("Range") != "" {
			ranged[r.URI]++
		} else {
			whole[r.URI]++
		}
	}
	o.mu.Unlock()
	for _, f := range []string{"/demo/demo_180.ismv", "/demo/demo_360.ismv", "/demo/demo_audio.isma"} {
		if whole[f] < 1 || whole[f] > len(lower) || ranged[f] == 0 {
			t.Errorf("%s: the origin saw %d whole reads (want 1 to %d: the shield's, once per lower edge) and %d range reads (want some)", f, whole[f], len(lower), ranged[f])
		}
	}
}
