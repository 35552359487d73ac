package control

// Hostile-input tests of the API: hostile and malformed callers. Each test talks to the API
// over a real socket through the harness.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/fleet"
)

// hostileSend sends one request signed with testKey1 and returns status, headers and body.
func (h *harness) hostileSend(method, path, body string, headers map[string]string) (int, http.Header, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.signedDo(req, body, headers)
}

// hostileCode extracts <Code> from an ErrorResponse body ("" when there is none).
func hostileCode(body string) string {
	i := strings.Index(body, "<Code>")
	j := strings.Index(body, "</Code>")
	if i < 0 || j < i {
		return ""
	}
	return body[i+len("<Code>") : j]
}

// hostileDistXML is minimalXML (a botocore-shaped CreateDistribution body) with ref as its
// CallerReference and the custom origin's config replaced by originCfg when it is not empty.
func hostileDistXML(ref, originCfg string) string {
	b := strings.NewReplacer("REF", ref, "COMMENT", "hostile").Replace(minimalXML)
	if originCfg != "" {
		b = strings.Replace(b, `<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig>`,
			originCfg, 1)
	}
	return b
}

// TestHostileDeepNestingMemory: a small, deeply nested body is refused (MalformedInput, 400)
// with memory bounded by a small multiple of its size: scanDoc (distparse.go) refuses nesting
// over maxDepth and builds an element's dotted path only to report an error. (It once kept every
// open element's full dotted path, O(N²) bytes for N nested elements: ~64 MB for a 24 KB body.)
func TestHostileDeepNestingMemory(t *testing.T) {
	h := newHarness(t, nil, nil)
	const depth = 8000
	body := "<DistributionConfig xmlns=\"" + Namespace + "\">" + strings.Repeat("<a>", depth)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	status, hdr, resp := h.hostileSend("POST", "/2020-05-31/distribution", body, nil)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if status != http.StatusBadRequest {
		t.Errorf("status %d, want 400\n%.300s", status, resp)
	} else {
		checkErrorDoc(t, hdr, resp, CodeMalformedInput)
	}
	const bound = 16 << 20
	if alloc > bound {
		t.Errorf("a %d-byte body nested %d deep made the process allocate %d MB (bound %d MB)",
			len(body), depth, alloc>>20, bound>>20)
	}
}

// TestHostileEncodedStarIsNotAWildcard: "*" is a wildcard only as a path's last character; a
// percent-encoded "%2A" is a literal character (CloudFront does not decode what needs no
// encoding,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html). "/x%2A" is an
// individual path: while the 15 wildcards allowed in progress are used up it is accepted (or
// refused as a 16th wildcard, also consistent), and it reaches the object "/x*" and names
// beginning with "/x*" only (cacheForms, batch.go), never /xylophone.html or /x/deep/file.js.
// (Its decoded form "/x*" was once taken for the wildcard, wiping every path beginning "/x".)
func TestHostileEncodedStarIsNotAWildcard(t *testing.T) {
	h := newHarness(t, withDelay(time.Hour), nil)
	cf := h.cf()
	ctx := context.Background()
	// The 15 wildcards allowed in progress are used up.
	if _, err := cf.CreateInvalidation(ctx, createInput(distMain, "w", manyPaths(15, "/w%d/*")...)); err != nil {
		t.Fatal(err)
	}
	h.put(distMain, "k-unrelated", "/xylophone.html")
	h.put(distMain, "k-deep", "/x/deep/file.js")
	_, err := cf.CreateInvalidation(ctx, createInput(distMain, "enc", "/x%2A"))
	code, _, _ := apiErr(err)
	switch {
	case code == CodeTooManyInvalidationsInProgress:
		// Refused as the 16th wildcard: consistent.
	case err != nil:
		t.Fatalf("CreateInvalidation /x%%2A: %v", err)
	case !h.cached("k-unrelated") || !h.cached("k-deep"):
		t.Errorf("invalidating the literal path /x%%2A (accepted as an individual path while 15 wildcards are in progress) "+
			"evicted /xylophone.html (cached %v) and /x/deep/file.js (cached %v): it acted as the wildcard /x*",
			h.cached("k-unrelated"), h.cached("k-deep"))
	}
}

