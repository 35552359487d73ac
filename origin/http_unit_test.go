package origin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

// Pure tests of the http origin's configuration and error mapping (no sockets).

func TestHTTPHostHeader(t *testing.T) {
	tests := []struct {
		name, domain  string
		port, defPort int
		want          string
	}{
		{"default http port", "example.com", 80, 80, "example.com"},
		{"default https port", "example.com", 443, 443, "example.com"},
		{"other port", "example.com", 8080, 80, "example.com:8080"},
		{"ipv6 default port", "::1", 80, 80, "[::1]"},
		{"ipv6 other port", "::1", 8443, 443, "[::1]:8443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(tt.domain, tt.port, tt.defPort, nil, timeouts{time.Second, time.Second, time.Second})
			if ep.host != tt.want {
				t.Errorf("got %q, want %q", ep.host, tt.want)
			}
		})
	}
}

func TestNewHTTPErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*config.Origin)
		want string
	}{
		{"empty domain", func(c *config.Origin) { c.DomainName = "" }, "domain_name"},
		{"domain with port", func(c *config.Origin) { c.DomainName = "example.com:8080" }, "port"},
		{"domain with scheme", func(c *config.Origin) { c.DomainName = "http://example.com" }, "domain_name"},
		{"bad policy", func(c *config.Origin) { c.OriginProtocolPolicy = "tls" }, "origin_protocol_policy"},
		{"bad port", func(c *config.Origin) { c.HTTPPort = 70000 }, "http_port"},
		{"negative attempts", func(c *config.Origin) { c.ConnectionAttempts = -1 }, "connection_attempts"},
		{"negative timeout", func(c *config.Origin) { c.OriginReadTimeout = -1 }, "origin_read_timeout"},
		{"framing custom header", func(c *config.Origin) {
			c.CustomHeaders = []config.CustomHeader{{Name: "Transfer-Encoding", Value: "x"}}
		}, "custom_header[0]"},
		{"wrong kind", func(c *config.Origin) { c.Kind = "dir" }, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Origin{ID: "o", Kind: "http", DomainName: "example.com"}
			tt.cfg(&cfg)
			_, err := NewHTTP(cfg, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"o"`) {
				t.Errorf("got %v, want an error naming origin \"o\" and %q", err, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want ErrorKind
	}{
		{"refused", &dialError{err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, KindConnect},
		{"dns", &dialError{err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}}}, KindDNS},
		{"connect timeout", &dialError{err: os.ErrDeadlineExceeded}, KindConnect},
		{"tls", &tlsError{err: errors.New("x509: unknown authority")}, KindTLS},
		{"read timeout", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), KindTimeout},
		{"closed early", io.EOF, KindComm},
		{"garbage", errors.New("fasthttp: cannot find whitespace in the first line of response"), KindProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorKindString(t *testing.T) {
	want := map[ErrorKind]string{
		KindConnect: "OriginConnectError", KindDNS: "OriginDnsError", KindTimeout: "OriginReadError",
		KindTLS: "OriginCommError", KindProtocol: "OriginInvalidResponseError", KindComm: "OriginCommError",
		KindHeaderTooBig: "OriginHeaderTooBigError", ErrorKind(0): "ErrorKind(0)",
	}
	for k, w := range want {
		if k.String() != w {
			t.Errorf("%d: got %q, want %q", int(k), k.String(), w)
		}
	}
}

func TestCheckStatusCode(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"HTTP/1.1 200 OK\r\n", true},
		{"HTTP/1.1 103 Early Hints\r\n", true},
		{"HTTP/1.0 599 x\r\n", true},
		{"HTTP/1.1 000 x\r\n", false}, // fasthttp reads 0 as 200
		{"HTTP/1.1 099 x\r\n", false},
		{"HTTP/1.1 600 x\r\n", false},
		{"HTTP/1.1 999 x\r\n", false},
		{"HTTP/1.1 2x0 x\r\n", false},
		{"garbage\r\n\r\n", true}, // not a status line: fasthttp's parser refuses it
		{"HTTP/1.1 20", true},     // short: fasthttp's parser refuses it
	} {
		err := checkStatusCode(bufio.NewReader(strings.NewReader(tc.line)))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errBadStatus)) {
			t.Errorf("checkStatusCode(%q) = %v; want ok %v", tc.line, err, tc.ok)
		}
	}
}
