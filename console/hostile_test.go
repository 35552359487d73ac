package console

import (
	"strings"
	"testing"

	"github.com/cfedge/edge/cache"
)

// Viewer-controlled strings reach the console through the cache's object paths: the edge
// stores the request's decoded path (fasthttp's Path: "%3C" is '<', "%23" is '#', "%3F" is
// '?'), so any byte a viewer can percent-encode can be in cache.Object.Path.

const xssPath = `/media/"><script>alert(1)</script><img src=x onerror=alert(2)>'` + "\xff\xfe" + `<!--`

// TestHostileConsoleCachePathsEscaped: object paths holding markup are shown as text on /cache,
// in the Largest and Hottest tables, never as markup.
func TestHostileConsoleCachePathsEscaped(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	fc := c.cache.(*fakeCache)
	fc.largest = []cache.Object{{Dist: "EDIST1", Path: xssPath, Size: 9 << 20, Memory: true}}
	fc.hot = []cache.Object{{Dist: "EDIST1", Path: xssPath + "hot", Rate: 3, Hits: 64}}
	c.Sample()
	resp := do(c, loopbackAddr, "GET", "/cache", nil)
	body := string(resp.Body())
	for _, bad := range []string{"<script>alert(1)", "<img src=x", "<!--", `"><script`} {
		if strings.Contains(body, bad) {
			t.Errorf("/cache shows %q as markup", bad)
		}
	}
	if strings.Count(body, "&lt;script&gt;alert(1)&lt;/script&gt;") != 2 {
		t.Errorf("/cache does not show both escaped paths:\n%s", body)
	}
}

// TestHostileConsoleReflectedParams: every query parameter and path segment the console
// reflects (host and path forms, ?dist=, an unknown distribution id) is escaped for its
// context, attribute values included.
func TestHostileConsoleReflectedParams(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	const p = `%22%3E%3Cscript%3Ealert(1)%3C/script%3E%27%20onmouseover=%27x`
	for _, uri := range []string{
		"/?host=" + p + "&path=" + p,
		"/?host=d1.example.test&path=/media/" + p,
		"/distributions/EDIST1?path=" + p,
		"/distributions/" + p,
		"/invalidations?dist=" + p,
		"/traffic?dist=" + p,
	} {
		resp := do(c, loopbackAddr, "GET", uri, nil)
		body := string(resp.Body())
		for _, bad := range []string{"<script>", `"><script`, `' onmouseover='x`} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: %q reaches the page unescaped", uri, bad)
			}
		}
		if ct := string(resp.Header.ContentType()); resp.StatusCode() != 405 && !strings.HasPrefix(ct, "text/html; charset=utf-8") {
			t.Errorf("GET %s: Content-Type %q", uri, ct)
		}
	}
}

// TestHostileConsoleCachePathSpoofing: an object path is shown as the object it is. The cache
// reports paths without a query string (cache.Object.Path), decoded, so a '#' or '?' in one is
// a literal character of the path the viewer asked for ("/index.html%23x.bin" is the object
// "/index.html#x.bin", not "/index.html"): /cache shows it whole. (It once went through
// redactURL, meant for URLs, and a viewer could have a huge object listed as "/index.html".)
func TestHostileConsoleCachePathSpoofing(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	fc := c.cache.(*fakeCache)
	fc.largest = []cache.Object{{Dist: "EDIST1", Path: "/index.html#10GB-junk.bin", Size: 10 << 30, Memory: true}}
	fc.hot = []cache.Object{{Dist: "EDIST1", Path: "/app.js?Signature=/../../evil.js", Rate: 500, Hits: 6400}}
	c.Sample()
	body := string(do(c, loopbackAddr, "GET", "/cache", nil).Body())
	for _, want := range []string{"10GB-junk.bin", "evil.js"} {
		if !strings.Contains(body, want) {
			t.Errorf("/cache lists an object without %q: it shows a different path than the cached object's", want)
		}
	}
	for _, spoof := range []string{"<code>/index.html</code>", "<code>/app.js</code>"} {
		if strings.Contains(body, spoof) {
			t.Errorf("/cache shows %s for an object that is not at that path", spoof)
		}
	}
}
