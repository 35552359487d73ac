package edge

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/quic-go/quic-go/http3"
)

// TestHTTP3: a distribution with http_version http2and3 answers over HTTP/3 (quic-go's client,
// bytes checked) through the same pipeline — a miss, then a hit, a range, a large object — and
// its HTTP/2 answers advertise HTTP/3 with Alt-Svc; a distribution without HTTP/3 refuses the
// QUIC handshake and advertises nothing.
func TestHTTP3(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a.txt", 200, map[string]string{"Cache-Control": "max-age=600"}, "hello over h3")
	big := bigBody(2 << 20)
	o.static("/big", 200, map[string]string{"Cache-Control": "max-age=600"}, string(big))
	cfg := mustReplace(t, baseConfig(""), `aliases = ["cdn.example.test"]`, "aliases = [\"cdn.example.test\"]\nhttp_version = \"http2and3\"")
	e := startEdge(t, cfg, o.port())
	c2, addr := tlsEdge(t, e)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.ServeQUIC(pc, nil, nil)
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: e.host}}
	t.Cleanup(func() { tr.Close() })
	c3 := &http.Client{Transport: tr}
	get := func(uri string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+pc.LocalAddr().String()+uri, nil)
		req.Host = e.host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		r, err := c3.Do(req)
		if err != nil {
			t.Fatalf("GET %s over HTTP/3: %v", uri, err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		if r.Proto != "HTTP/3.0" {
			t.Fatalf("GET %s: %s", uri, r.Proto)
		}
		return r, string(b)
	}
	if r, b := get("/a.txt", nil); r.StatusCode != 200 || b != "hello over h3" || xcache(r) != "Miss from cloudfront" {
		t.Fatalf("miss: %d %q %q", r.StatusCode, b, xcache(r))
	}
	if r, b := get("/a.txt", nil); xcache(r) != "Hit from cloudfront" || b != "hello over h3" || r.Header.Get("Alt-Svc") != "" {
		t.Fatalf("hit: %q %q, Alt-Svc %q (none over HTTP/3 itself)", xcache(r), b, r.Header.Get("Alt-Svc"))
	}
	if r, b := get("/a.txt", map[string]string{"Range": "bytes=0-4"}); r.StatusCode != 206 || b != "hello" {
		t.Fatalf("range: %d %q", r.StatusCode, b)
	}
	for range 2 {
		if r, b := get("/big", nil); r.StatusCode != 200 || b != string(big) {
			t.Fatalf("2 MiB over HTTP/3: %d, %d bytes, equal %v", r.StatusCode, len(b), b == string(big))
		}
	}
	r, _, err := h2do(t, c2, addr, e.host, "GET", "/a.txt", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`h3=":%d"; ma=86400`, pc.LocalAddr().(*net.UDPAddr).Port); r.Header.Get("Alt-Svc") != want {
		t.Fatalf("Alt-Svc over HTTP/2: %q, want %q", r.Header.Get("Alt-Svc"), want)
	}

	// A distribution on the default (http2) gets no HTTP/3.
	e2 := startEdge(t, baseConfig(""), o.port())
	c22, addr2 := tlsEdge(t, e2)
	pc2, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e2.srv.ServeQUIC(pc2, nil, nil)
	req, _ := http.NewRequest("GET", "https://"+pc2.LocalAddr().String()+"/a.txt", nil)
	req.Host = e2.host
	tr2 := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: e2.host}}
	t.Cleanup(func() { tr2.Close() })
	if r, err := (&http.Client{Transport: tr2}).Do(req); err == nil {
		r.Body.Close()
		t.Fatalf("HTTP/3 to an http2 distribution answered %d", r.StatusCode)
	} else if !strings.Contains(err.Error(), "CRYPTO_ERROR") && !strings.Contains(err.Error(), "handshake") && !strings.Contains(err.Error(), "tls") {
		t.Logf("refused with: %v", err)
	}
	r, _, err = h2do(t, c22, addr2, e2.host, "GET", "/a.txt", nil, nil)
	if err != nil || r.Header.Get("Alt-Svc") != "" {
		t.Fatalf("an http2 distribution advertised %q (%v)", r.Header.Get("Alt-Svc"), err)
	}
}
