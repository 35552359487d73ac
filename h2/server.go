// Package h2 serves HTTP/2 (RFC 9113, https://www.rfc-editor.org/rfc/rfc9113) viewer
// connections for the edge, on the edge's one request pipeline: each request is given to a
// Handler as a fasthttp.RequestCtx, as an HTTP/1.1 request is, and the answer fasthttp holds is
// written back as HTTP/2 frames.
//
// Framing and HPACK are golang.org/x/net/http2's Framer and hpack; this package is the connection's
// state machine (streams, flow control, settings, errors), written so that a request the handler
// answers without waiting (a cache hit) is served on the goroutine that reads the connection: no
// goroutine, channel or copy per request, and the answers to every request read in one go leave in
// one write. A handler about to wait (an origin fetch) calls Stream.Detach first: the connection's
// reading goes on in a new goroutine and the old one finishes the request.
package h2

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Handler answers the requests of HTTP/2 streams.
type Handler interface {
	// Serve answers the request in ctx.Request into ctx.Response. ctx.Conn() is the request's
	// *Stream.
	Serve(ctx *fasthttp.RequestCtx)
	// ParseError answers a request fasthttp could not take as an HTTP/1.1 head: err is
	// *fasthttp.ErrSmallBuffer when the head is larger than Config.MaxRequestHead.
	ParseError(ctx *fasthttp.RequestCtx, err error)
}

// Config sets a Server's limits. Zero values take the defaults named.
type Config struct {
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS (default 128, CloudFront's), and
	// the most handlers of one connection that may wait off its loop at once (one more then
	// waits on the loop, which reads nothing until it is done).
	MaxConcurrentStreams uint32
	// MaxHeaderListSize is the most HPACK decodes of one header list (default 40 KiB): a larger
	// one is answered 431 without being held.
	MaxHeaderListSize uint32
	// MaxRequestHead is the most bytes of the HTTP/1.1 head the request is given to the handler
	// as (default 20,480 + 2); a larger one goes to Handler.ParseError.
	MaxRequestHead int
	// IdleTimeout closes a connection with no stream open for this long (default 2 minutes).
	IdleTimeout time.Duration
	// WriteTimeout ends a connection a write to which takes longer, and resets a stream whose
	// flow-control window stays shut for longer (default 30 s).
	WriteTimeout time.Duration
	// ReadTimeout bounds the wait for the rest of a request body (default 30 s).
	ReadTimeout time.Duration
	// Log takes the server's notes on viewers' protocol errors, at debug level.
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.MaxConcurrentStreams == 0 {
		c.MaxConcurrentStreams = 128
	}
	if c.MaxHeaderListSize == 0 {
		c.MaxHeaderListSize = 40 << 10
	}
	if c.MaxRequestHead == 0 {
		c.MaxRequestHead = 20480 + 2
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Server serves HTTP/2 connections with one Handler.
type Server struct {
	cfg     Config
	h       Handler
	logger  fasthttp.Logger
	streams sync.Pool // of *Stream

	mu       sync.Mutex
	conns    map[*conn]struct{}
	shutdown bool
	idle     chan struct{} // closed when conns empties during Shutdown
}

// NewServer returns a Server answering with h.
func NewServer(cfg Config, h Handler) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, h: h, conns: make(map[*conn]struct{})}
	s.logger = printfLogger{cfg.Log}
	s.streams.New = func() any { return new(Stream) }
	return s
}

// ServeConn serves c, whose TLS handshake (if any) negotiated h2, until it ends. It closes c.
func (s *Server) ServeConn(c net.Conn) {
	cc := newConn(s, c)
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[cc] = struct{}{}
	s.mu.Unlock()
	cc.serve()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.shutdown && len(s.conns) == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	s.mu.Unlock()
}

// Shutdown sends every connection a GOAWAY (RFC 9113 §6.8) and waits until their open streams
// are answered and they are closed, or until ctx is done, when the rest are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	idle := make(chan struct{})
	if len(s.conns) == 0 {
		close(idle)
	} else {
		s.idle = idle
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.goAway()
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.nc.Close()
		}
		return ctx.Err()
	}
}

// printfLogger gives fasthttp's Printf logger to slog, at debug level.
type printfLogger struct{ l *slog.Logger }

// Printf implements fasthttp.Logger.
func (p printfLogger) Printf(format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug("h2: fasthttp", "msg", fmt.Sprintf(format, args...))
	}
}
