package origin

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// countingServer answers every request with status and body, counting hits.
func countingServer(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestGroup(t *testing.T) {
	t.Parallel()
	secondary, secondaryHits := countingServer(t, 200, "from secondary")
	codes := []int{500, 502, 503, 504}
	tests := []struct {
		name       string
		primary    func(t *testing.T) string // returns the primary's address
		method     string
		wantStatus int
		wantBody   string
		failover   bool
		reason     string
	}{
		{
			name:    "listed status fails over",
			primary: func(t *testing.T) string { s, _ := countingServer(t, 503, "busy"); return s.Listener.Addr().String() },
			method:  "GET", wantStatus: 200, wantBody: "from secondary", failover: true, reason: "reason=503",
		},
		{
			name:    "connection refused fails over",
			primary: closedAddr,
			method:  "GET", wantStatus: 200, wantBody: "from secondary", failover: true, reason: "reason=OriginConnectError",
		},
		{
			name: "primary hanging past the read timeout fails over",
			primary: func(t *testing.T) string {
				return startRaw(t, func(c net.Conn, _ []byte) bool { return hang(c) }).addr()
			},
			method: "HEAD", wantStatus: 200, wantBody: "", failover: true, reason: "reason=OriginReadError",
		},
		{
			name:    "OPTIONS fails over",
			primary: func(t *testing.T) string { s, _ := countingServer(t, 502, "bad"); return s.Listener.Addr().String() },
			method:  "OPTIONS", wantStatus: 200, wantBody: "from secondary", failover: true, reason: "reason=502",
		},
		{
			name:    "POST never fails over",
			primary: func(t *testing.T) string { s, _ := countingServer(t, 503, "busy"); return s.Listener.Addr().String() },
			method:  "POST", wantStatus: 503, wantBody: "busy",
		},
		{
			name: "unlisted status returned as is",
			primary: func(t *testing.T) string {
				s, _ := countingServer(t, 404, "missing")
				return s.Listener.Addr().String()
			},
			method: "GET", wantStatus: 404, wantBody: "missing",
		},
		{
			name: "success returned as is",
			primary: func(t *testing.T) string {
				s, _ := countingServer(t, 200, "primary")
				return s.Listener.Addr().String()
			},
			method: "GET", wantStatus: 200, wantBody: "primary",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcfg := originConfig(t, tt.primary(t))
			pcfg.ID, pcfg.ConnectionAttempts = "primary-origin", 1
			scfg := originConfig(t, secondary.Listener.Addr().String())
			scfg.ID = "secondary-origin"
			var logs logBuffer
			g := NewGroup("grp", newTestHTTP(t, pcfg), newTestHTTP(t, scfg), codes, Options{Logger: logs.logger()})
			before := secondaryHits.Load()
			resp, body := fetchAll(t, g, &Request{Method: tt.method, Path: "/obj"})
			if resp.Status != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.Status, body, tt.wantStatus, tt.wantBody)
			}
			if got := secondaryHits.Load() - before; (got == 1) != tt.failover {
				t.Errorf("secondary hits %d, want failover %v", got, tt.failover)
			}
			line := logs.String()
			if !tt.failover {
				if line != "" {
					t.Errorf("logged %q without a failover", line)
				}
				return
			}
			for _, want := range []string{"level=INFO", "group=grp", "primary=primary-origin", tt.reason, "method=" + tt.method, "path=/obj"} {
				if !strings.Contains(line, want) {
					t.Errorf("log %q lacks %q", line, want)
				}
			}
		})
	}
}

func TestGroupSecondaryErrorReturned(t *testing.T) {
	t.Parallel()
	pcfg := originConfig(t, closedAddr(t))
	pcfg.ID, pcfg.ConnectionAttempts = "p", 1
	scfg := originConfig(t, closedAddr(t))
	scfg.ID, scfg.ConnectionAttempts = "s", 1
	g := NewGroup("grp", newTestHTTP(t, pcfg), newTestHTTP(t, scfg), []int{503}, Options{})
	_, err := g.Fetch(context.Background(), &Request{Method: "GET", Path: "/"})
	var oe *Error
	if !errors.As(err, &oe) || oe.Origin != "s" || oe.Kind != KindConnect {
		t.Errorf("got %v, want the secondary's OriginConnectError", err)
	}
}

func TestGroupContextCancelledNoFailover(t *testing.T) {
	t.Parallel()
	primary := startRaw(t, func(c net.Conn, _ []byte) bool { return hang(c) })
	secondary, hits := countingServer(t, 200, "s")
	g := NewGroup("grp", newTestHTTP(t, originConfig(t, primary.addr())),
		newTestHTTP(t, originConfig(t, secondary.Listener.Addr().String())), []int{503}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Fetch(ctx, &Request{Method: "GET", Path: "/"}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if hits.Load() != 0 {
		t.Errorf("secondary hit %d times after the viewer left, want 0", hits.Load())
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		kind    string
		wantErr string
	}{
		{"http", ""},
		{"dir", ""},
		{"s3", ""},
		{"ftp", `kind "ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			f, err := New(configFor(t, tt.kind), Options{})
			if tt.wantErr == "" {
				if err != nil || f == nil {
					t.Fatalf("got %v, %v, want a Fetcher", f, err)
				}
				if c, ok := f.(io.Closer); !ok || c.Close() != nil {
					t.Errorf("%T is not an io.Closer that closes cleanly", f)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || f != nil {
				t.Errorf("got %v, %v, want nil and an error containing %q", f, err, tt.wantErr)
			}
		})
	}
}
