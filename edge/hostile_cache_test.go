package edge

// Hostile cache tests: requests and origin answers crafted to confuse the cache key, the TTL
// rules or what is stored, over real sockets on 127.0.0.1 with the fake clock. The reference for
// expected behaviour is CloudFront's Developer Guide (cited per test).

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// errorPageConfig is a distribution whose default behavior keys (and so forwards) X-Lang and the
// Host, and answers 404s with the custom page /err.html, itself served by the default behavior.
func errorPageConfig(extraPolicy string) string {
	return `
[[cache_policy]]
name = "ByLangHost"
min_ttl = 0
default_ttl = 60
max_ttl = 600
enable_accept_encoding_gzip = true
enable_accept_encoding_brotli = true
headers = { behavior = "whitelist", names = ["X-Lang", "Host"] }
` + extraPolicy + strings.Replace(baseConfig(`
[[distribution.custom_error_response]]
error_code = 404
response_page_path = "/err.html"
response_code = 404
`), `aliases = ["cdn.example.test"]`, `aliases = ["a.example.test", "b.example.test"]`, 1) +
		"cache_policy = \"ByLangHost\"\ncompress = true\n"
}

// TestHostileCacheErrorPageKeyedWithoutForwardedHeaders: the custom error page is fetched with
// the headers of the viewer whose request failed (its behavior's forwarded headers: X-Lang and
// Host here), but stored under a key built with no headers at all (errorPage: AppendKey over
// noHeaders{}). One viewer's forwarded values thus fill an entry every other viewer reads.
//
// CloudFront: "Every value in the cache key is also forwarded to the origin" and only those (with
// an origin request policy's additions) — controlling-the-cache-key.html /
// understanding-the-cache-key.html; a custom error page is fetched and cached like any object
// through the behavior matching its path (GeneratingCustomErrorResponses.html). An entry must
// never hold a response to values its key does not hold.
func TestHostileCacheErrorPageKeyedWithoutForwardedHeaders(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/err.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "page lang=%s host=%s", r.Header.Get("X-Lang"), r.Host)
	})
	e := startEdge(t, errorPageConfig(""), o.port())

	// The attacker: a 404 on tenant a with a chosen X-Lang.
	r, body := e.do(t, "GET", "/nope-1", map[string]string{"Host": "a.example.test", "X-Lang": "evil"})
	if r.StatusCode != 404 {
		t.Fatalf("attacker's 404: %d %q", r.StatusCode, body)
	}
	// A victim on tenant b, with another language, hits another missing path.
	r, body = e.do(t, "GET", "/nope-2", map[string]string{"Host": "b.example.test", "X-Lang": "en"})
	if r.StatusCode != 404 {
		t.Fatalf("victim's 404: %d %q", r.StatusCode, body)
	}
	if strings.Contains(body, "evil") || strings.Contains(body, "a.example.test") {
		t.Errorf("victim (Host b, X-Lang en) got the error page fetched for the attacker (Host a, X-Lang evil): %q", body)
	}
	// And the page path itself, asked for directly with no X-Lang, must not be the attacker's.
	r, body = e.do(t, "GET", "/err.html", map[string]string{"Host": "b.example.test"})
	if strings.Contains(body, "evil") || strings.Contains(body, "a.example.test") {
		t.Errorf("GET /err.html (Host b, no X-Lang): %s %q: the attacker's variant", xcache(r), body)
	}
}

// TestHostileCacheErrorPageCompressedForOneViewer: the custom error page is compressed for the
// Accept-Encoding of the viewer whose request failed, then stored under a key without any
// Accept-Encoding; a later viewer that accepts no compression is sent a Brotli body.
//
// CloudFront: the normalised Accept-Encoding is part of the cache key when compression is on,
// and a viewer that does not accept br never gets Content-Encoding: br
// (controlling-the-cache-key.html §Compression support; ServingCompressedFiles.html).
func TestHostileCacheErrorPageCompressedForOneViewer(t *testing.T) {
	o := newTestOrigin(t)
	page := strings.Repeat("<p>not found</p>\n", 200) // 3,400 bytes: compressible
	o.static("/err.html", 200, map[string]string{"Cache-Control": "max-age=600", "Content-Type": "text/html",
		"Content-Length": fmt.Sprint(len(page))}, page)
	e := startEdge(t, errorPageConfig(""), o.port())

	r, _ := e.do(t, "GET", "/missing-1", map[string]string{"Accept-Encoding": "br"})
	if r.StatusCode != 404 {
		t.Fatalf("first 404: %d", r.StatusCode)
	}
	// This viewer accepts nothing but identity.
	r, body := e.do(t, "GET", "/missing-2", nil)
	if r.StatusCode != 404 {
		t.Fatalf("second 404: %d", r.StatusCode)
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" || body != page {
		t.Errorf("viewer without Accept-Encoding got Content-Encoding %q and a %d-byte body (want the %d-byte page as is)",
			ce, len(body), len(page))
	}
}

