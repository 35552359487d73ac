package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/edge"
	"github.com/cfedge/edge/internal/testkit"
)

// The browser the CORS test drives, and where scripts/test-deps.sh installs puppeteer-core
// (EDGE_NODE_DIR overrides it there and here).
const chromiumPath = "/usr/bin/chromium"

func nodeDir(t *testing.T) string {
	if d := os.Getenv("EDGE_NODE_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(home, ".cache", "edge", "node")
}

// browserJSON is the object the origin serves as /cors/data.json and /plain/data.json.
const browserJSON = `{"service":"edge","cors":true}`

// TestBrowserCORS: a page on one 127.0.0.1 port fetches a JSON object and a Smooth manifest
// from the edge on another port in Headless Chromium. Under /cors/* (response headers policy
// CORS-With-Preflight) the edge answers the preflight itself and both the preflighted and the
// simple fetches succeed; under /plain/* (the same behavior without a policy) the browser
// blocks every one of them (fetch rejects with a TypeError), although the edge answered.
func TestBrowserCORS(t *testing.T) {
	page, err := os.ReadFile("testdata/browser/cors.html")
	if err != nil {
		t.Fatal(err)
	}

	o := newMethodOrigin(t, "../testdata/media/demo")
	methods := []string{"GET", "HEAD", "OPTIONS"}
	cfg := baseConfig(t, o.port(), func(c *config.Config) {
		d := &c.Distributions[0]
		// The browser's Host is 127.0.0.1:port; the edge ignores the port.
		d.Aliases = []string{"127.0.0.1"}
		d.Behaviors = []config.Behavior{
			{PathPattern: "/cors/*", TargetOriginID: "web", SmoothStreaming: true, AllowedMethods: methods,
				ResponseHeadersPolicy: "CORS-With-Preflight"},
			{PathPattern: "/plain/*", TargetOriginID: "web", SmoothStreaming: true, AllowedMethods: methods},
		}
	})
	log := &accessRecorder{}
	edgeOrigin := startBrowserEdge(t, cfg, log)
	pageURL := servePage(t, page)
	if edgeOrigin == strings.TrimSuffix(pageURL, "/") {
		t.Fatalf("page and edge share the origin %s", edgeOrigin)
	}

	start := time.Now()
	stdout, stderr := runBrowserScript(t, "cors.cjs", pageURL, edgeOrigin, "/cors", "/plain")
	var out struct {
		Browser string `json:"browser"`
		Results []struct {
			Path        string `json:"path"`
			Preflight   bool   `json:"preflight"`
			OK          bool   `json:"ok"`
			Status      int    `json:"status"`
			ContentType string `json:"contentType"`
			Body        string `json:"body"`
			Error       string `json:"error"`
		} `json:"results"`
		Responses []map[string]any `json:"responses"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("node output: %v\n%s", err, stdout)
	}
	t.Logf("%s: %d fetches in %v", out.Browser, len(out.Results), time.Since(start).Round(time.Millisecond))
	if len(out.Results) != 8 {
		t.Fatalf("%d results, want 8: %s", len(out.Results), stdout)
	}
	// diag tells what each side saw, once for a subtest that failed.
	diag := func(t *testing.T) {
		if t.Failed() {
			b, _ := json.Marshal(out.Responses)
			t.Logf("edge log: %v\norigin saw: %v\nbrowser saw: %s\nnode stderr:\n%s",
				log.lines(), o.requests(), b, testkit.Tail(string(stderr), 20))
		}
	}

	t.Run("CORS-With-Preflight", func(t *testing.T) {
		defer diag(t)
		for _, r := range out.Results {
			if !strings.HasPrefix(r.Path, "/cors/") {
				continue
			}
			if !r.OK || r.Status != http.StatusOK {
				t.Errorf("fetch %s (preflight %v): ok %v, status %d, %s", r.Path, r.Preflight, r.OK, r.Status, r.Error)
				continue
			}
			switch {
			case strings.HasSuffix(r.Path, ".json") && r.Body != browserJSON:
				t.Errorf("fetch %s: body %q, want %q", r.Path, r.Body, browserJSON)
			case strings.HasSuffix(r.Path, "/Manifest") && !strings.Contains(r.Body, "<SmoothStreamingMedia"):
				t.Errorf("fetch %s: not a Smooth client manifest: %q", r.Path, r.Body)
			}
		}
		// The browser did send the preflights, and the edge answered them without the origin.
		for _, p := range []string{"/cors/data.json", "/cors/demo/demo.ism/Manifest"} {
			if st := log.status("OPTIONS", p); st < 200 || st > 299 {
				t.Errorf("edge answered the preflight OPTIONS %s with %d, want 2xx", p, st)
			}
		}
		if n := o.count("OPTIONS", "/cors/"); n != 0 {
			t.Errorf("the origin saw %d OPTIONS under /cors/: the edge should answer preflights", n)
		}
	})

	t.Run("no policy", func(t *testing.T) {
		defer diag(t)
		for _, r := range out.Results {
			if !strings.HasPrefix(r.Path, "/plain/") {
				continue
			}
			if r.OK || !strings.HasPrefix(r.Error, "TypeError") {
				t.Errorf("fetch %s (preflight %v): ok %v, status %d, error %q; want a TypeError (blocked by CORS)",
					r.Path, r.Preflight, r.OK, r.Status, r.Error)
			}
		}
		// It is the browser that blocks: the edge got the preflight and the simple GET, and
		// answered the GET.
		if st := log.status("OPTIONS", "/plain/data.json"); st == 0 {
			t.Errorf("the edge saw no preflight for /plain/data.json")
		}
		for _, p := range []string{"/plain/data.json", "/plain/demo/demo.ism/Manifest"} {
			if st := log.status("GET", p); st != http.StatusOK {
				t.Errorf("edge answered GET %s with %d, want 200", p, st)
			}
		}
	})
}

// runBrowserScript runs one of e2e/browser's puppeteer scripts under node with Debian's Chromium
// and args, bounded to two minutes, and returns what it printed on stdout (its JSON report) and
// on stderr (the page's console); a script that fails fails the test with its stderr.
func runBrowserScript(t *testing.T, script string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: install nodejs and npm (scripts/test-deps.sh does)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s: %v: install Debian's chromium (scripts/test-deps.sh does)", chromiumPath, err)
	}
	modules := filepath.Join(nodeDir(t), "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "puppeteer-core", "package.json")); err != nil {
		t.Fatalf("puppeteer-core not installed in %s: run scripts/test-deps.sh", modules)
	}
	path, err := filepath.Abs(filepath.Join("browser", script))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{path, chromiumPath}, args...)...)
	// TMPDIR holds the browser's throwaway profile; SIGTERM lets puppeteer close the browser.
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "TMPDIR="+t.TempDir())
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstderr:\n%s\nstdout:\n%s", script, err, testkit.Tail(errs.String(), 40), out.String())
	}
	return out.Bytes(), errs.Bytes()
}

// startBrowserEdge starts an edge for cfg on 127.0.0.1 with an access log until the test ends,
// and returns its origin ("http://127.0.0.1:port").
func startBrowserEdge(t *testing.T, cfg *config.Config, log edge.AccessLog) string {
	t.Helper()
	store, err := cache.New(cache.Config{MaxBytes: int64(cfg.Cache.Memory)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := edge.New(edge.Config{Config: cfg, Logger: slog.New(slog.DiscardHandler), Store: store, AccessLog: log})
	if err != nil {
		t.Fatalf("edge.New: %v", err)
	}
	ln := listen(t)
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		srv.Close()
		store.Close()
	})
	return "http://" + ln.Addr().String()
}

// servePage serves page at / on its own 127.0.0.1 port until the test ends and returns its URL.
func servePage(t *testing.T, page []byte) string {
	t.Helper()
	ln := listen(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// accessRecorder is the edge's access log: the method, path and status of each request. The
// edge writes a record before the response leaves (Server.finish runs in the handler), so
// every request the browser got an answer to is recorded by the time the browser is done.
type accessRecorder struct {
	mu   sync.Mutex
	recs []accessRec
}

type accessRec struct {
	method, path string
	status       int
}

func (a *accessRecorder) Write(r *accesslog.Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, accessRec{string(r.Method), string(r.URIStem), r.Status})
}

// status is the status of the last method request for path, 0 if there was none.
func (a *accessRecorder) status(method, path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := 0
	for _, r := range a.recs {
		if r.method == method && r.path == path {
			st = r.status
		}
	}
	return st
}

func (a *accessRecorder) lines() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var l []string
	for _, r := range a.recs {
		l = append(l, fmt.Sprintf("%s %s %d", r.method, r.path, r.status))
	}
	return l
}

// methodOrigin is an HTTP origin on 127.0.0.1 that records the method and path of each request
// and serves the same files under /cors/ and /plain/: data.json (browserJSON) and, under
// demo/, the files of mediaDir (with ranges, as the Smooth resolver reads them).
type methodOrigin struct {
	ln  net.Listener
	mu  sync.Mutex
	log []string
}

func newMethodOrigin(t *testing.T, mediaDir string) *methodOrigin {
	t.Helper()
	o := &methodOrigin{ln: listen(t)}
	media := http.FileServer(http.Dir(mediaDir))
	mux := http.NewServeMux()
	for _, prefix := range []string{"/cors", "/plain"} {
		mux.HandleFunc(prefix+"/data.json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, browserJSON)
		})
		mux.Handle(prefix+"/demo/", http.StripPrefix(prefix+"/demo", media))
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.log = append(o.log, r.Method+" "+r.URL.Path)
		o.mu.Unlock()
		mux.ServeHTTP(w, r)
	})}
	go srv.Serve(o.ln)
	t.Cleanup(func() { srv.Close() })
	return o
}

func (o *methodOrigin) port() int { return o.ln.Addr().(*net.TCPAddr).Port }

// count is how many method requests reached paths under prefix.
func (o *methodOrigin) count(method, prefix string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, l := range o.log {
		if strings.HasPrefix(l, method+" "+prefix) {
			n++
		}
	}
	return n
}

func (o *methodOrigin) requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.log...)
}
