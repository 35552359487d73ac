//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation counts are only
// meaningful without it.

package edge

import (
	"bufio"
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/cfedge/edge/accesslog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// TestHitAllocatesNothing fails when a cache hit through the handler allocates.
func TestHitAllocatesNothing(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Content-Type": "text/plain", "Cache-Control": "max-age=3600"}, "hello hit")
	e := startEdge(t, baseConfig(""), o.port())
	var req fasthttp.Request
	req.SetRequestURI("/obj")
	req.Header.SetHost(e.host)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
	e.srv.Handle(ctx)
	for i := 0; i < 3; i++ {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	}
	allocs := testing.AllocsPerRun(200, func() {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	})
	if string(ctx.Response.Header.Peek("X-Cache")) != "Hit from cloudfront" {
		t.Fatalf("not a hit: %q", ctx.Response.Header.Peek("X-Cache"))
	}
	if allocs > 0 {
		t.Fatalf("a cache hit allocates %.1f times per request, want 0", allocs)
	}
}

// TestHitAllocatesNothingLogged: with the access log and metrics on, a hit still allocates nothing.
func TestHitAllocatesNothingLogged(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Content-Type": "text/plain", "Cache-Control": "max-age=3600"}, "hello hit")
	var out syncBuffer
	alog, err := accesslog.New(accesslog.Config{W: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer alog.Close()
	e := startEdgeWith(t, baseConfig(""), o.port(), func(c *Config) { c.AccessLog, c.Metrics = alog, prometheus.NewRegistry() })
	var req fasthttp.Request
	req.SetRequestURI("/obj")
	req.Header.SetHost(e.host)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
	for i := 0; i < 4; i++ {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	}
	allocs := testing.AllocsPerRun(500, func() {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	})
	if string(ctx.Response.Header.Peek("X-Cache")) != "Hit from cloudfront" {
		t.Fatalf("not a hit")
	}
	if allocs >= 0.5 {
		t.Fatalf("a logged, counted hit allocates %.2f times per request, want 0", allocs)
	}
}

// TestPolicyHitAllocatesNothing: a hit on a behavior with CORS-and-SecurityHeadersPolicy and a
// matching Origin allocates nothing.
func TestPolicyHitAllocatesNothing(t *testing.T) {
	o := policyOrigin(t)
	e := startEdge(t, policyConfig(), o.port())
	var req fasthttp.Request
	raw := "GET /managed/a.json HTTP/1.1\r\nHost: " + e.host + "\r\nOrigin: https://site.test\r\n\r\n"
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
	e.do(t, "GET", "/managed/a.json", map[string]string{"Origin": "https://site.test"}) // fills, with a prepared head
	for range 4 {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	}
	allocs := testing.AllocsPerRun(200, func() {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	})
	if string(ctx.Response.Header.Peek("X-Cache")) != "Hit from cloudfront" || len(ctx.Response.Header.Peek("Strict-Transport-Security")) == 0 {
		t.Fatalf("not a decorated hit: %s", ctx.Response.Header.Header())
	}
	if allocs > 0 {
		t.Fatalf("a decorated hit allocates %.1f times per request, want 0", allocs)
	}
}

// TestPreparedHitAllocatesNothing: a hit answered from an entry's prepared head (an entry filled
// through the listener) allocates nothing, and its head is the same as one built field by field.
func TestPreparedHitAllocatesNothing(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Content-Type": "text/plain", "Cache-Control": "max-age=3600", "X-Extra": "1"}, "hello hit")
	e := startEdge(t, baseConfig(""), o.port())
	r, _ := e.get(t, "/obj") // fills through the listener: the entry gets a prepared head
	var req fasthttp.Request
	req.SetRequestURI("/obj")
	req.Header.SetHost(e.host)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
	e.srv.Handle(ctx)
	allocs := testing.AllocsPerRun(200, func() {
		ctx.Response.Reset()
		e.srv.Handle(ctx)
	})
	h := &ctx.Response.Header
	if string(h.Peek("X-Cache")) != "Hit from cloudfront" {
		t.Fatalf("not a hit: %s", h.Header())
	}
	for _, k := range []string{"Content-Type", "X-Extra", "Via", "X-Amz-Cf-Pop", "Date"} {
		if got, want := string(h.Peek(k)), r.Header.Get(k); got != want || got == "" {
			t.Errorf("%s: prepared %q, on the miss %q", k, got, want)
		}
	}
	if allocs > 0 {
		t.Fatalf("a hit from a prepared head allocates %.1f times per request, want 0", allocs)
	}
}

// TestH2HitAllocatesNothing fails when a cache hit over HTTP/2 allocates: 5,000 hits through
// package h2's whole connection loop (frames, HPACK both ways, the pipeline) over one in-memory
// connection may allocate only what a connection with one hit does.
func TestH2HitAllocatesNothing(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Content-Type": "text/plain", "Cache-Control": "max-age=3600"}, "hello hit")
	e := startEdge(t, baseConfig(""), o.port())
	e.do(t, "GET", "/obj", nil) // the miss
	run := h2Requests(t, e, "/obj")
	run(200) // pools warm
	allocs := func(n int) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := run(n)
		runtime.ReadMemStats(&after)
		if c.written < int64(n)*9 {
			t.Fatalf("%d hits wrote %d bytes", n, c.written)
		}
		return after.Mallocs - before.Mallocs
	}
	const n = 5000
	// A connection with one hit: its buffers, HPACK tables, the strings it interns for the
	// fields it sees first.
	conn := allocs(1)
	hits := allocs(n)
	// ristretto hands its access buffer to its policy every 64 gets and makes a new one (so
	// TestHitAllocatesNothing's AllocsPerRun averages to 0 too): under one in ten.
	if per := float64(hits-min(hits, conn)) / (n - 1); per >= 0.1 {
		t.Errorf("%d HTTP/2 hits allocated %d times, a connection with one hit %d: %.3f a hit", n, hits, conn, per)
	} else {
		t.Logf("%d HTTP/2 hits: %d allocations; a connection with one hit %d", n, hits, conn)
	}
}
