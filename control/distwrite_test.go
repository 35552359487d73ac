package control

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

// Managed policy ids used below (config/managed.go).
const (
	idCachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	idCachingDisabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	idORPAllViewer     = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	idORPCORSS3Origin  = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
	idRHPSecurity      = "67f7725c-6f97-4210-82d7-5512b31e9d03"
)

var (
	distIDShape     = regexp.MustCompile(`^E[A-Z0-9]{13}$`)
	distDomainShape = regexp.MustCompile(`^d[a-z0-9]{13}\.cloudfront\.net$`)
)

// recordingApplier is an Applier that keeps every configuration it is given, and refuses
// them all while fail is set. It checks each with config validation, as the edge would refuse
// one that does not validate.
type recordingApplier struct {
	mu   sync.Mutex
	got  []*config.Config
	fail error
}

func (a *recordingApplier) Apply(c *config.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	if err := c.Validate(); err != nil {
		return err
	}
	a.got = append(a.got, c)
	return nil
}

func (a *recordingApplier) setFail(err error) {
	a.mu.Lock()
	a.fail = err
	a.mu.Unlock()
}

// last returns the last configuration applied and how many were.
func (a *recordingApplier) last() (*config.Config, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) == 0 {
		return nil, 0
	}
	return a.got[len(a.got)-1], len(a.got)
}

