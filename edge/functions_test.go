package edge

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// functionConfig has one behavior per function under test, all in front of the test origin.
func functionConfig(t *testing.T) string {
	kvs := filepath.Join(t.TempDir(), "routes.json")
	if err := os.WriteFile(kvs, []byte(`{"data":[{"key":"/old","value":"/new.txt"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return `
[[key_value_store]]
name = "routes"
data_file = "` + kvs + `"

[[function]]
name = "spa"
code = """
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri += 'index.html';
  } else if (!uri.includes('.')) {
    request.uri += '/index.html';
  }
  request.headers['x-from-function'] = {value: 'spa'};
  return request;
}
"""

[[function]]
name = "redirect"
code = """
function handler(event) {
  var host = event.request.headers.host.value;
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: {location: {value: 'https://' + host + '/new' + event.request.uri}},
  };
}
"""

[[function]]
name = "stamp"
code = """
async function handler(event) {
  var response = event.response;
  response.headers['x-stamp'] = {value: event.context.eventType + ' ' + response.statusCode};
  delete response.headers['x-drop'];
  response.headers['x-keep'] = {value: 'changed'};
  response.cookies['seen'] = {value: '1', attributes: 'Path=/'};
  return response;
}
"""

[[function]]
name = "route"
key_value_store = "routes"
code = """
import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const request = event.request;
  try {
    request.uri = await kvs.get(request.uri);
  } catch (e) {
    // not routed: as is
  }
  return request;
}
"""

[[function]]
name = "boom"
code = """
function handler(event) { throw new Error('boom'); }
"""

[[function]]
name = "badhost"
code = """
function handler(event) { event.request.headers.host = {value: 'evil.test'}; return event.request; }
"""

[[function]]
name = "spin"
code = """
function handler(event) { while (true) {} }
"""
` + baseConfig(`
[[distribution.behavior]]
path_pattern = "/app/*"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "spa"
[[distribution.behavior.function_association]]
event_type = "viewer-response"
function = "stamp"
[[distribution.behavior]]
path_pattern = "/moved/*"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "redirect"
[[distribution.behavior]]
path_pattern = "/old"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "route"
[[distribution.behavior]]
path_pattern = "/boom"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "boom"
[[distribution.behavior]]
path_pattern = "/badhost"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "badhost"
[[distribution.behavior]]
path_pattern = "/spin"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "spin"
`)
}

// TestFunctionsOverSockets: real function code through the edge: an SPA rewrite (which changes
// the cache key and the origin request), a viewer-response header and cookie on misses and hits,
// a generated redirect, a KeyValueStore lookup, and CloudFront's answers for a function that
// throws, one that changes a read-only header, and one that never ends.
func TestFunctionsOverSockets(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/app/about/index.html", 200, map[string]string{"Cache-Control": "max-age=60", "X-Drop": "1", "X-Keep": "original"}, "about page")
	o.static("/new.txt", 200, nil, "routed")
	e := startEdge(t, functionConfig(t), o.port())

	r, body := e.get(t, "/app/about")
	if body != "about page" || xcache(r) != "Miss from cloudfront" || r.Header.Get("X-Stamp") != "viewer-response 200" ||
		!strings.HasPrefix(r.Header.Get("Set-Cookie"), "seen=1") {
		t.Fatalf("SPA miss: %q %s %v", body, xcache(r), r.Header)
	}
	if got := o.last("/app/about/index.html").Header.Get("X-From-Function"); got != "spa" {
		t.Errorf("origin saw X-From-Function %q", got)
	}
	r, body = e.get(t, "/app/about")
	if body != "about page" || xcache(r) != "Hit from cloudfront" || r.Header.Get("X-Stamp") != "viewer-response 200" {
		t.Errorf("SPA hit: %q %s %v", body, xcache(r), r.Header)
	}
	if r.Header.Get("X-Drop") != "" || r.Header.Get("X-Keep") != "changed" || r.Header.Get("Date") == "" ||
		r.Header.Get("Cache-Control") != "max-age=60" {
		t.Errorf("viewer-response changes: %v", r.Header)
	}
	if n := o.count("/app/about/index.html"); n != 1 {
		t.Errorf("origin asked %d times for the rewritten object", n)
	}

	r, _ = e.get(t, "/moved/x")
	if r.StatusCode != 301 || r.Header.Get("Location") != "https://"+e.host+"/new/moved/x" ||
		xcache(r) != "FunctionGeneratedResponse from cloudfront" {
		t.Errorf("redirect: %d %q %s", r.StatusCode, r.Header.Get("Location"), xcache(r))
	}
	if n := o.count("/moved/x"); n != 0 {
		t.Errorf("a generated response reached the origin %d times", n)
	}

	if r, body = e.get(t, "/old"); r.StatusCode != 200 || body != "routed" {
		t.Errorf("KVS route: %d %q", r.StatusCode, body)
	}

	for _, c := range []struct {
		path   string
		status int
		xcache string
	}{
		{"/boom", 503, "FunctionExecutionError from cloudfront"},
		{"/badhost", 502, "FunctionValidationError from cloudfront"},
		{"/spin", 503, "FunctionExecutionError from cloudfront"},
	} {
		start := time.Now()
		r, _ := e.get(t, c.path)
		if r.StatusCode != c.status || xcache(r) != c.xcache {
			t.Errorf("%s: %d %s, want %d %s", c.path, r.StatusCode, xcache(r), c.status, c.xcache)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s took %v", c.path, took)
		}
	}
}

// TestFunctionLoopBlocksNoOne: requests that spin in a function do not hold up other requests.
func TestFunctionLoopBlocksNoOne(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/app/index.html", 200, map[string]string{"Cache-Control": "max-age=60"}, "home")
	e := startEdge(t, functionConfig(t), o.port())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.get(t, "/spin")
		}()
	}
	for range 20 {
		if r, body := e.get(t, "/app/"); r.StatusCode != http.StatusOK || body != "home" {
			t.Fatalf("while others spin: %d %q", r.StatusCode, body)
		}
	}
	wg.Wait()
}

// TestFunctionSelectsOrigin: a viewer-request function sends the request to another origin of the
// distribution (cf.selectRequestOriginById), to a failover pair (cf.createRequestOriginGroup), or
// to the behavior's origin changed (cf.updateRequestOrigin); an unknown origin is CloudFront's
// function error.
func TestFunctionSelectsOrigin(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/f", 200, nil, "from web")
	o2 := newTestOrigin(t)
	o2.static("/f", 200, nil, "from second")
	o2.static("/sub/f", 200, nil, "from second, updated")
	cfg := `
[[function]]
name = "pick"
code = """
import cf from 'cloudfront';
function handler(event) {
  var r = event.request;
  if (r.querystring.to && r.querystring.to.value === 'second') {
    cf.selectRequestOriginById('second');
  } else if (r.querystring.to && r.querystring.to.value === 'group') {
    cf.createRequestOriginGroup({originIds: ['web', 'second'], failoverCriteria: {statusCodes: [500, 404]}});
  } else if (r.querystring.to && r.querystring.to.value === 'update') {
    cf.updateRequestOrigin({domainName: 'localhost', originPath: '/sub', customOriginConfig: {port: SECOND_PORT, protocol: 'http'}});
  } else if (r.querystring.to && r.querystring.to.value === 'nowhere') {
    cf.selectRequestOriginById('nowhere');
  }
  return r;
}
"""
` + baseConfig(fmt.Sprintf(`
[[distribution.origin]]
id = "second"
kind = "http"
domain_name = "127.0.0.1"
http_port = %d
[[distribution.behavior]]
path_pattern = "/f"
target_origin_id = "web"
cache_policy = "CachingDisabled"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "pick"
[[distribution.behavior]]
path_pattern = "/missing"
target_origin_id = "web"
cache_policy = "CachingDisabled"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "pick"
`, o2.port()))
	cfg = strings.Replace(cfg, "SECOND_PORT", fmt.Sprint(o2.port()), 1)
	e := startEdge(t, cfg, o.port())
	for _, c := range []struct {
		uri, body string
		status    int
	}{
		{"/f", "from web", 200},
		{"/f?to=second", "from second", 200},
		{"/f?to=group", "from web", 200},
		{"/missing?to=group", "", 404}, // both members answer 404: the secondary's answer
		{"/f?to=update", "from second, updated", 200},
		{"/f?to=nowhere", "", 503},
	} {
		r, body := e.get(t, c.uri)
		if r.StatusCode != c.status || c.body != "" && body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.uri, r.StatusCode, body, c.status, c.body)
		}
	}
	if n := o2.count("/missing"); n != 1 {
		t.Errorf("the group's secondary saw /missing %d times, want 1 (failover on 404)", n)
	}
}

// TestCloudFrontViewerHeaders: the CloudFront-* headers an origin request policy names are
// generated by the edge (the country from server.viewer_country), reach the origin and a
// viewer-request function, and a viewer's own are never trusted.
func TestCloudFrontViewerHeaders(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/geo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s %s", r.Header.Get("CloudFront-Viewer-Country"), r.Header.Get("CloudFront-Is-Mobile-Viewer"),
			r.Header.Get("X-Seen-Country"), r.Header.Get("CloudFront-Viewer-City"))
	})
	cfg := strings.Replace(`
[[origin_request_policy]]
name = "Geo"
headers = { behavior = "whitelist", names = ["CloudFront-Viewer-Country", "CloudFront-Is-Mobile-Viewer", "X-Seen-Country"] }
cookies = { behavior = "none" }
query_strings = { behavior = "none" }

[[function]]
name = "seen"
code = """
function handler(event) {
  var c = event.request.headers['cloudfront-viewer-country'];
  event.request.headers['x-seen-country'] = {value: c ? c.value : 'none'};
  return event.request;
}
"""
`+baseConfig(`
[[distribution.behavior]]
path_pattern = "/geo"
target_origin_id = "web"
cache_policy = "CachingDisabled"
origin_request_policy = "Geo"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "seen"
`), `pop = "TST1-C1"`, "pop = \"TST1-C1\"\nviewer_country = \"FR\"", 1)
	if !strings.Contains(cfg, `viewer_country = "FR"`) {
		t.Fatal("fixture drifted")
	}
	e := startEdge(t, cfg, o.port())
	_, body := e.do(t, "GET", "/geo", map[string]string{
		"User-Agent":                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
		"CloudFront-Viewer-Country": "XX",      // spoofed: replaced
		"CloudFront-Viewer-City":    "Nowhere", // spoofed, not generated: removed
	})
	if body != "FR true FR " {
		t.Errorf("origin saw %q, want country FR, mobile true, the function saw FR, no city", body)
	}
}
