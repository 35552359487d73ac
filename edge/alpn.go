package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/cfedge/edge/h2"
	"github.com/valyala/fasthttp"
)

// The TLS listener: CloudFront's HttpVersion per distribution
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/APIReference/API_DistributionConfig.html,
// HttpVersion: http1.1, http2 (the default), http3, http2and3). Each connection's handshake is
// done here; ALPN offers "h2" then "http/1.1" unless the distribution named by the SNI is
// http1.1 (which is offered "http/1.1" only). A connection that negotiated h2 is served by
// package h2 on the same pipeline; the others go to fasthttp, as before.

// h2MaxConcurrentStreams is CloudFront's SETTINGS_MAX_CONCURRENT_STREAMS for viewers.
const h2MaxConcurrentStreams = 128

// h2Handler gives HTTP/2 requests to the pipeline.
type h2Handler struct{ s *Server }

// Serve implements h2.Handler.
func (h h2Handler) Serve(ctx *fasthttp.RequestCtx) { h.s.Handle(ctx) }

// ParseError implements h2.Handler: the answer fasthttp's server gives a head it can't take.
func (h h2Handler) ParseError(ctx *fasthttp.RequestCtx, err error) { h.s.handleParseError(ctx, err) }

// newH2Server returns the HTTP/2 side of the TLS listener: the edge's own HTTP/2 connection
// loop (package h2), which answers hits on the goroutine reading the connection.
func (s *Server) newH2Server(readTimeout, writeTimeout, idleTimeout time.Duration) *h2.Server {
	return h2.NewServer(h2.Config{
		MaxConcurrentStreams: h2MaxConcurrentStreams,
		// HPACK decodes at most this much of a header list: twice CloudFront's 20,480 bytes, so
		// that a list between the two is refused by the edge's own rule (413, as over HTTP/1.1)
		// and anything larger by the HTTP/2 server (431) without being held.
		MaxHeaderListSize: 2 * maxRequestHeaderBytes,
		MaxRequestHead:    maxRequestHeaderBytes + 2,
		IdleTimeout:       idleTimeout,
		WriteTimeout:      writeTimeout,
		ReadTimeout:       readTimeout,
		// The HTTP/2 server's notes (a viewer's protocol error, a flood it refused) are about
		// one viewer each: debug level.
		Log: s.log,
	}, h2Handler{s})
}

// tlsListener does each connection's TLS handshake and routes it by the protocol negotiated:
// h2 to the HTTP/2 server, everything else to Accept (fasthttp).
type tlsListener struct {
	ln      net.Listener
	cfg     *tls.Config
	timeout time.Duration
	h2      func(net.Conn)
	h1      chan net.Conn
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	err     error
}

func newTLSListener(ln net.Listener, cfg *tls.Config, handshakeTimeout time.Duration, h2 func(net.Conn)) *tlsListener {
	if handshakeTimeout <= 0 {
		handshakeTimeout = 10 * time.Second
	}
	l := &tlsListener{ln: ln, cfg: cfg, timeout: handshakeTimeout, h2: h2, h1: make(chan net.Conn), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *tlsListener) run() {
	var backoff time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
					continue
				case <-l.done:
					return
				}
			}
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			l.Close()
			return
		}
		backoff = 0
		go l.handshake(c)
	}
}

// isTemporary reports an accept error worth retrying (too many open files, and the like).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (l *tlsListener) handshake(c net.Conn) {
	tc := tls.Server(c, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.Close()
		return
	}
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		l.h2(tc)
		return
	}
	select {
	case l.h1 <- tc:
	case <-l.done:
		tc.Close()
	}
}

// Accept implements net.Listener: the next connection that is not HTTP/2.
func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.h1:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *tlsListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

// Addr implements net.Listener.
func (l *tlsListener) Addr() net.Addr { return l.ln.Addr() }

// distForName is the distribution a TLS viewer named in its SNI, or nil.
func (s *Server) distForName(server string) *distribution {
	sn := s.snap.Load()
	name := strings.ToLower(server)
	d := sn.byHost[name]
	if d == nil && sn.wildcards {
		if i := strings.IndexByte(name, '.'); i > 0 {
			d = sn.byHost["*"+name[i:]]
		}
	}
	return d
}

// h2Allowed reports whether an HttpVersion lets viewers use HTTP/2: http2 (the default) and
// http2and3 do; http1.1 does not, nor http3, which is "HTTP/3 only (does not include HTTP 2)"
// (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cloudfront.HttpVersion.html).
func h2Allowed(httpVersion string) bool {
	return httpVersion == "" || httpVersion == "http2" || httpVersion == "http2and3"
}

// h3Allowed reports whether an HttpVersion lets viewers use HTTP/3 (http3, http2and3).
func h3Allowed(httpVersion string) bool {
	return httpVersion == "http3" || httpVersion == "http2and3"
}

// alpnFor returns the protocols offered over TCP to a viewer that named server in its SNI.
func (s *Server) alpnFor(server string) []string {
	if d := s.distForName(server); d != nil && !d.h2 {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
}
