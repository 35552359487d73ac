package control

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

func oacConfig(name string, signing types.OriginAccessControlSigningBehaviors) *types.OriginAccessControlConfig {
	return &types.OriginAccessControlConfig{Name: aws.String(name), SigningProtocol: types.OriginAccessControlSigningProtocolsSigv4,
		SigningBehavior: signing, OriginAccessControlOriginType: types.OriginAccessControlOriginTypesS3}
}

// s3Dist is minimalDistConfig with one S3 origin on domain, using the origin access control
// oacID ("" for none).
func s3Dist(ref, domain, oacID string) *types.DistributionConfig {
	c := minimalDistConfig(ref, ref)
	c.Origins.Items[0] = types.Origin{Id: aws.String("o1"), DomainName: aws.String(domain), OriginPath: aws.String("/media"),
		S3OriginConfig: &types.S3OriginConfig{OriginAccessIdentity: aws.String("")}, OriginAccessControlId: aws.String(oacID)}
	return c
}

// TestOACLifecycle: create (E + 13 id, 201, Location, ETag), read, list with Marker and
// IsTruncated, update, delete.
func TestOACLifecycle(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	cf := h.cf()
	out, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: oacConfig("media", "always")})
	if err != nil {
		t.Fatalf("CreateOriginAccessControl: %v", err)
	}
	id := aws.ToString(out.OriginAccessControl.Id)
	if status, hdr := h.rec.last(); status != http.StatusCreated || !distIDShape.MatchString(id) ||
		hdr.Get("Location") != h.url+"/2020-05-31/origin-access-control/"+id || !etagShape.MatchString(aws.ToString(out.ETag)) {
		t.Fatalf("create: %d %q %q", status, id, hdr.Get("Location"))
	}
	doc, etag := h.rawDoc("/2020-05-31/origin-access-control/" + id + "/config")
	want := `<OriginAccessControlConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Name>media</Name><Description></Description>` +
		`<SigningProtocol>sigv4</SigningProtocol><SigningBehavior>always</SigningBehavior>` +
		`<OriginAccessControlOriginType>s3</OriginAccessControlOriginType></OriginAccessControlConfig>`
	if !strings.HasSuffix(doc, want) || etag != aws.ToString(out.ETag) {
		t.Errorf("GetOriginAccessControlConfig (ETag %q):\n%s\nwant\n%s", etag, doc, want)
	}
	var ids []string
	for i := range 3 {
		o, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{
			OriginAccessControlConfig: oacConfig("more-"+strconv.Itoa(i), "never")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(o.OriginAccessControl.Id))
	}
	l, err := cf.ListOriginAccessControls(ctx, &cloudfront.ListOriginAccessControlsInput{MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	ol := l.OriginAccessControlList
	if !aws.ToBool(ol.IsTruncated) || aws.ToString(ol.NextMarker) != ids[0] || len(ol.Items) != 2 || aws.ToString(ol.Items[0].Id) != id ||
		aws.ToString(ol.Items[0].Description) != "" || ol.Items[0].SigningBehavior != "always" || aws.ToString(ol.Marker) != "" {
		t.Errorf("first page: %+v", ol)
	}
	l, err = cf.ListOriginAccessControls(ctx, &cloudfront.ListOriginAccessControlsInput{MaxItems: aws.Int32(2), Marker: ol.NextMarker})
	if err != nil || aws.ToBool(l.OriginAccessControlList.IsTruncated) || aws.ToString(l.OriginAccessControlList.Marker) != ids[0] ||
		len(l.OriginAccessControlList.Items) != 2 || l.OriginAccessControlList.NextMarker != nil {
		t.Errorf("second page: %v %+v", err, l)
	}
	c := oacConfig("media", "no-override")
	c.Description = aws.String("signed unless the viewer signs")
	upd, err := cf.UpdateOriginAccessControl(ctx, &cloudfront.UpdateOriginAccessControlInput{Id: aws.String(id), IfMatch: out.ETag, OriginAccessControlConfig: c})
	if err != nil || aws.ToString(upd.ETag) == aws.ToString(out.ETag) || upd.OriginAccessControl.OriginAccessControlConfig.SigningBehavior != "no-override" {
		t.Fatalf("UpdateOriginAccessControl: %v %+v", err, upd)
	}
	g, err := cf.GetOriginAccessControl(ctx, &cloudfront.GetOriginAccessControlInput{Id: aws.String(id)})
	if err != nil || aws.ToString(g.ETag) != aws.ToString(upd.ETag) || aws.ToString(g.OriginAccessControl.OriginAccessControlConfig.Description) != "signed unless the viewer signs" {
		t.Fatalf("GetOriginAccessControl: %v %+v", err, g)
	}
	if _, err := cf.DeleteOriginAccessControl(ctx, &cloudfront.DeleteOriginAccessControlInput{Id: aws.String(id), IfMatch: upd.ETag}); err != nil {
		t.Fatalf("DeleteOriginAccessControl: %v", err)
	}
	_, err = cf.GetOriginAccessControl(ctx, &cloudfront.GetOriginAccessControlInput{Id: aws.String(id)})
	wantCode(t, "get after delete", err, CodeNoSuchOriginAccessControl, 404)
}

// TestOACOrigins: how an origin access control turns an S3 origin into what the edge serves,
// and the errors of a distribution that names one badly.
func TestOACOrigins(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, func(c *config.Config) { c.API.S3Endpoint = "http://127.0.0.1:9000" }, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	oacID := func(name string, signing types.OriginAccessControlSigningBehaviors, typ types.OriginAccessControlOriginTypes) (string, *string) {
		c := oacConfig(name, signing)
		c.OriginAccessControlOriginType = typ
		out, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: c})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OriginAccessControl.Id), out.ETag
	}
	always, alwaysETag := oacID("always", "always", "s3")
	never, _ := oacID("never", "never", "s3")
	noOverride, _ := oacID("no-override", "no-override", "s3")
	lambda, _ := oacID("lambda", "always", "lambda")
	origin := func(c *types.DistributionConfig) config.Origin {
		t.Helper()
		out := h.create(c)
		merged, _ := app.last()
		return merged.Distribution(aws.ToString(out.Distribution.Id)).Origins[0]
	}
	tests := []struct {
		name, domain, oac                string
		kind, bucket, region, access, ep string
	}{
		{"signed", "media.s3.eu-west-1.amazonaws.com", always, config.KindS3, "media", "eu-west-1", "sigv4", "http://127.0.0.1:9000"},
		{"no-override signs too", "media.s3.amazonaws.com", noOverride, config.KindS3, "media", "us-east-1", "sigv4", "http://127.0.0.1:9000"},
		{"never: anonymous", "media.s3.us-east-2.amazonaws.com", never, config.KindS3, "media", "us-east-2", "anonymous", "http://127.0.0.1:9000"},
		{"no OAC: anonymous", "open.s3.us-east-1.amazonaws.com", "", config.KindS3, "open", "us-east-1", "anonymous", "http://127.0.0.1:9000"},
		{"a Lambda OAC: not signed", "media.s3.us-east-1.amazonaws.com", lambda, config.KindS3, "media", "us-east-1", "anonymous", "http://127.0.0.1:9000"},
		{"not a bucket: http", "assets.example.com", "", config.KindHTTP, "", "", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := origin(s3Dist("oac-"+strconv.Itoa(i), tt.domain, tt.oac))
			if o.Kind != tt.kind || o.Bucket != tt.bucket || o.Region != tt.region || o.Access != tt.access || o.Endpoint != tt.ep ||
				(tt.kind == config.KindS3 && o.OriginPath != "/media") {
				t.Errorf("origin %+v", o)
			}
		})
	}

	// A custom origin config on a bucket endpoint with a signing OAC is an s3 origin.
	c := minimalDistConfig("oac-custom", "x")
	c.Origins.Items[0].DomainName = aws.String("media.s3.us-east-1.amazonaws.com")
	c.Origins.Items[0].OriginAccessControlId = aws.String(always)
	if o := origin(c); o.Kind != config.KindS3 || o.Access != "sigv4" || o.Bucket != "media" || o.HTTPPort != 0 {
		t.Errorf("custom origin with an OAC: %+v", o)
	}

	// The OAC in use: updating it to never re-applies, unsigned.
	used := h.create(s3Dist("oac-used", "media.s3.us-east-1.amazonaws.com", always))
	if _, err := cf.UpdateOriginAccessControl(ctx, &cloudfront.UpdateOriginAccessControlInput{Id: aws.String(always), IfMatch: alwaysETag,
		OriginAccessControlConfig: oacConfig("always", "never")}); err != nil {
		t.Fatal(err)
	}
	merged, _ := app.last()
	if o := merged.Distribution(aws.ToString(used.Distribution.Id)).Origins[0]; o.Access != "anonymous" {
		t.Errorf("after the OAC turned to never: %+v", o)
	}
	g, _ := cf.GetOriginAccessControl(ctx, &cloudfront.GetOriginAccessControlInput{Id: aws.String(always)})
	_, err := cf.DeleteOriginAccessControl(ctx, &cloudfront.DeleteOriginAccessControlInput{Id: aws.String(always), IfMatch: g.ETag})
	wantCode(t, "delete an OAC in use", err, CodeOriginAccessControlInUse, 409)

	create := func(c *types.DistributionConfig) error {
		_, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: c})
		return err
	}
	withOAI := s3Dist("oai", "media.s3.us-east-1.amazonaws.com", noOverride)
	withOAI.Origins.Items[0].S3OriginConfig.OriginAccessIdentity = aws.String("origin-access-identity/cloudfront/E127EXAMPLE51Z")
	notBucket := minimalDistConfig("not-bucket", "x")
	notBucket.Origins.Items[0].OriginAccessControlId = aws.String(noOverride)
	website := s3Dist("website", "media.s3-website-us-east-1.amazonaws.com", noOverride)
	for _, tt := range []struct {
		name   string
		err    error
		code   string
		status int
	}{
		{"an unknown OAC id", create(s3Dist("unknown", "media.s3.us-east-1.amazonaws.com", "ENOSUCHOAC0000")), CodeInvalidOriginAccessControl, 400},
		{"an OAC and an OAI", create(withOAI), CodeIllegalOriginAccessConfiguration, 400},
		{"an S3 OAC on a custom domain", create(notBucket), CodeInvalidDomainNameForOriginAccessControl, 400},
		{"an S3 OAC on a website endpoint", create(website), CodeInvalidDomainNameForOriginAccessControl, 400},
	} {
		wantCode(t, tt.name, tt.err, tt.code, tt.status)
	}
}

