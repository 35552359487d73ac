package control

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

var policyIDShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// cachePolicyConfig is a CachePolicyConfig keyed on a header, a cookie and the query string
// "v", gzip and Brotli on, with only MinTTL given.
func cachePolicyConfig(name string) *types.CachePolicyConfig {
	return &types.CachePolicyConfig{
		Name: aws.String(name), Comment: aws.String("keyed on lang"), MinTTL: aws.Int64(5),
		ParametersInCacheKeyAndForwardedToOrigin: &types.ParametersInCacheKeyAndForwardedToOrigin{
			EnableAcceptEncodingGzip: aws.Bool(true), EnableAcceptEncodingBrotli: aws.Bool(true),
			HeadersConfig: &types.CachePolicyHeadersConfig{HeaderBehavior: types.CachePolicyHeaderBehaviorWhitelist,
				Headers: &types.Headers{Quantity: aws.Int32(1), Items: []string{"Accept-Language"}}},
			CookiesConfig: &types.CachePolicyCookiesConfig{CookieBehavior: types.CachePolicyCookieBehaviorWhitelist,
				Cookies: &types.CookieNames{Quantity: aws.Int32(1), Items: []string{"session"}}},
			QueryStringsConfig: &types.CachePolicyQueryStringsConfig{QueryStringBehavior: types.CachePolicyQueryStringBehaviorWhitelist,
				QueryStrings: &types.QueryStringNames{Quantity: aws.Int32(1), Items: []string{"v"}}},
		},
	}
}

// orpConfig is an OriginRequestPolicyConfig forwarding every viewer header but Host, no cookies
// and every query string.
func orpConfig(name string) *types.OriginRequestPolicyConfig {
	return &types.OriginRequestPolicyConfig{
		Name: aws.String(name), Comment: aws.String("all but Host"),
		HeadersConfig: &types.OriginRequestPolicyHeadersConfig{HeaderBehavior: types.OriginRequestPolicyHeaderBehaviorAllExcept,
			Headers: &types.Headers{Quantity: aws.Int32(1), Items: []string{"Host"}}},
		CookiesConfig:      &types.OriginRequestPolicyCookiesConfig{CookieBehavior: types.OriginRequestPolicyCookieBehaviorNone},
		QueryStringsConfig: &types.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: types.OriginRequestPolicyQueryStringBehaviorAll},
	}
}

// rhpConfig is a ResponseHeadersPolicyConfig with every block.
func rhpConfig(name string) *types.ResponseHeadersPolicyConfig {
	return &types.ResponseHeadersPolicyConfig{
		Name: aws.String(name), Comment: aws.String("every block"),
		CorsConfig: &types.ResponseHeadersPolicyCorsConfig{
			AccessControlAllowOrigins:     &types.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: []string{"https://app.example.com"}},
			AccessControlAllowHeaders:     &types.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"X-Token"}},
			AccessControlAllowMethods:     &types.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(2), Items: []types.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "POST"}},
			AccessControlAllowCredentials: aws.Bool(true),
			AccessControlMaxAgeSec:        aws.Int32(600),
			OriginOverride:                aws.Bool(false),
		},
		SecurityHeadersConfig: &types.ResponseHeadersPolicySecurityHeadersConfig{
			FrameOptions:            &types.ResponseHeadersPolicyFrameOptions{FrameOption: types.FrameOptionsListDeny, Override: aws.Bool(true)},
			ContentTypeOptions:      &types.ResponseHeadersPolicyContentTypeOptions{Override: aws.Bool(true)},
			StrictTransportSecurity: &types.ResponseHeadersPolicyStrictTransportSecurity{AccessControlMaxAgeSec: aws.Int32(63072000), Override: aws.Bool(false), Preload: aws.Bool(true)},
			XSSProtection:           &types.ResponseHeadersPolicyXSSProtection{Protection: aws.Bool(true), Override: aws.Bool(true), ReportUri: aws.String("https://r.example.com/x")},
		},
		ServerTimingHeadersConfig: &types.ResponseHeadersPolicyServerTimingHeadersConfig{Enabled: aws.Bool(true), SamplingRate: aws.Float64(12.5)},
		CustomHeadersConfig: &types.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(1), Items: []types.ResponseHeadersPolicyCustomHeader{
			{Header: aws.String("X-Served-By"), Value: aws.String("edge"), Override: aws.Bool(true)}}},
		RemoveHeadersConfig: &types.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(1), Items: []types.ResponseHeadersPolicyRemoveHeader{
			{Header: aws.String("X-Powered-By")}}},
	}
}

// policyDist is minimalDistConfig in policy mode with the given policy ids ("" for none).
func policyDist(ref, cacheID, orpID, rhpID string) *types.DistributionConfig {
	c := minimalDistConfig(ref, ref)
	b := c.DefaultCacheBehavior
	b.ForwardedValues, b.MinTTL = nil, nil
	b.CachePolicyId = aws.String(cacheID)
	if orpID != "" {
		b.OriginRequestPolicyId = aws.String(orpID)
	}
	if rhpID != "" {
		b.ResponseHeadersPolicyId = aws.String(rhpID)
	}
	return c
}

// rawDoc GETs path and returns the document and ETag, failing the test on another status.
func (h *harness) rawDoc(path string) (string, string) {
	h.t.Helper()
	status, hdr, body := h.raw("GET", path, "", testKey1, testSecret1, "us-east-1", time.Now())
	if status != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body, hdr.Get("ETag")
}