// fullDistConfig is a DistributionConfig using most of the API: three origins (custom with
// every setting, S3, custom), an origin group, a default behavior and three ordered behaviors
// in policy mode (managed policies by id) and legacy mode, and custom error responses.
func fullDistConfig(ref string) *types.DistributionConfig {
	custom := func(port int32, policy types.OriginProtocolPolicy) *types.CustomOriginConfig {
		return &types.CustomOriginConfig{
			HTTPPort: aws.Int32(port), HTTPSPort: aws.Int32(8443), OriginProtocolPolicy: policy,
			OriginSslProtocols:     &types.OriginSslProtocols{Quantity: aws.Int32(1), Items: []types.SslProtocol{types.SslProtocolTLSv12}},
			OriginReadTimeout:      aws.Int32(20),
			OriginKeepaliveTimeout: aws.Int32(6),
		}
	}
	return &types.DistributionConfig{
		CallerReference:   aws.String(ref),
		Comment:           aws.String("full config"),
		Enabled:           aws.Bool(true),
		DefaultRootObject: aws.String("index.html"),
		Aliases:           &types.Aliases{Quantity: aws.Int32(1), Items: []string{"www.example.org"}},
		Origins: &types.Origins{Quantity: aws.Int32(3), Items: []types.Origin{
			{Id: aws.String("web"), DomainName: aws.String("origin.example.org"), OriginPath: aws.String("/v1"),
				CustomHeaders: &types.CustomHeaders{Quantity: aws.Int32(1), Items: []types.OriginCustomHeader{
					{HeaderName: aws.String("X-From"), HeaderValue: aws.String("edge")}}},
				CustomOriginConfig: custom(8080, types.OriginProtocolPolicyHttpOnly),
				ConnectionAttempts: aws.Int32(2), ConnectionTimeout: aws.Int32(5)},
			{Id: aws.String("bucket"), DomainName: aws.String("assets.s3.us-east-1.amazonaws.com"),
				S3OriginConfig: &types.S3OriginConfig{OriginAccessIdentity: aws.String("")}},
			{Id: aws.String("backup"), DomainName: aws.String("backup.example.org"),
				CustomOriginConfig: custom(80, types.OriginProtocolPolicyMatchViewer)},
		}},
		OriginGroups: &types.OriginGroups{Quantity: aws.Int32(1), Items: []types.OriginGroup{{
			Id: aws.String("failover"),
			FailoverCriteria: &types.OriginGroupFailoverCriteria{StatusCodes: &types.StatusCodes{
				Quantity: aws.Int32(2), Items: []int32{500, 502}}},
			Members: &types.OriginGroupMembers{Quantity: aws.Int32(2), Items: []types.OriginGroupMember{
				{OriginId: aws.String("web")}, {OriginId: aws.String("backup")}}},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{
			TargetOriginId:          aws.String("failover"),
			ViewerProtocolPolicy:    types.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId:           aws.String(idCachingOptimized),
			OriginRequestPolicyId:   aws.String(idORPCORSS3Origin),
			ResponseHeadersPolicyId: aws.String(idRHPSecurity),
			Compress:                aws.Bool(true),
		},
		CacheBehaviors: &types.CacheBehaviors{Quantity: aws.Int32(2), Items: []types.CacheBehavior{
			{PathPattern: aws.String("/api/*"), TargetOriginId: aws.String("web"),
				ViewerProtocolPolicy: types.ViewerProtocolPolicyHttpsOnly,
				CachePolicyId:        aws.String(idCachingDisabled), OriginRequestPolicyId: aws.String(idORPAllViewer),
				AllowedMethods: &types.AllowedMethods{Quantity: aws.Int32(7), Items: []types.Method{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"},
					CachedMethods: &types.CachedMethods{Quantity: aws.Int32(3), Items: []types.Method{"GET", "HEAD", "OPTIONS"}}}},
			{PathPattern: aws.String("/img/*"), TargetOriginId: aws.String("bucket"),
				ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
				ForwardedValues: &types.ForwardedValues{QueryString: aws.Bool(true),
					Cookies: &types.CookiePreference{Forward: types.ItemSelectionNone},
					Headers: &types.Headers{Quantity: aws.Int32(1), Items: []string{"Origin"}}},
				MinTTL: aws.Int64(0), DefaultTTL: aws.Int64(3600), MaxTTL: aws.Int64(86400)},
		}},
		CustomErrorResponses: &types.CustomErrorResponses{Quantity: aws.Int32(2), Items: []types.CustomErrorResponse{
			{ErrorCode: aws.Int32(404), ResponsePagePath: aws.String("/404.html"), ResponseCode: aws.String("404"), ErrorCachingMinTTL: aws.Int64(60)},
			{ErrorCode: aws.Int32(503), ErrorCachingMinTTL: aws.Int64(5)},
		}},
	}
}

// minimalDistConfig is the smallest valid config: one custom origin, a legacy default behavior.
func minimalDistConfig(ref, comment string, aliases ...string) *types.DistributionConfig {
	c := &types.DistributionConfig{
		CallerReference: aws.String(ref),
		Comment:         aws.String(comment),
		Enabled:         aws.Bool(true),
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
			Id: aws.String("o1"), DomainName: aws.String("origin.example.com"),
			CustomOriginConfig: &types.CustomOriginConfig{HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443),
				OriginProtocolPolicy: types.OriginProtocolPolicyHttpOnly},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{
			TargetOriginId: aws.String("o1"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
			ForwardedValues: &types.ForwardedValues{QueryString: aws.Bool(false), Cookies: &types.CookiePreference{Forward: types.ItemSelectionNone}},
			MinTTL:          aws.Int64(0),
		},
	}
	if len(aliases) > 0 {
		c.Aliases = &types.Aliases{Quantity: aws.Int32(int32(len(aliases))), Items: aliases}
	}
	return c
}

// create makes a distribution through the SDK and fails the test on error.
func (h *harness) create(c *types.DistributionConfig) *cloudfront.CreateDistributionOutput {
	h.t.Helper()
	out, err := h.cf().CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{DistributionConfig: c})
	if err != nil {
		h.t.Fatalf("CreateDistribution: %v", err)
	}
	return out
}

// configXML returns the raw GetDistributionConfig document of id and its ETag.
func (h *harness) configXML(id string) (string, string) {
	h.t.Helper()
	status, hdr, body := h.raw("GET", "/2020-05-31/distribution/"+id+"/config", "", testKey1, testSecret1, "us-east-1", time.Now())
	if status != http.StatusOK {
		h.t.Fatalf("GetDistributionConfig(%s): %d %s", id, status, body)
	}
	return body, hdr.Get("ETag")
}

func TestCreateDistributionFull(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	out := h.create(fullDistConfig("full-1"))
	d := out.Distribution
	id := aws.ToString(d.Id)
	status, hdr := h.rec.last()
	switch {
	case status != http.StatusCreated:
		t.Errorf("status %d, want 201", status)
	case !distIDShape.MatchString(id) || !distDomainShape.MatchString(aws.ToString(d.DomainName)):
		t.Errorf("id %q domain %q", id, aws.ToString(d.DomainName))
	case aws.ToString(d.ARN) != "arn:aws:cloudfront::000000000000:distribution/"+id:
		t.Errorf("ARN %q", aws.ToString(d.ARN))
	case aws.ToString(d.Status) != "InProgress":
		t.Errorf("Status %q, want InProgress", aws.ToString(d.Status))
	case !etagShape.MatchString(aws.ToString(out.ETag)):
		t.Errorf("ETag %q", aws.ToString(out.ETag))
	case hdr.Get("Location") != h.url+"/2020-05-31/distribution/"+id:
		t.Errorf("Location %q", hdr.Get("Location"))
	case !d.LastModifiedTime.Equal(h.clock.Now()):
		t.Errorf("LastModifiedTime %v, want %v", d.LastModifiedTime, h.clock.Now())
	}

	// The echo: what was sent, with AWS's defaults, in the model's order.
	doc, etag := h.configXML(id)
	if etag != aws.ToString(out.ETag) {
		t.Errorf("GetDistributionConfig ETag %q, CreateDistribution's %q", etag, aws.ToString(out.ETag))
	}
	checkGolden(t, "dist-full-config.xml", indentXML(t, []byte(doc)))

	// Reads: Deployed from the next read on (deploy_delay 0); the ETag stays.
	got, err := h.cf().GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Distribution.Status) != "Deployed" || aws.ToString(got.ETag) != etag {
		t.Errorf("GetDistribution: status %q ETag %q", aws.ToString(got.Distribution.Status), aws.ToString(got.ETag))
	}
	if dc := got.Distribution.DistributionConfig; aws.ToString(dc.CacheBehaviors.Items[1].PathPattern) != "/img/*" ||
		aws.ToInt64(dc.CacheBehaviors.Items[1].DefaultTTL) != 3600 || dc.DefaultCacheBehavior.FunctionAssociations == nil ||
		aws.ToInt32(dc.OriginGroups.Quantity) != 1 || !aws.ToBool(dc.IsIPV6Enabled) || dc.HttpVersion != types.HttpVersionHttp2 {
		t.Errorf("GetDistribution config: %+v", dc)
	}
	if r := got.Distribution.AliasICPRecordals; len(r) != 1 || aws.ToString(r[0].CNAME) != "www.example.org" {
		t.Errorf("AliasICPRecordals %+v", r)
	}

	// The edge was given the merged configuration: the file's two distributions and this one,
	// converted to the model.
	merged, n := app.last()
	if n != 1 || len(merged.Distributions) != 3 {
		t.Fatalf("%d configurations applied; last has %d distributions", n, len(merged.Distributions))
	}
	m := merged.Distributions[2]
	if m.ID != id || m.DomainName != aws.ToString(d.DomainName) || !*m.Enabled || m.DefaultRootObject != "index.html" {
		t.Errorf("model: %s %s %v %q", m.ID, m.DomainName, *m.Enabled, m.DefaultRootObject)
	}
	web, bucket := m.Origins[0], m.Origins[1]
	if web.Kind != config.KindHTTP || web.HTTPPort != 8080 || web.HTTPSPort != 8443 || web.OriginProtocolPolicy != "http-only" ||
		web.OriginPath != "/v1" || web.OriginReadTimeout.D() != 20*time.Second || web.OriginKeepaliveTimeout.D() != 6*time.Second ||
		web.ConnectionAttempts != 2 || web.ConnectionTimeout.D() != 5*time.Second || len(web.CustomHeaders) != 1 {
		t.Errorf("origin web: %+v", web)
	}
	if bucket.Kind != config.KindS3 || bucket.Bucket != "assets" || bucket.Region != "us-east-1" || bucket.Endpoint != "" {
		t.Errorf("origin bucket: %+v", bucket)
	}
	if g := m.OriginGroups; len(g) != 1 || g[0].ID != "failover" || len(g[0].Members) != 2 || g[0].FailoverStatusCodes[1] != 502 {
		t.Errorf("origin groups: %+v", g)
	}
	db := m.DefaultBehavior
	if db.CachePolicy != "CachingOptimized" || db.OriginRequestPolicy != "CORS-S3Origin" || db.ResponseHeadersPolicy != "SecurityHeadersPolicy" ||
		db.ViewerProtocolPolicy != "redirect-to-https" || !db.Compress || db.MinTTL != nil || db.ForwardedValues != nil {
		t.Errorf("default behavior: %+v", db)
	}
	if len(m.Behaviors) != 2 || m.Behaviors[0].PathPattern != "/api/*" || len(m.Behaviors[0].AllowedMethods) != 7 ||
		m.Behaviors[0].CachePolicy != "CachingDisabled" || m.Behaviors[1].ForwardedValues == nil ||
		!m.Behaviors[1].ForwardedValues.QueryString || *m.Behaviors[1].DefaultTTL != 3600 || *m.Behaviors[1].MaxTTL != 86400 {
		t.Errorf("behaviors: %+v", m.Behaviors)
	}
	if r := m.CustomErrorResponses; len(r) != 2 || r[0].ResponseCode != 404 || *r[0].ErrorCachingMinTTL != 60 || r[1].ResponseCode != 0 {
		t.Errorf("custom error responses: %+v", r)
	}
	if h.srv.Config() != merged {
		t.Error("Config() is not the configuration last applied")
	}
}

// TestCreateDistributionMinimal sends the body the aws CLI sends for
// "create-distribution --origin-domain-name example.com" (no Content-Type, self-closed empty
// elements, DefaultRootObject after Comment) and checks the filled echo.
func TestCreateDistributionMinimal(t *testing.T) {
	h := newHarness(t, nil, nil)
	body := `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>cli-1796527331-612083</CallerReference>
<Origins><Quantity>1</Quantity><Items><Origin><Id>example.com-1796527331-107849</Id><DomainName>example.com</DomainName><OriginPath />
<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins>
<DefaultCacheBehavior><TargetOriginId>example.com-1796527331-107849</TargetOriginId><ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>0</MinTTL></DefaultCacheBehavior>
<Enabled>true</Enabled><Comment /><DefaultRootObject>index.html</DefaultRootObject><Aliases><Quantity>0</Quantity><Items /></Aliases></DistributionConfig>`
	status, hdr, resp := h.raw("POST", "/2020-05-31/distribution", body, testKey1, testSecret1, "us-east-1", time.Now())
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, resp)
	}
	id := regexp.MustCompile(`<Id>(E[A-Z0-9]{13})</Id>`).FindStringSubmatch(resp)
	if id == nil {
		t.Fatalf("no distribution id in %s", resp)
	}
	doc, etag := h.configXML(id[1])
	if etag != hdr.Get("ETag") {
		t.Errorf("ETag %q, created with %q", etag, hdr.Get("ETag"))
	}
	checkGolden(t, "dist-minimal-config.xml", indentXML(t, []byte(doc)))
}

