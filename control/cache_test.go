package control

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/cfedge/edge/cache"
)

// TestInvalidationReachesTheCache checks the cache side with a real cache.Store: after the API
// call, entries whose path was invalidated are gone (every variant of them), the others stay.
func TestInvalidationReachesTheCache(t *testing.T) {
	h := newHarness(t, nil, nil)
	entries := []struct {
		dist, key, path string
		gone            bool
	}{
		{distMain, "a", "/a.jpg", true},
		{distMain, "a?v=2", "/a.jpg", true},                // query variant
		{distMain, "a|gzip|cookie=x", "/a.jpg", true},      // encoding, cookie variant
		{distMain, "a2", "/a.jpg2", false},                 // exact path only
		{distMain, "b", "/b.jpg", false},                   // not named
		{distMain, "img1", "/img/x/y.png", true},           // under /img/*
		{distMain, "img2", "/img/", true},                  // the prefix itself
		{distMain, "imgs", "/imgs.png", false},             // not under /img/
		{distMain, "cafe", "/café.jpg", true},              // named percent-encoded
		{distMain, "q", "/q.jpg", true},                    // named with a query string
		{distMain, "pre", "/pre", true},                    // "/pre*" covers it
		{distMain, "prefix", "/prefix/long/path", true},    // and this
		{distMain, "Apre", "/Apre", false},                 // case-sensitive
		{distSmooth, "other-dist", "/a.jpg", false},        // other distribution
		{distMain, "static", "/static/app.js", false},      // not named
		{distMain, "video-txt", "/video/readme.txt", true}, // exact, non-Smooth name
	}
	for _, e := range entries {
		h.put(e.dist, e.key, e.path)
	}
	for _, e := range entries {
		if !h.cached(e.key) {
			t.Fatalf("%q not cached before the invalidation", e.key)
		}
	}
	paths := []string{"/a.jpg", "/img/*", "/caf%C3%A9.jpg", "/q.jpg?v=1", "/pre*", "/video/readme.txt"}
	if _, err := h.cf().CreateInvalidation(context.Background(), createInput(distMain, "c", paths...)); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if got := !h.cached(e.key); got != e.gone {
			t.Errorf("%s %q (key %q): invalidated %v, want %v", e.dist, e.path, e.key, got, e.gone)
		}
	}
	// An object stored after the invalidation is served again.
	h.clock.Advance(2 * time.Second)
	h.put(distMain, "a", "/a.jpg")
	if !h.cached("a") {
		t.Error("entry stored after the invalidation is treated as invalidated")
	}
}

// countingStore is a real cache.Store that counts the InvalidateExcept calls it receives.
type countingStore struct {
	*cache.Store
	excepts atomic.Int32
}

func (c *countingStore) InvalidateExcept(dist string, paths []string, except func(string) bool, at time.Time) {
	c.excepts.Add(1)
	c.Store.InvalidateExcept(dist, paths, except, at)
}

// plainOnly hides InvalidateExcept: an Invalidator that cannot exclude anything.
type plainOnly struct{ s *cache.Store }

func (p plainOnly) Invalidate(dist string, paths []string, at time.Time) {
	p.s.Invalidate(dist, paths, at)
}

// TestSmoothWildcardKeepsSmoothMedia checks the wildcard rule with the real cache.Store: a
// wildcard over Smooth media invalidates everything else under it and leaves the Smooth media
// cached.
func TestSmoothWildcardKeepsSmoothMedia(t *testing.T) {
	var cs *countingStore
	h := newHarness(t, nil, func(s *cache.Store) Invalidator {
		cs = &countingStore{Store: s}
		return cs
	})
	entries := []struct {
		dist, path string
		gone       bool
	}{
		{distMain, "/video/demo.ism", false},
		{distMain, "/video/demo.ismc", false},
		{distMain, "/video/demo.ismv", false},
		{distMain, "/video/demo_audio.isma", false},
		{distMain, "/video/demo.ism/Manifest", false},
		{distMain, "/video/demo.ism/QualityLevels(300000)/Fragments(video=0)", false},
		{distMain, "/video/DEMO.ISMV", false},
		{distMain, "/video/poster.jpg", true},
		{distMain, "/video/clientaccesspolicy.xml", true},
		{distMain, "/index.html", true},
		{distMain, "/other/x.ismv", true}, // default behavior: Smooth off
		{distSmooth, "/x.ismv", false},    // untouched: other distribution
	}
	for i, e := range entries {
		h.put(e.dist, "k"+itoa(i), e.path)
	}
	cf := h.cf()
	if _, err := cf.CreateInvalidation(context.Background(), createInput(distMain, "all", "/*")); err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if got := !h.cached("k" + itoa(i)); got != e.gone {
			t.Errorf("%s %q: invalidated %v, want %v", e.dist, e.path, got, e.gone)
		}
	}
	// A wildcard that cannot reach a Smooth behavior is recorded plainly.
	before := cs.excepts.Load()
	h.put(distMain, "static", "/static/app.js")
	if _, err := cf.CreateInvalidation(context.Background(), createInput(distMain, "static", "/static/*")); err != nil {
		t.Fatal(err)
	}
	if cs.excepts.Load() != before {
		t.Errorf("/static/* went through InvalidateExcept")
	}
	if h.cached("static") {
		t.Error("/static/app.js survived /static/*")
	}
	// In the all-Smooth distribution every wildcard carries the exclusion.
	h.put(distSmooth, "s-ismv", "/x.ismv")
	h.put(distSmooth, "s-html", "/x.html")
	if _, err := cf.CreateInvalidation(context.Background(), createInput(distSmooth, "x", "/x*")); err != nil {
		t.Fatal(err)
	}
	if !h.cached("s-ismv") || h.cached("s-html") {
		t.Errorf("/x* in the Smooth distribution: .ismv kept %v (want true), .html kept %v (want false)",
			h.cached("s-ismv"), h.cached("s-html"))
	}
}

