package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/edge"
	"github.com/cfedge/edge/fleet"
)

const (
	keyID     = "AKIACONSOLETEST00001"
	keySecret = "consoleTestSecret0000000000000000000001"
)

// Fakes of what the console reads.

type fakeControl struct {
	dists []control.DistributionView
	invs  map[string][]control.InvalidationView
}

func (f *fakeControl) DistributionViews() []control.DistributionView { return f.dists }

func (f *fakeControl) InvalidationViews(dist string, max, maxPaths int) ([]control.InvalidationView, bool) {
	list, ok := f.invs[dist]
	if max > 0 && len(list) > max {
		list = list[:max]
	}
	out := make([]control.InvalidationView, 0, len(list))
	for _, v := range list {
		v.Paths = append([]string(nil), v.Paths...) // the console may change its copy
		if maxPaths > 0 && len(v.Paths) > maxPaths {
			v.Paths = v.Paths[:maxPaths]
		}
		out = append(out, v)
	}
	return out, ok
}

// fakeMatcher answers every path with behavior 0 and echoes the path, query and all (the
// real matcher drops the query: the console must not rely on it).
type fakeMatcher struct{}

func (fakeMatcher) MatchBehavior(dist, uri string) (edge.BehaviorMatch, bool) {
	if dist != "EDIST1" {
		return edge.BehaviorMatch{}, false
	}
	return edge.BehaviorMatch{Distribution: dist, Index: 0, PathPattern: "/media/*", TargetOriginID: "media", Path: uri}, true
}

func (fakeMatcher) MatchHost(host, uri string) (edge.BehaviorMatch, bool) {
	if host != "d1.example.test" {
		return edge.BehaviorMatch{}, false
	}
	return fakeMatcher{}.MatchBehavior("EDIST1", uri)
}

type fakeCache struct {
	stats   cache.Stats
	disk    *cache.DiskStats
	largest []cache.Object
	hot     []cache.Object
}

func (f *fakeCache) Stats() cache.Stats { return f.stats }
func (f *fakeCache) HasDisk() bool      { return f.disk != nil }
func (f *fakeCache) DiskStats() cache.DiskStats {
	if f.disk == nil {
		return cache.DiskStats{}
	}
	return *f.disk
}
func (f *fakeCache) Largest(n int) []cache.Object {
	return append([]cache.Object(nil), f.largest[:min(n, len(f.largest))]...)
}
func (f *fakeCache) Hot(n int) []cache.Object {
	return append([]cache.Object(nil), f.hot[:min(n, len(f.hot))]...)
}

type fakeFleet struct{ nodes []fleet.NodeStatus }

func (f fakeFleet) Nodes() []fleet.NodeStatus { return f.nodes }

// Secrets planted where the console could show them.
const signature = "SIGNATUREVALUEfA2b"

var planted = []string{signature, "POLICYVALUE", "KEYPAIRVALUE", "natstoken-123", "s3cr3tpass", keySecret}

