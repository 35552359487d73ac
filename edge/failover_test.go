package edge

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/internal/s3server"
)

// logSink collects an edge's log lines (and shows them with -v).
type logSink struct {
	t   testing.TB
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	if testing.Verbose() {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// lines returns the log lines that contain every one of parts.
func (l *logSink) lines(parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(l.buf.String(), "\n") {
		ok := line != ""
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// startEdgeLogged is startEdge with the edge's log kept for the test to read.
func startEdgeLogged(t *testing.T, toml string) (*testEdge, *logSink) {
	t.Helper()
	sink := &logSink{t: t}
	e := startEdgeWith(t, toml, 0, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(sink, nil)) })
	return e, sink
}

// badOrigin is a TCP origin on 127.0.0.1 that reads each request head and then misbehaves:
// "reset" closes the connection with a TCP RST, "hang" never answers.
type badOrigin struct {
	ln       net.Listener
	requests atomic.Int32
}

func startBadOrigin(t *testing.T, mode string) *badOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &badOrigin{ln: ln}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.TrimSpace(line) != "" {
						continue
					}
					o.requests.Add(1) // a whole request head has arrived
					switch mode {
					case "reset":
						c.(*net.TCPConn).SetLinger(0)
						return
					case "hang":
						io.Copy(io.Discard, br)
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return o
}

func (o *badOrigin) port() int { return o.ln.Addr().(*net.TCPAddr).Port }

// failoverConfig is a distribution whose default behavior targets the group "pair": primary
// http origin on primaryPort (custom header X-Member: primary, 1 s read timeout, the given
// attempts), secondary on secondaryPort (X-Member: secondary, 5 s read timeout).
func failoverConfig(primaryPort, secondaryPort, attempts int) string {
	return fmt.Sprintf(`
[server]
pop = "TST1-C1"
[cache]
memory = "64MiB"
[api]
auth = "none"
[[distribution]]
id = "EFAILOVER"
domain_name = "dfailover000001.cloudfront.net"
[[distribution.origin]]
id = "primary"
kind = "http"
domain_name = "127.0.0.1"
http_port = %d
connection_attempts = %d
connection_timeout = "1s"
origin_read_timeout = "1s"
[[distribution.origin.custom_header]]
name = "X-Member"
value = "primary"
[[distribution.origin]]
id = "secondary"
kind = "http"
domain_name = "127.0.0.1"
http_port = %d
connection_attempts = 1
connection_timeout = "2s"
origin_read_timeout = "5s"
[[distribution.origin.custom_header]]
name = "X-Member"
value = "secondary"
[[distribution.origin_group]]
id = "pair"
members = ["primary", "secondary"]
failover_status_codes = [500, 502, 503, 504]
[[distribution.behavior]]
path_pattern = "/api/*"
target_origin_id = "pair"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
[distribution.default_behavior]
target_origin_id = "pair"
`, primaryPort, attempts, secondaryPort)
}

// secondaryOrigin answers every path with "from secondary" (uncacheable, so each request
// goes to the group again) after delay, recording the X-Member header it got.
func secondaryOrigin(t *testing.T, delay time.Duration) *testOrigin {
	t.Helper()
	o := newTestOrigin(t)
	for _, p := range []string{"/obj", "/api/obj"} {
		o.handle(p, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(delay)
			w.Header().Set("Cache-Control", "no-store")
			io.WriteString(w, "from secondary")
		})
	}
	return o
}

func TestFailover(t *testing.T) {
	tests := []struct {
		name     string
		primary  func(t *testing.T) (port int, requests func() int)
		attempts int
		reason   string
		// minWait is the least time the failover may take (read timeout × attempts).
		minWait time.Duration
	}{
		{
			name: "primary answers 503",
			primary: func(t *testing.T) (int, func() int) {
				o := newTestOrigin(t)
				o.handle("/obj", func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("X-Member") != "primary" {
						w.WriteHeader(400) // not a failover code: the test sees it
						return
					}
					w.WriteHeader(503)
					io.WriteString(w, "primary down")
				})
				return o.port(), func() int { return o.count("/obj") }
			},
			attempts: 3, reason: "reason=503",
		},
		{
			name: "primary resets the connection",
			primary: func(t *testing.T) (int, func() int) {
				o := startBadOrigin(t, "reset")
				return o.port(), func() int { return int(o.requests.Load()) }
			},
			attempts: 1, reason: "reason=OriginCommError",
		},
		{
			name: "primary hangs past origin_read_timeout",
			primary: func(t *testing.T) (int, func() int) {
				o := startBadOrigin(t, "hang")
				return o.port(), func() int { return int(o.requests.Load()) }
			},
			attempts: 2, reason: "reason=OriginReadError", minWait: 2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			port, primaryRequests := tt.primary(t)
			// The secondary takes 1.5 s: more than the primary's read timeout, within its own.
			sec := secondaryOrigin(t, 1500*time.Millisecond)
			e, log := startEdgeLogged(t, failoverConfig(port, sec.port(), tt.attempts))

			start := time.Now()
			r, body := e.get(t, "/obj")
			took := time.Since(start)
			if r.StatusCode != 200 || body != "from secondary" {
				t.Fatalf("GET: %d %q, want the secondary's answer", r.StatusCode, body)
			}
			if took < tt.minWait+1500*time.Millisecond {
				t.Errorf("failover took %s, want at least %s (attempts × read timeout, then the secondary)", took, tt.minWait+1500*time.Millisecond)
			}
			if got := sec.last("/obj").Header.Get("X-Member"); got != "secondary" {
				t.Errorf("secondary got X-Member %q, want its own custom header", got)
			}
			lines := log.lines("origin group failover", "group=pair", "primary=primary", tt.reason, "path=/obj")
			if len(lines) != 1 {
				t.Errorf("want one failover log line with %s, got %q\nlog:\n%s", tt.reason, lines, log.buf.String())
			}
			n := primaryRequests()
			if tt.name == "primary hangs past origin_read_timeout" && n != tt.attempts {
				t.Errorf("primary saw %d requests, want %d (connection_attempts)", n, tt.attempts)
			}

			// No stickiness: the next request starts at the primary again.
			r, body = e.get(t, "/obj")
			if r.StatusCode != 200 || body != "from secondary" || primaryRequests() <= n {
				t.Errorf("second GET: %d %q, primary requests %d then %d", r.StatusCode, body, n, primaryRequests())
			}
			if got := len(log.lines("origin group failover", tt.reason)); got != 2 {
				t.Errorf("%d failover log lines after two requests, want 2", got)
			}
		})
	}
}

