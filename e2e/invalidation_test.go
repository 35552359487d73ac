package e2e_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/disk"
	"github.com/cfedge/edge/internal/testkit"
)

// TestInvalidationEvictsEveryVariant: after CreateInvalidation, each cached variant of the path
// (query strings, headers, encodings) is refetched on its next request; other paths stay cached.
func TestInvalidationEvictsEveryVariant(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/obj", 200, map[string]string{"Cache-Control": "max-age=3600"}, "v1")
	o.static("/img/a.png", 200, nil, "a")
	o.static("/img/b.png", 200, nil, "b")
	o.static("/keep", 200, nil, "keep")
	e := startEdge(t, baseConfig(t, o.port(), func(c *config.Config) {
		c.CachePolicies = []config.CachePolicy{{
			Name:                       "keyed",
			EnableAcceptEncodingGzip:   true,
			EnableAcceptEncodingBrotli: true,
			QueryStrings:               config.ParamSelector{Behavior: "all"},
			Headers:                    config.ParamSelector{Behavior: "whitelist", Names: []string{"X-Variant"}},
		}}
		d := &c.Distributions[0]
		d.Behaviors = []config.Behavior{{PathPattern: "/obj", TargetOriginID: "web", CachePolicy: "keyed"}}
	}))

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
	if err := e.invalidate(t, "/obj", "/img/*"); err != nil {
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
	media, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	testkit.CopyDir(t, filepath.Join(media, "demo"), filepath.Join(root, "media", "v1"))
	writeFile(t, filepath.Join(root, "media", "poster.txt"), "poster 1")
	o := newTestOrigin(t)
	o.serveDir(root)
	e := startEdge(t, baseConfig(t, o.port(), func(c *config.Config) {
		d := &c.Distributions[0]
		d.Aliases = append(d.Aliases, "127.0.0.1")
		d.Behaviors = []config.Behavior{{PathPattern: "/media/*", TargetOriginID: "web", SmoothStreaming: true}}
	}))

	_, oldManifest := e.get(t, "/media/v1/demo.ism/Manifest")
	frag := "/media/v1/demo.ism/QualityLevels(150000)/Fragments(video=0)"
	_, oldFrag := e.get(t, frag)
	e.get(t, "/media/poster.txt")
	if !strings.Contains(oldManifest, "SmoothStreamingMedia") || len(oldFrag) < 100 {
		t.Fatalf("demo not served: manifest %d bytes, fragment %d bytes", len(oldManifest), len(oldFrag))
	}

	// New content replaces the files under the old name (what a user must not do).
	testkit.CopyDir(t, filepath.Join(media, "lang"), filepath.Join(root, "media", "v1-new"))
	if err := os.Rename(filepath.Join(root, "media", "v1-new", "lang.ismc"), filepath.Join(root, "media", "v1", "demo.ismc")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "media", "poster.txt"), "poster 2")

	err = e.invalidate(t, "/media/v1/demo.ism/Manifest", "/media/poster.txt")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgument" || !strings.Contains(ae.ErrorMessage(), "/media/v1/demo.ism/Manifest") || !strings.Contains(strings.ToLower(ae.ErrorMessage()), "rename") {
		t.Fatalf("invalidating Smooth media: %v, want InvalidArgument naming the path and saying to rename", err)
	}
	if _, b := e.get(t, "/media/poster.txt"); b != "poster 1" {
		t.Errorf("a refused batch invalidated its other paths: %q", b)
	}
	if err := e.invalidate(t, "/media/*"); err != nil {
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
	testkit.CopyDir(t, filepath.Join(media, "lang"), filepath.Join(root, "media", "v2"))
	_, newManifest := e.get(t, "/media/v2/lang.ism/Manifest")
	want, err := os.ReadFile(filepath.Join(media, "lang", "lang.ismc"))
	if err != nil {
		t.Fatal(err)
	}
	if newManifest != string(want) {
		t.Fatalf("renamed presentation: got %d bytes, want the new .ismc", len(newManifest))
	}
	lastVideo, _ := testkit.GstPlay(t, fmt.Sprintf("http://%s/media/v2/lang.ism/Manifest", e.addr))
	if lastVideo < 5*time.Second {
		t.Errorf("renamed presentation played to %v only", lastVideo)
	}
	if _, b := e.get(t, "/media/v1/demo.ism/Manifest"); b != oldManifest {
		t.Errorf("old name no longer served from the cache")
	}
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInvalidationsSurviveRestartOnDisk: with a disk tier, a wildcard invalidation made through
// the API before a restart still applies after it to what was cached before it, and still
// leaves the Smooth media it covers cached (the exemption is given again at start): the
// manifest and a fragment are hits after the restart with no origin request.
func TestInvalidationsSurviveRestartOnDisk(t *testing.T) {
	media, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	testkit.CopyDir(t, filepath.Join(media, "demo"), filepath.Join(root, "media", "v1"))
	writeFile(t, filepath.Join(root, "media", "poster.txt"), "poster 1")
	o := newTestOrigin(t)
	o.serveDir(root)
	cfg := baseConfig(t, o.port(), func(c *config.Config) {
		d := &c.Distributions[0]
		d.Aliases = append(d.Aliases, "127.0.0.1")
		d.Behaviors = []config.Behavior{{PathPattern: "/media/*", TargetOriginID: "web", SmoothStreaming: true}}
	})
	dir := t.TempDir()
	openDisk := func() *disk.Store {
		d, err := disk.Open(disk.Config{Dir: dir, MaxBytes: 256 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	d := openDisk()
	e, stop := startEdgeOn(t, cfg, d)
	manifest := "/media/v1/demo.ism/Manifest"
	frag := "/media/v1/demo.ism/QualityLevels(150000)/Fragments(video=0)"
	_, oldManifest := e.get(t, manifest)
	_, oldFrag := e.get(t, frag)
	e.get(t, "/media/poster.txt")
	if err := e.invalidate(t, "/media/*"); err != nil {
		t.Fatalf("wildcard over Smooth media: %v", err)
	}
	stop()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "media", "poster.txt"), "poster 2")
	before := o.count("/media/v1/demo_180.ismv") + o.count("/media/v1/demo.ism") + o.count("/media/v1/demo.ismc")

	e, _ = startEdgeOn(t, cfg, openDisk())
	if r, b := e.get(t, manifest); b != oldManifest || xcache(r) != "Hit from cloudfront" {
		t.Errorf("after the restart the Smooth manifest is %q (%d bytes), want a hit", xcache(r), len(b))
	}
	if r, b := e.get(t, frag); b != oldFrag || xcache(r) != "Hit from cloudfront" {
		t.Errorf("after the restart the fragment is %q, want a hit", xcache(r))
	}
	if r, b := e.get(t, "/media/poster.txt"); b != "poster 2" || xcache(r) != "Miss from cloudfront" {
		t.Errorf("after the restart the invalidated poster is %q %q, want a miss with the new content", xcache(r), b)
	}
	if after := o.count("/media/v1/demo_180.ismv") + o.count("/media/v1/demo.ism") + o.count("/media/v1/demo.ismc"); after != before {
		t.Errorf("the Smooth media were read from the origin %d times after the restart", after-before)
	}
}