// TestHostileTimeoutOverflow: ConnectionTimeout is 1–10 s, OriginReadTimeout and
// OriginKeepaliveTimeout 1–60 s at the default quota (API_Origin.html,
// API_CustomOriginConfig.html); a value outside is InvalidArgument. seconds() (distmodel.go)
// checks the number before converting it: 36028797018963973 = 2^55 + 5 seconds, multiplied by
// time.Second in int64, wraps to exactly 5 s. (Such a value once passed config validation as
// 5 s while the API echoed 36028797018963973.)
func TestHostileTimeoutOverflow(t *testing.T) {
	h := newHarness(t, nil, nil)
	tests := []struct{ name, cfg string }{
		{"ConnectionTimeout", ""},
		{"OriginReadTimeout", `<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy>` +
			`<OriginReadTimeout>36028797018963998</OriginReadTimeout></CustomOriginConfig>`},
		{"OriginKeepaliveTimeout", `<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy>` +
			`<OriginKeepaliveTimeout>36028797018963973</OriginKeepaliveTimeout></CustomOriginConfig>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := hostileDistXML("overflow-"+tt.name, tt.cfg)
			if tt.cfg == "" {
				body = strings.Replace(body, "<DomainName>example.com</DomainName>",
					"<DomainName>example.com</DomainName><ConnectionTimeout>36028797018963973</ConnectionTimeout>", 1)
			}
			status, hdr, resp := h.hostileSend("POST", "/2020-05-31/distribution", body, nil)
			if status != http.StatusBadRequest {
				served := ""
				for _, d := range h.srv.Config().Distributions {
					if d.CallerReference == "overflow-"+tt.name {
						o := d.Origins[0]
						served = fmt.Sprintf("served connection_timeout %v, origin_read_timeout %v, origin_keepalive_timeout %v",
							o.ConnectionTimeout.D(), o.OriginReadTimeout.D(), o.OriginKeepaliveTimeout.D())
					}
				}
				t.Fatalf("%s out of range accepted: status %d (%s); want 400 InvalidArgument", tt.name, status, served)
			}
			checkErrorDoc(t, hdr, resp, CodeInvalidArgument)
		})
	}
}

// TestHostileEncodedSlashInID: an id is one path label; the SDKs percent-encode "/" in it. An
// id holding "%2F" names no distribution (NoSuchDistribution, 404) and is never routed as
// another operation: the API routes on the raw path (rawPath, server.go), split on literal "/"
// before each segment is decoded (splitSegments).
func TestHostileEncodedSlashInID(t *testing.T) {
	h := newHarness(t, nil, nil)
	tests := []struct {
		name, method, path, code string
		status                   int
	}{
		{"GetDistribution of id \"X/config\"", "GET", "/2020-05-31/distribution/" + distMain + "%2Fconfig", CodeNoSuchDistribution, 404},
		{"GetDistribution of id \"X/invalidation\"", "GET", "/2020-05-31/distribution/" + distMain + "%2Finvalidation", CodeNoSuchDistribution, 404},
		{"GetFunction of name \"../distribution/X\"", "GET", "/2020-05-31/function/..%2Fdistribution%2F" + distMain, CodeNoSuchFunctionExists, 404},
		{"GetDistribution of id \"../function\"", "GET", "/2020-05-31/distribution/..%2F..%2F2020-05-31%2Ffunction", CodeNoSuchDistribution, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, resp := h.hostileSend(tt.method, tt.path, "", nil)
			if status != tt.status || hostileCode(resp) != tt.code {
				t.Fatalf("%s %s: status %d code %q, want %d %s\n%.400s", tt.method, tt.path, status, hostileCode(resp), tt.status, tt.code, resp)
			}
			checkErrorDoc(t, hdr, resp, tt.code)
		})
	}
}

// TestHostileQuotaCodes: edge enforces CloudFront's per-distribution quotas; going over one is
// the quota's own code (API_CreateDistribution.html Errors: TooManyDistributionCNAMEs,
// TooManyCacheBehaviors, TooManyOrigins, all 400), not a generic InvalidArgument.
func TestHostileQuotaCodes(t *testing.T) {
	h := newHarness(t, nil, nil)
	aliases := func(n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "<Aliases><Quantity>%d</Quantity><Items>", n)
		for i := range n {
			fmt.Fprintf(&b, "<CNAME>a%d.example.com</CNAME>", i)
		}
		b.WriteString("</Items></Aliases>")
		return b.String()
	}
	behaviors := func(n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "<CacheBehaviors><Quantity>%d</Quantity><Items>", n)
		for i := range n {
			fmt.Fprintf(&b, "<CacheBehavior><PathPattern>/p%d/*</PathPattern><TargetOriginId>o1</TargetOriginId>"+
				"<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><CachePolicyId>%s</CachePolicyId></CacheBehavior>", i, idCachingOptimized)
		}
		b.WriteString("</Items></CacheBehaviors>")
		return b.String()
	}
	origins := func(n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "<Origins><Quantity>%d</Quantity><Items>", n)
		for i := range n {
			id := fmt.Sprintf("x%d", i)
			if i == 0 {
				id = "o1"
			}
			fmt.Fprintf(&b, "<Origin><Id>%s</Id><DomainName>o%d.example.com</DomainName><CustomOriginConfig><HTTPPort>80</HTTPPort>"+
				"<HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin>", id, i)
		}
		b.WriteString("</Items></Origins>")
		return b.String()
	}
	base := hostileDistXML("quota", "")
	originsStart := strings.Index(base, "<Origins>")
	originsEnd := strings.Index(base, "</Origins>") + len("</Origins>")
	tests := []struct {
		name, body, code string
	}{
		{"101 CNAMEs", strings.Replace(base, "<Aliases><Quantity>0</Quantity></Aliases>", aliases(101), 1), "TooManyDistributionCNAMEs"},
		{"100,000 CNAMEs", strings.Replace(base, "<Aliases><Quantity>0</Quantity></Aliases>", aliases(100000), 1), "TooManyDistributionCNAMEs"},
		{"76 cache behaviors", strings.Replace(base, "<Comment>", behaviors(config.MaxBehaviors+1)+"<Comment>", 1), "TooManyCacheBehaviors"},
		{"101 origins", base[:originsStart] + origins(config.MaxOrigins+1) + base[originsEnd:], "TooManyOrigins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, resp := h.hostileSend("POST", "/2020-05-31/distribution", tt.body, nil)
			if status != http.StatusBadRequest || hostileCode(resp) != tt.code {
				t.Fatalf("status %d code %q, want 400 %s\n%.300s", status, hostileCode(resp), tt.code, resp)
			}
			checkErrorDoc(t, hdr, resp, tt.code)
		})
	}
}

// TestHostileConcurrentUpdatesSameETag: many UpdateDistribution calls racing with the same
// If-Match: exactly one wins (200), every other is PreconditionFailed (412), and the ETag the
// winner got is the current one.
func TestHostileConcurrentUpdatesSameETag(t *testing.T) {
	h := newHarness(t, nil, nil)
	out := h.create(minimalDistConfig("race", "race"))
	id, etag := aws.ToString(out.Distribution.Id), aws.ToString(out.ETag)
	const n = 12
	var wg sync.WaitGroup
	statuses := make([]int, n)
	etags := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.Replace(hostileDistXML("race", ""), "<Comment>hostile</Comment>", fmt.Sprintf("<Comment>writer %d</Comment>", i), 1)
			// The same config as created, except for the comment and the origin domain.
			body = strings.Replace(body, "<DomainName>example.com</DomainName>", "<DomainName>origin.example.com</DomainName>", 1)
			status, hdr, _ := h.hostileSend("PUT", "/2020-05-31/distribution/"+id+"/config", body, map[string]string{"If-Match": etag})
			statuses[i], etags[i] = status, hdr.Get("ETag")
		}()
	}
	wg.Wait()
	won, lost := 0, 0
	winner := ""
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
			winner = etags[i]
		case http.StatusPreconditionFailed:
			lost++
		default:
			t.Errorf("writer %d: status %d", i, s)
		}
	}
	if won != 1 || lost != n-1 {
		t.Fatalf("%d won, %d got 412; want exactly 1 and %d", won, lost, n-1)
	}
	if _, cur := h.configXML(id); cur != winner {
		t.Errorf("current ETag %q, winner's %q", cur, winner)
	}
}

// TestHostileSDKNameTraversal: TestHostileEncodedSlashInID through the SDK, which
// percent-encodes "/" in a label: DeleteFunction of a function called "../distribution/<id>",
// with that distribution's ETag as If-Match, is NoSuchFunctionExists (404) and leaves the
// distribution <id> in place, so a caller that passes a user-supplied function name to the SDK
// cannot be made to delete a distribution. (It once deleted the distribution.)
func TestHostileSDKNameTraversal(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	c := minimalDistConfig("traversal", "traversal")
	c.Enabled = aws.Bool(false)
	out := h.create(c)
	id, etag := aws.ToString(out.Distribution.Id), aws.ToString(out.ETag)
	_, err := cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("../distribution/" + id), IfMatch: aws.String(etag)})
	code, _, status := apiErr(err)
	_, getErr := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if getErr != nil {
		t.Errorf("DeleteFunction(Name %q) deleted distribution %s (GetDistribution now: %v)", "../distribution/"+id, id, getErr)
	}
	if code != CodeNoSuchFunctionExists || status != 404 {
		t.Errorf("DeleteFunction(Name %q): err %v (code %q, status %d), want NoSuchFunctionExists 404", "../distribution/"+id, err, code, status)
	}
}

// TestHostileChunkedBodyOverLimit: a body over the limit sent chunked (no Content-Length) is
// refused like one that announces its length: 413 BatchTooLarge for CreateInvalidation, and the
// connection closed, without waiting for the rest of the body.
func TestHostileChunkedBodyOverLimit(t *testing.T) {
	h := newHarness(t, nil, nil)
	path := apiPrefix + "/" + distMain + "/invalidation"
	// Under the limit, chunked: read and judged like any body.
	small := batchXML(1, "chunked-small", "/a")
	resp, b := h.hostileChunked(path, small)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("chunked batch under the limit: status %d, want 201\n%.300s", resp.StatusCode, b)
	}
	// Over the limit: a well-formed batch padded with whitespace.
	resp, b = h.hostileChunked(path, batchXML(1, "chunked", "/a")+strings.Repeat(" ", maxBodyBytes))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("signed chunked body over the limit: status %d, want 413\n%.300s", resp.StatusCode, b)
	}
	checkErrorDoc(t, resp.Header, b, CodeBatchTooLarge)
	if strings.Contains(b, "-1 bytes") {
		t.Errorf("the message gives the body's size as -1 bytes: %s", b)
	}
}

// hostileChunked sends a POST to path signed (testKey1) over body, with the body chunked, over a
// raw connection, and returns the answer (read while the body is still being written).
func (h *harness) hostileChunked(path, body string) (*http.Response, string) {
	t := h.t
	host := strings.TrimPrefix(h.url, "http://")
	req, err := http.NewRequest("POST", h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey1, SecretAccessKey: testSecret1},
		req, hex.EncodeToString(sum[:]), SigningService, SigningRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// A bound on the wait, not a synchronization.
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n", path, host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	go func() {
		// Write errors are expected once the server has answered and closed.
		if _, err := io.WriteString(conn, head.String()); err != nil {
			return
		}
		const chunk = 64 << 10
		for i := 0; i < len(body); i += chunk {
			part := body[i:min(i+chunk, len(body))]
			if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(part), part); err != nil {
				return
			}
		}
		_, _ = io.WriteString(conn, "0\r\n\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a chunked body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestHostileXMLShapes: bodies no client should send are refused with a precise code, and
// nothing is created.
func TestHostileXMLShapes(t *testing.T) {
	h := newHarness(t, nil, nil)
	good := hostileDistXML("shapes", "")
	inner := strings.TrimPrefix(good, `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">`)
	tests := []struct {
		name, body, code string
	}{
		{"DOCTYPE with an entity", `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "` + strings.Repeat("A", 64) + `">]>` +
			strings.Replace(good, "<Comment>hostile</Comment>", "<Comment>&x;&x;&x;</Comment>", 1), CodeMalformedInput},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
			strings.Replace(good, "<Comment>hostile</Comment>", "<Comment>&x;</Comment>", 1), CodeMalformedInput},
		{"Latin-1 declared", `<?xml version="1.0" encoding="ISO-8859-1"?>` + good, CodeMalformedInput},
		{"invalid UTF-8", strings.Replace(good, "<Comment>hostile</Comment>", "<Comment>\xff\xfe</Comment>", 1), CodeMalformedInput},
		{"two roots", good + good, CodeMalformedInput},
		{"text after root", good + "junk", CodeMalformedInput},
		{"negative Quantity", strings.Replace(good, "<Aliases><Quantity>0</Quantity></Aliases>", "<Aliases><Quantity>-1</Quantity></Aliases>", 1), CodeInconsistentQuantities},
		{"overflowing Quantity", strings.Replace(good, "<Aliases><Quantity>0</Quantity></Aliases>",
			"<Aliases><Quantity>99999999999999999999</Quantity></Aliases>", 1), CodeMalformedInput},
		{"overflowing port", strings.Replace(good, "<HTTPPort>80</HTTPPort>", "<HTTPPort>99999999999999999999</HTTPPort>", 1), CodeMalformedInput},
		{"negative port", strings.Replace(good, "<HTTPPort>80</HTTPPort>", "<HTTPPort>-80</HTTPPort>", 1), CodeInvalidArgument},
		{"negative MinTTL", strings.Replace(good, "<MinTTL>0</MinTTL>", "<MinTTL>-1</MinTTL>", 1), CodeInvalidTTLOrder},
		{"MaxTTL beyond a Duration", strings.Replace(good, "<MinTTL>0</MinTTL>", "<MinTTL>0</MinTTL><MaxTTL>9223372036854775807</MaxTTL>", 1), CodeInvalidArgument},
		{"Quantity 100000, Items 1", strings.Replace(good, "<Aliases><Quantity>0</Quantity></Aliases>",
			"<Aliases><Quantity>100000</Quantity><Items><CNAME>a.example.com</CNAME></Items></Aliases>", 1), CodeInconsistentQuantities},
		{"wrong root", `<DistributionConfigWithTags xmlns="` + Namespace + `">` + inner[:len(inner)-len("</DistributionConfig>")] + `</DistributionConfigWithTags>`, CodeMalformedInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, resp := h.hostileSend("POST", "/2020-05-31/distribution", tt.body, nil)
			if status != http.StatusBadRequest || hostileCode(resp) != tt.code {
				t.Fatalf("status %d code %q, want 400 %s\n%.400s", status, hostileCode(resp), tt.code, resp)
			}
			checkErrorDoc(t, hdr, resp, tt.code)
		})
	}
	l, err := h.cf().ListDistributions(context.Background(), &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 2 {
		t.Errorf("after the refusals: %v, %d distributions, want the file's 2", err, aws.ToInt32(l.DistributionList.Quantity))
	}
}

// TestHostileDuplicateElements: a member sent twice. CloudFront's members are single; a second
// <Origins> block is not a continuation of the first. The body is refused (400 MalformedInput
// or InvalidArgument; scanDoc allows no two children of one name outside <Items>), so what is
// stored is never other than what the caller counted. (Both blocks were once read into one
// list: Quantity 1 twice, two origins stored.)
func TestHostileDuplicateElements(t *testing.T) {
	h := newHarness(t, nil, nil)
	good := hostileDistXML("dup", "")
	o1 := good[strings.Index(good, "<Origins>") : strings.Index(good, "</Origins>")+len("</Origins>")]
	o2 := strings.NewReplacer("<Id>o1</Id>", "<Id>o2</Id>", "example.com", "other.example.com").Replace(o1)
	body := strings.Replace(good, o1, o1+o2, 1)
	status, _, resp := h.hostileSend("POST", "/2020-05-31/distribution", body, nil)
	if status == http.StatusCreated {
		t.Fatalf("a config with two <Origins> members (each Quantity 1) was accepted; stored:\n%.600s",
			resp[strings.Index(resp, "<Origins>"):])
	}
	if status != http.StatusBadRequest || (hostileCode(resp) != CodeMalformedInput && hostileCode(resp) != CodeInvalidArgument) {
		t.Errorf("status %d code %q, want 400 MalformedInput or InvalidArgument", status, hostileCode(resp))
	}
}

// TestHostileInvalidationItems: a batch of 100,000 paths (1.5 MB) is BatchTooLarge (413) and
// nothing is invalidated; a Quantity that overflows is InvalidArgument; unicode paths are taken
// as they are.
func TestHostileInvalidationItems(t *testing.T) {
	h := newHarness(t, nil, nil)
	path := apiPrefix + "/" + distMain + "/invalidation"
	h.put(distMain, "k", "/p/1")
	paths := manyPaths(100000, "/p/%d")
	start := time.Now()
	status, hdr, resp := h.hostileSend("POST", path, batchXML(len(paths), "huge", paths...), nil)
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("100,000 paths: status %d, want 413\n%.300s", status, resp)
	}
	checkErrorDoc(t, hdr, resp, CodeBatchTooLarge)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing 100,000 paths took %v", d)
	}
	if !h.cached("k") {
		t.Error("a refused batch invalidated /p/1")
	}
	status, hdr, resp = h.hostileSend("POST", path, strings.Replace(batchXML(1, "q", "/a"), "<Quantity>1<", "<Quantity>18446744073709551617<", 1), nil)
	if status != http.StatusBadRequest {
		t.Fatalf("overflowing Quantity: %d %s", status, resp)
	}
	checkErrorDoc(t, hdr, resp, CodeInvalidArgument)
	status, _, resp = h.hostileSend("POST", path, batchXML(2, "uni", "/ünïcødé/файл.txt", "/日本*"), nil)
	if status != http.StatusCreated || !strings.Contains(resp, "<Path>/ünïcødé/файл.txt</Path>") {
		t.Errorf("unicode paths: %d %s", status, resp)
	}
}

