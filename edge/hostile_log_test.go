package edge

import (
	"strings"
	"sync"
	"testing"

	"github.com/cfedge/edge/accesslog"
)

// capLog is an AccessLog that formats each record at once (the edge calls Write before the
// answer is written to the connection, so a record is here when the viewer has its answer).
type capLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *capLog) Write(r *accesslog.Record) {
	line := string(accesslog.AppendRecord(nil, r, r.Time))
	c.mu.Lock()
	c.lines = append(c.lines, line)
	c.mu.Unlock()
}

func (c *capLog) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func startLoggedEdge(t *testing.T) (*testEdge, *capLog) {
	t.Helper()
	o := newTestOrigin(t)
	o.static("/a.txt", 200, map[string]string{"Content-Type": "text/plain"}, "hello")
	l := &capLog{}
	e := startEdgeWith(t, baseConfig(""), o.port(), func(c *Config) { c.AccessLog = l })
	return e, l
}

// parseOnly checks that the log holds exactly one record line, of 33 fields, whose values are
// all printable ASCII without space, and returns its fields.
func parseOnly(t *testing.T, l *capLog) map[string]string {
	t.Helper()
	lines := l.all()
	if len(lines) != 1 {
		t.Fatalf("%d records, want 1: %q", len(lines), lines)
	}
	line := lines[0]
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("record is not one line: %q", line)
	}
	for i := 0; i < len(line)-1; i++ {
		if c := line[i]; c != '\t' && (c < 33 || c > 126) {
			t.Fatalf("record holds byte %#x at %d: %q", c, i, line)
		}
	}
	f, err := accesslog.ParseLine(line)
	if err != nil {
		t.Fatalf("%v: %q", err, line)
	}
	return f
}

func decoded(t *testing.T, f map[string]string, name string) string {
	t.Helper()
	v, err := accesslog.Decode(f[name])
	if err != nil {
		t.Fatalf("%s %q: %v", name, f[name], err)
	}
	return v
}