// TestUpdateDistribution: a new behavior and a changed TTL with If-Match; then a no-op update
// (the config as GetDistributionConfig returned it) changes nothing but the ETag, the
// LastModifiedTime and the Status.
func TestUpdateDistribution(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, func(c *config.Config) { c.API.DeployDelay = config.Duration(time.Minute) }, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	out := h.create(fullDistConfig("upd-1"))
	id, etag1 := aws.ToString(out.Distribution.Id), aws.ToString(out.ETag)

	c := fullDistConfig("upd-1")
	c.CacheBehaviors.Items = append(c.CacheBehaviors.Items, types.CacheBehavior{PathPattern: aws.String("/new/*"),
		TargetOriginId: aws.String("backup"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
		CachePolicyId: aws.String(idCachingOptimized)})
	c.CacheBehaviors.Quantity = aws.Int32(3)
	c.CacheBehaviors.Items[1].DefaultTTL = aws.Int64(7200)
	h.clock.Advance(2 * time.Minute)
	upd, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: aws.String(etag1), DistributionConfig: c})
	if err != nil {
		t.Fatalf("UpdateDistribution: %v", err)
	}
	etag2 := aws.ToString(upd.ETag)
	if etag2 == etag1 || !etagShape.MatchString(etag2) || aws.ToString(upd.Distribution.Status) != "InProgress" {
		t.Errorf("update: ETag %q (was %q), status %q", etag2, etag1, aws.ToString(upd.Distribution.Status))
	}
	if !upd.Distribution.LastModifiedTime.Equal(h.clock.Now()) {
		t.Errorf("LastModifiedTime %v, want %v", upd.Distribution.LastModifiedTime, h.clock.Now())
	}
	merged, _ := app.last()
	m := merged.Distribution(id)
	if len(m.Behaviors) != 3 || m.Behaviors[2].PathPattern != "/new/*" || *m.Behaviors[1].DefaultTTL != 7200 {
		t.Errorf("applied model after update: %+v", m.Behaviors)
	}

	// deploy_delay: InProgress for a minute, with the same ETag, then Deployed.
	g, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil || aws.ToString(g.Distribution.Status) != "InProgress" || aws.ToString(g.ETag) != etag2 {
		t.Fatalf("GetDistribution during deploy_delay: %v %+v", err, g)
	}
	h.clock.Advance(time.Minute)
	g, err = cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil || aws.ToString(g.Distribution.Status) != "Deployed" || aws.ToString(g.ETag) != etag2 {
		t.Fatalf("GetDistribution after deploy_delay: %v %+v", err, g)
	}

	// No-op update: PUT back exactly what GetDistributionConfig returned.
	before, etag := h.configXML(id)
	h.clock.Advance(time.Second)
	req, err := http.NewRequest("PUT", h.url+"/2020-05-31/distribution/"+id+"/config", strings.NewReader(before))
	if err != nil {
		t.Fatal(err)
	}
	status, hdr, body := h.signedDo(req, before, map[string]string{"If-Match": etag})
	if status != http.StatusOK {
		t.Fatalf("no-op update: %d %s", status, body)
	}
	after, etag3 := h.configXML(id)
	if after != before {
		t.Errorf("no-op update changed the config:\nbefore %s\nafter  %s", before, after)
	}
	if etag3 == etag || etag3 != hdr.Get("ETag") {
		t.Errorf("no-op update: ETag %q (before %q, answered %q)", etag3, etag, hdr.Get("ETag"))
	}
	if !strings.Contains(body, "<Status>InProgress</Status>") {
		t.Errorf("no-op update answer: %s", body)
	}
	// And Get after Create equals Get after a no-op update: full.xml is what both give.
	checkGolden(t, "dist-updated-config.xml", indentXML(t, []byte(after)))
}

