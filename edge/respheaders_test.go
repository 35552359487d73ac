package edge

import (
	"net/http"
	"strings"
	"testing"
)

// policyConfig has one behavior per policy under test, all in front of the test origin.
func policyConfig() string {
	return `
[[response_headers_policy]]
name = "Custom"
[response_headers_policy.cors_config]
access_control_allow_origins = ["https://app.example.test", "https://*.example.org"]
access_control_allow_headers = ["X-Requested-With", "Content-Type"]
access_control_allow_methods = ["GET", "HEAD", "OPTIONS", "PUT"]
access_control_expose_headers = ["X-Version"]
access_control_allow_credentials = true
access_control_max_age_sec = 600
origin_override = true
[response_headers_policy.security_headers_config.frame_options]
frame_option = "DENY"
override = false
[[response_headers_policy.custom_headers_config]]
header = "X-Powered-By-Edge"
value = "yes"
override = true
[[response_headers_policy.remove_headers_config]]
header = "X-Internal"
[response_headers_policy.server_timing_headers_config]
enabled = true
sampling_rate = 0
` + baseConfig(`
[[distribution.behavior]]
path_pattern = "/managed/*"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS"]
response_headers_policy = "CORS-and-SecurityHeadersPolicy"
[[distribution.behavior]]
path_pattern = "/preflight/*"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS"]
response_headers_policy = "Managed-CORS-With-Preflight"
[[distribution.behavior]]
path_pattern = "/custom/*"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
response_headers_policy = "Custom"
`)
}

func policyOrigin(t *testing.T) *testOrigin {
	o := newTestOrigin(t)
	for _, p := range []string{"/managed/a.json", "/preflight/a.json", "/custom/a.json"} {
		o.static(p, 200, map[string]string{
			"Content-Type":                "application/json",
			"Cache-Control":               "max-age=60",
			"X-Frame-Options":             "ALLOW-FROM-ORIGIN", // the origin's own: kept where override is off
			"X-Content-Type-Options":      "origin-value",      // replaced where override is on
			"X-Internal":                  "secret",
			"Access-Control-Allow-Origin": "https://from-origin.test",
		}, `{"a":1}`)
	}
	return o
}

// TestManagedPolicyHeaders: CORS-and-SecurityHeadersPolicy on a miss and on a hit, with and without
// Origin; the origin's own header wins where the policy does not override.
func TestManagedPolicyHeaders(t *testing.T) {
	o := policyOrigin(t)
	e := startEdge(t, policyConfig(), o.port())
	for i, c := range []struct {
		origin string
		xcache string
	}{{"https://site.test", "Miss from cloudfront"}, {"https://site.test", "Hit from cloudfront"}, {"", "Hit from cloudfront"}} {
		hdr := map[string]string{}
		if c.origin != "" {
			hdr["Origin"] = c.origin
		}
		r, body := e.do(t, "GET", "/managed/a.json", hdr)
		if body != `{"a":1}` || xcache(r) != c.xcache {
			t.Fatalf("request %d: %q %s", i, body, xcache(r))
		}
		want := map[string]string{
			"Referrer-Policy":           "strict-origin-when-cross-origin",
			"Strict-Transport-Security": "max-age=31536000",
			"X-Content-Type-Options":    "nosniff",           // override: yes
			"X-Frame-Options":           "ALLOW-FROM-ORIGIN", // override: no, the origin sent one
			"X-Xss-Protection":          "1; mode=block",
			// SimpleCORS does not override the origin's Allow-Origin.
			"Access-Control-Allow-Origin": "https://from-origin.test",
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("request %d: %s = %q, want %q", i, k, got, v)
			}
		}
	}
}

// TestPreflightAnsweredAtTheEdge: a preflight on a behavior whose policy allows it is answered by
// the edge (the origin never sees it); a disallowed method or origin goes on to the origin.
func TestPreflightAnsweredAtTheEdge(t *testing.T) {
	o := policyOrigin(t)
	e := startEdge(t, policyConfig(), o.port())
	pre := func(path, origin, method string) *http.Response {
		r, _ := e.do(t, "OPTIONS", path, map[string]string{"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "x-requested-with"})
		return r
	}
	r := pre("/preflight/a.json", "https://site.test", "GET")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
		r.Header.Get("Access-Control-Allow-Methods") != "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" ||
		r.Header.Get("Access-Control-Allow-Headers") != "*" {
		t.Errorf("managed preflight: %d %v", r.StatusCode, r.Header)
	}
	r = pre("/custom/a.json", "https://app.example.test", "PUT")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.test" ||
		r.Header.Get("Access-Control-Allow-Credentials") != "true" || r.Header.Get("Access-Control-Max-Age") != "600" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "PUT") || !strings.Contains(r.Header.Get("Vary"), "Origin") {
		t.Errorf("custom preflight: %d %v", r.StatusCode, r.Header)
	}
	if n := o.requests(); n != 0 {
		t.Errorf("the origin saw %d preflights", n)
	}
	// Not allowed: the request goes to the origin (which answers 404 for OPTIONS here) and gets
	// no CORS headers from the policy.
	for _, c := range []struct{ origin, method string }{{"https://evil.test", "PUT"}, {"https://app.example.test", "DELETE"}} {
		r = pre("/custom/a.json", c.origin, c.method)
		if r.StatusCode == 204 || r.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("disallowed preflight %v: %d %v", c, r.StatusCode, r.Header)
		}
	}
}

// TestCustomPolicy: origin matching (exact and wildcard), origin_override, removal, custom headers,
// and Server-Timing on request.
func TestCustomPolicy(t *testing.T) {
	o := policyOrigin(t)
	e := startEdge(t, policyConfig(), o.port())
	r, _ := e.do(t, "GET", "/custom/a.json", map[string]string{"Origin": "https://cdn.example.org", "Pragma": "server-timing"})
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://cdn.example.org", // origin_override: replaced
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers":    "X-Version",
		"X-Frame-Options":                  "ALLOW-FROM-ORIGIN",
		"X-Powered-By-Edge":                "yes",
		"X-Internal":                       "",
		"Access-Control-Allow-Methods":     "", // preflight only
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if st := r.Header.Get("Server-Timing"); !strings.Contains(st, "cdn-cache-miss") || !strings.Contains(st, `cdn-pop;desc="TST1-C1"`) || !strings.Contains(st, "cdn-upstream-fbl;dur=") {
		t.Errorf("Server-Timing on a miss: %q", st)
	}
	r, _ = e.do(t, "GET", "/custom/a.json", map[string]string{"Origin": "https://evil.test", "Pragma": "server-timing"})
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "https://from-origin.test" {
		t.Errorf("unmatched origin: Allow-Origin %q, want the origin's own", got)
	}
	if st := r.Header.Get("Server-Timing"); !strings.Contains(st, "cdn-cache-hit") || !strings.Contains(st, `cdn-hit-layer;desc="EDGE"`) {
		t.Errorf("Server-Timing on a hit: %q", st)
	}
	if r, _ = e.do(t, "GET", "/custom/a.json", nil); r.Header.Get("Server-Timing") != "" {
		t.Errorf("Server-Timing at sampling rate 0 without Pragma: %q", r.Header.Get("Server-Timing"))
	}
}
