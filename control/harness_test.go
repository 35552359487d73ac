package control

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/smithy-go"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
)

// Keys and ids of testdata/edge.toml.
const (
	testKey1    = "AKIDCONTROLTEST00001"
	testSecret1 = "controlTestSecretKey00000000000000000001"
	testKey2    = "AKIDCONTROLTEST00002"
	testSecret2 = "controlTestSecretKey00000000000000000002"
	distMain    = "EDFDVBD6EXAMPLE"
	distSmooth  = "E2SMOOTHDEFAULT"
)

// clock is a settable clock shared by the server under test and the cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Millisecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a running API on 127.0.0.1 with a real cache.Store behind it.
type harness struct {
	t     testing.TB
	srv   *Server
	url   string
	clock *clock
	store *cache.Store
	rec   *recorder
}

// loadConfig reads testdata/edge.toml and applies mutate (which may be nil).
func loadConfig(t testing.TB, mutate func(*config.Config)) *config.Config {
	t.Helper()
	cfg, err := config.Load("testdata/edge.toml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if mutate != nil {
		mutate(cfg)
	}
	return cfg
}

// newHarness starts the API. inv, when non-nil, replaces the plain cache.Store as Invalidator
// (the store is still created, for the caller to wrap).
func newHarness(t testing.TB, mutate func(*config.Config), wrap func(*cache.Store) Invalidator) *harness {
	t.Helper()
	return newHarnessWith(t, mutate, wrap, nil, nil)
}

// newHarnessWith is newHarness with an Applier (nil for none) and a clock (nil for a new one).
func newHarnessWith(t testing.TB, mutate func(*config.Config), wrap func(*cache.Store) Invalidator, app Applier, clk *clock) *harness {
	t.Helper()
	if clk == nil {
		clk = newClock()
	}
	h := &harness{t: t, clock: clk, rec: &recorder{client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}}
	store, err := cache.New(cache.Config{MaxBytes: 64 << 20, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	h.store = store
	var inv Invalidator = store
	if wrap != nil {
		inv = wrap(store)
	}
	cfg := Config{Config: loadConfig(t, mutate), Invalidator: inv, Now: h.clock.Now}
	if app != nil {
		cfg.Applier = app
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	h.url = "http://" + ln.Addr().String()
	return h
}

// recorder is the SDK's HTTP client; it remembers the last response's status and headers.
type recorder struct {
	client *http.Client // the recorder's own connections, apart from other tests'
	mu     sync.Mutex
	status int
	header http.Header
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.client.Do(req)
	if err == nil {
		r.mu.Lock()
		r.status, r.header = resp.StatusCode, resp.Header.Clone()
		r.mu.Unlock()
	}
	return resp, err
}

func (r *recorder) last() (int, http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.header
}

// client returns an aws-sdk-go-v2 CloudFront client pointed at the harness.
func (h *harness) client(key, secret string) *cloudfront.Client {
	return cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(h.url),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		// The SDK's own retries, as users run it: a retried CreateInvalidation is safe (the same
		// CallerReference returns the same invalidation). Under heavy load on this 2-core machine a
		// large batch's response was, rarely, cut by the client's transport; 4xx are not retried.
		RetryMaxAttempts:           3,
		DisableClockSkewCorrection: true,
		HTTPClient:                 h.rec,
	})
}

func (h *harness) cf() *cloudfront.Client { return h.client(testKey1, testSecret1) }

// raw sends one request signed (when key is not empty) at signTime with the given region,
// and returns the status, headers and body.
func (h *harness) raw(method, path, body, key, secret, region string, signTime time.Time) (int, http.Header, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), "cloudfront", region, signTime)
		if err != nil {
			h.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// rawTampered signs method+path with signedBody, then sends sentBody, to sentPath when it is
// not empty, keeping the signature headers.
func (h *harness) rawTampered(method, path, signedBody, sentBody, sentPath string) (int, http.Header, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(signedBody))
	if err != nil {
		h.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(signedBody))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey1, SecretAccessKey: testSecret1},
		req, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	if sentPath == "" {
		sentPath = path
	}
	sent, err := http.NewRequest(method, h.url+sentPath, strings.NewReader(sentBody))
	if err != nil {
		h.t.Fatal(err)
	}
	sent.Header = req.Header.Clone()
	if len(sentBody) != len(signedBody) {
		h.t.Fatal("rawTampered: keep the body length, so only the content differs")
	}
	resp, err := http.DefaultClient.Do(sent)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// apiErr returns the AWS error code, message and HTTP status of err (empty and 0 when err is
// not an API error).
func apiErr(err error) (code, msg string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, msg, status
}

// put stores an entry of dist under key with path, stored one second before the clock.
func (h *harness) put(dist, key, path string) {
	h.t.Helper()
	now := h.clock.Now()
	e := &cache.Entry{Key: []byte(key), Dist: dist, Path: path, Status: 200, Body: []byte("x"),
		Stored: now.Add(-time.Second), Expires: now.Add(time.Hour)}
	if !h.store.Set(e) {
		h.t.Fatalf("Set %q refused", key)
	}
}

func (h *harness) cached(key string) bool { return h.store.Get([]byte(key)) != nil }

// batchXML renders an InvalidationBatch body by hand (for requests the SDK will not send).
func batchXML(quantity int, ref string, paths ...string) string {
	var b bytes.Buffer
	b.WriteString(`<InvalidationBatch xmlns="` + Namespace + `"><Paths><Quantity>`)
	b.WriteString(strconv.Itoa(quantity))
	b.WriteString(`</Quantity><Items>`)
	for _, p := range paths {
		b.WriteString("<Path>" + p + "</Path>")
	}
	b.WriteString(`</Items></Paths><CallerReference>` + ref + `</CallerReference></InvalidationBatch>`)
	return b.String()
}

// signedDo sets headers on req, signs it (with body as its payload) for testKey1 and sends
// it; it returns the status, headers and body of the answer.
func (h *harness) signedDo(req *http.Request, body string, headers map[string]string) (int, http.Header, string) {
	h.t.Helper()
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey1, SecretAccessKey: testSecret1},
		req, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// readFile returns the content of path ("" when it does not exist).
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}
