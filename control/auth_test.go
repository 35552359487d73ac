package control

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/cfedge/edge/config"
)

func TestSDKSignatures(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	tests := []struct {
		name, key, secret string
		code              string // "" = success
	}{
		{"first key", testKey1, testSecret1, ""},
		{"second key", testKey2, testSecret2, ""},
		{"wrong secret", testKey1, testSecret2, CodeSignatureDoesNotMatch},
		{"unknown key", "AKIDUNKNOWN000000000", testSecret1, CodeInvalidClientTokenID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf := h.client(tt.key, tt.secret)
			// A POST with a body and a GET with a query string: both signatures must verify.
			_, errCreate := cf.CreateInvalidation(ctx, createInput(distMain, "sig-"+tt.name, "/a b/ü.txt", "/q?x=1&y=*"))
			_, errList := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{
				DistributionId: aws.String(distMain), MaxItems: aws.Int32(3)})
			for _, err := range []error{errCreate, errList} {
				code, _, status := apiErr(err)
				if tt.code == "" && err != nil {
					t.Errorf("want success, got %v", err)
				}
				if tt.code != "" && (code != tt.code || status != 403) {
					t.Errorf("got %v (code %q status %d), want %s 403", err, code, status, tt.code)
				}
			}
		})
	}
}

func TestRawSignatures(t *testing.T) {
	h := newHarness(t, nil, nil)
	const path = "/2020-05-31/distribution/" + distMain + "/invalidation"
	now := time.Now()
	tests := []struct {
		name     string
		key      string
		region   string
		signedAt time.Time
		code     string // "" = success
	}{
		{"good", testKey1, "us-east-1", now, ""},
		{"good, 14 minutes old", testKey1, "us-east-1", now.Add(-14 * time.Minute), ""},
		{"unsigned", "", "us-east-1", now, CodeMissingAuthenticationToken},
		{"expired", testKey1, "us-east-1", now.Add(-16 * time.Minute), CodeSignatureDoesNotMatch},
		{"from the future", testKey1, "us-east-1", now.Add(16 * time.Minute), CodeSignatureDoesNotMatch},
		// The CLI with --endpoint-url signs for the configured region: any region is accepted.
		{"other region", testKey1, "eu-west-1", now, ""},
		{"not a region", testKey1, "EU_WEST", now, CodeSignatureDoesNotMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := h.raw("GET", path+"?MaxItems=1", "", tt.key, testSecret1, tt.region, tt.signedAt)
			if tt.code == "" {
				if status != 200 {
					t.Errorf("status %d, want 200\n%s", status, body)
				}
				return
			}
			if status != http.StatusForbidden {
				t.Errorf("status %d, want 403", status)
			}
			checkErrorDoc(t, hdr, body, tt.code)
			if tt.name == "expired" && !strings.Contains(body, "Signature expired") {
				t.Errorf("expired message: %s", body)
			}
		})
	}
}

// TestTamperedRequests signs a request and then changes what was signed.
func TestTamperedRequests(t *testing.T) {
	h := newHarness(t, nil, nil)
	base := "/2020-05-31/distribution/" + distMain + "/invalidation"
	good := batchXML(1, "t", "/a")
	// Signed for one body, sent with another.
	status, hdr, body := h.rawTampered("POST", base, good, strings.Replace(good, "/a", "/b", 1), "")
	if status != 403 {
		t.Errorf("changed body: status %d", status)
	}
	checkErrorDoc(t, hdr, body, CodeSignatureDoesNotMatch)
	// Signed for one query, sent with another.
	status, hdr, body = h.rawTampered("GET", base+"?MaxItems=1", "", "", base+"?MaxItems=2")
	if status != 403 {
		t.Errorf("changed query: status %d", status)
	}
	checkErrorDoc(t, hdr, body, CodeSignatureDoesNotMatch)
	// A garbled Authorization header.
	req, _ := http.NewRequest("GET", h.url+base, nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=nonsense")
	req.Header.Set("X-Amz-Date", time.Now().UTC().Format(amzDateFmt))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("garbled header: status %d", resp.StatusCode)
	}
}

func TestAuthNone(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.API.Auth = "none"; c.API.Keys = nil }, nil)
	status, _, body := h.raw("GET", "/2020-05-31/distribution", "", "", "", "", time.Time{})
	if status != 200 || !strings.Contains(body, distMain) {
		t.Errorf("unsigned request with auth none: %d %s", status, body)
	}
}

func TestAuthDefaultIsSigV4(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.API.Auth = "" }, nil)
	status, hdr, body := h.raw("GET", "/2020-05-31/distribution", "", "", "", "", time.Time{})
	if status != 403 {
		t.Errorf("unsigned request with empty api.auth: status %d, want 403", status)
	}
	checkErrorDoc(t, hdr, body, CodeMissingAuthenticationToken)
}

func TestParseAuthorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=abc123"
	a, err := parseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	want := sigV4Auth{accessKey: "AKID", date: "20240101", region: "us-east-1", service: "cloudfront",
		signedHeaders: "host;x-amz-date", signature: "abc123"}
	if a != want {
		t.Errorf("got %+v, want %+v", a, want)
	}
	for _, bad := range []string{
		"",
		"Basic dXNlcjpwYXNz",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=, Signature=a",
		"AWS4-HMAC-SHA256 Credential=/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=a, Extra=1",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature",
	} {
		if _, err := parseAuthorization(bad); err == nil {
			t.Errorf("parseAuthorization(%q) accepted", bad)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudfront/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	f.Add("AWS4-HMAC-SHA256 ,,,==")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err != nil {
			return
		}
		if a.accessKey == "" || a.signedHeaders == "" || a.signature == "" {
			t.Errorf("accepted %q with empty fields: %+v", s, a)
		}
	})
}