// TestDisableThenDelete follows Terraform's delete: disable with the config GetDistribution
// returned, wait for Deployed, delete with the latest ETag; the distribution, its
// invalidations and its tags are then gone.
func TestDisableThenDelete(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, func(c *config.Config) { c.API.DeployDelay = config.Duration(time.Minute) }, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	out, err := cf.CreateDistributionWithTags(ctx, &cloudfront.CreateDistributionWithTagsInput{
		DistributionConfigWithTags: &types.DistributionConfigWithTags{
			DistributionConfig: minimalDistConfig("del-1", "to delete"),
			Tags:               &types.Tags{Items: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Distribution.Id)
	arn := aws.ToString(out.Distribution.ARN)
	if _, err := cf.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String(id),
		InvalidationBatch: &types.InvalidationBatch{CallerReference: aws.String("i1"),
			Paths: &types.Paths{Quantity: aws.Int32(1), Items: []string{"/a"}}}}); err != nil {
		t.Fatalf("CreateInvalidation on an API distribution: %v", err)
	}

	// Enabled: refused.
	_, err = cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: out.ETag})
	if code, _, status := apiErr(err); code != CodeDistributionNotDisabled || status != 409 {
		t.Fatalf("delete while enabled: %v", err)
	}
	g, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	dc := g.Distribution.DistributionConfig
	dc.Enabled = aws.Bool(false)
	upd, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: g.ETag, DistributionConfig: dc})
	if err != nil {
		t.Fatal(err)
	}
	if merged, _ := app.last(); *merged.Distribution(id).Enabled {
		t.Error("the edge was not given the disabled distribution")
	}
	// Disabled but InProgress: refused too.
	_, err = cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: upd.ETag})
	if code, _, _ := apiErr(err); code != CodeDistributionNotDisabled {
		t.Fatalf("delete while InProgress: %v", err)
	}
	h.clock.Advance(time.Minute)
	// A stale ETag: PreconditionFailed; none: InvalidIfMatchVersion.
	_, err = cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: g.ETag})
	if code, _, status := apiErr(err); code != CodePreconditionFailed || status != 412 {
		t.Fatalf("delete with a stale ETag: %v", err)
	}
	_, err = cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id)})
	if code, _, status := apiErr(err); code != CodeInvalidIfMatchVersion || status != 400 {
		t.Fatalf("delete without If-Match: %v", err)
	}
	if _, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: upd.ETag}); err != nil {
		t.Fatalf("DeleteDistribution: %v", err)
	}
	if status, _ := h.rec.last(); status != http.StatusNoContent {
		t.Errorf("delete: status %d, want 204", status)
	}
	if merged, _ := app.last(); merged.Distribution(id) != nil || len(merged.Distributions) != 2 {
		t.Error("the edge still has the deleted distribution")
	}
	for name, call := range map[string]func() error{
		"GetDistribution": func() error {
			_, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
			return err
		},
		"GetDistributionConfig": func() error {
			_, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
			return err
		},
		"ListInvalidations": func() error {
			_, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(id)})
			return err
		},
		"DeleteDistribution": func() error {
			_, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: upd.ETag})
			return err
		},
	} {
		if code, _, status := apiErr(call()); code != CodeNoSuchDistribution || status != 404 {
			t.Errorf("%s after delete: %s %d", name, code, status)
		}
	}
	_, err = cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: aws.String(arn)})
	if code, _, status := apiErr(err); code != CodeNoSuchResource || status != 404 {
		t.Errorf("ListTagsForResource after delete: %v", err)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	cf := h.cf()
	out, err := cf.CreateDistributionWithTags(ctx, &cloudfront.CreateDistributionWithTagsInput{
		DistributionConfigWithTags: &types.DistributionConfigWithTags{
			DistributionConfig: minimalDistConfig("tags-1", "tagged"),
			Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")},
				{Key: aws.String("owner")}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.Distribution.ARN
	tags := func() string {
		t.Helper()
		l, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: arn})
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, tg := range l.Tags.Items {
			parts = append(parts, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return strings.Join(parts, ",")
	}
	if got := tags(); got != "env=dev,owner=" {
		t.Errorf("tags after create: %q", got)
	}
	if _, err := cf.TagResource(ctx, &cloudfront.TagResourceInput{Resource: arn, Tags: &types.Tags{Items: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("app"), Value: aws.String("shop")}}}}); err != nil {
		t.Fatal(err)
	}
	if status, _ := h.rec.last(); status != http.StatusNoContent {
		t.Errorf("TagResource: status %d", status)
	}
	if got := tags(); got != "env=prod,owner=,app=shop" {
		t.Errorf("tags after TagResource: %q", got)
	}
	if _, err := cf.UntagResource(ctx, &cloudfront.UntagResourceInput{Resource: arn, TagKeys: &types.TagKeys{Items: []string{"owner", "absent"}}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "env=prod,app=shop" {
		t.Errorf("tags after UntagResource: %q", got)
	}
	// Tags do not change the distribution's ETag.
	g, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: out.Distribution.Id})
	if err != nil || aws.ToString(g.ETag) != aws.ToString(out.ETag) {
		t.Errorf("ETag after tagging %q, want %q (%v)", aws.ToString(g.ETag), aws.ToString(out.ETag), err)
	}
	// A distribution of the configuration file: no tags, and read-only.
	fileARN := aws.String(distARN(distMain))
	l, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: fileARN})
	if err != nil || len(l.Tags.Items) != 0 {
		t.Errorf("tags of a file distribution: %v %+v", err, l)
	}
	_, err = cf.TagResource(ctx, &cloudfront.TagResourceInput{Resource: fileARN, Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("k")}}}})
	if code, msg, _ := apiErr(err); code != CodeIllegalUpdate || !strings.Contains(msg, "configuration file") {
		t.Errorf("TagResource on a file distribution: %v", err)
	}
}