// fixture is a console over fakes holding secrets in every place a URL or detail is shown.
func fixture(t testing.TB, api config.API) (*Console, *prometheus.Registry) {
	t.Helper()
	ctl := &fakeControl{
		dists: []control.DistributionView{{ID: "EDIST1", DomainName: "d1.example.test", Aliases: []string{"www.example.test"},
			Enabled: true, Status: "Deployed",
			Origins: []control.OriginView{{ID: "media", Kind: "http", Target: "media.example.test:80", CustomHeaders: []string{"X-Origin-Token"}}},
			Behaviors: []control.BehaviorView{
				{Index: 0, PathPattern: "/media/*", TargetOriginID: "media", CachePolicy: control.PolicyView{Name: "CachingOptimized", Managed: true}},
				{Index: -1, TargetOriginID: "media"}}}},
		invs: map[string][]control.InvalidationView{"EDIST1": {{ID: "I1", Status: "Completed", Created: time.Unix(1e9, 0),
			Paths: []string{"/media/a.mp4?Expires=1&Signature=" + signature + "&Key-Pair-Id=KEYPAIRVALUE&w=1", "/b*"}, PathCount: 2}}},
	}
	cch := &fakeCache{stats: cache.Stats{Bytes: 1 << 20, MaxBytes: 64 << 20, Hits: 7, Misses: 3},
		// Cached objects are named by their decoded paths, which hold no query (a '?' in one is a
		// character of the name the viewer chose): nothing in them is redacted, so none of the
		// planted secrets is put there.
		largest: []cache.Object{{Dist: "EDIST1", Path: "/media/big.mp4", Size: 5 << 20, Memory: true}},
		hot:     []cache.Object{{Dist: "EDIST1", Path: "/media/hot.mp4", Rate: 12, Hits: 640}}}
	fl := fakeFleet{nodes: []fleet.NodeStatus{{Name: "edge-b", Live: true, LastSeen: time.Unix(1e9, 0),
		Info: map[string]string{"viewer": "10.0.0.2:8080", "token": "natstoken-123", "nats": "nats://user:s3cr3tpass@10.0.0.9:4222"}}}}
	reg := prometheus.NewRegistry()
	c, err := New(Config{API: api, Control: ctl, Matcher: fakeMatcher{}, Cache: cch, Metrics: reg, Fleet: fl})
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

func sigv4API() config.API {
	return config.API{Auth: "sigv4", Keys: []config.AccessKey{{AccessKeyID: keyID, SecretAccessKey: keySecret}}}
}

// conn is a net.Conn that only has addresses, for RequestCtx.Init2.
type conn struct {
	net.Conn
	local, remote net.Addr
}

func (c conn) LocalAddr() net.Addr  { return c.local }
func (c conn) RemoteAddr() net.Addr { return c.remote }

var (
	loopbackAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8081}
	publicAddr   = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 8081}
	clientAddr   = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 99), Port: 40000}
)

