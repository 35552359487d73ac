package control

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

// minimalXML is a CreateDistribution body as botocore writes it; tests replace parts of it.
const minimalXML = `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>REF</CallerReference>` +
	`<Aliases><Quantity>0</Quantity></Aliases>` +
	`<Origins><Quantity>1</Quantity><Items><Origin><Id>o1</Id><DomainName>example.com</DomainName>` +
	`<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig>` +
	`</Origin></Items></Origins>` +
	`<DefaultCacheBehavior><TargetOriginId>o1</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>` +
	`<ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues><MinTTL>0</MinTTL>` +
	`</DefaultCacheBehavior><Comment>COMMENT</Comment><Enabled>true</Enabled></DistributionConfig>`

// TestDistributionErrors: every error of the distribution operations, each from a real
// request, with CloudFront's code and status in the error envelope.
func TestDistributionErrors(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.KeyGroups = nil // TrustedKeyGroupDoesNotExist below
	}, nil)
	ctx := context.Background()
	cf := h.cf()
	existing := h.create(minimalDistConfig("existing", "existing", "taken.example.com"))
	id, etag := aws.ToString(existing.Distribution.Id), aws.ToString(existing.ETag)
	post := func(body string) func() (int, string) {
		return func() (int, string) {
			status, _, resp := h.raw("POST", "/2020-05-31/distribution", body, testKey1, testSecret1, "us-east-1", time.Now())
			return status, resp
		}
	}
	sdk := func(call func() error) func() (int, string) {
		return func() (int, string) {
			err := call()
			code, msg, status := apiErr(err)
			return status, "<Code>" + code + "</Code>" + msg
		}
	}
	create := func(mut func(*types.DistributionConfig)) func() (int, string) {
		return sdk(func() error {
			c := minimalDistConfig("new-"+time.Now().Format(time.RFC3339Nano), "new")
			mut(c)
			_, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: c})
			return err
		})
	}
	update := func(target, ifMatch string, c *types.DistributionConfig) func() (int, string) {
		return sdk(func() error {
			in := &cloudfront.UpdateDistributionInput{Id: aws.String(target), DistributionConfig: c}
			if ifMatch != "" {
				in.IfMatch = aws.String(ifMatch)
			}
			_, err := cf.UpdateDistribution(ctx, in)
			return err
		})
	}
	body := func(ref, comment string) string {
		return strings.NewReplacer("REF", ref, "COMMENT", comment).Replace(minimalXML)
	}
	withBehaviorXML := func(extra string) string {
		return strings.Replace(body("beh", "x"), "<MinTTL>0</MinTTL>", extra, 1)
	}
	tests := []struct {
		name   string
		call   func() (int, string)
		code   string
		status int
		msg    string
	}{
		{"MissingBody", post(""), CodeMissingBody, 400, "requires a body"},
		{"MalformedInput: not XML", post("<DistributionConfig><Comment>"), CodeMalformedInput, 400, "not well-formed"},
		{"MalformedInput: wrong root", post("<InvalidationBatch/>"), CodeMalformedInput, 400, "InvalidationBatch"},
		{"MalformedInput: bad boolean", post(strings.Replace(body("b", "x"), "<Enabled>true", "<Enabled>yes", 1)), CodeMalformedInput, 400, ""},
		{"InconsistentQuantities: aliases", post(strings.Replace(body("q1", "x"), "<Aliases><Quantity>0</Quantity></Aliases>",
			"<Aliases><Quantity>2</Quantity><Items><CNAME>a.example.com</CNAME></Items></Aliases>", 1)),
			CodeInconsistentQuantities, 400, "Aliases"},
		{"InconsistentQuantities: nested CachedMethods", post(withBehaviorXML(`<MinTTL>0</MinTTL><AllowedMethods><Quantity>2</Quantity>` +
			`<Items><Method>GET</Method><Method>HEAD</Method></Items><CachedMethods><Quantity>3</Quantity><Items><Method>GET</Method>` +
			`<Method>HEAD</Method></Items></CachedMethods></AllowedMethods>`)), CodeInconsistentQuantities, 400, "CachedMethods"},
		{"InvalidArgument: Comment missing", post(strings.Replace(body("c", "x"), "<Comment>x</Comment>", "", 1)), CodeInvalidArgument, 400, "Comment is required"},
		{"InvalidArgument: config validation", create(func(c *types.DistributionConfig) {
			c.DefaultRootObject = aws.String("/index.html")
		}), CodeInvalidArgument, 400, "default_root_object"},
		{"InvalidArgument: ForwardedValues with a cache policy", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.CachePolicyId = aws.String(idCachingOptimized)
			c.DefaultCacheBehavior.MinTTL = nil
		}), CodeInvalidArgument, 400, "ForwardedValues cannot be used"},
		{"InvalidArgument: bad PriceClass", create(func(c *types.DistributionConfig) { c.PriceClass = "PriceClass_300" }),
			CodeInvalidArgument, 400, "PriceClass"},
		{"InvalidArgument: ConnectionTimeout", create(func(c *types.DistributionConfig) { c.Origins.Items[0].ConnectionTimeout = aws.Int32(11) }),
			CodeInvalidArgument, 400, "ConnectionTimeout 11"},
		{"InvalidArgument: OriginReadTimeout", create(func(c *types.DistributionConfig) {
			c.Origins.Items[0].CustomOriginConfig.OriginReadTimeout = aws.Int32(61)
		}), CodeInvalidArgument, 400, "OriginReadTimeout 61"},
		{"InvalidArgument: ErrorCachingMinTTL beyond a Duration", create(func(c *types.DistributionConfig) {
			c.CustomErrorResponses = &types.CustomErrorResponses{Quantity: aws.Int32(1), Items: []types.CustomErrorResponse{
				{ErrorCode: aws.Int32(404), ErrorCachingMinTTL: aws.Int64(9223372037)}}}
		}), CodeInvalidArgument, 400, "error_caching_min_ttl"},
		{"DistributionAlreadyExists", create(func(c *types.DistributionConfig) { c.CallerReference = aws.String("existing") }),
			CodeDistributionAlreadyExists, 409, id},
		{"CNAMEAlreadyExists: API distribution's alias", create(func(c *types.DistributionConfig) {
			c.Aliases = &types.Aliases{Quantity: aws.Int32(1), Items: []string{"TAKEN.example.com"}}
		}), CodeCNAMEAlreadyExists, 409, id},
		{"CNAMEAlreadyExists: file distribution's alias", create(func(c *types.DistributionConfig) {
			c.Aliases = &types.Aliases{Quantity: aws.Int32(1), Items: []string{"localhost"}}
		}), CodeCNAMEAlreadyExists, 409, distMain},
		{"NoSuchOrigin", create(func(c *types.DistributionConfig) { c.DefaultCacheBehavior.TargetOriginId = aws.String("nope") }),
			CodeNoSuchOrigin, 404, "nope"},
		{"NoSuchCachePolicy", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.CachePolicyId = aws.String("11111111-2222-4333-8444-555555555555")
			c.DefaultCacheBehavior.ForwardedValues, c.DefaultCacheBehavior.MinTTL = nil, nil
		}), CodeNoSuchCachePolicy, 404, "11111111-2222-4333-8444-555555555555"},
		{"NoSuchOriginRequestPolicy", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.CachePolicyId = aws.String(idCachingOptimized)
			c.DefaultCacheBehavior.OriginRequestPolicyId = aws.String("11111111-2222-4333-8444-555555555555")
			c.DefaultCacheBehavior.ForwardedValues, c.DefaultCacheBehavior.MinTTL = nil, nil
		}), CodeNoSuchOriginRequestPolicy, 404, ""},
		{"NoSuchResponseHeadersPolicy", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.ResponseHeadersPolicyId = aws.String("11111111-2222-4333-8444-555555555555")
		}), CodeNoSuchResponseHeadersPolicy, 404, ""},
		{"InvalidTTLOrder", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.MinTTL, c.DefaultCacheBehavior.DefaultTTL = aws.Int64(100), aws.Int64(10)
		}), CodeInvalidTTLOrder, 400, "MinTTL less than or equal to DefaultTTL"},
		{"TrustedKeyGroupDoesNotExist", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(true), Quantity: aws.Int32(1), Items: []string{"no-such-group"}}
		}), CodeTrustedKeyGroupDoesNotExist, 400, "no-such-group"},
		{"InvalidFunctionAssociation: unknown function", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(1), Items: []types.FunctionAssociation{
				{FunctionARN: aws.String(fnARN("no-such-fn")), EventType: types.EventTypeViewerRequest}}}
		}), CodeInvalidFunctionAssociation, 400, "no-such-fn"},
		{"InvalidFunctionAssociation: origin event", create(func(c *types.DistributionConfig) {
			c.DefaultCacheBehavior.FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(1), Items: []types.FunctionAssociation{
				{FunctionARN: aws.String(fnARN("x")), EventType: types.EventTypeOriginRequest}}}
		}), CodeInvalidFunctionAssociation, 400, "origin-request"},
		{"NoSuchDistribution: get", sdk(func() error {
			_, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String("ENOSUCHDIST000")})
			return err
		}), CodeNoSuchDistribution, 404, "ENOSUCHDIST000"},
		{"NoSuchDistribution: update", update("ENOSUCHDIST000", etag, minimalDistConfig("existing", "x")), CodeNoSuchDistribution, 404, ""},
		{"IllegalUpdate: CallerReference", update(id, etag, minimalDistConfig("other-ref", "x")), CodeIllegalUpdate, 400, "CallerReference"},
		{"IllegalUpdate: file distribution", update(distMain, etag, minimalDistConfig("existing", "x")), CodeIllegalUpdate, 400,
			"read-only through the API; change it in the file and reload"},
		{"IllegalUpdate: delete of a file distribution", sdk(func() error {
			_, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(distMain), IfMatch: aws.String(etag)})
			return err
		}), CodeIllegalUpdate, 400, "configuration file"},
		{"InvalidIfMatchVersion", update(id, "", minimalDistConfig("existing", "x")), CodeInvalidIfMatchVersion, 400, "If-Match"},
		{"PreconditionFailed", update(id, "EAAAAAAAAAAAAA", minimalDistConfig("existing", "x")), CodePreconditionFailed, 412, ""},
		{"DistributionNotDisabled", sdk(func() error {
			_, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: aws.String(etag)})
			return err
		}), CodeDistributionNotDisabled, 409, "not been disabled"},
		{"InvalidTagging: key too long", sdk(func() error {
			_, err := cf.TagResource(ctx, &cloudfront.TagResourceInput{Resource: existing.Distribution.ARN,
				Tags: &types.Tags{Items: []types.Tag{{Key: aws.String(strings.Repeat("k", 129))}}}})
			return err
		}), CodeInvalidTagging, 400, "1 to 128"},
		{"InvalidTagging: aws: prefix", sdk(func() error {
			_, err := cf.CreateDistributionWithTags(ctx, &cloudfront.CreateDistributionWithTagsInput{
				DistributionConfigWithTags: &types.DistributionConfigWithTags{DistributionConfig: minimalDistConfig("t", "t"),
					Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("aws:x")}}}}})
			return err
		}), CodeInvalidTagging, 400, "reserved"},
		{"NoSuchResource", sdk(func() error {
			_, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: aws.String(distARN("ENOSUCHDIST000"))})
			return err
		}), CodeNoSuchResource, 404, ""},
		{"InvalidArgument: not an ARN", sdk(func() error {
			_, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: aws.String("E123")})
			return err
		}), CodeInvalidArgument, 400, "ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := tt.call()
			if status != tt.status || !strings.Contains(resp, "<Code>"+tt.code+"</Code>") || !strings.Contains(resp, tt.msg) {
				t.Errorf("got %d %s\nwant %d %s with %q", status, resp, tt.status, tt.code, tt.msg)
			}
		})
	}
	// Nothing above made a distribution.
	l, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 3 {
		t.Errorf("list after the errors: %v, %d distributions, want 3", err, aws.ToInt32(l.DistributionList.Quantity))
	}
}

