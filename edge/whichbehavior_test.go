package edge

import (
	"strings"
	"testing"
)

const matchConfig = `
[server]
pop = "TST1-C1"
[[distribution]]
id = "EMATCH"
domain_name = "dmatch.cloudfront.net"
aliases = ["*.match.test", "exact.match.test"]
default_root_object = "home.html"
[[distribution.origin]]
id = "web"
kind = "http"
domain_name = "127.0.0.1"
http_port = {{ORIGIN_PORT}}
origin_path = "/web"
[[distribution.origin]]
id = "img"
kind = "http"
domain_name = "127.0.0.1"
http_port = {{ORIGIN_PORT}}
origin_path = "/img"
[[distribution.origin]]
id = "api"
kind = "http"
domain_name = "127.0.0.1"
http_port = {{ORIGIN_PORT}}
origin_path = "/api"
[[distribution.behavior]]
path_pattern = "/images/*.jpg"
target_origin_id = "img"
[[distribution.behavior]]
path_pattern = "/api/v?/*"
target_origin_id = "api"
[[distribution.behavior]]
path_pattern = "*.php"
target_origin_id = "api"
[distribution.default_behavior]
target_origin_id = "web"
`

// TestMatchBehavior: MatchBehavior and MatchHost pick the behavior a viewer's request gets, for
// paths that need normalising too; each answer is checked against the origin a real request
// through the edge reaches.
func TestMatchBehavior(t *testing.T) {
	o := newTestOrigin(t)
	e := startEdge(t, matchConfig, o.port())
	tests := []struct {
		uri      string
		index    int
		pattern  string
		origin   string
		wantPath string
	}{
		{"/", -1, "", "web", "/home.html"},
		{"/images/a.jpg", 0, "/images/*.jpg", "img", "/images/a.jpg"},
		{"/images/a.png", -1, "", "web", "/images/a.png"},
		{"/Images/a.jpg", -1, "", "web", "/Images/a.jpg"}, // patterns are case-sensitive
		{"/images/sub/b.jpg?w=10", 0, "/images/*.jpg", "img", "/images/sub/b.jpg"},
		{"/x/../images/c.jpg", 0, "/images/*.jpg", "img", "/images/c.jpg"},
		{"/%69mages/d.jpg", 0, "/images/*.jpg", "img", "/images/d.jpg"},
		{"/api/v1/users", 1, "/api/v?/*", "api", "/api/v1/users"},
		{"/api/v10/users", -1, "", "web", "/api/v10/users"},
		{"/index.php", 2, "*.php", "api", "/index.php"},
		{"/images/e.jpg.php", 2, "*.php", "api", "/images/e.jpg.php"},
	}
	for _, tt := range tests {
		m, ok := e.srv.MatchBehavior("EMATCH", tt.uri)
		if !ok || m.Distribution != "EMATCH" || m.Index != tt.index || m.PathPattern != tt.pattern ||
			m.TargetOriginID != tt.origin || m.Path != tt.wantPath {
			t.Errorf("MatchBehavior(%q) = %+v, %v; want behavior %d %q to %s on %s", tt.uri, m, ok, tt.index, tt.pattern, tt.origin, tt.wantPath)
		}
		before := o.requests()
		r, _ := e.get(t, tt.uri)
		if o.requests() != before+1 {
			t.Fatalf("GET %s: the origin saw %d requests, want 1 (X-Cache %s)", tt.uri, o.requests()-before, r.Header.Get("X-Cache"))
		}
		o.mu.Lock()
		got := o.reqs[len(o.reqs)-1].URI
		o.mu.Unlock()
		if !strings.HasPrefix(got, "/"+tt.origin+"/") {
			t.Errorf("GET %s reached the origin as %s, want origin %s", tt.uri, got, tt.origin)
		}
	}
	for _, h := range []struct {
		host string
		ok   bool
	}{
		{"dmatch.cloudfront.net", true}, {"DMATCH.cloudfront.net:8080", true}, {"exact.match.test", true},
		{"a.match.test", true}, {"a.b.match.test", false}, {"other.test", false},
	} {
		m, ok := e.srv.MatchHost(h.host, "/images/a.jpg")
		if ok != h.ok || (ok && (m.Distribution != "EMATCH" || m.Index != 0)) {
			t.Errorf("MatchHost(%q) = %+v, %v; want ok %v", h.host, m, ok, h.ok)
		}
	}
	if _, ok := e.srv.MatchBehavior("ENOSUCH", "/"); ok {
		t.Error("MatchBehavior of an unknown distribution: ok")
	}
}
