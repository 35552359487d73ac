package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/disk"
	"github.com/cfedge/edge/edge"
)

// The API's access key; the config of every test carries it.
const apiKey, apiSecret = "AKIATESTEDGE00000001", "testSecretKeyForTheEdgeInvalidationTests01"

// testOrigin is a real HTTP origin on 127.0.0.1 that counts the requests per path and answers
// with the handler registered for the path, else from its folder (if any), else 404.
type testOrigin struct {
	ln       net.Listener
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	files    http.Handler
	counts   map[string]int
}

func newTestOrigin(t *testing.T) *testOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &testOrigin{ln: ln, handlers: map[string]http.HandlerFunc{}, counts: map[string]int{}}
	srv := &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return o
}

func (o *testOrigin) port() int { return o.ln.Addr().(*net.TCPAddr).Port }

// static makes the origin answer path with a fixed status, headers and body.
func (o *testOrigin) static(path string, status int, headers map[string]string, body string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.handlers[path] = func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// serveDir makes the origin serve the files under dir (with ranges and validators) for paths
// without a handler.
func (o *testOrigin) serveDir(dir string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files = http.FileServer(http.Dir(dir))
}

// count returns how many requests reached path.
func (o *testOrigin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[path]
}

func (o *testOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.counts[r.URL.Path]++
	h, files := o.handlers[r.URL.Path], o.files
	o.mu.Unlock()
	switch {
	case h != nil:
		h(w, r)
	case files != nil:
		files.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// baseConfig is one distribution in front of an http origin on 127.0.0.1:originPort, with the
// API's key; adjust (if not nil) edits it before defaults and validation.
func baseConfig(t *testing.T, originPort int, adjust func(*config.Config)) *config.Config {
	t.Helper()
	cfg := &config.Config{
		Server: config.Server{Pop: "TST1-C1"},
		Cache:  config.Cache{Memory: 64 << 20, MaxObjectSize: 8 << 20},
		API:    config.API{Auth: "sigv4", Keys: []config.AccessKey{{AccessKeyID: apiKey, SecretAccessKey: apiSecret}}},
		Distributions: []config.Distribution{{
			ID:                "ETESTDIST",
			DomainName:        "dtest0000000001.cloudfront.net",
			Aliases:           []string{"cdn.example.test"},
			DefaultRootObject: "index.html",
			Origins: []config.Origin{{
				ID:                 "web",
				Kind:               config.KindHTTP,
				DomainName:         "127.0.0.1",
				HTTPPort:           originPort,
				ConnectionAttempts: 1,
				ConnectionTimeout:  config.Duration(2 * time.Second),
				OriginReadTimeout:  config.Duration(2 * time.Second),
			}},
			DefaultBehavior: config.Behavior{TargetOriginID: "web"},
		}},
	}
	if adjust != nil {
		adjust(cfg)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// testEdge is an edge on 127.0.0.1 with the CloudFront API beside it, sharing its cache.
type testEdge struct {
	addr string
	host string
	api  *cloudfront.Client
	dist string
}

// startEdge starts the edge and the API for cfg until the test ends.
func startEdge(t *testing.T, cfg *config.Config) *testEdge {
	t.Helper()
	e, _ := startEdgeOn(t, cfg, nil)
	return e
}

// startEdgeOn starts the edge and the API for cfg, with a disk tier when d is not nil; stop
// shuts them down and closes the cache (the disk tier is the caller's), as the end of the test
// would.
func startEdgeOn(t *testing.T, cfg *config.Config, d *disk.Store) (e *testEdge, stop func()) {
	t.Helper()
	// One clock for the edge, its cache and the API, stopped at the start: within a test an
	// entry is never stale, so only invalidations make the edge go back to the origin.
	start := time.Now()
	now := func() time.Time { return start }
	log := slog.New(slog.DiscardHandler)
	store, err := cache.New(cache.Config{MaxBytes: int64(cfg.Cache.Memory), Now: now, Disk: d})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := edge.New(edge.Config{Config: cfg, Logger: log, Store: store, Now: now})
	if err != nil {
		t.Fatalf("edge.New: %v", err)
	}
	api, err := control.New(control.Config{Config: cfg, Invalidator: store, Logger: log, Now: now})
	if err != nil {
		t.Fatalf("control.New: %v", err)
	}
	viewerLn := listen(t)
	apiLn := listen(t)
	go srv.Serve(viewerLn)
	go api.Serve(apiLn)
	stop = sync.OnceFunc(func() {
		api.Shutdown(context.Background())
		srv.Shutdown(context.Background())
		srv.Close()
		store.Close()
	})
	t.Cleanup(stop)
	client := cloudfront.New(cloudfront.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://" + apiLn.Addr().String()),
		Credentials:      credentials.NewStaticCredentialsProvider(apiKey, apiSecret, ""),
		RetryMaxAttempts: 1,
	})
	return &testEdge{addr: viewerLn.Addr().String(), host: cfg.Distributions[0].DomainName, api: client, dist: cfg.Distributions[0].ID}, stop
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// invalidate sends one CreateInvalidation for paths through the SDK.
func (e *testEdge) invalidate(t *testing.T, paths ...string) error {
	t.Helper()
	_, err := e.api.CreateInvalidation(t.Context(), &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(e.dist),
		InvalidationBatch: &cftypes.InvalidationBatch{
			CallerReference: aws.String(fmt.Sprintf("ref-%d", time.Now().UnixNano())),
			Paths:           &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	return err
}

// viewer is an HTTP client that neither decompresses nor follows redirects.
func viewer() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}
}

// do sends a request with the distribution's Host and returns the response and its body.
func (e *testEdge) do(t *testing.T, method, uri string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+e.addr+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = e.host
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := viewer().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, uri, err)
	}
	return resp, string(b)
}

func (e *testEdge) get(t *testing.T, uri string) (*http.Response, string) {
	t.Helper()
	return e.do(t, http.MethodGet, uri, nil)
}

func xcache(r *http.Response) string { return r.Header.Get("X-Cache") }