// TestHostileDeleteWhileDeploying: a distribution disabled a moment ago is still InProgress;
// DeleteDistribution is DistributionNotDisabled (409) until it is Deployed, then 204, and then
// every operation on it is NoSuchDistribution (404), invalidations included.
func TestHostileDeleteWhileDeploying(t *testing.T) {
	h := newHarnessWith(t, func(c *config.Config) { c.API.DeployDelay = config.Duration(time.Minute) }, nil, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	c := minimalDistConfig("deploying", "deploying")
	out := h.create(c)
	id := aws.ToString(out.Distribution.Id)
	c.Enabled = aws.Bool(false)
	up, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: out.ETag, DistributionConfig: c})
	if err != nil {
		t.Fatal(err)
	}
	etag := aws.ToString(up.ETag)
	del := func() error {
		_, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: aws.String(etag)})
		return err
	}
	if code, _, status := apiErr(del()); code != CodeDistributionNotDisabled || status != 409 {
		t.Fatalf("delete while disabled but InProgress: %q %d, want DistributionNotDisabled 409", code, status)
	}
	// A stale ETag is still a 412 (not a delete) once deployed.
	h.clock.Advance(time.Minute)
	_, err = cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: out.ETag})
	if code, _, status := apiErr(err); code != CodePreconditionFailed || status != 412 {
		t.Fatalf("delete with the ETag before the update: %q %d, want PreconditionFailed 412", code, status)
	}
	if err := del(); err != nil {
		t.Fatalf("delete once Deployed: %v", err)
	}
	_, err = cf.CreateInvalidation(ctx, createInput(id, "after", "/a"))
	if code, _, status := apiErr(err); code != CodeNoSuchDistribution || status != 404 {
		t.Errorf("invalidation after delete: %q %d", code, status)
	}
	if code, _, status := apiErr(del()); code != CodeNoSuchDistribution || status != 404 {
		t.Errorf("second delete: %q %d", code, status)
	}
}

