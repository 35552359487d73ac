//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation counts are only
// meaningful without it.

package edge

import (
	"bufio"
	"net"
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