// TestOACErrors: the origin access control errors, each from a real request.
func TestOACErrors(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	cf := h.cf()
	first, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: oacConfig("first", "always")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(first.OriginAccessControl.Id)
	h.create(s3Dist("uses-first", "media.s3.us-east-1.amazonaws.com", id))
	raw := func(method, path, body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest(method, h.url+path, strings.NewReader(body))
		status, _, resp := h.signedDo(req, body, hdr)
		return status, resp
	}
	cfg := func(name, protocol, behavior, typ string) string {
		return `<OriginAccessControlConfig><Name>` + name + `</Name><SigningProtocol>` + protocol + `</SigningProtocol><SigningBehavior>` + behavior +
			`</SigningBehavior><OriginAccessControlOriginType>` + typ + `</OriginAccessControlOriginType></OriginAccessControlConfig>`
	}
	post := func(body string) (int, string) { return raw("POST", "/2020-05-31/origin-access-control", body, nil) }
	tests := []struct {
		name   string
		status int
		resp   string
		code   string
		want   int
	}{}
	add := func(name string, code string, want int, status int, resp string) {
		tests = append(tests, struct {
			name   string
			status int
			resp   string
			code   string
			want   int
		}{name, status, resp, code, want})
	}
	st, resp := post(cfg("first", "sigv4", "always", "s3"))
	add("OriginAccessControlAlreadyExists", CodeOriginAccessControlAlreadyExists, 409, st, resp)
	st, resp = post(cfg("x", "sigv2", "always", "s3"))
	add("InvalidArgument: SigningProtocol", CodeInvalidArgument, 400, st, resp)
	st, resp = post(cfg("x", "sigv4", "sometimes", "s3"))
	add("InvalidArgument: SigningBehavior", CodeInvalidArgument, 400, st, resp)
	st, resp = post(cfg("x", "sigv4", "always", "ftp"))
	add("InvalidArgument: origin type", CodeInvalidArgument, 400, st, resp)
	st, resp = post(cfg(strings.Repeat("n", 65), "sigv4", "always", "s3"))
	add("InvalidArgument: Name over 64", CodeInvalidArgument, 400, st, resp)
	st, resp = post(`<OriginAccessControlConfig><Name>x</Name></OriginAccessControlConfig>`)
	add("InvalidArgument: missing members", CodeInvalidArgument, 400, st, resp)
	st, resp = raw("DELETE", "/2020-05-31/origin-access-control/"+id, "", map[string]string{"If-Match": aws.ToString(first.ETag)})
	add("OriginAccessControlInUse", CodeOriginAccessControlInUse, 409, st, resp)
	st, resp = raw("GET", "/2020-05-31/origin-access-control/ENOSUCHOAC0000", "", nil)
	add("NoSuchOriginAccessControl", CodeNoSuchOriginAccessControl, 404, st, resp)
	st, resp = raw("PUT", "/2020-05-31/origin-access-control/"+id+"/config", cfg("first", "sigv4", "never", "s3"), nil)
	add("InvalidIfMatchVersion", CodeInvalidIfMatchVersion, 400, st, resp)
	st, resp = raw("PUT", "/2020-05-31/origin-access-control/"+id+"/config", cfg("first", "sigv4", "never", "s3"),
		map[string]string{"If-Match": "EAAAAAAAAAAAAA"})
	add("PreconditionFailed", CodePreconditionFailed, 412, st, resp)
	// An update a distribution cannot take: a custom origin on a domain of its own uses a Lambda
	// origin access control; turning that into an S3 one is refused.
	lam := oacConfig("lam", "always")
	lam.OriginAccessControlOriginType = types.OriginAccessControlOriginTypesLambda
	lo, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: lam})
	if err != nil {
		t.Fatal(err)
	}
	fn := minimalDistConfig("lambda-origin", "x")
	fn.Origins.Items[0].OriginAccessControlId = lo.OriginAccessControl.Id
	h.create(fn)
	st, resp = raw("PUT", "/2020-05-31/origin-access-control/"+aws.ToString(lo.OriginAccessControl.Id)+"/config", cfg("lam", "sigv4", "always", "s3"),
		map[string]string{"If-Match": aws.ToString(lo.ETag)})
	add("IllegalUpdate: the distributions cannot take it", CodeIllegalUpdate, 400, st, resp)
	for i := len(h.srv.cur.Load().res.oacs); i < MaxOACs; i++ {
		if _, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{
			OriginAccessControlConfig: oacConfig("fill-"+strconv.Itoa(i), "always")}); err != nil {
			t.Fatal(err)
		}
	}
	st, resp = post(cfg("one-more", "sigv4", "always", "s3"))
	add("TooManyOriginAccessControls", CodeTooManyOriginAccessControls, 400, st, resp)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.status != tt.want || !strings.Contains(tt.resp, "<Code>"+tt.code+"</Code>") {
				t.Errorf("got %d %s, want %d %s", tt.status, tt.resp, tt.want, tt.code)
			}
		})
	}
}
