package edge

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/cfedge/edge/origin"
)

// hostileShieldPair starts a shield edge and a lower edge (secret tierSecret) for the
// distribution cfg (baseConfig-shaped), and a TLS viewer listener on the lower edge.
func hostileShieldPair(t *testing.T, cfg string, originPort int) (shield, lower *testEdge, tlsAddr string) {
	t.Helper()
	shield, _ = startShield(t, withShield(t, cfg, "", tierSecret), originPort, nil)
	lower = startEdge(t, withShield(t, cfg, shield.addr, tierSecret), originPort)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go lower.srv.ServeTLS(ln, nil, nil)
	return shield, lower, ln.Addr().String()
}

// tlsGet asks the edge at addr over TLS for uri with the distribution's Host.
func tlsGet(t *testing.T, addr, host, uri string) (*http.Response, string) {
	t.Helper()
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: host}, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+addr+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestHostileShieldHTTPSOnlyBehavior: a viewer on HTTPS asks a lower edge for an object of an
// https-only (or redirect-to-https) behavior whose origin is behind an Origin Shield. The lower
// edge goes to its shield over plain http (the shield client is http-only), and the shield,
// which believes the hop by its secret, does not apply the viewer protocol policy again (it
// once answered that request 403, or 301 to https). Origin Shield is a cache layer between the
// edge and the origin; the viewer protocol policy is a viewer-facing check made once at the edge
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html).
// The viewer gets 200 with the object, fetched through the shield (2 Via entries at the origin).
func TestHostileShieldHTTPSOnlyBehavior(t *testing.T) {
	for _, policy := range []string{"https-only", "redirect-to-https"} {
		t.Run(policy, func(t *testing.T) {
			o := newTestOrigin(t)
			o.static("/secure/x", 200, map[string]string{"Cache-Control": "max-age=600"}, "secure")
			cfg := baseConfig(`
[[distribution.behavior]]
path_pattern = "/secure/*"
target_origin_id = "web"
viewer_protocol_policy = "` + policy + `"
`)
			_, lower, tlsAddr := hostileShieldPair(t, cfg, o.port())
			r, b := tlsGet(t, tlsAddr, lower.host, "/secure/x")
			if r.StatusCode != 200 || b != "secure" {
				t.Fatalf("HTTPS viewer at the lower edge: %d %q (Location %q, X-Cache %q), want 200 \"secure\"",
					r.StatusCode, b, r.Header.Get("Location"), xcache(r))
			}
			if n := o.count("/secure/x"); n != 1 || viaHops(o.last("/secure/x")) != 2 {
				t.Errorf("origin saw %d requests, Via %q; want 1 through the shield", n, o.last("/secure/x").Header.Get("Via"))
			}
		})
	}
}

// TestHostileShieldViewerFunctionRunsOnce: a viewer-request function runs at the edge the
// viewer reached, once. With an Origin Shield, the lower edge sends the shield the request as
// its function rewrote it, and the shield does not run the function again on it (a rewrite that
// is not idempotent, "/fn/x" → "/fn/v2/x", was once applied twice: "/fn/v2/v2/x"). CloudFront
// Functions run at edge locations only ("CloudFront Functions ... run in edge locations",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-choosing.html);
// Origin Shield is a regional cache layer that runs no viewer event (so no function at the
// shield reads the shield secret in event.request.headers either).
func TestHostileShieldViewerFunctionRunsOnce(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/fn/v2/x", 200, map[string]string{"Cache-Control": "max-age=600"}, "v2 object")
	o.static("/fn/v2/v2/x", 200, map[string]string{"Cache-Control": "max-age=600"}, "rewritten twice")
	fn := "\n[[function]]\nname = \"prefix\"\ncode = '''\nfunction handler(e){ e.request.uri = '/fn/v2' + e.request.uri.substring(3); return e.request; }\n'''\n"
	cfg := fn + baseConfig(`
[[distribution.behavior]]
path_pattern = "/fn/*"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "prefix"
`)
	shield, _ := startShield(t, withShield(t, cfg, "", tierSecret), o.port(), nil)
	lower := startEdge(t, withShield(t, cfg, shield.addr, tierSecret), o.port())
	r, b := lower.get(t, "/fn/x")
	if r.StatusCode != 200 || b != "v2 object" {
		t.Errorf("GET /fn/x at the lower edge: %d %q, want 200 \"v2 object\" (origin saw /fn/v2/x %d times, /fn/v2/v2/x %d times)",
			r.StatusCode, b, o.count("/fn/v2/x"), o.count("/fn/v2/v2/x"))
	}
}