// wantCode fails t unless err is the API error code with status.
func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	if got, msg, st := apiErr(err); got != code || st != status {
		t.Errorf("%s: got %s %d (%s), want %s %d", what, got, st, msg, code, status)
	}
}

// TestCachePolicyLifecycle: create, read, use from a distribution (the edge gets the policy in
// its configuration, under its id), update (the edge gets the new settings), delete refused
// while in use, then deleted.
func TestCachePolicyLifecycle(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	out, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("lang")})
	if err != nil {
		t.Fatalf("CreateCachePolicy: %v", err)
	}
	id, etag := aws.ToString(out.CachePolicy.Id), aws.ToString(out.ETag)
	status, hdr := h.rec.last()
	switch {
	case status != http.StatusCreated:
		t.Errorf("status %d, want 201", status)
	case !policyIDShape.MatchString(id):
		t.Errorf("id %q is not a UUID", id)
	case !etagShape.MatchString(etag):
		t.Errorf("ETag %q", etag)
	case hdr.Get("Location") != h.url+"/2020-05-31/cache-policy/"+id:
		t.Errorf("Location %q", hdr.Get("Location"))
	case !out.CachePolicy.LastModifiedTime.Equal(h.clock.Now()):
		t.Errorf("LastModifiedTime %v", out.CachePolicy.LastModifiedTime)
	}
	doc, getETag := h.rawDoc("/2020-05-31/cache-policy/" + id + "/config")
	if getETag != etag {
		t.Errorf("GetCachePolicyConfig ETag %q, want %q", getETag, etag)
	}
	checkGolden(t, "cache-policy-config.xml", indentXML(t, []byte(doc)))
	g, err := cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(id)})
	if err != nil || aws.ToString(g.ETag) != etag || aws.ToInt64(g.CachePolicy.CachePolicyConfig.DefaultTTL) != 86400 ||
		aws.ToInt64(g.CachePolicy.CachePolicyConfig.MaxTTL) != 31536000 {
		t.Fatalf("GetCachePolicy: %v %+v", err, g)
	}
	if _, n := app.last(); n != 1 {
		t.Errorf("%d configurations applied after CreateCachePolicy, want 1", n)
	}

	d := h.create(policyDist("uses-lang", id, "", ""))
	distID := aws.ToString(d.Distribution.Id)
	merged, _ := app.last()
	cp, ok := merged.CachePolicyByName(id)
	if !ok || merged.Distribution(distID).DefaultBehavior.CachePolicy != id || *cp.MinTTL != 5 ||
		cp.Headers.Behavior != "whitelist" || cp.Headers.Names[0] != "Accept-Language" || !cp.EnableAcceptEncodingBrotli {
		t.Fatalf("merged configuration: policy %+v (%v), behavior %+v", cp, ok, merged.Distribution(distID).DefaultBehavior)
	}

	// Update: the whole config replaced, with If-Match; the edge gets the new TTL.
	c := cachePolicyConfig("lang")
	c.DefaultTTL = aws.Int64(60)
	h.clock.Advance(time.Minute)
	upd, err := cf.UpdateCachePolicy(ctx, &cloudfront.UpdateCachePolicyInput{Id: aws.String(id), IfMatch: aws.String(etag), CachePolicyConfig: c})
	if err != nil {
		t.Fatalf("UpdateCachePolicy: %v", err)
	}
	if aws.ToString(upd.ETag) == etag || !upd.CachePolicy.LastModifiedTime.Equal(h.clock.Now()) ||
		aws.ToInt64(upd.CachePolicy.CachePolicyConfig.DefaultTTL) != 60 {
		t.Errorf("update: ETag %q, %+v", aws.ToString(upd.ETag), upd.CachePolicy)
	}
	merged, _ = app.last()
	if cp, _ := merged.CachePolicyByName(id); *cp.DefaultTTL != 60 {
		t.Errorf("the edge was not given the updated policy: %+v", cp)
	}
	_, err = cf.UpdateCachePolicy(ctx, &cloudfront.UpdateCachePolicyInput{Id: aws.String(id), IfMatch: aws.String(etag), CachePolicyConfig: c})
	wantCode(t, "update with a stale ETag", err, CodePreconditionFailed, 412)

	// A no-op update: the config read back, sent again, is stored unchanged.
	before, etag2 := h.rawDoc("/2020-05-31/cache-policy/" + id + "/config")
	req, _ := http.NewRequest("PUT", h.url+"/2020-05-31/cache-policy/"+id, strings.NewReader(before))
	if st, _, body := h.signedDo(req, before, map[string]string{"If-Match": etag2}); st != http.StatusOK {
		t.Fatalf("no-op update: %d %s", st, body)
	}
	if after, etag3 := h.rawDoc("/2020-05-31/cache-policy/" + id + "/config"); after != before || etag3 == etag2 {
		t.Errorf("no-op update changed the config (or kept the ETag %q):\n%s\n%s", etag3, before, after)
	}

	// In use: not deleted.
	_, etag4 := h.rawDoc("/2020-05-31/cache-policy/" + id)
	_, err = cf.DeleteCachePolicy(ctx, &cloudfront.DeleteCachePolicyInput{Id: aws.String(id), IfMatch: aws.String(etag4)})
	wantCode(t, "delete in use", err, CodeCachePolicyInUse, 409)
	if _, msg, _ := apiErr(err); !strings.Contains(msg, distID) {
		t.Errorf("CachePolicyInUse message %q does not name %s", msg, distID)
	}
	// The distribution moves to a managed policy; then the policy goes.
	gd, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(distID)})
	if err != nil {
		t.Fatal(err)
	}
	gd.DistributionConfig.DefaultCacheBehavior.CachePolicyId = aws.String(idCachingOptimized)
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(distID), IfMatch: gd.ETag,
		DistributionConfig: gd.DistributionConfig}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.DeleteCachePolicy(ctx, &cloudfront.DeleteCachePolicyInput{Id: aws.String(id), IfMatch: aws.String(etag4)}); err != nil {
		t.Fatalf("DeleteCachePolicy: %v", err)
	}
	if st, _ := h.rec.last(); st != http.StatusNoContent {
		t.Errorf("delete: status %d, want 204", st)
	}
	_, err = cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(id)})
	wantCode(t, "get after delete", err, CodeNoSuchCachePolicy, 404)
	if merged, _ := app.last(); len(merged.CachePolicies) != 0 {
		t.Errorf("the edge still has the deleted policy: %+v", merged.CachePolicies)
	}
}

