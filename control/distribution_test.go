package control

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
)

var etagShape = regexp.MustCompile(`^E[A-Z2-7]{13}$`)

func TestDistributions(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()

	list, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil {
		t.Fatalf("ListDistributions: %v", err)
	}
	l := list.DistributionList
	if aws.ToInt32(l.Quantity) != 2 || len(l.Items) != 2 || aws.ToBool(l.IsTruncated) {
		t.Fatalf("list: quantity %d, %d items, truncated %v", aws.ToInt32(l.Quantity), len(l.Items), aws.ToBool(l.IsTruncated))
	}
	wantDomains := map[string]string{
		distMain:   "d111111abcdef8.cloudfront.net",
		distSmooth: config.DomainNameFor(distSmooth),
	}
	for i, id := range []string{distMain, distSmooth} {
		s := l.Items[i]
		if aws.ToString(s.Id) != id || aws.ToString(s.DomainName) != wantDomains[id] {
			t.Errorf("item %d: %q %q, want %q %q", i, aws.ToString(s.Id), aws.ToString(s.DomainName), id, wantDomains[id])
		}
		if aws.ToString(s.ARN) != "arn:aws:cloudfront::000000000000:distribution/"+id || aws.ToString(s.Status) != "Deployed" {
			t.Errorf("item %d: ARN %q status %q", i, aws.ToString(s.ARN), aws.ToString(s.Status))
		}
	}

	etags := map[string]string{}
	for _, id := range []string{distMain, distSmooth} {
		d, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
		if err != nil {
			t.Fatalf("GetDistribution(%s): %v", id, err)
		}
		c, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
		if err != nil {
			t.Fatalf("GetDistributionConfig(%s): %v", id, err)
		}
		etag := aws.ToString(d.ETag)
		if !etagShape.MatchString(etag) || aws.ToString(c.ETag) != etag {
			t.Errorf("%s: ETag %q from GetDistribution, %q from GetDistributionConfig", id, etag, aws.ToString(c.ETag))
		}
		if d.Distribution.LastModifiedTime == nil || aws.ToString(d.Distribution.DomainName) != wantDomains[id] {
			t.Errorf("%s: distribution %+v", id, d.Distribution)
		}
		etags[id] = etag
	}
	if etags[distMain] == etags[distSmooth] {
		t.Errorf("two distributions share ETag %q", etags[distMain])
	}
	for _, s := range l.Items {
		if aws.ToString(s.ETag) != etags[aws.ToString(s.Id)] {
			t.Errorf("summary ETag %q, want %q", aws.ToString(s.ETag), etags[aws.ToString(s.Id)])
		}
	}

	c, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	dc := c.DistributionConfig
	if aws.ToString(dc.DefaultRootObject) != "index.html" || aws.ToString(dc.Comment) != "control test" || !aws.ToBool(dc.Enabled) {
		t.Errorf("config: root %q comment %q enabled %v", aws.ToString(dc.DefaultRootObject), aws.ToString(dc.Comment), aws.ToBool(dc.Enabled))
	}
	if got := dc.Aliases.Items; len(got) != 2 || got[0] != "localhost" || got[1] != "127.0.0.1" {
		t.Errorf("aliases %q", got)
	}
	if n := aws.ToInt32(dc.Origins.Quantity); n != 2 || aws.ToString(dc.Origins.Items[1].Id) != "media" {
		t.Errorf("origins: %d", n)
	}
	bs := dc.CacheBehaviors.Items
	if len(bs) != 2 {
		t.Fatalf("%d behaviors, want 2", len(bs))
	}
	if aws.ToString(bs[0].PathPattern) != "/video/*" || !aws.ToBool(bs[0].SmoothStreaming) || aws.ToString(bs[0].TargetOriginId) != "media" {
		t.Errorf("behavior 0: %q smooth %v origin %q", aws.ToString(bs[0].PathPattern), aws.ToBool(bs[0].SmoothStreaming), aws.ToString(bs[0].TargetOriginId))
	}
	if aws.ToInt64(bs[0].DefaultTTL) != 86400 || bs[0].ForwardedValues == nil || aws.ToInt32(bs[0].AllowedMethods.Quantity) != 2 {
		t.Errorf("behavior 0: legacy settings missing: %+v", bs[0])
	}
	if got := aws.ToString(bs[1].CachePolicyId); got != "658327ea-f89d-4fab-a63d-7e88639e58f6" {
		t.Errorf("behavior 1: CachePolicyId %q, want CachingOptimized's id", got)
	}
	if aws.ToBool(dc.DefaultCacheBehavior.SmoothStreaming) || aws.ToString(dc.DefaultCacheBehavior.TargetOriginId) != "www" {
		t.Errorf("default behavior: %+v", dc.DefaultCacheBehavior)
	}
	if n := aws.ToInt32(dc.CustomErrorResponses.Quantity); n != 1 || aws.ToString(dc.CustomErrorResponses.Items[0].ResponseCode) != "404" {
		t.Errorf("custom error responses: %d", n)
	}

	// Paging.
	p1, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if l := p1.DistributionList; len(l.Items) != 1 || !aws.ToBool(l.IsTruncated) || aws.ToString(l.NextMarker) != distMain {
		t.Errorf("page 1: %d items, truncated %v, next %q", len(l.Items), aws.ToBool(l.IsTruncated), aws.ToString(l.NextMarker))
	}
	p2, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{MaxItems: aws.Int32(1), Marker: aws.String(distMain)})
	if err != nil {
		t.Fatal(err)
	}
	if l := p2.DistributionList; len(l.Items) != 1 || aws.ToString(l.Items[0].Id) != distSmooth || aws.ToBool(l.IsTruncated) {
		t.Errorf("page 2: %+v", l)
	}
}

// TestETagIsStable checks that the ETag is a function of the configuration: the same config
// gives the same ETag in another Server (and later), a changed one another ETag.
func TestETagIsStable(t *testing.T) {
	store, err := cache.New(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	etag := func(mutate func(*config.Config), at time.Time) string {
		s, err := New(Config{Config: loadConfig(t, mutate), Invalidator: store, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		return s.cur.Load().byID[distMain].etag
	}
	a := etag(nil, time.Unix(1e9, 0))
	b := etag(nil, time.Unix(2e9, 0))
	c := etag(func(c *config.Config) { c.Distributions[0].Comment = "changed" }, time.Unix(1e9, 0))
	if a != b {
		t.Errorf("same config, ETags %q and %q", a, b)
	}
	if a == c {
		t.Errorf("changed config kept ETag %q", a)
	}
}

func TestNewRejects(t *testing.T) {
	store, err := cache.New(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"nil config", Config{Invalidator: store}},
		{"nil invalidator", Config{Config: loadConfig(t, nil)}},
		{"bad auth", Config{Config: loadConfig(t, func(c *config.Config) { c.API.Auth = "basic" }), Invalidator: store}},
		{"bad pattern", Config{Config: loadConfig(t, func(c *config.Config) { c.Distributions[0].Behaviors[0].PathPattern = "/a b" }), Invalidator: store}},
		{"duplicate id", Config{Config: loadConfig(t, func(c *config.Config) { c.Distributions[1].ID = distMain }), Invalidator: store}},
		{"key without secret", Config{Config: loadConfig(t, func(c *config.Config) { c.API.Keys[0].SecretAccessKey = "" }), Invalidator: store}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
}