func TestListDistributionsPaging(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	var ids []string
	for _, ref := range []string{"p1", "p2", "p3"} {
		ids = append(ids, aws.ToString(h.create(minimalDistConfig(ref, ref)).Distribution.Id))
	}
	want := append([]string{distMain, distSmooth}, ids...)
	var got []string
	var marker *string
	pages := 0
	for {
		out, err := h.cf().ListDistributions(ctx, &cloudfront.ListDistributionsInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		l := out.DistributionList
		pages++
		for _, s := range l.Items {
			got = append(got, aws.ToString(s.Id))
		}
		if !aws.ToBool(l.IsTruncated) {
			if l.NextMarker != nil {
				t.Errorf("last page has NextMarker %q", aws.ToString(l.NextMarker))
			}
			break
		}
		if aws.ToString(l.NextMarker) != got[len(got)-1] {
			t.Errorf("NextMarker %q, want the page's last id %q", aws.ToString(l.NextMarker), got[len(got)-1])
		}
		marker = l.NextMarker
	}
	if pages != 3 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%d pages: %v, want %v", pages, got, want)
	}
	// The SDK's paginator walks the same list.
	p := cloudfront.NewListDistributionsPaginator(h.cf(), &cloudfront.ListDistributionsInput{MaxItems: aws.Int32(4)})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.DistributionList.Items)
	}
	if n != 5 {
		t.Errorf("paginator: %d distributions, want 5", n)
	}
}