// TestOriginRequestAndResponseHeadersPolicies: the two other kinds, created, echoed (golden
// files), used by a distribution (in the merged configuration), refused deletion while in use.
func TestOriginRequestAndResponseHeadersPolicies(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	orp, err := cf.CreateOriginRequestPolicy(ctx, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: orpConfig("no-host")})
	if err != nil {
		t.Fatalf("CreateOriginRequestPolicy: %v", err)
	}
	rhp, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: rhpConfig("headers")})
	if err != nil {
		t.Fatalf("CreateResponseHeadersPolicy: %v", err)
	}
	orpID, rhpID := aws.ToString(orp.OriginRequestPolicy.Id), aws.ToString(rhp.ResponseHeadersPolicy.Id)
	doc, _ := h.rawDoc("/2020-05-31/origin-request-policy/" + orpID + "/config")
	checkGolden(t, "origin-request-policy-config.xml", indentXML(t, []byte(doc)))
	doc, _ = h.rawDoc("/2020-05-31/response-headers-policy/" + rhpID + "/config")
	checkGolden(t, "response-headers-policy-config.xml", indentXML(t, []byte(doc)))

	d := h.create(policyDist("both", idCachingOptimized, orpID, rhpID))
	merged, _ := app.last()
	b := merged.Distribution(aws.ToString(d.Distribution.Id)).DefaultBehavior
	op, ok1 := merged.OriginRequestPolicyByName(b.OriginRequestPolicy)
	rp, ok2 := merged.ResponseHeadersPolicyByName(b.ResponseHeadersPolicy)
	if !ok1 || !ok2 || b.OriginRequestPolicy != orpID || op.Headers.Behavior != "allExcept" || rp.CorsConfig == nil ||
		!rp.CorsConfig.AccessControlAllowCredentials || rp.ServerTimingHeadersConfig.SamplingRate != 12.5 ||
		rp.SecurityHeadersConfig.StrictTransportSecurity == nil || !rp.SecurityHeadersConfig.StrictTransportSecurity.Preload ||
		len(rp.CustomHeadersConfig) != 1 || rp.RemoveHeadersConfig[0].Header != "X-Powered-By" {
		t.Fatalf("merged: behavior %+v\nORP %+v\nRHP %+v", b, op, rp)
	}
	_, err = cf.DeleteOriginRequestPolicy(ctx, &cloudfront.DeleteOriginRequestPolicyInput{Id: aws.String(orpID), IfMatch: orp.ETag})
	wantCode(t, "delete an origin request policy in use", err, CodeOriginRequestPolicyInUse, 409)
	_, err = cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(rhpID), IfMatch: rhp.ETag})
	wantCode(t, "delete a response headers policy in use", err, CodeResponseHeadersPolicyInUse, 409)

	// The response headers policy updated: the edge gets the new header.
	c := rhpConfig("headers")
	c.CustomHeadersConfig.Items[0].Value = aws.String("edge-2")
	if _, err := cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: aws.String(rhpID),
		IfMatch: rhp.ETag, ResponseHeadersPolicyConfig: c}); err != nil {
		t.Fatal(err)
	}
	merged, _ = app.last()
	if rp, _ := merged.ResponseHeadersPolicyByName(rhpID); rp.CustomHeadersConfig[0].Value != "edge-2" {
		t.Errorf("updated response headers policy not applied: %+v", rp.CustomHeadersConfig)
	}

	// Get, then Delete once the distribution names neither.
	go1, err := cf.GetOriginRequestPolicy(ctx, &cloudfront.GetOriginRequestPolicyInput{Id: aws.String(orpID)})
	if err != nil || aws.ToString(go1.OriginRequestPolicy.OriginRequestPolicyConfig.Name) != "no-host" {
		t.Fatalf("GetOriginRequestPolicy: %v", err)
	}
	gr, err := cf.GetResponseHeadersPolicy(ctx, &cloudfront.GetResponseHeadersPolicyInput{Id: aws.String(rhpID)})
	if err != nil || aws.ToString(gr.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CustomHeadersConfig.Items[0].Value) != "edge-2" {
		t.Fatalf("GetResponseHeadersPolicy: %v", err)
	}
	gd, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Distribution.Id})
	if err != nil {
		t.Fatal(err)
	}
	gd.DistributionConfig.DefaultCacheBehavior.OriginRequestPolicyId = aws.String("")
	gd.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId = aws.String("")
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: d.Distribution.Id, IfMatch: gd.ETag,
		DistributionConfig: gd.DistributionConfig}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.DeleteOriginRequestPolicy(ctx, &cloudfront.DeleteOriginRequestPolicyInput{Id: aws.String(orpID), IfMatch: go1.ETag}); err != nil {
		t.Errorf("DeleteOriginRequestPolicy: %v", err)
	}
	if _, err := cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String(rhpID), IfMatch: gr.ETag}); err != nil {
		t.Errorf("DeleteResponseHeadersPolicy: %v", err)
	}
	if merged, _ := app.last(); len(merged.OriginRequestPolicies) != 0 || len(merged.ResponseHeadersPolicies) != 0 {
		t.Errorf("the edge still has the deleted policies: %+v %+v", merged.OriginRequestPolicies, merged.ResponseHeadersPolicies)
	}
}

