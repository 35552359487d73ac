package control

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

func manyPaths(n int, format string) []string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf(format, i)
	}
	return p
}

// TestAPIErrors drives every error of the invalidation API through the SDK and checks the code
// and HTTP status the SDK sees.
func TestAPIErrors(t *testing.T) {
	h := newHarness(t, withDelay(time.Hour), nil)
	cf := h.cf()
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
		msg    []string // substrings of the message
	}{
		{"create: unknown distribution", func() error {
			_, err := cf.CreateInvalidation(ctx, createInput("ENOSUCHDIST", "r", "/a"))
			return err
		}, CodeNoSuchDistribution, 404, []string{"ENOSUCHDIST"}},
		{"get invalidation: unknown distribution", func() error {
			_, err := cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String("ENOSUCHDIST"), Id: aws.String("I1")})
			return err
		}, CodeNoSuchDistribution, 404, nil},
		{"list invalidations: unknown distribution", func() error {
			_, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String("ENOSUCHDIST")})
			return err
		}, CodeNoSuchDistribution, 404, nil},
		{"get distribution: unknown", func() error {
			_, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String("ENOSUCHDIST")})
			return err
		}, CodeNoSuchDistribution, 404, nil},
		{"get distribution config: unknown", func() error {
			_, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String("ENOSUCHDIST")})
			return err
		}, CodeNoSuchDistribution, 404, nil},
		{"get invalidation: unknown id", func() error {
			_, err := cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distMain), Id: aws.String("INOSUCHINVALID")})
			return err
		}, CodeNoSuchInvalidation, 404, []string{"INOSUCHINVALID"}},
		{"path without leading slash", func() error {
			_, err := cf.CreateInvalidation(ctx, createInput(distMain, "r", "index.html"))
			return err
		}, CodeInvalidArgument, 400, []string{`"index.html"`, `begin with "/"`}},
		{"star not last", func() error {
			_, err := cf.CreateInvalidation(ctx, createInput(distMain, "r", "/a/*.jpg"))
			return err
		}, CodeInvalidArgument, 400, []string{`"/a/*.jpg"`, "last character"}},
		{"path too long", func() error {
			_, err := cf.CreateInvalidation(ctx, createInput(distMain, "r", "/"+strings.Repeat("a", MaxPathLen)))
			return err
		}, CodeInvalidArgument, 400, []string{"4000"}},
		{"empty path", func() error {
			_, err := cf.CreateInvalidation(ctx, createInput(distMain, "r", ""))
			return err
		}, CodeInvalidArgument, 400, []string{"empty"}},
		{"quantity differs from items", func() error {
			in := createInput(distMain, "r", "/a", "/b")
			in.InvalidationBatch.Paths.Quantity = aws.Int32(3)
			_, err := cf.CreateInvalidation(ctx, in)
			return err
		}, CodeInconsistentQuantities, 400, []string{"3", "2"}},
		{"batch too large", func() error {
			_, err := cf.CreateInvalidation(ctx, createInput(distMain, "r", manyPaths(MaxBatchPaths+1, "/big/%d")...))
			return err
		}, CodeBatchTooLarge, 413, []string{"3001"}},
		{"max items not a number", func() error {
			_, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain), MaxItems: aws.Int32(-1)})
			return err
		}, CodeInvalidArgument, 400, []string{"MaxItems"}},
		{"unknown marker", func() error {
			_, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain), Marker: aws.String("INOPE")})
			return err
		}, CodeInvalidArgument, 400, []string{"INOPE"}},
		{"unsupported operation", func() error {
			_, err := cf.DeleteCloudFrontOriginAccessIdentity(ctx, &cloudfront.DeleteCloudFrontOriginAccessIdentityInput{Id: aws.String("E1"), IfMatch: aws.String("E1")})
			return err
		}, CodeInvalidAction, 400, []string{"DELETE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			code, msg, status := apiErr(err)
			if code != tt.code || status != tt.status {
				t.Fatalf("err = %v\ncode %q status %d, want %q %d", err, code, status, tt.code, tt.status)
			}
			for _, s := range tt.msg {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
		})
	}
}

