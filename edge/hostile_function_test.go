package edge

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hostileFunctionConfig: one behavior per hostile function, all forwarding everything to the
// test origin (AllViewer, no caching), plus a cached behavior with a viewer-response function.
func hostileFunctionConfig() string {
	fn := func(name, code string) string {
		return "\n[[function]]\nname = \"" + name + "\"\ncode = '''\n" + code + "\n'''\n"
	}
	beh := func(path, event, name, cache string) string {
		return `
[[distribution.behavior]]
path_pattern = "` + path + `"
target_origin_id = "web"
cache_policy = "` + cache + `"
origin_request_policy = "AllViewer"
[[distribution.behavior.function_association]]
event_type = "` + event + `"
function = "` + name + `"
`
	}
	return fn("cookiename", `function handler(e){ e.request.cookies['a\r\nX-Injected: cookie\r\nX-Pad'] = {value: 'v'}; return e.request; }`) +
		fn("queryvalue", `function handler(e){ e.request.querystring.x = {value: 'a HTTP/1.1\r\nX-Injected: query\r\nX-Pad: b'}; return e.request; }`) +
		fn("setcookiename", `function handler(e){ return {statusCode: 200, cookies: {'a\r\nX-Evil: generated\r\nX-Pad': {value: 'v'}}}; }`) +
		fn("vrcookiename", `function handler(e){ e.response.cookies['a\r\nX-Evil: vr\r\nX-Pad'] = {value: 'v'}; return e.response; }`) +
		fn("stripquery", `function handler(e){ e.request.querystring = {}; return e.request; }`) +
		fn("mutate", `function handler(e){
  if (e.request.headers['x-mutate']) {
    e.response.statusCode = 299;
    e.response.statusDescription = 'Mutated';
    delete e.response.headers['x-origin'];
    e.response.headers['x-added'] = {value: 'yes'};
    e.response.body = 'mutated body';
  }
  return e.response;
}`) +
		baseConfig(beh("/cookiename", "viewer-request", "cookiename", "CachingDisabled")+
			beh("/queryvalue", "viewer-request", "queryvalue", "CachingDisabled")+
			beh("/setcookiename", "viewer-request", "setcookiename", "CachingDisabled")+
			beh("/vrcookiename", "viewer-response", "vrcookiename", "CachingDisabled")+
			beh("/stripquery", "viewer-request", "stripquery", "CachingDisabled")+
			beh("/cached", "viewer-response", "mutate", "CachingOptimized"))
}

// fnRawOrigin is an origin on a bare socket that records the header block of each request it
// gets, byte for byte, and answers 200 "ok".
func fnRawOrigin(t *testing.T) (port int, seen chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	seen = make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Second))
				br := bufio.NewReader(c)
				var sb strings.Builder
				for {
					l, err := br.ReadString('\n')
					sb.WriteString(l)
					if err != nil || l == "\r\n" {
						break
					}
				}
				seen <- sb.String()
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, seen
}

// originSaw returns the header block the raw origin got, "" if none came.
func originSaw(seen chan string) string {
	select {
	case s := <-seen:
		return s
	case <-time.After(500 * time.Millisecond):
		return ""
	}
}

// TestHostileFunctionCookieNameWithCRLFIs502: a viewer-request function writes a cookie whose
// name holds CR LF. A cookie name must be a token (RFC 6265 §4.1.1), so the output is invalid:
// CloudFront's 502 FunctionValidationError
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-function-restrictions.html),
// and nothing reaches the origin (no header line is smuggled either way).
func TestHostileFunctionCookieNameWithCRLFIs502(t *testing.T) {
	port, seen := fnRawOrigin(t)
	e := startEdge(t, hostileFunctionConfig(), port)
	r, _ := e.get(t, "/cookiename")
	got := originSaw(seen)
	if strings.Contains(got, "\r\nX-Injected:") {
		t.Errorf("origin received an injected header line:\n%q", got)
	}
	if r.StatusCode != http.StatusBadGateway || xcache(r) != "FunctionValidationError from cloudfront" {
		t.Errorf("status %d %s, want 502 FunctionValidationError; origin got\n%q", r.StatusCode, xcache(r), got)
	}
	if got != "" {
		t.Errorf("the origin was asked:\n%q", got)
	}
}