// TestHostileCacheNoCollapsingWhenCookiesForwarded: a behavior that forwards cookies to the origin
// (here through its origin request policy) must not collapse simultaneous misses: each viewer's
// request, with its own cookies, reaches the origin. behavior.Behavior.NoCollapse says so, but
// the edge never reads it: Server.miss always goes through collapse.
//
// CloudFront: request collapsing is turned off when cookies are forwarded, in the cache key or
// in the origin request policy (RequestAndResponseBehaviorCustomOrigin.html
// §Simultaneous requests for the same object (request collapsing)).
func TestHostileCacheNoCollapsingWhenCookiesForwarded(t *testing.T) {
	o := newTestOrigin(t)
	arrived := make(chan string, 4)
	release := make(chan struct{})
	o.handle("/me", func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.Header.Get("Cookie")
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "for "+r.Header.Get("Cookie"))
	})
	cfg := `
[[cache_policy]]
name = "PlainKey"
min_ttl = 0
default_ttl = 60
max_ttl = 600
[[origin_request_policy]]
name = "AllCookies"
cookies = { behavior = "all" }
` + baseConfig("") + "cache_policy = \"PlainKey\"\norigin_request_policy = \"AllCookies\"\n"
	e := startEdge(t, cfg, o.port())
	open := func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}
	t.Cleanup(open)
	done := make(chan string, 2)
	go func() { _, b := e.do(t, "GET", "/me", map[string]string{"Cookie": "user=alice"}); done <- b }()
	if c := <-arrived; c != "user=alice" {
		t.Fatalf("origin got Cookie %q", c)
	}
	go func() { _, b := e.do(t, "GET", "/me", map[string]string{"Cookie": "user=bob"}); done <- b }()
	select {
	case c := <-arrived:
		if c != "user=bob" {
			t.Errorf("second origin request carried Cookie %q, want user=bob", c)
		}
	case <-time.After(time.Second):
		t.Errorf("bob's request never reached the origin while alice's was in flight: collapsed although cookies are forwarded")
	}
	open()
	<-done
	<-done
}

// TestHostileCacheRefreshKeepsWeakETagOfCompressedEntry: an entry the edge compressed carries a
// weak ETag (W/"v1"). After a 304 the origin's strong ETag "v1" replaces it while the stored body
// is still the edge's Brotli encoding: the viewer is told the compressed bytes are strongly
// identical to the origin's uncompressed representation.
//
// CloudFront: when it compresses, a strong ETag becomes weak (ServingCompressedFiles.html
// §ETag header conversion), and an object cached compressed stays as it was after a 304
// (Expiration.html, RefreshHit keeps the cached body). RFC 9110 §8.8.1: a strong validator
// changes with the content encoding.
func TestHostileCacheRefreshKeepsWeakETagOfCompressedEntry(t *testing.T) {
	o := newTestOrigin(t)
	body := strings.Repeat("compress me please. ", 100) // 2,000 bytes
	o.handle("/c.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("ETag", `"v1"`)
		if inm := r.Header.Get("If-None-Match"); strings.TrimPrefix(inm, "W/") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		io.WriteString(w, body)
	})
	e := startEdge(t, baseConfig("")+"cache_policy = \"CachingOptimized\"\ncompress = true\n", o.port())
	ae := map[string]string{"Accept-Encoding": "br"}
	r, _ := e.do(t, "GET", "/c.txt", ae)
	if r.Header.Get("Content-Encoding") != "br" || r.Header.Get("ETag") != `W/"v1"` {
		t.Fatalf("miss: Content-Encoding %q ETag %q, want br and W/\"v1\"", r.Header.Get("Content-Encoding"), r.Header.Get("ETag"))
	}
	e.clock.Advance(11 * time.Second)
	r, _ = e.do(t, "GET", "/c.txt", ae)
	if xcache(r) != "RefreshHit from cloudfront" {
		t.Fatalf("after expiry: %s, want a RefreshHit", xcache(r))
	}
	if r.Header.Get("Content-Encoding") != "br" || r.Header.Get("ETag") != `W/"v1"` {
		t.Errorf("RefreshHit of a compressed entry: Content-Encoding %q ETag %q, want br and W/\"v1\"",
			r.Header.Get("Content-Encoding"), r.Header.Get("ETag"))
	}
}

