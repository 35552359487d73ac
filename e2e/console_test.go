package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/console"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/edge"
	"github.com/cfedge/edge/internal/testkit"
)

// consoleEdge is an edge, its API and the console on the API listener, on 127.0.0.1, wired as
// edge serve wires them (one Prometheus registry for the edge's counters, /metrics on the API).
type consoleEdge struct {
	viewer, api string // host:port
	host        string
	console     *console.Console
}

func startConsoleEdge(t *testing.T, cfg *config.Config) *consoleEdge {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	store, err := cache.New(cache.Config{MaxBytes: int64(cfg.Cache.Memory)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := edge.New(edge.Config{Config: cfg, Logger: log, Store: store, Metrics: reg})
	if err != nil {
		t.Fatalf("edge.New: %v", err)
	}
	var con *console.Console
	api, err := control.New(control.Config{Config: cfg, Invalidator: store, Logger: log,
		Metrics: fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})),
		Console: func(ctx *fasthttp.RequestCtx) { con.Handle(ctx) }})
	if err != nil {
		t.Fatalf("control.New: %v", err)
	}
	con, err = console.New(console.Config{API: cfg.API, Control: api, Matcher: srv, Cache: store, Metrics: reg, Logger: log})
	if err != nil {
		t.Fatalf("console.New: %v", err)
	}
	con.Start()
	viewerLn, apiLn := listen(t), listen(t)
	go srv.Serve(viewerLn)
	go api.Serve(apiLn)
	t.Cleanup(func() {
		con.Close()
		api.Shutdown(context.Background())
		srv.Shutdown(context.Background())
		srv.Close()
		store.Close()
	})
	return &consoleEdge{viewer: viewerLn.Addr().String(), api: apiLn.Addr().String(), host: cfg.Distributions[0].DomainName, console: con}
}

// consoleConfig is one distribution with three behaviors before the default, each going to its
// own origin (three origin paths on one test origin, so the path the origin sees tells which).
func consoleConfig(t *testing.T, port int) *config.Config {
	return baseConfig(t, port, func(c *config.Config) {
		d := &c.Distributions[0]
		web := d.Origins[0]
		web.OriginPath = "/web"
		img, api := web, web
		img.ID, img.OriginPath = "img", "/img"
		api.ID, api.OriginPath = "api", "/api"
		d.Origins = []config.Origin{web, img, api}
		d.Behaviors = []config.Behavior{
			{PathPattern: "/images/*.jpg", TargetOriginID: "img", CachePolicy: "CachingOptimized"},
			{PathPattern: "/api/v?/*", TargetOriginID: "api", CachePolicy: "CachingDisabled", OriginRequestPolicy: "AllViewer"},
			{PathPattern: "*.php", TargetOriginID: "api"},
		}
	})
}

// behaviorCase is a path asked of the "which behavior?" box, with the behavior that answers it
// (-1: the default behavior).
type behaviorCase struct {
	path    string
	index   int
	pattern string
	origin  string
}

var consoleBehaviorCases = []behaviorCase{
	{"/", -1, "", "web"}, // the default root object, /index.html
	{"/images/a.jpg", 0, "/images/*.jpg", "img"},
	{"/images/a.png", -1, "", "web"},
	{"/Images/a.jpg", -1, "", "web"}, // patterns are case-sensitive
	{"/x/../images/c.jpg", 0, "/images/*.jpg", "img"},
	{"/%69mages/d.jpg", 0, "/images/*.jpg", "img"},
	{"/api/v1/users?Signature=abc&x=1", 1, "/api/v?/*", "api"},
	{"/api/v10/users", -1, "", "web"},
	{"/index.php", 2, "*.php", "api"},
	{"/images/e.jpg.php", 2, "*.php", "api"},
}

