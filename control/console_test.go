package control

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// Secrets the console views must never hold.
var consoleSecrets = []string{"hdr-secret-value", "AKIAS3ORIGINKEY", "s3-secret-key", "s3-session-token",
	"shield-secret-value", "userpass", "function-code-secret", testSecret1}

func consoleConfig(c *config.Config) {
	d := &c.Distributions[0]
	d.Origins = append(d.Origins,
		config.Origin{ID: "api", Kind: config.KindHTTP, DomainName: "api.example.com", HTTPPort: 8080,
			OriginProtocolPolicy: "http-only", CustomHeaders: []config.CustomHeader{{Name: "X-Origin-Token", Value: "hdr-secret-value"}},
			OriginShield: &config.OriginShield{Enabled: true, Address: "127.0.0.1:9999", Secret: "shield-secret-value"}},
		config.Origin{ID: "bucket", Kind: config.KindS3, Bucket: "media", Region: "eu-west-1",
			Endpoint: "http://user:userpass@127.0.0.1:9000/?X-Amz-Signature=abc", Access: "sigv4",
			AccessKeyID: "AKIAS3ORIGINKEY", SecretAccessKey: "s3-secret-key", SessionToken: "s3-session-token"})
	d.Behaviors = append(d.Behaviors, config.Behavior{PathPattern: "/api/*", TargetOriginID: "api",
		CachePolicy: "CachingDisabled", OriginRequestPolicy: "AllViewer", ResponseHeadersPolicy: "CORS-With-Preflight",
		AllowedMethods:       []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"},
		FunctionAssociations: []config.FunctionAssociation{{EventType: "viewer-request", Function: "rewrite"}}})
	code := "function handler(event) { var s = 'function-code-secret'; return event.request; }"
	c.Functions = append(c.Functions, config.Function{Name: "rewrite", InlineCode: code, Code: []byte(code)})
}

// TestDistributionViews: the views list every distribution, its origins and its behaviors in
// match order with their policies and functions, and hold none of the configuration's secrets.
func TestDistributionViews(t *testing.T) {
	h := newHarness(t, consoleConfig, nil)
	views := h.srv.DistributionViews()
	if len(views) != 2 || views[0].ID != distMain || views[1].ID != distSmooth {
		t.Fatalf("views: %d, want %s then %s", len(views), distMain, distSmooth)
	}
	d := views[0]
	if d.DomainName != "d111111abcdef8.cloudfront.net" || strings.Join(d.Aliases, ",") != "localhost,127.0.0.1" ||
		!d.Enabled || d.Status != StatusDeployed || d.FromAPI || d.DefaultRootObject != "index.html" {
		t.Errorf("distribution: %+v", d)
	}
	var order []string
	for _, b := range d.Behaviors {
		order = append(order, fmt.Sprintf("%d:%s>%s", b.Index, b.PathPattern, b.TargetOriginID))
	}
	if got, want := strings.Join(order, " "), "0:/video/*>media 1:/static/*>www 2:/api/*>api -1:>www"; got != want {
		t.Errorf("behaviors %s, want %s", got, want)
	}
	api := d.Behaviors[2]
	if api.CachePolicy.Name != "CachingDisabled" || !api.CachePolicy.Managed || api.CachePolicy.ID != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" ||
		!api.CachingDisabled || api.OriginRequestPolicy.Name != "AllViewer" || !strings.Contains(api.OriginRequestPolicy.Summary, "allViewer") ||
		api.ResponseHeadersPolicy.Name != "CORS-With-Preflight" || !strings.Contains(api.ResponseHeadersPolicy.Summary, "CORS") ||
		len(api.Functions) != 1 || api.Functions[0] != (FunctionView{"viewer-request", "rewrite"}) ||
		api.AllowedMethods != "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE" {
		t.Errorf("/api/* behavior: %+v", api)
	}
	if st := d.Behaviors[1]; st.CachePolicy.Name != "CachingOptimized" || st.MinTTL != time.Second || st.MaxTTL != 365*24*time.Hour ||
		!strings.Contains(st.CachePolicy.Summary, "gzip, br") {
		t.Errorf("/static/* behavior: %+v", st)
	}
	if def := d.Behaviors[3]; def.CachePolicy.Name != "" || !strings.HasPrefix(def.Legacy, "legacy settings") || def.DefaultTTL != 24*time.Hour {
		t.Errorf("default behavior: %+v", def)
	}
	byID := map[string]OriginView{}
	for _, o := range d.Origins {
		byID[o.ID] = o
	}
	if o := byID["api"]; o.Target != "api.example.com:8080" || strings.Join(o.CustomHeaders, ",") != "X-Origin-Token" || o.Shield != "127.0.0.1:9999" {
		t.Errorf("api origin: %+v", o)
	}
	if o := byID["bucket"]; o.Target != "media (eu-west-1) at http://127.0.0.1:9000/" || o.Access != "sigv4" {
		t.Errorf("bucket origin: %+v", o)
	}
	all := fmt.Sprintf("%+v", views)
	for _, s := range consoleSecrets {
		if strings.Contains(all, s) {
			t.Errorf("the views hold the secret %q", s)
		}
	}
}