// TestHostileAuth: requests that are not authentic are refused with 403 and the precise code,
// and change nothing.
func TestHostileAuth(t *testing.T) {
	h := newHarness(t, nil, nil)
	const path = apiPrefix + "/" + distMain + "/invalidation"
	body := batchXML(1, "auth", "/auth")
	sign := func(req *http.Request, payload string, at time.Time, secret string) {
		sum := sha256.Sum256([]byte(payload))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey1, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), SigningService, SigningRegion, at); err != nil {
			t.Fatal(err)
		}
	}
	send := func(req *http.Request) (int, http.Header, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	tests := []struct {
		name string
		req  func() *http.Request
		code string
	}{
		{"no auth", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			return r
		}, CodeMissingAuthenticationToken},
		{"wrong secret", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			sign(r, body, time.Now(), testSecret2)
			return r
		}, CodeSignatureDoesNotMatch},
		{"signed over another body", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			sign(r, batchXML(1, "auth", "/other"), time.Now(), testSecret1)
			return r
		}, CodeSignatureDoesNotMatch},
		{"replayed 20 minutes later", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			sign(r, body, time.Now().Add(-20*time.Minute), testSecret1)
			return r
		}, CodeSignatureDoesNotMatch},
		{"X-Amz-Date moved, signature kept", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			sign(r, body, time.Now().Add(-20*time.Minute), testSecret1)
			old := r.Header.Get("X-Amz-Date")
			now := time.Now().UTC().Format(amzDateFmt)
			r.Header.Set("X-Amz-Date", now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old[:8], now[:8], 1))
			return r
		}, CodeSignatureDoesNotMatch},
		{"signed for another Host", func() *http.Request {
			r, _ := http.NewRequest("POST", "http://cloudfront.amazonaws.com"+path, strings.NewReader(body))
			sign(r, body, time.Now(), testSecret1)
			s, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			s.Header = r.Header.Clone()
			return s
		}, CodeSignatureDoesNotMatch},
		{"Host header swapped after signing", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			sign(r, body, time.Now(), testSecret1)
			r.Host = "evil.example.com"
			return r
		}, CodeSignatureDoesNotMatch},
		{"signature of a GET used for a POST", func() *http.Request {
			g, _ := http.NewRequest("GET", h.url+path, strings.NewReader(body))
			sign(g, body, time.Now(), testSecret1)
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			r.Header = g.Header.Clone()
			return r
		}, CodeSignatureDoesNotMatch},
		{"Authorization in lower case algorithm", func() *http.Request {
			r, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			sign(r, body, time.Now(), testSecret1)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), sigAlgorithm, "aws4-hmac-sha256", 1))
			return r
		}, CodeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, resp := send(tt.req())
			if status != http.StatusForbidden {
				t.Fatalf("status %d, want 403\n%.300s", status, resp)
			}
			checkErrorDoc(t, hdr, resp, tt.code)
		})
	}
	l, err := h.cf().ListInvalidations(context.Background(), &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain)})
	if err != nil || aws.ToInt32(l.InvalidationList.Quantity) != 0 {
		t.Errorf("after refused requests: %v, %d invalidations", err, aws.ToInt32(l.InvalidationList.Quantity))
	}
}