// TestConsoleInBrowser: headless Chromium loads every console page with no console error, each
// first load within 200 KB, and saves a screenshot of each, which must not be blank; the
// traffic figures the console shows (JavaScript on and off) are /metrics' after 3 misses and 7
// hits, and follow 2 more hits live; and the "which behavior?" box answers as the Go matcher
// (behavior.Compile's table) and as a real request through the edge do.
func TestConsoleInBrowser(t *testing.T) {
	o := newTestOrigin(t)
	for _, p := range []string{"a", "b", "c"} {
		o.static("/web/"+p+".html", 200, map[string]string{"Content-Type": "text/html", "Cache-Control": "max-age=300"},
			"<p>object "+p+"</p>")
	}
	cfg := consoleConfig(t, o.port())
	e := startConsoleEdge(t, cfg)
	dist := cfg.Distributions[0].ID

	// 3 misses, then 7 hits.
	for i, p := range []string{"a", "b", "c", "a", "a", "a", "b", "b", "c", "c"} {
		want := "Hit from cloudfront"
		if i < 3 {
			want = "Miss from cloudfront"
		}
		if r := e.get(t, "/"+p+".html"); r.Header.Get("X-Cache") != want {
			t.Fatalf("request %d (/%s.html): X-Cache %q, want %q", i, p, r.Header.Get("X-Cache"), want)
		}
	}
	e.invalidate(t, dist, "/b.html", "/images/*")
	e.console.Sample()

	// The console's JSON against /metrics.
	m := e.metrics(t, dist)
	if m.requests["Hit"] != 7 || m.requests["Miss"] != 3 {
		t.Fatalf("/metrics: %v, want 7 hits and 3 misses", m.requests)
	}
	var live struct {
		Distributions []struct {
			ID       string             `json:"id"`
			Requests float64            `json:"requests"`
			Bytes    float64            `json:"bytes"`
			Totals   map[string]float64 `json:"totals"`
		} `json:"distributions"`
	}
	if err := json.Unmarshal([]byte(e.consoleGet(t, "/live.json")), &live); err != nil {
		t.Fatal(err)
	}
	if len(live.Distributions) != 1 || live.Distributions[0].ID != dist {
		t.Fatalf("/live.json distributions: %+v", live.Distributions)
	}
	ld := live.Distributions[0]
	for r, n := range m.requests {
		if ld.Totals[r] != n {
			t.Errorf("/live.json: %s %v, /metrics %v", r, ld.Totals[r], n)
		}
	}
	if ld.Requests != 10 || ld.Bytes != m.bytes {
		t.Errorf("/live.json: %v requests, %v bytes; /metrics: 10, %v", ld.Requests, ld.Bytes, m.bytes)
	}

	// The Go matcher's answers, to hold the browser's against.
	table, err := behavior.Compile(cfg, &cfg.Distributions[0])
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range consoleBehaviorCases {
		var u fasthttp.URI
		if err := u.Parse(nil, []byte(c.path)); err != nil {
			t.Fatal(err)
		}
		p := u.Path()
		if string(p) == "/" {
			p = []byte("/" + cfg.Distributions[0].DefaultRootObject)
		}
		if b := table.Match(p); b.Index != c.index || b.PathPattern != c.pattern || b.TargetOriginID != c.origin {
			t.Fatalf("Go matcher on %s: behavior %d %q to %s; the case says %d %q to %s", c.path, b.Index, b.PathPattern,
				b.TargetOriginID, c.index, c.pattern, c.origin)
		}
		paths = append(paths, c.path)
	}

	artifacts := artifactsDir(t, "console")
	spec, _ := json.Marshal(map[string]any{"dist": dist, "paths": paths})
	b := startBrowser(t, "console.cjs", "http://"+e.api, artifacts, string(spec))

	var loaded struct {
		Browser string `json:"browser"`
		Pages   []struct {
			Name, Title, Screenshot string
			Bytes                   float64
			Requests                int
		} `json:"pages"`
		Figures map[string]string `json:"figures"`
		NoJS    map[string]string `json:"nojs"`
	}
	b.read(t, &loaded)
	t.Logf("%s: screenshots in %s", loaded.Browser, artifacts)
	if len(loaded.Pages) != 6 {
		t.Fatalf("%d pages loaded, want 6", len(loaded.Pages))
	}
	for _, p := range loaded.Pages {
		t.Logf("first load of %s: %d requests, %.1f KB", p.Name, p.Requests, p.Bytes/1024)
		if p.Bytes > 200*1024 || p.Bytes < 1000 {
			t.Errorf("first load of %s: %.0f bytes, want at most 200 KB", p.Name, p.Bytes)
		}
		if !strings.HasSuffix(p.Title, "· edge console") {
			t.Errorf("%s: title %q", p.Name, p.Title)
		}
		checkNotBlank(t, p.Screenshot)
	}
	want := expectedFigures(dist, m)
	for name, got := range map[string]map[string]string{"JavaScript on": loaded.Figures, "JavaScript off": loaded.NoJS} {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("/traffic with %s: %s shows %q, /metrics says %q", name, k, got[k], v)
			}
		}
	}

	// 2 more hits: the open page follows.
	e.get(t, "/a.html")
	e.get(t, "/c.html")
	e.console.Sample()
	m = e.metrics(t, dist)
	b.send(t, map[string]string{"key": dist + "|total.Hit", "text": "9"})
	var done struct {
		Figures map[string]string `json:"figures"`
		Answers []struct {
			Path, Index, Pattern, Origin, Text string
		} `json:"answers"`
		Errors []string `json:"errors"`
	}
	b.read(t, &done)
	b.wait(t)
	for k, v := range expectedFigures(dist, m) {
		if done.Figures[k] != v {
			t.Errorf("/traffic after 2 more hits: %s shows %q, /metrics says %q", k, done.Figures[k], v)
		}
	}
	if len(done.Errors) > 0 {
		t.Errorf("browser errors: %v", done.Errors)
	}

	// The box against the cases (which the Go matcher agreed with), and a real request each.
	if len(done.Answers) != len(consoleBehaviorCases) {
		t.Fatalf("%d answers, want %d", len(done.Answers), len(consoleBehaviorCases))
	}
	for i, c := range consoleBehaviorCases {
		a := done.Answers[i]
		if a.Index != strconv.Itoa(c.index) || a.Pattern != c.pattern || a.Origin != c.origin {
			t.Errorf("box on %s: behavior %s %q to %s (%q); want %d %q to %s", c.path, a.Index, a.Pattern, a.Origin, a.Text,
				c.index, c.pattern, c.origin)
		}
		if strings.Contains(a.Text, "Signature") || strings.Contains(a.Text, "abc") {
			t.Errorf("box on %s shows the signature: %q", c.path, a.Text)
		}
		all, to := originHits(o, "/"), originHits(o, "/"+c.origin+"/")
		e.get(t, c.path)
		if originHits(o, "/") != all+1 || originHits(o, "/"+c.origin+"/") != to+1 {
			t.Errorf("GET %s did not reach origin %s", c.path, c.origin)
		}
	}
}

