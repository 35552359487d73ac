package edge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
)

const apiKey, apiSecret = "AKIATESTEDGE00000001", "testSecretKeyForTheEdgeInvalidationTests01"

// startAPI serves the CloudFront API for e's configuration and returns an SDK client for it.
func startAPI(t *testing.T, e *testEdge, toml string, originPort int) (*cloudfront.Client, string) {
	t.Helper()
	toml = strings.ReplaceAll(toml, "{{ORIGIN_PORT}}", fmt.Sprint(originPort))
	toml = strings.Replace(toml, "[api]\nauth = \"none\"", fmt.Sprintf("[api]\nauth = \"sigv4\"\n[[api.key]]\naccess_key_id = %q\nsecret_access_key = %q", apiKey, apiSecret), 1)
	cfg, err := config.Parse([]byte(toml), "api.toml")
	if err != nil {
		t.Fatal(err)
	}
	api, err := control.New(control.Config{Config: cfg, Invalidator: e.srv.Store(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go api.Serve(ln)
	t.Cleanup(func() { api.Shutdown(t.Context()) })
	client := cloudfront.New(cloudfront.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://" + ln.Addr().String()),
		Credentials:      credentials.NewStaticCredentialsProvider(apiKey, apiSecret, ""),
		RetryMaxAttempts: 1,
	})
	return client, cfg.Distributions[0].ID
}

func invalidate(t *testing.T, c *cloudfront.Client, dist string, paths ...string) error {
	t.Helper()
	_, err := c.CreateInvalidation(t.Context(), &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(dist),
		InvalidationBatch: &cftypes.InvalidationBatch{
			CallerReference: aws.String(fmt.Sprintf("ref-%d", time.Now().UnixNano())),
			Paths:           &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	return err
}

// TestInvalidationEvictsEveryVariant: after CreateInvalidation, each cached variant of the path
// (query strings, headers, encodings) is refetched on its next request; other paths stay cached.
func TestInvalidationEvictsEveryVariant(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Cache-Control": "max-age=3600"}, "v1")
	o.static("/img/a.png", 200, nil, "a")
	o.static("/img/b.png", 200, nil, "b")
	o.static("/keep", 200, nil, "keep")
	cfg := baseConfig(`
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
cache_policy = "keyed"
[[cache_policy]]
name = "keyed"
enable_accept_encoding_gzip = true
enable_accept_encoding_brotli = true
[cache_policy.query_strings]
behavior = "all"
[cache_policy.headers]
behavior = "whitelist"
names = ["X-Variant"]
`)
	// [[cache_policy]] is top level: move it before the distribution.
	i := strings.Index(cfg, "[[cache_policy]]")
	j := strings.Index(cfg, "[distribution.default_behavior]")
	policy := cfg[i:j]
	cfg = policy + cfg[:i] + cfg[j:]
	e := startEdge(t, cfg, o.port())
	api, dist := startAPI(t, e, cfg, o.port())

	variants := []struct {
		uri string
		hdr map[string]string
	}{
		{"/obj", nil},
		{"/obj?a=1", nil},
		{"/obj?a=2&b=3", nil},
		{"/obj", map[string]string{"X-Variant": "blue"}},
		{"/obj", map[string]string{"Accept-Encoding": "gzip"}},
		{"/obj", map[string]string{"Accept-Encoding": "br, gzip"}},
	}
	for _, v := range variants {
		e.do(t, "GET", v.uri, v.hdr)
	}
	for _, p := range []string{"/img/a.png", "/img/b.png", "/keep"} {
		e.get(t, p)
	}
	if n := o.count("/obj"); n != len(variants) {
		t.Fatalf("origin saw %d requests for %d variants", n, len(variants))
	}
	for _, v := range variants {
		if r, _ := e.do(t, "GET", v.uri, v.hdr); xcache(r) != "Hit from cloudfront" {
			t.Fatalf("%s %v not cached before the invalidation: %s", v.uri, v.hdr, xcache(r))
		}
	}
	o.static("/obj", 200, map[string]string{"Cache-Control": "max-age=3600"}, "v2")
	if err := invalidate(t, api, dist, "/obj", "/img/*"); err != nil {
		t.Fatal(err)
	}
	for _, v := range variants {
		r, b := e.do(t, "GET", v.uri, v.hdr)
		if xcache(r) != "Miss from cloudfront" || b != "v2" {
			t.Errorf("%s %v after the invalidation: %s %q, want a Miss with new content", v.uri, v.hdr, xcache(r), b)
		}
	}
	for _, p := range []string{"/img/a.png", "/img/b.png"} {
		if r, _ := e.get(t, p); xcache(r) != "Miss from cloudfront" {
			t.Errorf("%s under /img/* not invalidated: %s", p, xcache(r))
		}
	}
	if r, _ := e.get(t, "/keep"); xcache(r) != "Hit from cloudfront" {
		t.Errorf("/keep was invalidated too: %s", xcache(r))
	}
}

// TestSmoothRenameWorkflow: Smooth media can't be invalidated (400 InvalidArgument, as the
// presentation must be renamed); a wildcard over it invalidates the rest and leaves the media
// cached; the renamed presentation plays new content at once while the old name is still served
// from the cache.
func TestSmoothRenameWorkflow(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	root := t.TempDir()
	copyDir(t, filepath.Join(media, "demo"), filepath.Join(root, "media", "v1"))
	os.WriteFile(filepath.Join(root, "media", "poster.txt"), []byte("poster 1"), 0o644)
	o := newTestOrigin(t)
	o.serveDir(root)
	cfg := baseConfig(`
[[distribution.behavior]]
path_pattern = "/media/*"
target_origin_id = "web"
smooth_streaming = true
`)
	cfg = strings.Replace(cfg, `aliases = ["cdn.example.test"]`, `aliases = ["cdn.example.test", "127.0.0.1"]`, 1)
	e := startEdge(t, cfg, o.port())
	api, dist := startAPI(t, e, cfg, o.port())

	_, oldManifest := e.get(t, "/media/v1/demo.ism/Manifest")
	frag := "/media/v1/demo.ism/QualityLevels(150000)/Fragments(video=0)"
	_, oldFrag := e.get(t, frag)
	e.get(t, "/media/poster.txt")
	if !strings.Contains(oldManifest, "SmoothStreamingMedia") || len(oldFrag) < 100 {
		t.Fatalf("demo not served: manifest %d bytes, fragment %d bytes", len(oldManifest), len(oldFrag))
	}

	// New content replaces the files under the old name (what a user must not do).
	copyDir(t, filepath.Join(media, "lang"), filepath.Join(root, "media", "v1-new"))
	os.Rename(filepath.Join(root, "media", "v1-new", "lang.ismc"), filepath.Join(root, "media", "v1", "demo.ismc"))
	os.WriteFile(filepath.Join(root, "media", "poster.txt"), []byte("poster 2"), 0o644)

	err := invalidate(t, api, dist, "/media/v1/demo.ism/Manifest", "/media/poster.txt")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgument" || !strings.Contains(ae.ErrorMessage(), "/media/v1/demo.ism/Manifest") || !strings.Contains(strings.ToLower(ae.ErrorMessage()), "rename") {
		t.Fatalf("invalidating Smooth media: %v, want InvalidArgument naming the path and saying to rename", err)
	}
	if _, b := e.get(t, "/media/poster.txt"); b != "poster 1" {
		t.Errorf("a refused batch invalidated its other paths: %q", b)
	}
	if err := invalidate(t, api, dist, "/media/*"); err != nil {
		t.Fatalf("wildcard over Smooth media: %v", err)
	}
	if _, b := e.get(t, "/media/poster.txt"); b != "poster 2" {
		t.Errorf("wildcard left the non-Smooth object cached: %q", b)
	}
	if r, b := e.get(t, "/media/v1/demo.ism/Manifest"); b != oldManifest || xcache(r) != "Hit from cloudfront" {
		t.Errorf("wildcard evicted the Smooth manifest (%s)", xcache(r))
	}
	if _, b := e.get(t, frag); b != oldFrag {
		t.Errorf("wildcard evicted a Smooth fragment")
	}

	// The rename: publish the new presentation under a new name; it plays at once.
	copyDir(t, filepath.Join(media, "lang"), filepath.Join(root, "media", "v2"))
	_, newManifest := e.get(t, "/media/v2/lang.ism/Manifest")
	want, _ := os.ReadFile(filepath.Join(media, "lang", "lang.ismc"))
	if newManifest != string(want) {
		t.Fatalf("renamed presentation: got %d bytes, want the new .ismc", len(newManifest))
	}
	lastVideo, _ := gstPlay(t, fmt.Sprintf("http://127.0.0.1:%s/media/v2/lang.ism/Manifest", strings.Split(e.addr, ":")[1]))
	if lastVideo < 5*time.Second {
		t.Errorf("renamed presentation played to %v only", lastVideo)
	}
	if _, b := e.get(t, "/media/v1/demo.ism/Manifest"); b != oldManifest {
		t.Errorf("old name no longer served from the cache")
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		b, err := os.ReadFile(filepath.Join(from, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, ent.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