// TestHostileListParameters: junk Marker and MaxItems on every List operation are
// InvalidArgument (400); a huge MaxItems is capped, not an error or an allocation of its size.
func TestHostileListParameters(t *testing.T) {
	h := newHarness(t, nil, nil)
	lists := []string{
		"/2020-05-31/distribution",
		"/2020-05-31/distribution/" + distMain + "/invalidation",
		"/2020-05-31/cache-policy",
		"/2020-05-31/origin-request-policy",
		"/2020-05-31/response-headers-policy",
		"/2020-05-31/public-key",
		"/2020-05-31/key-group",
		"/2020-05-31/origin-access-control",
		"/2020-05-31/function",
	}
	for _, list := range lists {
		for _, q := range []string{"MaxItems=-1", "MaxItems=0", "MaxItems=abc", "MaxItems=1e3", "MaxItems=%00", "MaxItems=+5"} {
			t.Run(list+"?"+q, func(t *testing.T) {
				status, hdr, resp := h.hostileSend("GET", list+"?"+q, "", nil)
				if status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400\n%.300s", status, resp)
				}
				checkErrorDoc(t, hdr, resp, CodeInvalidArgument)
			})
		}
		t.Run(list+"?MaxItems=huge", func(t *testing.T) {
			status, _, resp := h.hostileSend("GET", list+"?MaxItems=99999999999999999999999999", "", nil)
			if status != http.StatusOK || !strings.Contains(resp, "<MaxItems>1000</MaxItems>") {
				t.Errorf("status %d, want 200 with MaxItems 1000\n%.300s", status, resp)
			}
		})
		if list == "/2020-05-31/function" {
			continue // ListFunctions starts after where a deleted marker would be (by design)
		}
		t.Run(list+"?Marker=junk", func(t *testing.T) {
			status, hdr, resp := h.hostileSend("GET", list+"?Marker=..%2F..%2Fetc%2Fpasswd", "", nil)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%.300s", status, resp)
			}
			checkErrorDoc(t, hdr, resp, CodeInvalidArgument)
		})
	}
}

// TestHostileOddIDs: ids with odd characters or of great length name nothing: 404 with the
// kind's code, a well-formed error document, and a message that does not echo the id whole.
func TestHostileOddIDs(t *testing.T) {
	h := newHarness(t, nil, nil)
	long := strings.Repeat("E", 3000)
	tests := []struct{ path, code string }{
		{"/2020-05-31/distribution/" + long, CodeNoSuchDistribution},
		{"/2020-05-31/distribution/%00%01%02", CodeNoSuchDistribution},
		{"/2020-05-31/distribution/%3Cx%3E%26%22", CodeNoSuchDistribution},
		{"/2020-05-31/distribution/%C3%BC%E2%82%AC", CodeNoSuchDistribution},
		{"/2020-05-31/distribution/%FF%FE", CodeNoSuchDistribution},
		{"/2020-05-31/distribution/" + distMain + "/invalidation/" + long, CodeNoSuchInvalidation},
		{"/2020-05-31/cache-policy/" + long, "NoSuchCachePolicy"},
		{"/2020-05-31/public-key/%00", CodeNoSuchPublicKey},
		{"/2020-05-31/key-group/%3Cx%3E", CodeNoSuchResource},
		{"/2020-05-31/function/" + long, CodeNoSuchFunctionExists},
	}
	for _, tt := range tests {
		t.Run(clip(tt.path, 60), func(t *testing.T) {
			status, hdr, resp := h.hostileSend("GET", tt.path, "", nil)
			if status != http.StatusNotFound {
				t.Fatalf("status %d, want 404\n%.300s", status, resp)
			}
			checkErrorDoc(t, hdr, resp, tt.code)
			if len(resp) > 2000 {
				t.Errorf("a %d-byte error document for a %d-byte path", len(resp), len(tt.path))
			}
		})
	}
}