// TestSmoothWildcardFallback pins what happens with an Invalidator that lacks
// InvalidateExcept: the wildcard is recorded plainly, so the Smooth media under it are
// refetched too.
func TestSmoothWildcardFallback(t *testing.T) {
	h := newHarness(t, nil, func(s *cache.Store) Invalidator { return plainOnly{s} })
	h.put(distMain, "ismv", "/video/a.ismv")
	h.put(distMain, "jpg", "/video/a.jpg")
	if _, err := h.cf().CreateInvalidation(context.Background(), createInput(distMain, "r", "/video/*")); err != nil {
		t.Fatal(err)
	}
	if h.cached("jpg") || h.cached("ismv") {
		t.Errorf("fallback: jpg cached %v, ismv cached %v; want both invalidated", h.cached("jpg"), h.cached("ismv"))
	}
}

// TestSmoothPathsRefused checks that naming Smooth media fails the whole batch with
// InvalidArgument listing every offending path and asking for a rename.
func TestSmoothPathsRefused(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.put(distMain, "ok", "/ok.txt")
	h.put(distMain, "ismv", "/video/a.ismv")
	bad := []string{"/video/a.ismv", "/video/b.ism/Manifest", "/video/c.ISMC", "/video/d.ism/*", "/video/e.isma?x=1",
		"/video/f%2Eismv"}
	paths := append([]string{"/ok.txt", "/other/a.ismv", "/video/a.ism.txt"}, bad...)
	_, err := h.cf().CreateInvalidation(context.Background(), createInput(distMain, "r", paths...))
	code, msg, status := apiErr(err)
	if code != CodeInvalidArgument || status != 400 {
		t.Fatalf("got %v, want InvalidArgument 400", err)
	}
	for _, p := range bad {
		if !strings.Contains(msg, `"`+p+`"`) {
			t.Errorf("message does not list %q: %s", p, msg)
		}
	}
	for _, p := range []string{"/ok.txt", "/other/a.ismv", "/video/a.ism.txt"} {
		if strings.Contains(msg, `"`+p+`"`) {
			t.Errorf("message lists the acceptable %q: %s", p, msg)
		}
	}
	if !strings.Contains(msg, "Rename") {
		t.Errorf("message does not say to rename: %s", msg)
	}
	if !h.cached("ok") || !h.cached("ismv") {
		t.Error("a refused batch invalidated something")
	}
	// The same batch without the Smooth paths goes through.
	if _, err := h.cf().CreateInvalidation(context.Background(), createInput(distMain, "r2", paths[:3]...)); err != nil {
		t.Errorf("batch without Smooth paths: %v", err)
	}
}

func itoa(i int) string {
	return string(rune('a'+i/26)) + string(rune('a'+i%26))
}

// TestInvalidateRootReachesRootObject: the edge caches the answer to "/" under the default root
// object's path, so invalidating "/" (as `aws cloudfront create-invalidation --paths /` does)
// must invalidate "/index.html" too, in the distribution that has that root object only.
func TestInvalidateRootReachesRootObject(t *testing.T) {
	h := newHarness(t, nil, nil)
	entries := []struct {
		dist, key, path string
		gone            bool
	}{
		{distMain, "root", "/", true},
		{distMain, "root-object", "/index.html", true},
		{distMain, "root-object-gzip", "/index.html", true},
		{distMain, "other", "/about.html", false},
		{distMain, "sub-index", "/docs/index.html", false},
		{distSmooth, "smooth-index", "/index.html", false}, // no default root object there
	}
	for _, e := range entries {
		h.put(e.dist, e.key, e.path)
	}
	ctx := context.Background()
	if _, err := h.cf().CreateInvalidation(ctx, createInput(distMain, "root", "/")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.cf().CreateInvalidation(ctx, createInput(distSmooth, "root", "/?v=1")); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if got := !h.cached(e.key); got != e.gone {
			t.Errorf("%s %q (key %q): invalidated %v, want %v", e.dist, e.path, e.key, got, e.gone)
		}
	}
	// The batch reads back as sent: "/" alone.
	out, err := h.cf().ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.cf().GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distMain),
		Id: out.InvalidationList.Items[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Invalidation.InvalidationBatch.Paths.Items; len(p) != 1 || p[0] != "/" {
		t.Errorf("paths read back: %q, want [/]", p)
	}
}
