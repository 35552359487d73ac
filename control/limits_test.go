package control

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestRefusedBeforeBody sends request headers alone, announcing a body the client never sends,
// over a raw connection: the API must answer from the headers (413 for a body over
// maxBodyBytes, 403 when the Authorization header cannot be authentic) and close the
// connection, without waiting for the body.
func TestRefusedBeforeBody(t *testing.T) {
	h := newHarness(t, nil, nil)
	const invPath = apiPrefix + "/" + distMain + "/invalidation"
	signed := func(key, secret string) http.Header {
		req, err := http.NewRequest(http.MethodPost, h.url+invPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
			req, "UNSIGNED-PAYLOAD", SigningService, SigningRegion, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return req.Header
	}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		length int64
		status int
		code   string
	}{
		{"64 MiB batch, signed", "POST", invPath, signed(testKey1, testSecret1), 64 << 20, 413, CodeBatchTooLarge},
		{"over the cap by one byte", "POST", invPath, signed(testKey1, testSecret1), maxBodyBytes + 1, 413, CodeBatchTooLarge},
		{"64 MiB, other operation", "GET", apiPrefix, signed(testKey1, testSecret1), 64 << 20, 413, CodeRequestEntityTooLarge},
		{"no Authorization", "POST", invPath, http.Header{}, 1 << 20, 403, CodeMissingAuthenticationToken},
		{"no Authorization, 64 MiB", "POST", invPath, http.Header{}, 64 << 20, 403, CodeMissingAuthenticationToken},
		{"malformed Authorization", "POST", invPath, http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential"}}, 1 << 20, 403, CodeIncompleteSignature},
		{"unknown access key", "POST", invPath, signed("AKIDUNKNOWN000000000", "secret"), 1 << 20, 403, CodeInvalidClientTokenID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// A bound on the wait, not a synchronization: the answer comes as soon as the
			// server has read the headers, or the test fails here instead of hanging.
			if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n",
				tt.method, tt.path, strings.TrimPrefix(h.url, "http://"), tt.length)
			for k, vs := range tt.header {
				for _, v := range vs {
					fmt.Fprintf(&b, "%s: %s\r\n", k, v)
				}
			}
			b.WriteString("\r\n")
			if _, err := io.WriteString(conn, b.String()); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer to the headers alone: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			checkErrorDoc(t, resp.Header, string(body), tt.code)
			if !resp.Close {
				t.Error("connection kept open after a refused request whose body was not read")
			}
			if n, err := br.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("after the answer: read %d bytes, %v; want the connection closed (EOF)", n, err)
			}
		})
	}
}

// TestBodyUnderCapAccepted: a signed CreateInvalidation whose body is just under the cap is read
// and judged on its content (here a batch with one path over MaxPathLen, so InvalidArgument).
func TestBodyUnderCapAccepted(t *testing.T) {
	h := newHarness(t, nil, nil)
	long := "/" + strings.Repeat("a", maxBodyBytes-2000)
	body := batchXML(1, "cap", long)
	if len(body) > maxBodyBytes {
		t.Fatalf("test body %d bytes, over the cap", len(body))
	}
	status, hdr, resp := h.raw("POST", apiPrefix+"/"+distMain+"/invalidation", body, testKey1, testSecret1, SigningRegion, h.clock.Now())
	if status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %.300s", status, resp)
	}
	checkErrorDoc(t, hdr, resp, CodeInvalidArgument)
}

// TestUnreadableRequests: requests fasthttp cannot parse get a precise status in CloudFront's
// error envelope, and the connection is closed.
func TestUnreadableRequests(t *testing.T) {
	h := newHarness(t, nil, nil)
	host := strings.TrimPrefix(h.url, "http://")
	tests := []struct {
		name   string
		raw    string
		status int
		code   string
	}{
		{"garbage request line", "GARBAGE\r\n\r\n", 400, CodeInvalidArgument},
		{"headers over the read buffer", "GET / HTTP/1.1\r\nHost: " + host + "\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n",
			431, CodeInvalidArgument},
		{"bad Content-Length", "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: -5\r\n\r\n", 400, CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !resp.Close {
				t.Errorf("status %d (close %v), want %d and the connection closed\n%s", resp.StatusCode, resp.Close, tt.status, body)
			}
			checkErrorDoc(t, resp.Header, string(body), tt.code)
		})
	}
}