// TestInvalidationViews: newest first, with statuses and paths, bounded as asked.
func TestInvalidationViews(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.API.InvalidationDelay = config.Duration(time.Minute) }, nil)
	for i, paths := range [][]string{{"/a.html", "/b/*"}, {"/c1", "/c2", "/c3"}} {
		_, err := h.cf().CreateInvalidation(context.Background(), &cloudfront.CreateInvalidationInput{
			DistributionId: aws.String(distMain),
			InvalidationBatch: &cftypes.InvalidationBatch{CallerReference: aws.String(fmt.Sprint("ref-", i)),
				Paths: &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			h.clock.Advance(time.Minute) // the first is Completed, the second InProgress
		}
	}
	views, ok := h.srv.InvalidationViews(distMain, 0, 2)
	if !ok || len(views) != 2 {
		t.Fatalf("views %+v, %v", views, ok)
	}
	if v := views[0]; v.CallerReference != "ref-1" || v.Status != StatusInProgress || v.PathCount != 3 || strings.Join(v.Paths, " ") != "/c1 /c2" {
		t.Errorf("newest: %+v", v)
	}
	if v := views[1]; v.CallerReference != "ref-0" || v.Status != StatusCompleted || strings.Join(v.Paths, " ") != "/a.html /b/*" ||
		!v.Created.Before(views[0].Created) {
		t.Errorf("oldest: %+v", v)
	}
	if views, _ := h.srv.InvalidationViews(distMain, 1, 0); len(views) != 1 || views[0].CallerReference != "ref-1" || len(views[0].Paths) != 3 {
		t.Errorf("max 1: %+v", views)
	}
	if _, ok := h.srv.InvalidationViews("ENOSUCH", 0, 0); ok {
		t.Error("unknown distribution: ok")
	}
}

// TestConsoleDispatch: GET and HEAD outside the API's paths and /metrics go to the console
// without SigV4; everything else is the API's, authenticated as before.
func TestConsoleDispatch(t *testing.T) {
	cfg := loadConfig(t, nil)
	srv, err := New(Config{Config: cfg, Invalidator: nopInvalidator{},
		Console: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("console " + string(ctx.Path())) },
		Metrics: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("metrics") }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()
	for _, tt := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/", 200, "console /"},
		{"GET", "/cache?x=1", 200, "console /cache"},
		{"HEAD", "/traffic", 200, ""},
		{"GET", "/metrics", 200, "metrics"},
		{"GET", "/2020-05-31/distribution", 403, "MissingAuthenticationToken"},
		{"GET", "/2020-05-31", 403, "MissingAuthenticationToken"},
		{"POST", "/", 403, "MissingAuthenticationToken"},
		{"DELETE", "/cache", 403, "MissingAuthenticationToken"},
	} {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("%s %s: %d %q, want %d with %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.body)
		}
	}
}

type nopInvalidator struct{}

func (nopInvalidator) Invalidate(string, []string, time.Time) {}