// TestHostileCacheStaleErrorServedAsHit: a cached 503 expires; the origin still fails with 503;
// the edge takes the expired 503 for a "stale object" (serveStale) and answers it with
// "X-Cache: Hit from cloudfront". An error answered from the cache is an Error (hitResult), and
// a 5xx is never a Hit.
//
// CloudFront: X-Cache is "Error from cloudfront" for errors (HTTPStatusCodes.html,
// Knowledge Center "X-Cache"); serving a stale copy on a 5xx is for an object in the cache
// (HTTPStatusCodes.html §The requested object is in the edge cache), not for a cached error.
func TestHostileCacheStaleErrorServedAsHit(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/down", 503, nil, "down")
	e := startEdge(t, baseConfig(""), o.port())
	if r, _ := e.get(t, "/down"); r.StatusCode != 503 || xcache(r) != "Error from cloudfront" {
		t.Fatalf("first 503: %d %s", r.StatusCode, xcache(r))
	}
	if r, _ := e.get(t, "/down"); xcache(r) != "Error from cloudfront" {
		t.Fatalf("cached 503: %s", xcache(r))
	}
	e.clock.Advance(11 * time.Second) // past ErrorCachingMinTTL
	r, _ := e.get(t, "/down")
	if r.StatusCode != 503 || xcache(r) != "Error from cloudfront" {
		t.Errorf("503 after the cached 503 expired: %d %q, want 503 with Error from cloudfront", r.StatusCode, xcache(r))
	}
	if o.count("/down") != 2 {
		t.Errorf("origin asked %d times, want 2 (once per ErrorCachingMinTTL)", o.count("/down"))
	}
}

// TestHostileCacheSetCookieNotInRequestIsNotCached: with cookies forwarded, a Set-Cookie the
// origin sends for a cookie the viewer did not send (all), or for a cookie not on the whitelist
// (whitelist), goes back to that viewer only: CloudFront does not cache it. The edge stores every
// Set-Cookie with the object (replayHeaders) and replays one viewer's fresh session cookie to
// every later viewer that shares the key.
//
// CloudFront (Cookies.html): "Forward all cookies – … If your origin returns cookies that were
// not in the viewer request, CloudFront does not cache them." "Forward a whitelist of cookies –
// … If your origin returns both whitelisted cookies and cookies that aren't on your whitelist,
// CloudFront caches only the whitelisted cookies."
func TestHostileCacheSetCookieNotInRequestIsNotCached(t *testing.T) {
	for _, c := range []struct{ name, cookies string }{
		{"all", `{ behavior = "all" }`},
		{"whitelist", `{ behavior = "whitelist", names = ["theme"] }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := newTestOrigin(t)
			n := 0
			o.handle("/home", func(w http.ResponseWriter, r *http.Request) {
				n++
				w.Header().Set("Cache-Control", "max-age=60")
				w.Header().Add("Set-Cookie", fmt.Sprintf("session=secret-%d; Path=/; HttpOnly", n))
				io.WriteString(w, "home")
			})
			cfg := `
[[cache_policy]]
name = "Cookies"
min_ttl = 0
default_ttl = 60
max_ttl = 600
cookies = ` + c.cookies + `
` + baseConfig("") + "cache_policy = \"Cookies\"\n"
			e := startEdge(t, cfg, o.port())
			r, _ := e.get(t, "/home")
			if !strings.Contains(r.Header.Get("Set-Cookie"), "session=secret-1") {
				t.Fatalf("first viewer: Set-Cookie %q, want its session", r.Header.Get("Set-Cookie"))
			}
			r, _ = e.get(t, "/home")
			if xcache(r) != "Hit from cloudfront" {
				t.Fatalf("second viewer: %s, want a Hit", xcache(r))
			}
			if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("second viewer (a Hit) was handed the first viewer's cookie: Set-Cookie %q", sc)
			}
		})
	}
}

// TestHostileCacheSetCookieOnRevalidation: the same rule on a refresh: a 304 that sets a cookie
// the revalidating viewer didn't send gives it to that viewer, and the refreshed entry does not
// keep it for the next.
func TestHostileCacheSetCookieOnRevalidation(t *testing.T) {
	o := newTestOrigin(t)
	n := 0
	o.handle("/r", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("ETag", `"r1"`)
		w.Header().Add("Set-Cookie", fmt.Sprintf("session=secret-%d", n))
		if r.Header.Get("If-None-Match") == `"r1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "r")
	})
	cfg := `
[[cache_policy]]
name = "Cookies"
min_ttl = 0
default_ttl = 60
max_ttl = 600
cookies = { behavior = "all" }
` + baseConfig("") + "cache_policy = \"Cookies\"\n"
	e := startEdge(t, cfg, o.port())
	e.get(t, "/r")
	e.clock.Advance(11 * time.Second)
	r, _ := e.get(t, "/r")
	if xcache(r) != "RefreshHit from cloudfront" || !strings.Contains(r.Header.Get("Set-Cookie"), "session=secret-2") {
		t.Fatalf("revalidating viewer: %s, Set-Cookie %q; want a RefreshHit with its cookie", xcache(r), r.Header.Values("Set-Cookie"))
	}
	r, _ = e.get(t, "/r")
	if xcache(r) != "Hit from cloudfront" || len(r.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("next viewer: %s, Set-Cookie %q; want a Hit without another viewer's cookie", xcache(r), r.Header.Values("Set-Cookie"))
	}
}