// TestHostileLogHeaderValues: tabs, non-UTF-8 bytes, quotes, HTML and percent signs in the
// User-Agent, Referer, X-Forwarded-For and Host, and controls and spaces in the request target,
// stay inside their fields, percent-encoded as CloudFront documents ("ASCII 0-32, 127-255 and
// < > \" # % { } | \\ ^ ~ [ ] ` ' are URL-encoded", Standard log file fields,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html), and
// decode back to what the viewer sent.
func TestHostileLogHeaderValues(t *testing.T) {
	e, l := startLoggedEdge(t)
	ua := "Mozilla\t5.0 \"<script>alert('x')</script>\" {|}^~[]`\\ %41 \xff\xfe\x80 é"
	ref := "http://r.example/\t\xc3\x28 -\t<b>"
	xff := "203.0.113.9, \t198.51.100.1"
	req := "GET /a.txt?q=%09%0A<x>&'\"&z=\xff HTTP/1.1\r\n" +
		"Host: cdn.example.test\r\n" +
		"User-Agent: " + ua + "\r\n" +
		"Referer: " + ref + "\r\n" +
		"X-Forwarded-For: " + xff + "\r\n" +
		"Connection: close\r\n\r\n"
	resp, _ := e.raw(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	f := parseOnly(t, l)
	for name, want := range map[string]string{
		"cs(User-Agent)":  ua,
		"cs(Referer)":     ref,
		"x-forwarded-for": xff,
		"cs-uri-query":    "q=%09%0A<x>&'\"&z=\xff",
		"x-host-header":   "cdn.example.test",
		"cs-uri-stem":     "/a.txt",
		"cs(Host)":        "dtest0000000001.cloudfront.net",
	} {
		if got := decoded(t, f, name); got != want {
			t.Errorf("%s logged %q, decodes to %q, want %q", name, f[name], got, want)
		}
	}
	// The URL-encoded forms are CloudFront's: %20 for a space, %09 for a tab, %22 for '"'.
	if !strings.HasPrefix(f["cs(User-Agent)"], "Mozilla%095.0%20%22%3Cscript%3Ealert(%27x%27)%3C/script%3E%22%20%7B%7C%7D%5E%7E%5B%5D%60%5C%20%2541%20%FF%FE%80") {
		t.Errorf("cs(User-Agent) = %q", f["cs(User-Agent)"])
	}
}

// TestHostileLogRequestTargetControls: a request target holding raw bytes that are not allowed
// there (non-UTF-8, quotes, < > | { } ') is either refused or logged with them encoded, never as
// a broken record. (fasthttp refuses a target with a space or a control byte: 400, not logged.)
func TestHostileLogRequestTargetControls(t *testing.T) {
	e, l := startLoggedEdge(t)
	resp, _ := e.raw(t, "GET /a\xc0\xff\"<x>|{}'.txt HTTP/1.1\r\nHost: cdn.example.test\r\nConnection: close\r\n\r\n")
	lines := l.all()
	if len(lines) == 0 {
		t.Logf("refused (status %d) before logging", resp.StatusCode)
		return // refused before logging (fasthttp's parse error): nothing to corrupt
	}
	f := parseOnly(t, l)
	if got := decoded(t, f, "cs-uri-stem"); got != "/a\xc0\xff\"<x>|{}'.txt" {
		t.Errorf("cs-uri-stem %q decodes to %q (status %d)", f["cs-uri-stem"], got, resp.StatusCode)
	}
}

// TestHostileLogAbsoluteFormStem: an absolute-form request target ("GET http://host/p",
// RFC 9112 §3.2.2) is logged with its path only. CloudFront's cs-uri-stem is "the portion of
// the request URI that identifies the path and object" (no scheme, no host: those are
// cs-protocol and x-host-header), and cs-uri-query holds the query
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html). The
// edge routes, keys and signs on the path (rawPath), and the log agrees with it (it once logged
// the whole target, a scheme and host of the viewer's choosing in cs-uri-stem).
func TestHostileLogAbsoluteFormStem(t *testing.T) {
	e, l := startLoggedEdge(t)
	resp, body := e.raw(t, "GET https://cdn.example.test/a.txt?x=1 HTTP/1.1\r\nHost: cdn.example.test\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 || body != "hello" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	f := parseOnly(t, l)
	if got := decoded(t, f, "cs-uri-stem"); got != "/a.txt" {
		t.Errorf("cs-uri-stem = %q (decoded %q), want %q", f["cs-uri-stem"], got, "/a.txt")
	}
	if f["cs-uri-query"] != "x=1" || f["cs-protocol"] != "http" {
		t.Errorf("cs-uri-query %q cs-protocol %q", f["cs-uri-query"], f["cs-protocol"])
	}
}

// TestHostileLogOverlongURLNotLogged: CloudFront doesn't log requests whose URL is longer than
// 8,192 bytes (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html).
// The edge refuses the request (413) and writes no record (it once logged the whole target, up
// to 3× its size once encoded).
func TestHostileLogOverlongURLNotLogged(t *testing.T) {
	e, l := startLoggedEdge(t)
	uri := "/a.txt?" + strings.Repeat("%3C", 3000) // 9,007 bytes
	resp, _ := e.raw(t, "GET "+uri+" HTTP/1.1\r\nHost: cdn.example.test\r\nConnection: close\r\n\r\n")
	if resp.StatusCode < 400 {
		t.Fatalf("status %d, want a refusal", resp.StatusCode)
	}
	if lines := l.all(); len(lines) != 0 {
		t.Errorf("a %d-byte URL was logged (%d records, first %d bytes), want none", len(uri), len(lines), len(lines[0]))
	}
}

// TestHostileLogOverlongHeadersNotLogged pins the other half: a header block over 20 KB is
// refused (413) and not logged.
func TestHostileLogOverlongHeadersNotLogged(t *testing.T) {
	e, l := startLoggedEdge(t)
	resp, _ := e.raw(t, "GET /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\nUser-Agent: "+strings.Repeat("\t<", 11000)+"\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 413 {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if lines := l.all(); len(lines) != 0 {
		t.Errorf("%d records for a refused 22 KB header block, want none", len(lines))
	}
}

// TestHostileLogDashValues: a viewer value that is exactly "-" is not logged as "-" (absent):
// the edge's format writes "%2D" (accesslog package doc), so a viewer cannot fake an absent
// User-Agent or Referer.
func TestHostileLogDashValues(t *testing.T) {
	e, l := startLoggedEdge(t)
	e.raw(t, "GET /a.txt?- HTTP/1.1\r\nHost: cdn.example.test\r\nUser-Agent: -\r\nReferer: -\r\nConnection: close\r\n\r\n")
	f := parseOnly(t, l)
	for _, name := range []string{"cs(User-Agent)", "cs(Referer)", "cs-uri-query"} {
		if f[name] != "%2D" {
			t.Errorf("%s = %q, want %%2D", name, f[name])
		}
	}
}

// TestHostileLogForwardedForAllLines: a request with two X-Forwarded-For field lines is one
// list (RFC 9110 §5.3: field lines of the same name combine, in order, into a comma-separated
// value), and CloudFront's x-forwarded-for "can contain multiple comma-separated IPv4 and IPv6
// addresses, if the request went through multiple proxies" (AccessLogs.html): every line's
// addresses are logged (only the first line's once were).
func TestHostileLogForwardedForAllLines(t *testing.T) {
	e, l := startLoggedEdge(t)
	e.raw(t, "GET /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\nX-Forwarded-For: 203.0.113.1\r\n"+
		"X-Forwarded-For: 198.51.100.2\r\nConnection: close\r\n\r\n")
	f := parseOnly(t, l)
	got := decoded(t, f, "x-forwarded-for")
	if !strings.Contains(got, "203.0.113.1") || !strings.Contains(got, "198.51.100.2") {
		t.Errorf("x-forwarded-for = %q, want both addresses (\"203.0.113.1, 198.51.100.2\")", f["x-forwarded-for"])
	}
}