// TestCallerReferenceReplay: the same CallerReference with the same config (sent again,
// whitespace aside) answers the distribution it created; with another config,
// DistributionAlreadyExists.
func TestCallerReferenceReplay(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	first := h.create(fullDistConfig("replay-1"))
	again, err := h.cf().CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: fullDistConfig("replay-1")})
	if err != nil {
		t.Fatalf("same CallerReference and config: %v", err)
	}
	if aws.ToString(again.Distribution.Id) != aws.ToString(first.Distribution.Id) || aws.ToString(again.ETag) != aws.ToString(first.ETag) {
		t.Errorf("replay made %s %s, first was %s %s", aws.ToString(again.Distribution.Id), aws.ToString(again.ETag),
			aws.ToString(first.Distribution.Id), aws.ToString(first.ETag))
	}
	other := fullDistConfig("replay-1")
	other.Comment = aws.String("something else")
	_, err = h.cf().CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: other})
	if code, _, status := apiErr(err); code != CodeDistributionAlreadyExists || status != 409 {
		t.Errorf("same CallerReference, other config: %v", err)
	}
	l, err := h.cf().ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 3 {
		t.Errorf("list after replays: %v, %d distributions, want 3", err, aws.ToInt32(l.DistributionList.Quantity))
	}
}

// TestApplierRefusal: when the edge refuses a configuration, the write fails with
// InvalidArgument carrying the reason, and nothing changes.
func TestApplierRefusal(t *testing.T) {
	app := &recordingApplier{}
	dir := t.TempDir()
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	out := h.create(minimalDistConfig("ref-1", "kept"))
	id := aws.ToString(out.Distribution.Id)
	before, etag := h.configXML(id)
	stateBefore := readFile(t, dir+"/state.json")
	_, applied := app.last()

	app.setFail(errors.New("the edge cannot serve this"))
	_, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: minimalDistConfig("ref-2", "refused")})
	if code, msg, _ := apiErr(err); code != CodeInvalidArgument || !strings.Contains(msg, "the edge cannot serve this") {
		t.Errorf("create refused by the edge: %v", err)
	}
	c := minimalDistConfig("ref-1", "changed")
	_, err = cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: aws.String(etag), DistributionConfig: c})
	if code, _, _ := apiErr(err); code != CodeInvalidArgument {
		t.Errorf("update refused by the edge: %v", err)
	}
	after, etagAfter := h.configXML(id)
	l, lerr := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	switch {
	case after != before || etagAfter != etag:
		t.Errorf("a refused update changed the distribution: %s", after)
	case lerr != nil || aws.ToInt32(l.DistributionList.Quantity) != 3:
		t.Errorf("a refused create shows in the list: %v", lerr)
	case readFile(t, dir+"/state.json") != stateBefore:
		t.Error("a refused change reached the state file")
	}
	if _, n := app.last(); n != applied {
		t.Errorf("%d configurations applied, want %d", n, applied)
	}
}