func TestTooManyInvalidationsInProgress(t *testing.T) {
	// The delay stays under the 15 minutes of allowed clock skew: the clock is advanced past
	// it below, and the SDK signs with the real time.
	h := newHarness(t, withDelay(10*time.Minute), nil)
	cf := h.cf()
	ctx := context.Background()
	create := func(ref string, paths []string) error {
		_, err := cf.CreateInvalidation(ctx, createInput(distMain, ref, paths...))
		return err
	}
	tooMany := func(err error) bool {
		code, _, status := apiErr(err)
		return code == CodeTooManyInvalidationsInProgress && status == 400
	}
	// 15 wildcards in progress are allowed, a 16th is not.
	if err := create("w1", manyPaths(10, "/w%d/*")); err != nil {
		t.Fatal(err)
	}
	if err := create("w2", manyPaths(5, "/v%d/*")); err != nil {
		t.Fatal(err)
	}
	if err := create("w3", []string{"/u/*"}); !tooMany(err) {
		t.Errorf("16th wildcard: %v, want TooManyInvalidationsInProgress", err)
	}
	// 3,000 individual paths in progress are allowed, one more is not; wildcards count apart.
	if err := create("e1", manyPaths(2000, "/e/%d")); err != nil {
		t.Fatal(err)
	}
	if err := create("e2", manyPaths(1000, "/f/%d")); err != nil {
		t.Fatal(err)
	}
	if err := create("e3", []string{"/one-more"}); !tooMany(err) {
		t.Errorf("3,001st path: %v, want TooManyInvalidationsInProgress", err)
	}
	// Another distribution has its own limits.
	if err := create2(cf, distSmooth, "/elsewhere"); err != nil {
		t.Errorf("other distribution: %v", err)
	}
	// Once they complete, there is room again.
	h.clock.Advance(10 * time.Minute)
	if err := create("e4", []string{"/one-more"}); err != nil {
		t.Errorf("after completion: %v", err)
	}
	if err := create("w4", manyPaths(15, "/later%d/*")); err != nil {
		t.Errorf("wildcards after completion: %v", err)
	}
}

func create2(cf *cloudfront.Client, dist string, paths ...string) error {
	_, err := cf.CreateInvalidation(context.Background(), createInput(dist, "x", paths...))
	return err
}

// TestRawRequestErrors covers bodies the SDK will not send.
func TestRawRequestErrors(t *testing.T) {
	h := newHarness(t, nil, nil)
	const path = "/2020-05-31/distribution/" + distMain + "/invalidation"
	tests := []struct {
		name   string
		body   string
		code   string
		status int
	}{
		{"no body", "", CodeMissingBody, 400},
		{"blank body", "  \n", CodeMissingBody, 400},
		{"not XML", "paths please", CodeInvalidArgument, 400},
		{"no namespace", `<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/a</Path></Items></Paths>` +
			`<CallerReference>r</CallerReference></InvalidationBatch>`, CodeInvalidArgument, 400},
		{"wrong root", `<Invalidation xmlns="` + Namespace + `"/>`, CodeInvalidArgument, 400},
		{"no paths", `<InvalidationBatch xmlns="` + Namespace + `"><CallerReference>r</CallerReference></InvalidationBatch>`,
			CodeInvalidArgument, 400},
		{"no caller reference", batchXML(1, "", "/a"), CodeInvalidArgument, 400},
		{"zero paths", batchXML(0, "r"), CodeInvalidArgument, 400},
		{"items without quantity", `<InvalidationBatch xmlns="` + Namespace + `"><Paths><Items><Path>/a</Path></Items></Paths>` +
			`<CallerReference>r</CallerReference></InvalidationBatch>`, CodeInvalidArgument, 400},
		{"quantity not a number", strings.Replace(batchXML(1, "r", "/a"), "<Quantity>1<", "<Quantity>one<", 1),
			CodeInvalidArgument, 400},
		{"quantity without items", batchXML(2, "r"), CodeInconsistentQuantities, 400},
		{"control character", batchXML(1, "r", "/a&#x9;b"), CodeInvalidArgument, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := h.raw("POST", path, tt.body, testKey1, testSecret1, "us-east-1", time.Now())
			if status != tt.status {
				t.Errorf("status %d, want %d\n%s", status, tt.status, body)
			}
			checkErrorDoc(t, hdr, body, tt.code)
		})
	}
}

// checkErrorDoc checks that body is CloudFront's ErrorResponse with code, and that the
// response carries a request id matching the body's.
func checkErrorDoc(t *testing.T, hdr http.Header, body, code string) {
	t.Helper()
	var doc struct {
		XMLName xml.Name `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ ErrorResponse"`
		Error   struct {
			Type, Code, Message string
		}
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("body is not an ErrorResponse: %v\n%s", err, body)
	}
	if doc.Error.Code != code || doc.Error.Type != "Sender" || doc.Error.Message == "" {
		t.Errorf("error %+v, want code %q type Sender and a message", doc.Error, code)
	}
	if id := hdr.Get("X-Amzn-Requestid"); id == "" || id != doc.RequestID || len(id) != 36 {
		t.Errorf("x-amzn-RequestId %q, body RequestId %q", id, doc.RequestID)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("Content-Type %q, want text/xml", ct)
	}
}

// TestPathsAreCaseSensitive checks that an accepted batch keeps its paths exactly.
func TestPathsAreCaseSensitive(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.put(distMain, "k-upper", "/Index.HTML")
	h.put(distMain, "k-lower", "/index.html")
	out, err := h.cf().CreateInvalidation(context.Background(), createInput(distMain, "r", "/Index.HTML"))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Invalidation.InvalidationBatch.Paths.Items; len(got) != 1 || got[0] != "/Index.HTML" {
		t.Errorf("paths echoed as %q", got)
	}
	if h.cached("k-upper") || !h.cached("k-lower") {
		t.Errorf("after invalidating /Index.HTML: upper cached %v (want false), lower cached %v (want true)",
			h.cached("k-upper"), h.cached("k-lower"))
	}
}