// TestHostileShieldHopHeaderVariants: hop headers a viewer can forge at the lower edge, in
// name-case variants, duplicated, with the secret padded, are never believed and never reach
// the origin; the secret never reaches the viewer or the origin in any header.
func TestHostileShieldHopHeaderVariants(t *testing.T) {
	o := newTestOrigin(t)
	cfg := baseConfig("") // CachingOptimized default: the viewer's header is not forwarded
	shield, _ := startShield(t, withShield(t, cfg+"", "", tierSecret), o.port(), nil)
	lower := startEdge(t, withShield(t, cfg, shield.addr, tierSecret), o.port())
	for i, tc := range []struct {
		name string
		raw  string // extra header lines
	}{
		{"lower-case name", "x-edge-shield-hop: 1\r\n"},
		{"upper-case name", "X-EDGE-SHIELD-HOP: wrong\r\n"},
		{"duplicate, wrong first", "X-Edge-Shield-Hop: wrong\r\nX-Edge-Shield-Hop: 1\r\n"},
		{"secret with a NUL-free suffix", "X-Edge-Shield-Hop: " + tierSecret + ",x\r\n"},
		{"empty value", "X-Edge-Shield-Hop: \r\n"},
	} {
		path := "/variant/" + string(rune('a'+i))
		o.static(path, 200, map[string]string{"Cache-Control": "max-age=600"}, "v")
		resp, body := lower.raw(t, "GET "+path+" HTTP/1.1\r\nHost: "+lower.host+"\r\n"+tc.raw+"Connection: close\r\n\r\n")
		if resp.StatusCode != 200 || body != "v" {
			t.Fatalf("%s: %d %q", tc.name, resp.StatusCode, body)
		}
		seen := o.last(path)
		if viaHops(seen) != 2 {
			t.Errorf("%s: the origin was reached through %d edges (Via %q), want 2 (the forged hop skipped the shield)", tc.name, viaHops(seen), seen.Header.Get("Via"))
		}
		for k, vs := range seen.Header {
			for _, v := range vs {
				if strings.Contains(v, tierSecret) || strings.EqualFold(k, origin.ShieldHopHeader) {
					t.Errorf("%s: the origin was sent %s: %q", tc.name, k, v)
				}
			}
		}
		for k, vs := range resp.Header {
			for _, v := range vs {
				if strings.Contains(v, tierSecret) || strings.EqualFold(k, origin.ShieldHopHeader) {
					t.Errorf("%s: the viewer got %s: %q", tc.name, k, v)
				}
			}
		}
	}
}

// TestHostileShieldSignedURLBehavior: a viewer with a valid signed URL asks a lower edge for an
// object of a behavior with trusted key groups whose origin is behind an Origin Shield. The
// lower edge checks the signature and strips the signing parameters from the request it sends
// on; the shield, believing the hop by its secret, does not check again (it once answered 403
// MissingKey). Signed URLs are verified at the edge the viewer reached
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html);
// Origin Shield is only a cache layer in front of the origin
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html).
// The viewer gets 200 with the object, through the shield.
func TestHostileShieldSignedURLBehavior(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/private/a.txt", 200, map[string]string{"Cache-Control": "max-age=60"}, "secret content")
	cfg, priv := signedConfig(t, "/private/*")
	shield, _ := startShield(t, withShield(t, cfg, "", tierSecret), o.port(), nil)
	lower := startEdge(t, withShield(t, cfg, shield.addr, tierSecret), o.port())
	signed, err := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign("http://"+lower.host+"/private/a.txt", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r, b := lower.get(t, strings.TrimPrefix(signed, "http://"+lower.host))
	if r.StatusCode != 200 || b != "secret content" {
		t.Fatalf("signed URL at the lower edge: %d %q (X-Cache %q), want 200", r.StatusCode, b, xcache(r))
	}
	if n := o.count("/private/a.txt"); n != 1 || viaHops(o.last("/private/a.txt")) != 2 {
		t.Errorf("origin saw %d requests, Via %q; want 1 through the shield", n, o.last("/private/a.txt").Header.Get("Via"))
	}
}