// TestCachePolicyDefaults: DefaultTTL is 86400 or MinTTL when larger, MaxTTL 31536000 or
// DefaultTTL when larger; a config without its parameters block is filled with none of
// everything.
func TestCachePolicyDefaults(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	tests := []struct {
		name                string
		minV, defV, maxV    *int64
		wantDef, wantMaxTTL int64
	}{
		{"MinTTL only", aws.Int64(0), nil, nil, 86400, 31536000},
		{"MinTTL over a day", aws.Int64(100000), nil, nil, 100000, 31536000},
		{"MinTTL over a year", aws.Int64(40000000), nil, nil, 40000000, 40000000},
		{"DefaultTTL over a year", aws.Int64(1), aws.Int64(40000000), nil, 40000000, 40000000},
		{"all given", aws.Int64(1), aws.Int64(2), aws.Int64(3), 2, 3},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cachePolicyConfig("defaults-" + string(rune('a'+i)))
			c.MinTTL, c.DefaultTTL, c.MaxTTL = tt.minV, tt.defV, tt.maxV
			out, err := h.cf().CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: c})
			if err != nil {
				t.Fatal(err)
			}
			got := out.CachePolicy.CachePolicyConfig
			if aws.ToInt64(got.DefaultTTL) != tt.wantDef || aws.ToInt64(got.MaxTTL) != tt.wantMaxTTL {
				t.Errorf("DefaultTTL %d MaxTTL %d, want %d %d", aws.ToInt64(got.DefaultTTL), aws.ToInt64(got.MaxTTL), tt.wantDef, tt.wantMaxTTL)
			}
		})
	}
	body := `<CachePolicyConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Name>bare</Name><MinTTL>0</MinTTL></CachePolicyConfig>`
	status, _, resp := h.raw("POST", "/2020-05-31/cache-policy", body, testKey1, testSecret1, "us-east-1", time.Now())
	if status != http.StatusCreated {
		t.Fatalf("a bare cache policy: %d %s", status, resp)
	}
	id := regexp.MustCompile(`<Id>([^<]+)</Id>`).FindStringSubmatch(resp)[1]
	doc, _ := h.rawDoc("/2020-05-31/cache-policy/" + id + "/config")
	checkGolden(t, "cache-policy-bare-config.xml", indentXML(t, []byte(doc)))
}