// TestHostileTagging: junk ARNs and tag sets over the limits are refused with CloudFront's
// codes, and a refused change leaves the tags as they were.
func TestHostileTagging(t *testing.T) {
	h := newHarness(t, nil, nil)
	out := h.create(minimalDistConfig("tags", "tags"))
	arn := aws.ToString(out.Distribution.ARN)
	tagsXML := func(n int) string {
		var b strings.Builder
		b.WriteString(`<Tags xmlns="` + Namespace + `"><Items>`)
		for i := range n {
			fmt.Fprintf(&b, "<Tag><Key>k%d</Key><Value>v</Value></Tag>", i)
		}
		b.WriteString("</Items></Tags>")
		return b.String()
	}
	if status, _, resp := h.hostileSend("POST", "/2020-05-31/tagging?Operation=Tag&Resource="+url.QueryEscape(arn), tagsXML(3), nil); status != http.StatusNoContent {
		t.Fatalf("3 tags: %d %s", status, resp)
	}
	tests := []struct {
		name, method, query, body, code string
		status                          int
	}{
		{"no Resource", "GET", "", "", CodeInvalidArgument, 400},
		{"not an ARN", "GET", "Resource=" + url.QueryEscape("../../etc/passwd"), "", CodeInvalidArgument, 400},
		{"S3 ARN", "GET", "Resource=" + url.QueryEscape("arn:aws:s3:::bucket"), "", CodeInvalidArgument, 400},
		{"ARN with traversal", "GET", "Resource=" + url.QueryEscape(arn+"/../"+distMain), "", CodeNoSuchResource, 404},
		{"ARN of another account", "GET", "Resource=" + url.QueryEscape(strings.Replace(arn, accountID, "123456789012", 1)), "", CodeNoSuchResource, 404},
		{"ARN of 2 KB", "GET", "Resource=" + url.QueryEscape(arn+strings.Repeat("x", 2000)), "", CodeNoSuchResource, 404},
		{"51 tags", "POST", "Operation=Tag&Resource=" + url.QueryEscape(arn), tagsXML(51), CodeInvalidTagging, 400},
		{"key with a tab", "POST", "Operation=Tag&Resource=" + url.QueryEscape(arn),
			`<Tags xmlns="` + Namespace + `"><Items><Tag><Key>a&#x9;b</Key><Value>v</Value></Tag></Items></Tags>`, CodeInvalidTagging, 400},
		{"empty key", "POST", "Operation=Tag&Resource=" + url.QueryEscape(arn),
			`<Tags xmlns="` + Namespace + `"><Items><Tag><Key></Key><Value>v</Value></Tag></Items></Tags>`, CodeInvalidTagging, 400},
		{"value of 257", "POST", "Operation=Tag&Resource=" + url.QueryEscape(arn),
			`<Tags xmlns="` + Namespace + `"><Items><Tag><Key>k0</Key><Value>` + strings.Repeat("v", 257) + `</Value></Tag></Items></Tags>`, CodeInvalidTagging, 400},
		{"Tag with a TagKeys body", "POST", "Operation=Tag&Resource=" + url.QueryEscape(arn),
			`<TagKeys xmlns="` + Namespace + `"><Items><Key>k0</Key></Items></TagKeys>`, CodeMalformedInput, 400},
		{"unknown Operation", "POST", "Operation=Delete&Resource=" + url.QueryEscape(arn), tagsXML(1), CodeInvalidAction, 400},
		{"Tag on a file distribution", "POST", "Operation=Tag&Resource=" + url.QueryEscape(distARN(distMain)), tagsXML(1), CodeIllegalUpdate, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, resp := h.hostileSend(tt.method, "/2020-05-31/tagging?"+tt.query, tt.body, nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d\n%.300s", status, tt.status, resp)
			}
			checkErrorDoc(t, hdr, resp, tt.code)
		})
	}
	l, err := h.cf().ListTagsForResource(context.Background(), &cloudfront.ListTagsForResourceInput{Resource: aws.String(arn)})
	if err != nil || len(l.Tags.Items) != 3 {
		t.Errorf("tags after the refusals: %v %d, want the 3 set first", err, len(l.Tags.Items))
	}
}

// TestHostileCorruptState: a state file damaged in ways a crash, a disk or a hand cannot
// produce together is refused at start with an error (ErrConfig), never a panic.
func TestHostileCorruptState(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, nil, nil)
	out := h.create(minimalDistConfig("state", "state"))
	id := aws.ToString(out.Distribution.Id)
	good := readFile(t, filepath.Join(dir, stateFileName))
	if !strings.Contains(good, id) {
		t.Fatalf("state lacks %s:\n%s", id, good)
	}
	deep := "<DistributionConfig>" + strings.Repeat("<a>", 20000) + strings.Repeat("</a>", 20000) + "</DistributionConfig>"
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	cfgStart := strings.Index(good, `"config": "`)
	cfgEnd := strings.Index(good[cfgStart+11:], `"`+"\n") + cfgStart + 11
	withConfig := func(c string) string { return good[:cfgStart] + `"config": ` + jsonString(c) + good[cfgEnd+1:] }
	tests := []struct{ name, state string }{
		{"null", "null"},
		{"array", "[]"},
		{"binary", "\x00\x01\x02\xff"},
		{"distributions not a list", `{"version": 2, "distributions": {"a": 1}, "functions": []}`},
		{"huge version", `{"version": 1e400, "distributions": [], "functions": []}`},
		{"config empty", withConfig("")},
		{"config deeply nested", withConfig(deep)},
		{"config with a DOCTYPE", withConfig(`<!DOCTYPE x [<!ENTITY e "x">]><DistributionConfig>&e;</DistributionConfig>`)},
		{"config without origins", withConfig(strings.Replace(hostileDistXML("state", ""), "<TargetOriginId>o1</TargetOriginId>", "<TargetOriginId>zz</TargetOriginId>", 1))},
		{"bad deployed time", strings.Replace(good, `"deployed": "`, `"deployed": "not a time`, 1)},
		{"function name traversal", strings.Replace(good, `"functions": []`, `"functions": [{"name": "../x", "created": "2020-01-01T00:00:00Z", "published": false, "development": {}}]`, 1)},
		{"key group of a missing key", strings.Replace(good, `"functions": []`, `"functions": [], "key_groups": [{"id": "11111111-2222-4333-8444-555555555555", "etag": "EAAAAAAAAAAAAA", "time": "2020-01-01T00:00:00Z", "config": "<KeyGroupConfig><Name>g</Name><Items><PublicKey>KNOPE0000000</PublicKey></Items></KeyGroupConfig>"}]`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, stateFileName), []byte(tt.state), 0o600); err != nil {
				t.Fatal(err)
			}
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("New panicked on a corrupt state: %v", p)
					}
				}()
				err = newServerErr(t, func(c *config.Config) { c.API.StateDir = d })
			}()
			if !errors.Is(err, ErrConfig) {
				t.Errorf("New on a corrupt state (%s): %v, want an error wrapping ErrConfig", tt.name, err)
			}
		})
	}
}