// TestHostileTTLQualifiedNoCacheStillCaches: `no-cache="Set-Cookie"` tells CloudFront not to cache
// the Set-Cookie field; the object itself is cached for its max-age (the edge once took the
// qualified form for a plain no-cache and, with MinTTL 0, cached nothing).
//
// CloudFront (Cookies.html, "Suspending Caching Based on Cookies"): "If you want CloudFront to
// temporarily stop caching cookies and cookie attributes, configure your origin server to add …
// no-cache="Set-Cookie"". RFC 9111 §5.2.2.4: the qualified form lets a cache store the response
// without the listed fields.
func TestHostileTTLQualifiedNoCacheStillCaches(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/pub", 200, map[string]string{"Cache-Control": `public, no-cache="Set-Cookie", max-age=86400`,
		"Set-Cookie": "s=1"}, "public page")
	cfg := `
[[cache_policy]]
name = "Cookies"
min_ttl = 0
default_ttl = 60
max_ttl = 86400
cookies = { behavior = "whitelist", names = ["s"] }
` + baseConfig("") + "cache_policy = \"Cookies\"\n"
	e := startEdge(t, cfg, o.port())
	e.get(t, "/pub")
	r, body := e.get(t, "/pub")
	if xcache(r) != "Hit from cloudfront" || o.count("/pub") != 1 {
		t.Errorf(`max-age=86400 with no-cache="Set-Cookie": second request %s, origin asked %d times (want a Hit, 1)`,
			xcache(r), o.count("/pub"))
	}
	if body != "public page" {
		t.Errorf("body %q", body)
	}
}

// TestHostileKeyQueryForwardedEqualsKeyed pins that, for a whitelisted parameter, every spelling
// an origin may read differently (+ vs %20, duplicates, an encoded name, empty values, order)
// keys apart exactly as it is forwarded: a Hit always returns what the origin answered to the
// query that request forwards. CloudFront: query names and values are case-sensitive, order
// matters, only & delimits, and every value in the key is forwarded
// (controlling-the-cache-key.html, QueryStringParameters.html).
func TestHostileKeyQueryForwardedEqualsKeyed(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/q", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "raw="+r.URL.RawQuery)
	})
	cfg := `
[[cache_policy]]
name = "ByQ"
min_ttl = 0
default_ttl = 60
max_ttl = 600
query_strings = { behavior = "whitelist", names = ["q", "a b"] }
` + baseConfig("") + "cache_policy = \"ByQ\"\n"
	e := startEdge(t, cfg, o.port())
	queries := []string{"q=a+b", "q=a%20b", "q=1&q=2", "q=2&q=1", "q=1", "%71=1", "q=", "q", "a+b=1", "a%20b=1", "q=1&utm=x"}
	first := map[string]string{}
	for _, q := range queries {
		r, body := e.get(t, "/q?"+q)
		first[q] = body
		if xcache(r) != "Miss from cloudfront" && q != "q=1&utm=x" {
			t.Errorf("?%s: %s %q, want a Miss (its own key)", q, xcache(r), body)
		}
	}
	for _, q := range queries {
		r, body := e.get(t, "/q?"+q)
		if xcache(r) != "Hit from cloudfront" || body != first[q] {
			t.Errorf("?%s again: %s %q, want a Hit with %q", q, xcache(r), body, first[q])
		}
	}
	if first["q=1&utm=x"] != "raw=q=1" {
		t.Errorf("?q=1&utm=x: %q, want the entry of q=1 (utm neither keyed nor forwarded)", first["q=1&utm=x"])
	}
}