// do runs one request through c.Handle on a connection whose local address is local.
func do(c *Console, local net.Addr, method, uri string, hdr map[string]string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Init2(conn{local: local, remote: clientAddr}, nil, false)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost("127.0.0.1:8081")
	for k, v := range hdr {
		if k == "Host" {
			ctx.Request.Header.SetHost(v)
			continue
		}
		ctx.Request.Header.Set(k, v)
	}
	c.Handle(&ctx)
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// TestAccess: who may read the console, by connection, Host and credentials.
func TestAccess(t *testing.T) {
	sigv4, _ := fixture(t, sigv4API())
	none, _ := fixture(t, config.API{Auth: "none"})
	noKeys, _ := fixture(t, config.API{Auth: "sigv4"})
	tests := []struct {
		name   string
		c      *Console
		local  net.Addr
		hdr    map[string]string
		status int
	}{
		{"loopback", sigv4, loopbackAddr, nil, 200},
		{"loopback, localhost", sigv4, loopbackAddr, map[string]string{"Host": "localhost:8081"}, 200},
		{"loopback, [::1]", sigv4, &net.TCPAddr{IP: net.IPv6loopback, Port: 8081}, map[string]string{"Host": "[::1]:8081"}, 200},
		{"loopback, auth none", none, loopbackAddr, nil, 200},
		{"loopback, another Host (DNS rebinding)", sigv4, loopbackAddr, map[string]string{"Host": "evil.example:8081"}, 403},
		{"loopback, another Host with credentials", sigv4, loopbackAddr,
			map[string]string{"Host": "evil.example:8081", "Authorization": basic(keyID, keySecret)}, 200},
		{"remote, no credentials", sigv4, publicAddr, nil, 401},
		{"remote, right credentials", sigv4, publicAddr, map[string]string{"Authorization": basic(keyID, keySecret)}, 200},
		{"remote, lower-case scheme", sigv4, publicAddr, map[string]string{"Authorization": "basic " + base64.StdEncoding.EncodeToString([]byte(keyID+":"+keySecret))}, 200},
		{"remote, wrong secret", sigv4, publicAddr, map[string]string{"Authorization": basic(keyID, keySecret+"x")}, 401},
		{"remote, secret as id", sigv4, publicAddr, map[string]string{"Authorization": basic(keySecret, keyID)}, 401},
		{"remote, not basic", sigv4, publicAddr, map[string]string{"Authorization": "Bearer " + keySecret}, 401},
		{"remote, bad base64", sigv4, publicAddr, map[string]string{"Authorization": "Basic %%%"}, 401},
		{"remote, no key configured", noKeys, publicAddr, map[string]string{"Authorization": basic("", "")}, 401},
		{"remote, auth none: off", none, publicAddr, map[string]string{"Authorization": basic(keyID, keySecret)}, 403},
		{"not TCP (not loopback)", sigv4, &net.UnixAddr{Name: "@x", Net: "unix"}, nil, 401},
	}
	for _, tt := range tests {
		for _, path := range []string{"/", "/live.json", "/static/console.css"} {
			resp := do(tt.c, tt.local, "GET", path, tt.hdr)
			if resp.StatusCode() != tt.status {
				t.Errorf("%s, %s: %d, want %d", tt.name, path, resp.StatusCode(), tt.status)
			}
			if wa := string(resp.Header.Peek("WWW-Authenticate")); (tt.status == 401) != strings.HasPrefix(wa, "Basic realm=") {
				t.Errorf("%s, %s: WWW-Authenticate %q", tt.name, path, wa)
			}
			if tt.status != 200 && bytes.Contains(resp.Body(), []byte("EDIST1")) {
				t.Errorf("%s, %s: refused, but the body shows the console", tt.name, path)
			}
		}
	}
	if _, err := New(Config{API: config.API{Auth: "basic"}, Control: &fakeControl{}, Matcher: fakeMatcher{}, Cache: &fakeCache{}}); err == nil {
		t.Error("New with api.auth = basic: no error")
	}
	if _, err := New(Config{Control: &fakeControl{}, Matcher: fakeMatcher{}}); err == nil {
		t.Error("New without a Cache: no error")
	}
}

// allURLs are the console's addresses, with query strings that carry secrets.
var allURLs = []string{
	"/", "/?host=d1.example.test&path=/media/x.mp4%3FSignature%3D" + signature + "%26Policy%3DPOLICYVALUE%26a%3D1",
	"/?host=nowhere.test&path=/x", "/distributions/EDIST1",
	"/distributions/EDIST1?path=/media/a.mp4%3FKey-Pair-Id%3DKEYPAIRVALUE%26Signature%3D" + signature,
	"/traffic", "/cache", "/invalidations", "/fleet", "/live.json", "/live.json?since=3",
	"/static/console.js", "/static/console.css", "/static/favicon.svg", "/nowhere", "/distributions/ENOSUCH",
}

// TestNoSecrets: no page shows a planted secret (signed URL parameters, a fleet node's token,
// a URL's password, the API key's secret), while the rest of what they are in is shown.
func TestNoSecrets(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	c.Sample()
	var all strings.Builder
	for _, u := range allURLs {
		resp := do(c, loopbackAddr, "GET", u, nil)
		body := string(resp.Body())
		all.WriteString(body)
		for _, s := range planted {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows the secret %q", u, s)
			}
		}
	}
	for _, shown := range []string{
		"/media/x.mp4?a=1",     // the asked path, without its signature
		"/media/a.mp4?w=1",     // an invalidation path, without its signature
		"/media/big.mp4",       // the largest object
		"/media/hot.mp4",       // the hottest
		"10.0.0.2:8080",        // a fleet node's viewer address
		"nats://10.0.0.9:4222", // a fleet URL, without its password
		"X-Origin-Token",       // a custom header's name (the value is never in the views)
	} {
		if !strings.Contains(all.String(), shown) {
			t.Errorf("no page shows %q", shown)
		}
	}
}

// TestSecurityHeaders: every answer, refusals and errors included, carries the security
// headers, and the CSP allows no inline script or style.
func TestSecurityHeaders(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	for _, u := range allURLs {
		for _, local := range []net.Addr{loopbackAddr, publicAddr} {
			resp := do(c, local, "GET", u, nil)
			csp := string(resp.Header.Peek("Content-Security-Policy"))
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
				!strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("GET %s: CSP %q", u, csp)
			}
			if string(resp.Header.Peek("X-Content-Type-Options")) != "nosniff" || string(resp.Header.Peek("X-Frame-Options")) != "DENY" {
				t.Errorf("GET %s: X-Content-Type-Options %q, X-Frame-Options %q", u, resp.Header.Peek("X-Content-Type-Options"),
					resp.Header.Peek("X-Frame-Options"))
			}
		}
	}
	if resp := do(c, loopbackAddr, "POST", "/", nil); resp.StatusCode() != 405 || string(resp.Header.Peek("Allow")) != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q", resp.StatusCode(), resp.Header.Peek("Allow"))
	}
}