// TestListPolicies: the managed policies with their AWS ids and API names, then the
// configuration file's and the API's as custom, with Type and paging; the managed and the
// file's are read-only.
func TestListPolicies(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.CachePolicies = []config.CachePolicy{{Name: "from-file", MinTTL: aws.Int64(0)}}
		c.ApplyDefaults()
	}, nil)
	ctx := context.Background()
	cf := h.cf()
	if _, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("from-api")}); err != nil {
		t.Fatal(err)
	}
	list := func(typ types.CachePolicyType, maxItems int32) []string {
		t.Helper()
		var names []string
		var marker *string
		for {
			in := &cloudfront.ListCachePoliciesInput{Type: typ, Marker: marker}
			if maxItems > 0 {
				in.MaxItems = aws.Int32(maxItems)
			}
			out, err := cf.ListCachePolicies(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			l := out.CachePolicyList
			if int(aws.ToInt32(l.Quantity)) != len(l.Items) {
				t.Errorf("Quantity %d, %d items", aws.ToInt32(l.Quantity), len(l.Items))
			}
			for _, s := range l.Items {
				names = append(names, string(s.Type)+":"+aws.ToString(s.CachePolicy.CachePolicyConfig.Name))
			}
			if l.NextMarker == nil {
				return names
			}
			marker = l.NextMarker
		}
	}
	var managed []string
	for _, m := range config.ManagedCachePolicies() {
		managed = append(managed, "managed:"+m.Policy.Name)
	}
	all := append(append([]string(nil), managed...), "custom:from-file", "custom:from-api")
	if got := list("", 0); strings.Join(got, " ") != strings.Join(all, " ") {
		t.Errorf("all:\n%v\nwant\n%v", got, all)
	}
	if got := list("", 3); strings.Join(got, " ") != strings.Join(all, " ") {
		t.Errorf("all by pages of 3:\n%v", got)
	}
	if got := list(types.CachePolicyTypeManaged, 0); len(got) != 7 || got[0] != "managed:Managed-CachingOptimized" {
		t.Errorf("managed: %v", got)
	}
	if got := list(types.CachePolicyTypeCustom, 0); strings.Join(got, " ") != "custom:from-file custom:from-api" {
		t.Errorf("custom: %v", got)
	}
	orps, err := cf.ListOriginRequestPolicies(ctx, &cloudfront.ListOriginRequestPoliciesInput{Type: types.OriginRequestPolicyTypeManaged})
	if err != nil || len(orps.OriginRequestPolicyList.Items) != 8 {
		t.Fatalf("managed origin request policies: %v %d", err, len(orps.OriginRequestPolicyList.Items))
	}
	rhps, err := cf.ListResponseHeadersPolicies(ctx, &cloudfront.ListResponseHeadersPoliciesInput{Type: types.ResponseHeadersPolicyTypeManaged})
	if err != nil || len(rhps.ResponseHeadersPolicyList.Items) != 5 {
		t.Fatalf("managed response headers policies: %v %d", err, len(rhps.ResponseHeadersPolicyList.Items))
	}
	for i, m := range config.ManagedOriginRequestPolicies() {
		p := orps.OriginRequestPolicyList.Items[i].OriginRequestPolicy
		if aws.ToString(p.Id) != m.ID || aws.ToString(p.OriginRequestPolicyConfig.Name) != "Managed-"+m.ShortName {
			t.Errorf("managed origin request policy %d: %s %s", i, aws.ToString(p.Id), aws.ToString(p.OriginRequestPolicyConfig.Name))
		}
	}

	// Read-only: the managed policies (IllegalUpdate, IllegalDelete) and the file's.
	fileID := nameUUID("cache-policy/from-file")
	g, err := cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(fileID)})
	if err != nil || aws.ToString(g.CachePolicy.CachePolicyConfig.Name) != "from-file" {
		t.Fatalf("file policy by its derived id: %v", err)
	}
	m, err := cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(strings.ToUpper(idCachingOptimized))})
	if err != nil || aws.ToString(m.CachePolicy.CachePolicyConfig.Name) != "Managed-CachingOptimized" ||
		aws.ToInt64(m.CachePolicy.CachePolicyConfig.MinTTL) != 1 {
		t.Fatalf("managed policy by its id in upper case: %v", err)
	}
	for _, tt := range []struct {
		id, etag string
	}{{idCachingOptimized, aws.ToString(m.ETag)}, {fileID, aws.ToString(g.ETag)}} {
		_, err := cf.UpdateCachePolicy(ctx, &cloudfront.UpdateCachePolicyInput{Id: aws.String(tt.id), IfMatch: aws.String(tt.etag),
			CachePolicyConfig: cachePolicyConfig("x")})
		wantCode(t, "update "+tt.id, err, CodeIllegalUpdate, 400)
		_, err = cf.DeleteCachePolicy(ctx, &cloudfront.DeleteCachePolicyInput{Id: aws.String(tt.id), IfMatch: aws.String(tt.etag)})
		wantCode(t, "delete "+tt.id, err, CodeIllegalDelete, 400)
	}
	// The ETags of the managed and file policies are stable.
	if m2, _ := cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(idCachingOptimized)}); aws.ToString(m2.ETag) != aws.ToString(m.ETag) {
		t.Errorf("managed ETag changed: %s %s", aws.ToString(m2.ETag), aws.ToString(m.ETag))
	}
}