// TestHostileTestFunctionEvents: TestFunction with hostile event objects is InvalidArgument
// (400) for what is not an event, and 200 with FunctionErrorMessage for what the function
// fails on; the service itself never fails (no 500) and never panics.
func TestHostileTestFunctionEvents(t *testing.T) {
	h := newHarness(t, nil, nil)
	cf := h.cf()
	ctx := context.Background()
	fn := createFn(t, cf, "hostile", `function handler(event) {
  var h = event.request.headers;
  var n = 0;
  for (var k in h) { n += h[k].value.length; }
  event.request.headers['x-n'] = {value: String(n)};
  return event.request;
}`)
	etag := aws.ToString(fn.ETag)
	manyHeaders := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"request":{"uri":"/","headers":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"h%d":{"value":"x"}`, i)
		}
		b.WriteString(`}}}`)
		return b.String()
	}
	tests := []struct {
		name, event string
		invalid     bool // InvalidArgument, else a 200
	}{
		{"not JSON", "<xml/>", true},
		{"empty", "", true},
		{"JSON null", "null", true},
		{"deeply nested", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), true},
		{"uri without slash", `{"request":{"uri":"http://evil/"}}`, true},
		{"headers an array", `{"request":{"uri":"/","headers":[1,2]}}`, true},
		{"header value a number", `{"request":{"uri":"/","headers":{"a":{"value":1}}}}`, true},
		{"event type origin-request", `{"context":{"eventType":"origin-request"},"request":{"uri":"/"}}`, true},
		{"over 40960 bytes", manyHeaders(3000), true},
		{"header value missing", `{"request":{"uri":"/","headers":{"a":{}}}}`, true},
		{"1500 headers", manyHeaders(1500), false},
		{"NUL and U+FFFF in a header", `{"request":{"uri":"/","headers":{"a":{"value":"\u0000\uffff"}}}}`, false},
		{"__proto__ header", `{"request":{"uri":"/","headers":{"__proto__":{"value":"x"},"constructor":{"value":"y"}}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cf.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String("hostile"), IfMatch: aws.String(etag),
				EventObject: []byte(tt.event)})
			code, _, status := apiErr(err)
			switch {
			case tt.invalid && (code != CodeInvalidArgument || status != 400):
				t.Errorf("err %v (code %q status %d), want InvalidArgument 400", err, code, status)
			case !tt.invalid && err != nil:
				t.Errorf("err %v, want a TestResult", err)
			case !tt.invalid && out.TestResult == nil:
				t.Error("no TestResult")
			}
		})
	}
}

// TestHostileStateOddFunction: a state file whose function has no runtime and no code, marked
// published without a LIVE stage, loads (decodeState does not look inside functions); every
// function operation on it then answers with an API error or a result, never a panic or a
// 5xx other than TestFunctionFailed.
func TestHostileStateOddFunction(t *testing.T) {
	dir := t.TempDir()
	state := `{"version": 2, "distributions": [], "functions": [{"name": "odd", "created": "2020-01-01T00:00:00Z", "published": true, "development": {}}]}`
	if err := os.WriteFile(filepath.Join(dir, stateFileName), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, nil, nil)
	_, hdr, _ := h.hostileSend("GET", fnPrefix+"/odd/describe", "", nil)
	etag := hdr.Get("ETag")
	test := fmt.Sprintf(`<TestFunctionRequest xmlns="%s"><EventObject>%s</EventObject></TestFunctionRequest>`, Namespace,
		base64.StdEncoding.EncodeToString([]byte(`{"request":{"uri":"/"}}`)))
	for _, op := range []struct{ method, path, body string }{
		{"GET", fnPrefix + "/odd/describe", ""},
		{"GET", fnPrefix + "/odd/describe?Stage=LIVE", ""},
		{"GET", fnPrefix + "/odd", ""},
		{"GET", fnPrefix, ""},
		{"GET", fnPrefix + "?Stage=LIVE", ""},
		{"POST", fnPrefix + "/odd/test", test},
		{"POST", fnPrefix + "/odd/publish", ""},
		{"DELETE", fnPrefix + "/odd", ""},
	} {
		status, _, resp := h.hostileSend(op.method, op.path, op.body, map[string]string{"If-Match": etag})
		if status >= 500 && hostileCode(resp) != CodeTestFunctionFailed {
			t.Errorf("%s %s: %d %.300s", op.method, op.path, status, resp)
		}
	}
}

// TestHostileConcurrentCreates: CreateDistribution racing with one CallerReference and one
// config makes one distribution, and every caller is answered with it (201); concurrent
// invalidations racing for the 15 in-progress wildcards get exactly 15.
func TestHostileConcurrentCreates(t *testing.T) {
	h := newHarness(t, withDelay(time.Hour), nil)
	const n = 10
	var wg sync.WaitGroup
	ids := make([]string, n)
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, resp := h.hostileSend("POST", "/2020-05-31/distribution", hostileDistXML("same-ref", ""), nil)
			statuses[i] = status
			if j := strings.Index(resp, "<Id>"); j >= 0 && len(resp) >= j+4+14 {
				ids[i] = resp[j+4 : j+4+14]
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if statuses[i] != http.StatusCreated || ids[i] != ids[0] {
			t.Errorf("creator %d: status %d id %q, want 201 and %q", i, statuses[i], ids[i], ids[0])
		}
	}
	l, err := h.cf().ListDistributions(context.Background(), &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 3 {
		t.Errorf("%v: %d distributions, want the file's 2 and one more", err, aws.ToInt32(l.DistributionList.Quantity))
	}
	// 20 single-wildcard batches at once: 15 accepted, 5 TooManyInvalidationsInProgress.
	const m = 20
	codes := make([]string, m)
	for i := range m {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, resp := h.hostileSend("POST", apiPrefix+"/"+distMain+"/invalidation", batchXML(1, fmt.Sprintf("w%d", i), fmt.Sprintf("/w%d/*", i)), nil)
			codes[i] = fmt.Sprint(status)
			if status != http.StatusCreated {
				codes[i] = hostileCode(resp)
			}
		}()
	}
	wg.Wait()
	accepted, refused := 0, 0
	for _, c := range codes {
		switch c {
		case "201":
			accepted++
		case CodeTooManyInvalidationsInProgress:
			refused++
		default:
			t.Errorf("unexpected answer %q", c)
		}
	}
	if accepted != MaxInProgressWildcards || refused != m-MaxInProgressWildcards {
		t.Errorf("%d accepted, %d refused; want %d and %d", accepted, refused, MaxInProgressWildcards, m-MaxInProgressWildcards)
	}
}