// TestNoInlineCode: the templates hold no inline script, style or event handler (the CSP would
// block them), and every script and stylesheet they name is served.
func TestNoInlineCode(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	src := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	c, _ := fixture(t, sigv4API())
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		if m := inline.Find(b); m != nil {
			t.Errorf("%s: inline code %q", p, m)
		}
		for _, m := range src.FindAllSubmatch(b, -1) {
			if resp := do(c, loopbackAddr, "GET", string(m[1]), nil); resp.StatusCode() != 200 {
				t.Errorf("%s names %s: %d", p, m[1], resp.StatusCode())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStatic: content types, revalidation, and nothing outside the static folder.
func TestStatic(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	for _, tt := range []struct{ path, ctype string }{
		{"/static/console.js", "text/javascript; charset=utf-8"},
		{"/static/console.css", "text/css; charset=utf-8"},
		{"/static/favicon.svg", "image/svg+xml"},
	} {
		resp := do(c, loopbackAddr, "GET", tt.path, nil)
		etag := string(resp.Header.Peek("ETag"))
		if resp.StatusCode() != 200 || string(resp.Header.ContentType()) != tt.ctype || etag == "" || len(resp.Body()) == 0 {
			t.Errorf("%s: %d %q ETag %q", tt.path, resp.StatusCode(), resp.Header.ContentType(), etag)
		}
		if resp := do(c, loopbackAddr, "GET", tt.path, map[string]string{"If-None-Match": etag}); resp.StatusCode() != 304 {
			t.Errorf("%s with If-None-Match: %d, want 304", tt.path, resp.StatusCode())
		}
	}
	for _, p := range []string{"/static/../pages.go", "/static/%2e%2e/doc.go", "/static/static/console.js", "/static/", "/static/x.html"} {
		if resp := do(c, loopbackAddr, "GET", p, nil); resp.StatusCode() != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode())
		}
	}
}

// TestPages: each page answers with its content; the behavior forms show the matcher's answer.
func TestPages(t *testing.T) {
	c, _ := fixture(t, sigv4API())
	for _, tt := range []struct {
		uri    string
		status int
		want   []string
	}{
		{"/", 200, []string{"<title>Distributions · edge console</title>", "d1.example.test", "www.example.test"}},
		{"/?host=d1.example.test&path=media/a.mp4", 200, []string{`id="match"`, `data-index="0"`, "<code>/media/a.mp4</code>"}},
		{"/?host=nowhere.test&path=/a", 200, []string{`data-index="none"`, "nowhere.test"}},
		{"/distributions/EDIST1", 200, []string{"CachingOptimized", "X-Origin-Token", `id="b-1"`}},
		{"/distributions/EDIST1?path=/media/a.mp4", 200, []string{`id="match"`, `data-pattern="/media/*"`, `class="match"`}},
		{"/traffic", 200, []string{`data-graph="EDIST1|rps"`, `data-live="EDIST1|total.Hit"`}},
		{"/cache", 200, []string{"1.0 MiB", "64.0 MiB", "/media/big.mp4", "/media/hot.mp4", "No disk tier"}},
		{"/invalidations", 200, []string{"I1", "Completed", "/b*"}},
		{"/fleet", 200, []string{"edge-b", "live", "(hidden)"}},
		{"/distributions/ENOSUCH", 404, []string{"There is no distribution ENOSUCH"}},
		{"/nowhere", 404, []string{"Not found"}},
	} {
		resp := do(c, loopbackAddr, "GET", tt.uri, nil)
		body := string(resp.Body())
		if resp.StatusCode() != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.uri, resp.StatusCode(), tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in\n%s", tt.uri, w, body)
			}
		}
	}
	// Escaping: what a viewer types is text, never markup.
	resp := do(c, loopbackAddr, "GET", "/distributions/EDIST1?path=/media/%3Cscript%3Ealert(1)%3C/script%3E", nil)
	if bytes.Contains(resp.Body(), []byte("<script>alert")) || !bytes.Contains(resp.Body(), []byte("&lt;script&gt;alert")) {
		t.Errorf("the asked path is not escaped:\n%s", resp.Body())
	}
	// Without a fleet.
	c.fleet = nil
	if resp := do(c, loopbackAddr, "GET", "/fleet", nil); !bytes.Contains(resp.Body(), []byte("not in a fleet")) {
		t.Errorf("/fleet without a fleet:\n%s", resp.Body())
	}
}

