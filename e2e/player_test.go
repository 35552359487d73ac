package e2e_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/cfedge/edge/config"
)

// demoConfig is the demo distribution as make run serves it: testdata/www, and under /demo/*
// the Smooth Streaming demo of testdata/media, on the alias 127.0.0.1.
func demoConfig(t *testing.T) *config.Config {
	www, _ := filepath.Abs("../testdata/www")
	media, _ := filepath.Abs("../testdata/media")
	return baseConfig(t, 1, func(c *config.Config) {
		d := &c.Distributions[0]
		d.Aliases = []string{"127.0.0.1"}
		d.Origins = []config.Origin{{ID: "www", Kind: config.KindDir, Path: www}, {ID: "media", Kind: config.KindDir, Path: media}}
		d.DefaultBehavior = config.Behavior{TargetOriginID: "www"}
		d.Behaviors = []config.Behavior{{PathPattern: "/demo/*", TargetOriginID: "media", SmoothStreaming: true}}
	})
}

// playDemo plays the demo page at base+"/player.html" in headless Chromium (e2e/browser/play.cjs)
// and checks that it played to its end with no error, every Manifest and fragment request over
// proto (the Resource Timing nextHopProtocol: "http/1.1", "h2").
func playDemo(t *testing.T, base, proto string) {
	t.Helper()
	stdout, _ := runBrowserScript(t, "play.cjs", base+"/player.html")
	var out struct {
		Browser     string         `json:"browser"`
		Ended       bool           `json:"ended"`
		CurrentTime float64        `json:"currentTime"`
		Duration    float64        `json:"duration"`
		Errors      []string       `json:"errors"`
		Protocols   map[string]int `json:"protocols"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("node output: %v\n%s", err, stdout)
	}
	if len(out.Errors) > 0 || !out.Ended || out.Duration < 9 || out.CurrentTime < out.Duration-0.5 {
		t.Fatalf("%s: ended %v at %.1f of %.1f s, errors %v", out.Browser, out.Ended, out.CurrentTime, out.Duration, out.Errors)
	}
	if out.Protocols[proto] < 5 || len(out.Protocols) != 1 {
		t.Fatalf("Manifest and fragment requests by protocol: %v, want all %s", out.Protocols, proto)
	}
	t.Logf("%s played %.1f s of Smooth over %s (%d requests)", out.Browser, out.CurrentTime, proto, out.Protocols[proto])
}

// TestBrowserSmoothOverHTTP1: the demo page (testdata/www/player.html, as make run serves it at
// http://127.0.0.1:8080/player.html) plays the Smooth demo with dash.js in headless Chromium,
// over plain HTTP/1.1 from the viewer listener, to its end with no error.
func TestBrowserSmoothOverHTTP1(t *testing.T) {
	playDemo(t, startBrowserEdge(t, demoConfig(t), &accessRecorder{}), "http/1.1")
}
