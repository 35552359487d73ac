package e2e_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/edge"
)

// TestBrowserHTTP2: headless Chromium loads a page and its assets (a stylesheet, a script, an
// image) from the edge's TLS listener, and its Resource Timing says every one of them came
// over HTTP/2 (nextHopProtocol "h2").
func TestBrowserHTTP2(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/index.html", 200, map[string]string{"Content-Type": "text/html", "Cache-Control": "max-age=60"},
		`<!DOCTYPE html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>`+
			`<body><p id="p">edge over h2</p><img src="/pixel.svg" alt=""></body></html>`)
	o.static("/style.css", 200, map[string]string{"Content-Type": "text/css", "Cache-Control": "max-age=60"}, "p { color: teal }")
	o.static("/app.js", 200, map[string]string{"Content-Type": "text/javascript", "Cache-Control": "max-age=60"}, "window.loaded = true;")
	o.static("/pixel.svg", 200, map[string]string{"Content-Type": "image/svg+xml", "Cache-Control": "max-age=60"},
		`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`)
	cfg := baseConfig(t, o.port(), func(c *config.Config) {
		c.Distributions[0].Aliases = []string{"127.0.0.1"}
	})
	stdout, _ := runBrowserScript(t, "h2.cjs", "https://"+startTLSEdge(t, cfg)+"/index.html")
	var out struct {
		Browser string `json:"browser"`
		Entries []struct {
			Name            string `json:"name"`
			NextHopProtocol string `json:"nextHopProtocol"`
		} `json:"entries"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("node output: %v\n%s", err, stdout)
	}
	if len(out.Errors) > 0 {
		t.Errorf("browser errors: %v", out.Errors)
	}
	want := []string{"/index.html", "/style.css", "/app.js", "/pixel.svg"}
	seen := 0
	for _, e := range out.Entries {
		for _, w := range want {
			if strings.HasSuffix(e.Name, w) {
				seen++
				if e.NextHopProtocol != "h2" {
					t.Errorf("%s came over %q, want h2", e.Name, e.NextHopProtocol)
				}
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("%s saw %d of the %d objects: %+v", out.Browser, seen, len(want), out.Entries)
	}
	t.Logf("%s: %d objects, all over h2", out.Browser, seen)
}

// TestBrowserSmoothOverHTTP2: headless Chromium plays the Smooth demo with dash.js from the demo
// page (testdata/www/player.html), all over HTTP/2 from the TLS listener, to its end with no
// error, every Manifest and fragment request over h2.
func TestBrowserSmoothOverHTTP2(t *testing.T) {
	playDemo(t, "https://"+startTLSEdge(t, demoConfig(t)), "h2")
}

// startTLSEdge starts an edge for cfg on a TLS listener on 127.0.0.1 (a self-signed certificate)
// until the test ends, and returns its address.
func startTLSEdge(t *testing.T, cfg *config.Config) string {
	t.Helper()
	store, err := cache.New(cache.Config{MaxBytes: int64(cfg.Cache.Memory)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := edge.New(edge.Config{Config: cfg, Logger: slog.New(slog.DiscardHandler), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	go srv.ServeTLS(ln, nil, nil)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		srv.Close()
		store.Close()
	})
	return ln.Addr().String()
}