func TestFailoverOnlyForGetHeadOptions(t *testing.T) {
	t.Parallel()
	prim := newTestOrigin(t)
	prim.static("/api/obj", 503, map[string]string{"Content-Type": "text/plain"}, "primary down")
	sec := secondaryOrigin(t, 0)
	e, log := startEdgeLogged(t, failoverConfig(prim.port(), sec.port(), 1))
	for _, m := range []string{"GET", "HEAD", "OPTIONS"} {
		if r, _ := e.do(t, m, "/api/obj", nil); r.StatusCode != 200 {
			t.Errorf("%s: %d, want the secondary's 200", m, r.StatusCode)
		}
	}
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		r, body := e.do(t, m, "/api/obj", nil)
		if r.StatusCode != 503 || body != "primary down" || xcache(r) != "Error from cloudfront" {
			t.Errorf("%s: %d %q %q, want the primary's 503 (no failover)", m, r.StatusCode, body, xcache(r))
		}
	}
	if got := len(log.lines("origin group failover")); got != 3 {
		t.Errorf("%d failover log lines, want 3 (GET, HEAD, OPTIONS)", got)
	}
	if got := sec.count("/api/obj"); got != 3 {
		t.Errorf("secondary saw %d requests, want 3", got)
	}
}

// TestFailoverS3 puts two buckets in a group: the primary's 404 NoSuchKey fails over to the
// secondary bucket, which holds the object.
func TestFailoverS3(t *testing.T) {
	t.Parallel()
	srv := s3server.Start(t)
	srv.CreateBucket("primary")
	srv.CreateBucket("backup")
	srv.Put("primary", "both.txt", []byte("primary copy"))
	srv.Put("backup", "both.txt", []byte("backup copy"))
	srv.Put("backup", "only-backup.txt", []byte("backup only"))
	e, log := startEdgeLogged(t, strings.NewReplacer("{{ENDPOINT}}", srv.Endpoint, "{{KEY}}", srv.AccessKey, "{{SECRET}}", srv.SecretKey).Replace(`
[api]
auth = "none"
[[distribution]]
id = "ES3FAILOVER"
domain_name = "ds3failover0001.cloudfront.net"
[[distribution.origin]]
id = "primary"
kind = "s3"
bucket = "primary"
endpoint = "{{ENDPOINT}}"
access_key_id = "{{KEY}}"
secret_access_key = "{{SECRET}}"
[[distribution.origin]]
id = "backup"
kind = "s3"
bucket = "backup"
endpoint = "{{ENDPOINT}}"
access_key_id = "{{KEY}}"
secret_access_key = "{{SECRET}}"
[[distribution.origin_group]]
id = "buckets"
members = ["primary", "backup"]
failover_status_codes = [403, 404]
[distribution.default_behavior]
target_origin_id = "buckets"
`))
	if r, body := e.get(t, "/both.txt"); r.StatusCode != 200 || body != "primary copy" {
		t.Errorf("object in both buckets: %d %q, want the primary's", r.StatusCode, body)
	}
	if r, body := e.get(t, "/only-backup.txt"); r.StatusCode != 200 || body != "backup only" {
		t.Errorf("object only in the backup: %d %q", r.StatusCode, body)
	}
	if got := log.lines("origin group failover", "group=buckets", "reason=404", "path=/only-backup.txt"); len(got) != 1 {
		t.Errorf("failover log lines %q", got)
	}
	if r, body := e.get(t, "/nowhere.txt"); r.StatusCode != 404 || !strings.Contains(body, "NoSuchKey") || xcache(r) != "Error from cloudfront" {
		t.Errorf("object in neither bucket: %d %q %q, want the backup's 404", r.StatusCode, xcache(r), body)
	}
}