// TestTooManyDistributions: over the quota, CreateDistribution is TooManyDistributions.
func TestTooManyDistributions(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.srv.maxDists = 3 // the file's two, and one more
	h.create(minimalDistConfig("q1", "q1"))
	_, err := h.cf().CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{DistributionConfig: minimalDistConfig("q2", "q2")})
	if code, _, status := apiErr(err); code != CodeTooManyDistributions || status != 400 {
		t.Errorf("over the quota: %v", err)
	}
}

// TestLenientInput: elements in any order, no Content-Type, <Items />, <Items></Items> and no
// Items for empty lists; newer elements CloudFront knows and these types do not are echoed.
func TestLenientInput(t *testing.T) {
	h := newHarness(t, nil, nil)
	body := `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">` +
		`<Enabled>true</Enabled><Comment></Comment>` +
		`<DefaultCacheBehavior><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><TargetOriginId>o1</TargetOriginId>` +
		`<CachePolicyId>` + idCachingOptimized + `</CachePolicyId><LambdaFunctionAssociations><Quantity>0</Quantity><Items></Items></LambdaFunctionAssociations>` +
		`<FunctionAssociations><Quantity>0</Quantity><Items/></FunctionAssociations><FutureBehaviorSetting>on</FutureBehaviorSetting></DefaultCacheBehavior>` +
		`<Origins><Items><Origin><DomainName>example.com</DomainName><Id>o1</Id><ResponseCompletionTimeout>60</ResponseCompletionTimeout>` +
		`<S3OriginConfig><OriginAccessIdentity/></S3OriginConfig></Origin></Items><Quantity>1</Quantity></Origins>` +
		`<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>` +
		`<AnycastIpListId>aip-1</AnycastIpListId><ConnectionMode>direct</ConnectionMode>` +
		`<CallerReference>lenient</CallerReference></DistributionConfig>`
	status, _, resp := h.raw("POST", "/2020-05-31/distribution", body, testKey1, testSecret1, "us-east-1", time.Now())
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, resp)
	}
	id := resp[strings.Index(resp, "<Id>")+4 : strings.Index(resp, "</Id>")]
	doc, _ := h.configXML(id)
	for _, want := range []string{
		"<ResponseCompletionTimeout>60</ResponseCompletionTimeout><OriginShield>",
		"<GrpcConfig><Enabled>false</Enabled></GrpcConfig><FutureBehaviorSetting>on</FutureBehaviorSetting></DefaultCacheBehavior>",
		"<Staging>false</Staging><AnycastIpListId>aip-1</AnycastIpListId><ConnectionMode>direct</ConnectionMode></DistributionConfig>",
		"<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>",
		"<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("echo lacks %s:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, `xmlns="`+Namespace+`"><`) && strings.Count(doc, "xmlns=") != 1 {
		t.Errorf("echoed elements carry their own namespace:\n%s", doc)
	}
	// The echo is a fixed point: sent back as an update it stays the same.
	_, etag := h.configXML(id)
	req, err := http.NewRequest("PUT", h.url+"/2020-05-31/distribution/"+id+"/config", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, resp := h.signedDo(req, doc, map[string]string{"If-Match": etag}); status != http.StatusOK {
		t.Fatalf("update with the echo: %d %s", status, resp)
	}
	if again, _ := h.configXML(id); again != doc {
		t.Errorf("the echo changed on update:\n%s\n%s", doc, again)
	}
}