// get sends a GET to the viewer listener with the distribution's Host.
func (e *consoleEdge) get(t *testing.T, uri string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+e.viewer+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = e.host
	resp, err := viewer().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", uri, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// originHits counts the requests that reached o on paths under prefix.
func originHits(o *testOrigin, prefix string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for p, c := range o.counts {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

// consoleGet reads a console page (or /metrics) from the API listener.
func (e *consoleEdge) consoleGet(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + e.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// invalidate creates an invalidation of paths through the API (signed by the SDK).
func (e *consoleEdge) invalidate(t *testing.T, dist string, paths ...string) {
	t.Helper()
	client := cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + e.api),
		Credentials: credentials.NewStaticCredentialsProvider(apiKey, apiSecret, ""), RetryMaxAttempts: 1})
	_, err := client.CreateInvalidation(t.Context(), &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(dist),
		InvalidationBatch: &cftypes.InvalidationBatch{CallerReference: aws.String("console-test"),
			Paths: &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// metricFigures are one distribution's counters in /metrics.
type metricFigures struct {
	requests map[string]float64 // by result, protocols summed
	bytes    float64
}

var metricLine = regexp.MustCompile(`^(edge_requests_total|edge_response_body_bytes_total)\{([^}]*)\} (\S+)$`)
var metricLabel = regexp.MustCompile(`(\w+)="([^"]*)"`)

// metrics reads dist's counters from /metrics (Prometheus's text format).
func (e *consoleEdge) metrics(t *testing.T, dist string) metricFigures {
	t.Helper()
	m := metricFigures{requests: map[string]float64{}}
	for _, line := range strings.Split(e.consoleGet(t, "/metrics"), "\n") {
		f := metricLine.FindStringSubmatch(line)
		if f == nil {
			continue
		}
		labels := map[string]string{}
		for _, l := range metricLabel.FindAllStringSubmatch(f[2], -1) {
			labels[l[1]] = l[2]
		}
		v, err := strconv.ParseFloat(f[3], 64)
		if err != nil || labels["distribution"] != dist {
			continue
		}
		if f[1] == "edge_requests_total" {
			m.requests[labels["result"]] += v
		} else {
			m.bytes += v
		}
	}
	return m
}

// expectedFigures are the texts the traffic page must show for m: every result's total, all
// requests, the hit ratio and the body bytes since start (console/format.go's formats).
func expectedFigures(dist string, m metricFigures) map[string]string {
	want := map[string]string{}
	var all float64
	for _, r := range []string{"Hit", "RefreshHit", "Miss", "Error", "Redirect", "FunctionGeneratedResponse"} {
		want[dist+"|total."+r] = strconv.FormatFloat(m.requests[r], 'f', 0, 64)
		all += m.requests[r]
	}
	want[dist+"|requests"] = strconv.FormatFloat(all, 'f', 0, 64)
	hits := m.requests["Hit"] + m.requests["RefreshHit"]
	want[dist+"|hitRatioAll"] = strconv.FormatFloat(100*hits/(hits+m.requests["Miss"]), 'f', 1, 64) + " %"
	if m.bytes < 1024 {
		want[dist+"|bytesAll"] = strconv.FormatFloat(m.bytes, 'f', 0, 64) + " B"
	} else {
		want[dist+"|bytesAll"] = strconv.FormatFloat(m.bytes/1024, 'f', 1, 64) + " KiB"
	}
	return want
}

// artifactsDir is where a test saves what people look at after it (screenshots): under
// $EDGE_ARTIFACTS when set (kept), else in the test's temporary folder.
func artifactsDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("EDGE_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// checkNotBlank fails the test unless the PNG at path shows something: at least 1 % of its
// pixels differ from its most common color, in at least 8 colors.
func checkNotBlank(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	counts := map[uint32]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			counts[rgb(img, x, y)]++
		}
	}
	most, total := 0, bounds.Dx()*bounds.Dy()
	for _, n := range counts {
		most = max(most, n)
	}
	if bounds.Dx() < 800 || len(counts) < 8 || float64(total-most) < 0.01*float64(total) {
		t.Errorf("screenshot %s looks blank: %dx%d, %d colors, %.2f %% off the main one", path, bounds.Dx(), bounds.Dy(),
			len(counts), 100*float64(total-most)/float64(total))
	}
}

func rgb(img image.Image, x, y int) uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return r>>8<<16 | g>>8<<8 | b>>8
}

// browserRun is a browser script running in phases: it prints one JSON line per phase and
// reads a line on stdin when it waits for the test.
type browserRun struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr *strings.Builder
	cancel context.CancelFunc
}

// startBrowser starts node on e2e/browser/script with Chromium, as runBrowserScript does, but
// returns at once.
func startBrowser(t *testing.T, script string, args ...string) *browserRun {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: install nodejs and npm (scripts/test-deps.sh does)")
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
	cmd := exec.CommandContext(ctx, node, append([]string{path, chromiumPath}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "TMPDIR="+t.TempDir())
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	b := &browserRun{cmd: cmd, stderr: &strings.Builder{}, cancel: cancel}
	cmd.Stderr = b.stderr
	if b.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.lines = bufio.NewScanner(out)
	b.lines.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return b
}

// read decodes the script's next line into v.
func (b *browserRun) read(t *testing.T, v any) {
	t.Helper()
	if !b.lines.Scan() {
		b.cmd.Wait()
		t.Fatalf("node %s ended early (%v)\nstderr:\n%s", b.cmd.Args[1], b.lines.Err(), testkit.Tail(b.stderr.String(), 40))
	}
	if err := json.Unmarshal(b.lines.Bytes(), v); err != nil {
		t.Fatalf("node output: %v\n%s", err, b.lines.Bytes())
	}
}

// send writes v to the script's stdin, as one JSON line.
func (b *browserRun) send(t *testing.T, v any) {
	t.Helper()
	line, _ := json.Marshal(v)
	if _, err := fmt.Fprintf(b.stdin, "%s\n", line); err != nil {
		t.Fatalf("to node: %v", err)
	}
}

// wait waits for the script to exit, and fails the test if it failed.
func (b *browserRun) wait(t *testing.T) {
	t.Helper()
	b.stdin.Close()
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("node %s: %v\nstderr:\n%s", b.cmd.Args[1], err, testkit.Tail(b.stderr.String(), 40))
	}
}