// TestLiveJSON: the JSON's shape, as static/console.js reads it.
func TestLiveJSON(t *testing.T) {
	c, reg := fixture(t, sigv4API())
	m := newEdgeMetrics(reg)
	t0 := time.Now()
	c.traffic.sample(t0)
	m.requests.WithLabelValues("EDIST1", "Hit", "HTTP/1.1").Add(7)
	m.requests.WithLabelValues("EDIST1", "Miss", "HTTP/2.0").Add(3)
	m.bytes.WithLabelValues("EDIST1").Add(2048)
	c.traffic.sample(t0.Add(time.Second))
	resp := do(c, loopbackAddr, "GET", "/live.json?graphs=EDIST1,ENOSUCH", nil)
	if ct := string(resp.Header.ContentType()); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var live struct {
		Seq           *uint64  `json:"seq"`
		Sampled       *int64   `json:"sampled"`
		Results       []string `json:"results"`
		Distributions []struct {
			ID       string             `json:"id"`
			Requests float64            `json:"requests"`
			Bytes    float64            `json:"bytes"`
			Totals   map[string]float64 `json:"totals"`
			Now      struct {
				RPS      map[string]float64 `json:"rps"`
				Bytes    float64            `json:"bytes"`
				HitRatio *float64           `json:"hitRatio"`
				P50      *float64           `json:"p50"`
				P99      *float64           `json:"p99"`
			} `json:"now"`
			Points struct {
				RPS      map[string][]*float64 `json:"rps"`
				Bytes    []*float64            `json:"bytes"`
				HitRatio []*float64            `json:"hitRatio"`
				P50      []*float64            `json:"p50"`
				P99      []*float64            `json:"p99"`
			} `json:"points"`
		} `json:"distributions"`
		Cache struct {
			Bytes     *int64          `json:"bytes"`
			MaxBytes  *int64          `json:"maxBytes"`
			Evictions *int64          `json:"evictions"`
			Hits      *int64          `json:"hits"`
			Misses    *int64          `json:"misses"`
			Sets      *int64          `json:"sets"`
			Rejected  *int64          `json:"rejected"`
			Disk      json.RawMessage `json:"disk"`
		} `json:"cache"`
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&live); err != nil {
		t.Fatalf("%v\n%s", err, resp.Body())
	}
	if live.Seq == nil || *live.Seq != 1 || live.Sampled == nil || *live.Sampled != t0.Add(time.Second).UnixMilli() ||
		strings.Join(live.Results, ",") != "Hit,RefreshHit,Miss,Error,Redirect,FunctionGeneratedResponse" {
		t.Errorf("seq, sampled, results: %+v", live)
	}
	if len(live.Distributions) != 1 {
		t.Fatalf("distributions: %+v", live.Distributions)
	}
	d := live.Distributions[0]
	if d.ID != "EDIST1" || d.Requests != 10 || d.Bytes != 2048 || d.Totals["Hit"] != 7 || d.Totals["Miss"] != 3 ||
		len(d.Totals) != numResults || d.Now.RPS["Hit"] != 7 || d.Now.Bytes != 2048 || d.Now.HitRatio == nil ||
		*d.Now.HitRatio != 0.7 || d.Now.P50 != nil {
		t.Errorf("distribution: %+v", d)
	}
	if len(d.Points.RPS) != numResults || len(d.Points.RPS["Hit"]) != 1 || *d.Points.RPS["Hit"][0] != 7 ||
		len(d.Points.Bytes) != 1 || len(d.Points.HitRatio) != 1 || d.Points.P50[0] != nil || d.Points.P99[0] != nil {
		t.Errorf("points: %+v", d.Points)
	}
	if live.Cache.Bytes == nil || *live.Cache.Bytes != 1<<20 || *live.Cache.MaxBytes != 64<<20 || *live.Cache.Hits != 7 ||
		*live.Cache.Misses != 3 || live.Cache.Evictions == nil || live.Cache.Sets == nil || live.Cache.Rejected == nil ||
		string(live.Cache.Disk) != "null" {
		t.Errorf("cache: %+v", live.Cache)
	}
	// since: only newer points; without graphs: none.
	for _, q := range []string{"?since=1&graphs=EDIST1", "", "?graphs=EOTHER"} {
		resp = do(c, loopbackAddr, "GET", "/live.json"+q, nil)
		if !bytes.Contains(resp.Body(), []byte(`"Hit":[]`)) || !bytes.Contains(resp.Body(), []byte(`"totals":{"Hit":7,`)) {
			t.Errorf("/live.json%s: want totals and no points\n%s", q, resp.Body())
		}
	}
}