// TestPolicyErrors: every policy error, each from a real request, with its status.
func TestPolicyErrors(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.CachePolicies = []config.CachePolicy{{Name: "file-policy", MinTTL: aws.Int64(0)}}
		c.ApplyDefaults()
	}, nil)
	ctx := context.Background()
	cf := h.cf()
	cp, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("taken")})
	if err != nil {
		t.Fatal(err)
	}
	orp, err := cf.CreateOriginRequestPolicy(ctx, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: orpConfig("taken")})
	if err != nil {
		t.Fatal(err)
	}
	rhp, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: rhpConfig("taken")})
	if err != nil {
		t.Fatal(err)
	}
	cpID := aws.ToString(cp.CachePolicy.Id)
	sdk := func(call func() error) func() (int, string) {
		return func() (int, string) {
			code, msg, status := apiErr(call())
			return status, "<Code>" + code + "</Code>" + msg
		}
	}
	createCP := func(mut func(*types.CachePolicyConfig)) func() (int, string) {
		return sdk(func() error {
			c := cachePolicyConfig("new-" + time.Now().Format(time.RFC3339Nano))
			mut(c)
			_, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: c})
			return err
		})
	}
	createORP := func(mut func(*types.OriginRequestPolicyConfig)) func() (int, string) {
		return sdk(func() error {
			c := orpConfig("new-" + time.Now().Format(time.RFC3339Nano))
			mut(c)
			_, err := cf.CreateOriginRequestPolicy(ctx, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: c})
			return err
		})
	}
	createRHP := func(mut func(*types.ResponseHeadersPolicyConfig)) func() (int, string) {
		return sdk(func() error {
			c := rhpConfig("new-" + time.Now().Format(time.RFC3339Nano))
			mut(c)
			_, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: c})
			return err
		})
	}
	post := func(path, body string, headers map[string]string) func() (int, string) {
		return func() (int, string) {
			req, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			if headers != nil && headers["method"] != "" {
				req.Method = headers["method"]
				delete(headers, "method")
			}
			status, _, resp := h.signedDo(req, body, headers)
			return status, resp
		}
	}
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "n" + string(rune('a'+i))
		}
		return out
	}
	tests := []struct {
		name   string
		call   func() (int, string)
		code   string
		status int
		msg    string
	}{
		{"CachePolicyAlreadyExists", createCP(func(c *types.CachePolicyConfig) { c.Name = aws.String("taken") }), CodeCachePolicyAlreadyExists, 409, cpID},
		{"CachePolicyAlreadyExists: a file policy's name", createCP(func(c *types.CachePolicyConfig) { c.Name = aws.String("file-policy") }),
			CodeCachePolicyAlreadyExists, 409, "file-policy"},
		{"CachePolicyAlreadyExists: a managed policy's name", createCP(func(c *types.CachePolicyConfig) { c.Name = aws.String("Managed-CachingOptimized") }),
			CodeCachePolicyAlreadyExists, 409, idCachingOptimized},
		{"OriginRequestPolicyAlreadyExists", createORP(func(c *types.OriginRequestPolicyConfig) { c.Name = aws.String("taken") }),
			CodeOriginRequestPolicyAlreadyExists, 409, ""},
		{"ResponseHeadersPolicyAlreadyExists", createRHP(func(c *types.ResponseHeadersPolicyConfig) { c.Name = aws.String("taken") }),
			CodeResponseHeadersPolicyAlreadyExists, 409, ""},
		{"TooManyHeadersInCachePolicy", createCP(func(c *types.CachePolicyConfig) {
			c.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers = &types.Headers{Quantity: aws.Int32(11), Items: names(11)}
		}), CodeTooManyHeadersInCachePolicy, 400, "11"},
		{"TooManyCookiesInCachePolicy", createCP(func(c *types.CachePolicyConfig) {
			c.ParametersInCacheKeyAndForwardedToOrigin.CookiesConfig.Cookies = &types.CookieNames{Quantity: aws.Int32(11), Items: names(11)}
		}), CodeTooManyCookiesInCachePolicy, 400, ""},
		{"TooManyQueryStringsInCachePolicy", createCP(func(c *types.CachePolicyConfig) {
			c.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStrings = &types.QueryStringNames{Quantity: aws.Int32(11), Items: names(11)}
		}), CodeTooManyQueryStringsInCachePolicy, 400, ""},
		{"TooManyHeadersInOriginRequestPolicy", createORP(func(c *types.OriginRequestPolicyConfig) {
			c.HeadersConfig.Headers = &types.Headers{Quantity: aws.Int32(11), Items: names(11)}
		}), CodeTooManyHeadersInOriginRequestPolicy, 400, ""},
		{"TooManyCookiesInOriginRequestPolicy", createORP(func(c *types.OriginRequestPolicyConfig) {
			c.CookiesConfig = &types.OriginRequestPolicyCookiesConfig{CookieBehavior: types.OriginRequestPolicyCookieBehaviorWhitelist,
				Cookies: &types.CookieNames{Quantity: aws.Int32(11), Items: names(11)}}
		}), CodeTooManyCookiesInOriginRequestPolicy, 400, ""},
		{"TooManyQueryStringsInOriginRequestPolicy", createORP(func(c *types.OriginRequestPolicyConfig) {
			c.QueryStringsConfig = &types.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: types.OriginRequestPolicyQueryStringBehaviorAllExcept,
				QueryStrings: &types.QueryStringNames{Quantity: aws.Int32(11), Items: names(11)}}
		}), CodeTooManyQueryStringsInOriginRequestPolicy, 400, ""},
		{"TooManyCustomHeadersInResponseHeadersPolicy", createRHP(func(c *types.ResponseHeadersPolicyConfig) {
			var hs []types.ResponseHeadersPolicyCustomHeader
			for _, n := range names(11) {
				hs = append(hs, types.ResponseHeadersPolicyCustomHeader{Header: aws.String("X-" + n), Value: aws.String("v"), Override: aws.Bool(false)})
			}
			c.CustomHeadersConfig = &types.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(11), Items: hs}
		}), CodeTooManyCustomHeadersInResponseHeadersPolicy, 400, ""},
		{"TooManyRemoveHeadersInResponseHeadersPolicy", createRHP(func(c *types.ResponseHeadersPolicyConfig) {
			var hs []types.ResponseHeadersPolicyRemoveHeader
			for _, n := range names(11) {
				hs = append(hs, types.ResponseHeadersPolicyRemoveHeader{Header: aws.String("X-" + n)})
			}
			c.RemoveHeadersConfig = &types.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(11), Items: hs}
		}), CodeTooManyRemoveHeadersInResponseHeadersPolicy, 400, ""},
		{"TooLongCSPInResponseHeadersPolicy", createRHP(func(c *types.ResponseHeadersPolicyConfig) {
			c.SecurityHeadersConfig.ContentSecurityPolicy = &types.ResponseHeadersPolicyContentSecurityPolicy{
				ContentSecurityPolicy: aws.String("default-src " + strings.Repeat("a", 1780)), Override: aws.Bool(true)}
		}), CodeTooLongCSPInResponseHeadersPolicy, 400, "1783"},
		{"InvalidArgument: caching disabled with a key header", createCP(func(c *types.CachePolicyConfig) {
			c.MinTTL, c.DefaultTTL, c.MaxTTL = aws.Int64(0), aws.Int64(0), aws.Int64(0)
			p := c.ParametersInCacheKeyAndForwardedToOrigin
			p.EnableAcceptEncodingGzip, p.EnableAcceptEncodingBrotli = aws.Bool(false), aws.Bool(false)
		}), CodeInvalidArgument, 400, "The parameter HeaderBehavior is invalid for policy with caching disabled."},
		{"InvalidArgument: caching disabled with gzip", createCP(func(c *types.CachePolicyConfig) {
			c.MinTTL, c.DefaultTTL, c.MaxTTL = aws.Int64(0), aws.Int64(0), aws.Int64(0)
		}), CodeInvalidArgument, 400, "EnableAcceptEncodingGzip is invalid for policy with caching disabled"},
		{"InvalidArgument: TTL order", createCP(func(c *types.CachePolicyConfig) { c.DefaultTTL, c.MaxTTL = aws.Int64(100), aws.Int64(10) }),
			CodeInvalidArgument, 400, "MinTTL <= DefaultTTL <= MaxTTL"},
		{"InvalidArgument: whitelist without names", createCP(func(c *types.CachePolicyConfig) {
			c.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers = nil
		}), CodeInvalidArgument, 400, "needs at least one name"},
		{"InvalidArgument: a header name config refuses", createCP(func(c *types.CachePolicyConfig) {
			c.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers.Items = []string{"bad header"}
		}), CodeInvalidArgument, 400, "cache policy "},
		{"InvalidArgument: ORP header behavior", createORP(func(c *types.OriginRequestPolicyConfig) { c.HeadersConfig.HeaderBehavior = "everything" }),
			CodeInvalidArgument, 400, "HeaderBehavior"},
		{"InvalidArgument: frame option", createRHP(func(c *types.ResponseHeadersPolicyConfig) { c.SecurityHeadersConfig.FrameOptions.FrameOption = "ALLOW" }),
			CodeInvalidArgument, 400, "FrameOption"},
		{"InvalidArgument: MinTTL missing", post("/2020-05-31/cache-policy",
			`<CachePolicyConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Name>x</Name></CachePolicyConfig>`, nil),
			CodeInvalidArgument, 400, "MinTTL is required"},
		{"InvalidArgument: Name missing", post("/2020-05-31/origin-request-policy",
			`<OriginRequestPolicyConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"></OriginRequestPolicyConfig>`, nil),
			CodeInvalidArgument, 400, "Name is required"},
		{"InvalidArgument: CORS without OriginOverride", post("/2020-05-31/response-headers-policy",
			`<ResponseHeadersPolicyConfig><Name>x</Name><CorsConfig><AccessControlAllowOrigins><Quantity>1</Quantity><Items><Origin>*</Origin></Items></AccessControlAllowOrigins>`+
				`<AccessControlAllowHeaders><Quantity>0</Quantity></AccessControlAllowHeaders><AccessControlAllowMethods><Quantity>1</Quantity><Items><Method>GET</Method></Items></AccessControlAllowMethods>`+
				`<AccessControlAllowCredentials>false</AccessControlAllowCredentials></CorsConfig></ResponseHeadersPolicyConfig>`, nil),
			CodeInvalidArgument, 400, "OriginOverride is required (CorsConfig)"},
		{"InconsistentQuantities", post("/2020-05-31/cache-policy",
			`<CachePolicyConfig><Name>q</Name><MinTTL>1</MinTTL><ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip>`+
				`<HeadersConfig><HeaderBehavior>whitelist</HeaderBehavior><Headers><Quantity>2</Quantity><Items><Name>A</Name></Items></Headers></HeadersConfig>`+
				`<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>`+
				`</ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>`, nil),
			CodeInconsistentQuantities, 400, "Headers.Quantity"},
		{"MalformedInput", post("/2020-05-31/cache-policy", `<CachePolicyConfig><Name>`, nil), CodeMalformedInput, 400, ""},
		{"MalformedInput: wrong root", post("/2020-05-31/cache-policy", `<OriginRequestPolicyConfig/>`, nil), CodeMalformedInput, 400, "CachePolicyConfig"},
		{"MissingBody", post("/2020-05-31/response-headers-policy", "", nil), CodeMissingBody, 400, ""},
		{"NoSuchCachePolicy: get", sdk(func() error {
			_, err := cf.GetCachePolicyConfig(ctx, &cloudfront.GetCachePolicyConfigInput{Id: aws.String("00000000-0000-4000-8000-000000000000")})
			return err
		}), CodeNoSuchCachePolicy, 404, ""},
		{"NoSuchOriginRequestPolicy: update", sdk(func() error {
			_, err := cf.UpdateOriginRequestPolicy(ctx, &cloudfront.UpdateOriginRequestPolicyInput{Id: aws.String("00000000-0000-4000-8000-000000000000"),
				IfMatch: orp.ETag, OriginRequestPolicyConfig: orpConfig("x")})
			return err
		}), CodeNoSuchOriginRequestPolicy, 404, ""},
		{"NoSuchResponseHeadersPolicy: delete", sdk(func() error {
			_, err := cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: aws.String("00000000-0000-4000-8000-000000000000"),
				IfMatch: rhp.ETag})
			return err
		}), CodeNoSuchResponseHeadersPolicy, 404, ""},
		{"InvalidIfMatchVersion: update", sdk(func() error {
			_, err := cf.UpdateCachePolicy(ctx, &cloudfront.UpdateCachePolicyInput{Id: aws.String(cpID), CachePolicyConfig: cachePolicyConfig("taken")})
			return err
		}), CodeInvalidIfMatchVersion, 400, "If-Match"},
		{"InvalidIfMatchVersion: delete", sdk(func() error {
			_, err := cf.DeleteOriginRequestPolicy(ctx, &cloudfront.DeleteOriginRequestPolicyInput{Id: orp.OriginRequestPolicy.Id})
			return err
		}), CodeInvalidIfMatchVersion, 400, ""},
		{"PreconditionFailed: delete", sdk(func() error {
			_, err := cf.DeleteResponseHeadersPolicy(ctx, &cloudfront.DeleteResponseHeadersPolicyInput{Id: rhp.ResponseHeadersPolicy.Id, IfMatch: aws.String("EAAAAAAAAAAAAA")})
			return err
		}), CodePreconditionFailed, 412, ""},
		{"CachePolicyAlreadyExists: renamed onto another", sdk(func() error {
			other, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("other")})
			if err != nil {
				return err
			}
			_, err = cf.UpdateCachePolicy(ctx, &cloudfront.UpdateCachePolicyInput{Id: other.CachePolicy.Id, IfMatch: other.ETag,
				CachePolicyConfig: cachePolicyConfig("taken")})
			return err
		}), CodeCachePolicyAlreadyExists, 409, ""},
		{"IllegalUpdate: managed", sdk(func() error {
			_, err := cf.UpdateResponseHeadersPolicy(ctx, &cloudfront.UpdateResponseHeadersPolicyInput{Id: aws.String(idRHPSecurity),
				IfMatch: rhp.ETag, ResponseHeadersPolicyConfig: rhpConfig("x")})
			return err
		}), CodeIllegalUpdate, 400, "managed"},
		{"IllegalDelete: managed", sdk(func() error {
			_, err := cf.DeleteOriginRequestPolicy(ctx, &cloudfront.DeleteOriginRequestPolicyInput{Id: aws.String(idORPAllViewer), IfMatch: orp.ETag})
			return err
		}), CodeIllegalDelete, 400, "managed"},
		{"InvalidArgument: list Type", sdk(func() error {
			_, err := cf.ListCachePolicies(ctx, &cloudfront.ListCachePoliciesInput{Type: "builtin"})
			return err
		}), CodeInvalidArgument, 400, "Type"},
		{"InvalidArgument: list Marker", sdk(func() error {
			_, err := cf.ListCachePolicies(ctx, &cloudfront.ListCachePoliciesInput{Marker: aws.String("nope")})
			return err
		}), CodeInvalidArgument, 400, "Marker"},
		{"InvalidAction: PUT …/config", post("/2020-05-31/cache-policy/"+cpID+"/config", "", map[string]string{"method": "PUT"}),
			CodeInvalidAction, 400, "CachePolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := tt.call()
			if status != tt.status || !strings.Contains(resp, "<Code>"+tt.code+"</Code>") || !strings.Contains(resp, tt.msg) {
				t.Errorf("got %d %s\nwant %d %s with %q", status, resp, tt.status, tt.code, tt.msg)
			}
		})
	}
}