// TestHostileFunctionQueryValueWithSpaceIs502: "A written query string must not contain
// spaces, control characters or #"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/writing-function-code.html),
// in the object form (querystring.x = {value}) as in the string form: otherwise the value would
// land raw in the origin's request line, a malformed request target a lenient origin splits
// differently. Want 502 before anything is sent.
func TestHostileFunctionQueryValueWithSpaceIs502(t *testing.T) {
	port, seen := fnRawOrigin(t)
	e := startEdge(t, hostileFunctionConfig(), port)
	r, _ := e.get(t, "/queryvalue")
	got := originSaw(seen)
	line, _, _ := strings.Cut(got, "\r\n")
	if got != "" && strings.Count(line, " ") != 2 {
		t.Errorf("origin got a malformed request line %q", line)
	}
	if r.StatusCode != http.StatusBadGateway || xcache(r) != "FunctionValidationError from cloudfront" {
		t.Errorf("status %d %s, want 502 FunctionValidationError", r.StatusCode, xcache(r))
	}
	if got != "" {
		t.Errorf("the origin was asked:\n%q", got)
	}
}

// TestHostileFunctionSetCookieNameWithCRLFIs502: a generated response's (and a
// viewer-response's) cookie name holding CR LF is not a token (RFC 6265 §4.1.1): the viewer
// gets CloudFront's 502 for an invalid output, not a mangled Set-Cookie, and no smuggled
// header.
func TestHostileFunctionSetCookieNameWithCRLFIs502(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/vrcookiename", 200, nil, "ok")
	e := startEdge(t, hostileFunctionConfig(), o.port())
	for _, path := range []string{"/setcookiename", "/vrcookiename"} {
		r, _ := e.get(t, path)
		if v := r.Header.Get("X-Evil"); v != "" {
			t.Errorf("%s: the viewer got a smuggled header X-Evil: %q", path, v)
		}
		if r.StatusCode != http.StatusBadGateway || xcache(r) != "FunctionValidationError from cloudfront" {
			t.Errorf("%s: %d %s Set-Cookie %q, want 502 FunctionValidationError", path, r.StatusCode, xcache(r), r.Header.Get("Set-Cookie"))
		}
	}
}

// TestHostileFunctionViewerProtoQueryIs502 (named for the bug it pins): a viewer adds
// ?__proto__=1 (or ?toString=1) to a URL whose behavior strips the query
// (request.querystring = {}): the request goes to the origin without its query, not 502
// (only the returned object's own properties are its fields).
func TestHostileFunctionViewerProtoQueryIs502(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/stripquery", 200, nil, "ok")
	e := startEdge(t, hostileFunctionConfig(), o.port())
	if r, body := e.get(t, "/stripquery?a=1"); r.StatusCode != 200 || body != "ok" {
		t.Fatalf("baseline: %d %q", r.StatusCode, body)
	}
	r, body := e.get(t, "/stripquery?__proto__=1")
	if r.StatusCode != 200 || body != "ok" {
		t.Errorf("?__proto__=1: %d %s (body %d bytes), want 200 from the origin with the query stripped", r.StatusCode, xcache(r), len(body))
	}
	if got := o.last("/stripquery").URI; got != "/stripquery" {
		t.Errorf("origin saw %q, want the query stripped", got)
	}
	r, body = e.get(t, "/stripquery?toString=1&constructor=2")
	if r.StatusCode != 200 || body != "ok" {
		t.Errorf("?toString=1&constructor=2: %d %s, want 200 from the origin", r.StatusCode, xcache(r))
	}
	if got := o.last("/stripquery").URI; got != "/stripquery" {
		t.Errorf("origin saw %q, want the query stripped", got)
	}
}

// TestHostileFunctionViewerResponseLeavesCacheAlone: a viewer-response function changes
// status, headers and body of a cache hit for one viewer; the cached object and the next
// viewer's answer stay the origin's.
func TestHostileFunctionViewerResponseLeavesCacheAlone(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/cached", 200, map[string]string{"Cache-Control": "max-age=600", "X-Origin": "1"}, "origin body")
	e := startEdge(t, hostileFunctionConfig(), o.port())
	if r, body := e.get(t, "/cached"); r.StatusCode != 200 || body != "origin body" {
		t.Fatalf("miss: %d %q", r.StatusCode, body)
	}
	r, body := e.do(t, "GET", "/cached", map[string]string{"X-Mutate": "1"})
	if r.StatusCode != 299 || body != "mutated body" || r.Header.Get("X-Origin") != "" || r.Header.Get("X-Added") != "yes" {
		t.Errorf("mutating viewer: %d %q %v", r.StatusCode, body, r.Header)
	}
	for i := 0; i < 2; i++ {
		r, body = e.get(t, "/cached")
		if r.StatusCode != 200 || body != "origin body" || r.Header.Get("X-Origin") != "1" || r.Header.Get("X-Added") != "" ||
			xcache(r) != "Hit from cloudfront" {
			t.Errorf("next viewer %d: %d %s %q %v", i, r.StatusCode, xcache(r), body, r.Header)
		}
	}
	if n := o.count("/cached"); n != 1 {
		t.Errorf("origin asked %d times", n)
	}
}