// TestReadsDuringApply: reads are answered while a change waits for the edge.
func TestReadsDuringApply(t *testing.T) {
	app := &blockingApplier{entered: make(chan struct{}), release: make(chan struct{})}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := h.cf().CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: minimalDistConfig("slow", "slow")})
		done <- err
	}()
	<-app.entered
	l, err := h.cf().ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 2 {
		t.Errorf("list while the edge applies: %v (%d distributions, want the 2 of the file: the change is not visible yet)",
			err, aws.ToInt32(l.DistributionList.Quantity))
	}
	if _, err := h.cf().GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(distMain)}); err != nil {
		t.Errorf("get while the edge applies: %v", err)
	}
	close(app.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l, err = h.cf().ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 3 {
		t.Errorf("list after apply: %v, %d", err, aws.ToInt32(l.DistributionList.Quantity))
	}
}

// blockingApplier signals entered when Apply starts and returns once release is closed.
type blockingApplier struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (a *blockingApplier) Apply(*config.Config) error {
	a.once.Do(func() { close(a.entered) })
	<-a.release
	return nil
}

// TestAPIOnlyEdge: a configuration file without [[distribution]] starts, lists nothing, and
// serves what the API creates.
func TestAPIOnlyEdge(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, func(c *config.Config) { c.Distributions = nil }, nil, app, nil)
	ctx := context.Background()
	l, err := h.cf().ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 0 || l.DistributionList.Items != nil {
		t.Fatalf("list of an API-only edge: %v %+v", err, l)
	}
	out := h.create(minimalDistConfig("only", "only"))
	merged, n := app.last()
	if n != 1 || len(merged.Distributions) != 1 || merged.Distributions[0].ID != aws.ToString(out.Distribution.Id) {
		t.Errorf("applied: %d configurations, %+v", n, merged)
	}
}