// TestTooManyPolicies: the file's policies count toward the quota of 20 custom policies.
func TestTooManyPolicies(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		for i := range MaxPolicies - 1 {
			c.CachePolicies = append(c.CachePolicies, config.CachePolicy{Name: "file-" + string(rune('a'+i)), MinTTL: aws.Int64(0)})
		}
		c.ApplyDefaults()
	}, nil)
	ctx := context.Background()
	if _, err := h.cf().CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("twentieth")}); err != nil {
		t.Fatalf("the 20th custom policy: %v", err)
	}
	_, err := h.cf().CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("21st")})
	wantCode(t, "the 21st", err, CodeTooManyCachePolicies, 400)
}

// TestCommentsInCharacters: a Comment of 128 characters is taken whatever its bytes, one of 129
// is InvalidArgument (API_CachePolicyConfig.html, API_OriginRequestPolicyConfig.html,
// API_PublicKeyConfig.html, API_KeyGroupConfig.html: Comment up to 128 characters).
func TestCommentsInCharacters(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	_, pemKey := testKey(t, 1)
	key := createKey(t, cf, "comment-key", 2)
	creates := []struct {
		what   string
		create func(name, comment string) error
	}{
		{"cache policy", func(name, comment string) error {
			c := cachePolicyConfig(name)
			c.Comment = aws.String(comment)
			_, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: c})
			return err
		}},
		{"origin request policy", func(name, comment string) error {
			c := orpConfig(name)
			c.Comment = aws.String(comment)
			_, err := cf.CreateOriginRequestPolicy(ctx, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: c})
			return err
		}},
		{"response headers policy", func(name, comment string) error {
			c := rhpConfig(name)
			c.Comment = aws.String(comment)
			_, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: c})
			return err
		}},
		{"public key", func(name, comment string) error {
			_, err := cf.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &types.PublicKeyConfig{
				CallerReference: aws.String("ref-" + name), Name: aws.String(name), EncodedKey: aws.String(pemKey), Comment: aws.String(comment)}})
			return err
		}},
		{"key group", func(name, comment string) error {
			_, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{
				Name: aws.String(name), Items: []string{aws.ToString(key.PublicKey.Id)}, Comment: aws.String(comment)}})
			return err
		}},
	}
	for _, c := range creates {
		t.Run(c.what, func(t *testing.T) {
			if err := c.create("chars-128", strings.Repeat("é", 128)); err != nil {
				t.Errorf("a Comment of 128 characters (256 bytes): %v", err)
			}
			err := c.create("chars-129", strings.Repeat("a", 129))
			if code, _, status := apiErr(err); code != CodeInvalidArgument || status != http.StatusBadRequest {
				t.Errorf("a Comment of 129 characters: %v, want InvalidArgument", err)
			}
		})
	}
}
