package edge

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/prometheus/client_golang/prometheus"
)

// shieldedConfig is baseConfig with its origin behind the shield edge at addr.
func shieldedConfig(t *testing.T, addr string) string {
	return mustReplace(t, baseConfig(""), "origin_read_timeout = \"2s\"\n",
		fmt.Sprintf("origin_read_timeout = \"2s\"\norigin_shield = { enabled = true, address = %q }\n", addr))
}

// TestOriginShield: two edges whose origin is behind a shield edge (the same distribution):
// 40 concurrent cold viewers across both cost the origin one request; an object's Age carries
// the time it spent at the shield; a shield that can't be reached is skipped, counted.
func TestOriginShield(t *testing.T) {
	o := newTestOrigin(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	o.handle("/cold", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		w.Header().Set("Cache-Control", "max-age=600")
		io.WriteString(w, "from the origin")
	})
	o.static("/aged", 200, map[string]string{"Cache-Control": "max-age=600"}, "aged")
	shield := startEdge(t, baseConfig(""), o.port())
	outs := make([]*syncBuffer, 2)
	logs := make([]*accesslog.Writer, 2)
	lower := make([]*testEdge, 2)
	for i := range lower {
		outs[i] = &syncBuffer{}
		var err error
		if logs[i], err = accesslog.New(accesslog.Config{W: outs[i]}); err != nil {
			t.Fatal(err)
		}
		lower[i] = startEdgeWith(t, shieldedConfig(t, shield.addr), o.port(), func(c *Config) { c.AccessLog = logs[i] })
	}

	// Collapsing across tiers.
	var wg sync.WaitGroup
	open := sync.OnceFunc(func() { close(release) })
	t.Cleanup(open)
	const each = 20
	bodies := make([]string, 2*each)
	var lns []*watchedListener
	for i, e := range lower {
		ln := watchListener(t)
		go e.srv.Serve(ln)
		lns = append(lns, ln)
		ev := e.via(ln)
		for j := range each {
			wg.Go(func() {
				_, b := ev.get(t, "/cold")
				bodies[i*each+j] = b
			})
		}
	}
	waitFor(t, arrived, "the origin request")
	for _, ln := range lns {
		for i := range each {
			waitFor(t, ln.heads, "request "+strconv.Itoa(i+1)+" at a lower edge")
		}
	}
	open()
	wg.Wait()
	for i, b := range bodies {
		if b != "from the origin" {
			t.Fatalf("viewer %d: %q", i, b)
		}
	}
	if n := o.count("/cold"); n != 1 {
		t.Fatalf("the origin saw %d requests for %d viewers on two shielded edges, want 1", n, 2*each)
	}

	// Age through the tiers: 100 s at the shield count at the lower edge.
	if r, _ := shield.get(t, "/aged"); xcache(r) != "Miss from cloudfront" {
		t.Fatalf("shield fill: %q", xcache(r))
	}
	shield.clock.Advance(100 * time.Second)
	r, b := lower[0].get(t, "/aged")
	if age, _ := strconv.Atoi(r.Header.Get("Age")); b != "aged" || xcache(r) != "Miss from cloudfront" || age < 100 {
		t.Fatalf("lower edge: %q %q Age %q, want a miss with Age ≥ 100", b, xcache(r), r.Header.Get("Age"))
	}
	if n := o.count("/aged"); n != 1 {
		t.Fatalf("the origin saw %d requests for /aged, want 1 (the shield's)", n)
	}
	// The lower edges' access logs say which tier answered their misses: of the two fills of
	// /cold, the shield asked the origin for one and answered the other from its flight.
	var cold []string
	aged := ""
	for i, l := range logs {
		l.Close()
		for _, line := range strings.Split(strings.TrimSpace(outs[i].String()), "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			f, err := accesslog.ParseLine(line)
			if err != nil {
				t.Fatal(err)
			}
			if f["x-edge-result-type"] != "Miss" {
				continue
			}
			switch f["cs-uri-stem"] {
			case "/cold":
				cold = append(cold, f["x-edge-detailed-result-type"])
			case "/aged":
				aged = f["x-edge-detailed-result-type"]
			}
		}
	}
	slices.Sort(cold)
	if !slices.Equal(cold, []string{"ShieldHit", "ShieldMiss"}) || aged != "ShieldHit" {
		t.Fatalf("lower edges logged /cold misses as %v (want one ShieldHit, one ShieldMiss) and /aged as %q (want ShieldHit)", cold, aged)
	}

	// A shield that can't be reached.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	reg := prometheus.NewRegistry()
	e := startEdgeWith(t, shieldedConfig(t, dead), o.port(), func(c *Config) { c.Metrics = reg })
	o.static("/fb", 200, map[string]string{"Cache-Control": "max-age=600"}, "fallback")
	if r, b := e.get(t, "/fb"); r.StatusCode != 200 || b != "fallback" {
		t.Fatalf("with the shield down: %d %q", r.StatusCode, b)
	}
	if v := metricValue(t, reg, "edge_origin_shield_fallbacks_total"); v != 1 {
		t.Fatalf("edge_origin_shield_fallbacks_total %v, want 1", v)
	}
}