// TestHostileCommentInCharacters: Comment may be 128 characters (API_DistributionConfig.html:
// "The comment cannot be longer than 128 characters"), counted in characters
// (utf8.RuneCountInString) as invalidation paths and tags are: 100 characters of "é" (200
// bytes) are accepted, 129 refused (InvalidArgument). (Bytes were once counted instead.)
func TestHostileCommentInCharacters(t *testing.T) {
	h := newHarness(t, nil, nil)
	comment := strings.Repeat("é", 100)
	body := strings.Replace(hostileDistXML("comment", ""), "<Comment>hostile</Comment>", "<Comment>"+comment+"</Comment>", 1)
	status, _, resp := h.hostileSend("POST", "/2020-05-31/distribution", body, nil)
	if status != http.StatusCreated {
		t.Errorf("a Comment of 100 characters (200 bytes): status %d, want 201\n%.400s", status, resp)
	}
	over := strings.Replace(hostileDistXML("comment-over", ""), "<Comment>hostile</Comment>", "<Comment>"+strings.Repeat("a", 129)+"</Comment>", 1)
	status, hdr, resp := h.hostileSend("POST", "/2020-05-31/distribution", over, nil)
	if status != http.StatusBadRequest {
		t.Fatalf("129 characters: %d %s", status, resp)
	}
	checkErrorDoc(t, hdr, resp, CodeInvalidArgument)
}

// TestHostileStateUnwritable: when the state cannot be written, a change is refused
// (ServiceUnavailable, 503) and nothing of it stays: not in the API, not on the edge (the
// Applier is given the previous configuration back), not in the tags.
func TestHostileStateUnwritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	app := &recordingApplier{}
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, app, nil)
	out := h.create(minimalDistConfig("kept", "kept"))
	arn := aws.ToString(out.Distribution.ARN)
	before, _ := app.last()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	status, hdr, resp := h.hostileSend("POST", "/2020-05-31/distribution", hostileDistXML("lost", ""), nil)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("create with the state gone: %d %s", status, resp)
	}
	var doc struct{ Error struct{ Type, Code string } }
	if err := xml.Unmarshal([]byte(resp), &doc); err != nil || doc.Error.Code != CodeServiceUnavailable || doc.Error.Type != "Receiver" {
		t.Errorf("error %+v (%v), want ServiceUnavailable, Receiver", doc.Error, err)
	}
	if hdr.Get("X-Amzn-Requestid") == "" {
		t.Error("no request id")
	}
	l, err := h.cf().ListDistributions(context.Background(), &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 3 {
		t.Errorf("after the refused create: %v, %d distributions, want 3", err, aws.ToInt32(l.DistributionList.Quantity))
	}
	if last, _ := app.last(); last == nil || len(last.Distributions) != len(before.Distributions) {
		t.Errorf("the edge was left with %d distributions, want %d", len(last.Distributions), len(before.Distributions))
	}
	status, _, resp = h.hostileSend("POST", "/2020-05-31/tagging?Operation=Tag&Resource="+url.QueryEscape(arn),
		`<Tags xmlns="`+Namespace+`"><Items><Tag><Key>k</Key><Value>v</Value></Tag></Items></Tags>`, nil)
	if status != http.StatusServiceUnavailable {
		t.Errorf("tag with the state gone: %d %s", status, resp)
	}
	tl, err := h.cf().ListTagsForResource(context.Background(), &cloudfront.ListTagsForResourceInput{Resource: aws.String(arn)})
	if err != nil || len(tl.Tags.Items) != 0 {
		t.Errorf("tags after the refused change: %v %d", err, len(tl.Tags.Items))
	}
}

// TestHostileCallerReferenceFleetMismatch: a CallerReference of over 4,096 bytes or holding a
// control character. CreateInvalidation (parseBatch) and a peer applying a batch from the fleet
// (badBatch) check it by one rule, checkCallerRef (batch.go), so that every edge applies what
// one accepted: either the API refuses such a reference (400) or a peer applies the batch it
// was published. (The API once accepted references the fleet side dropped: every other edge
// kept the stale object while the invalidation read Completed fleet-wide.)
func TestHostileCallerReferenceFleetMismatch(t *testing.T) {
	for _, tt := range []struct{ name, refXML, ref string }{
		{"5,000-byte reference", strings.Repeat("r", 5000), strings.Repeat("r", 5000)},
		{"tab in the reference", "deploy&#x9;42", "deploy\t42"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newHarness(t, nil, nil)
			b := newHarness(t, nil, nil) // a peer edge with its own cache
			b.put(distMain, "k-stale", "/stale.html")
			status, _, resp := a.hostileSend("POST", apiPrefix+"/"+distMain+"/invalidation", batchXML(1, tt.refXML, "/stale.html"), nil)
			if status == http.StatusBadRequest && hostileCode(resp) == CodeInvalidArgument {
				return // refused where it was sent: consistent
			}
			if status != http.StatusCreated {
				t.Fatalf("status %d\n%.300s", status, resp)
			}
			id := resp[strings.Index(resp, "<Id>")+4 : strings.Index(resp, "</Id>")]
			// What publish (fleet.go) hands the fleet, delivered to the peer.
			if err := b.srv.ApplyInvalidation(&fleet.Invalidation{Distribution: distMain, ID: id, CallerReference: tt.ref,
				Paths: []string{"/stale.html"}, Created: a.clock.Now(), Node: "edge-a"}); err != nil {
				t.Fatalf("ApplyInvalidation: %v", err)
			}
			if b.cached("k-stale") {
				t.Errorf("accepted by the API (201, %s) but dropped by the peer: /stale.html is still cached there", id)
			}
		})
	}
}
