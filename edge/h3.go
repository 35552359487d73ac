package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// HTTP/3 viewers: quic-go's http3 server on the UDP port of the TLS listener's number, for
// distributions whose HttpVersion is http3 or http2and3 (a viewer naming another one in its SNI
// fails the QUIC handshake and falls back to TCP). Requests go through streamHandler
// (h3adapter.go). Over TCP those distributions' answers advertise it with Alt-Svc, as
// CloudFront's do.

// altSvcMaxAge is the Alt-Svc lifetime advertised (RFC 7838 §3 "ma"), in seconds.
const altSvcMaxAge = 86400

var errNoH3 = errors.New("edge: HTTP/3 is not enabled for this distribution")

// ServeQUIC serves HTTP/3 viewers on pc until Shutdown, with the certificate ServeTLS uses
// (the same PEM, or the same self-signed one when both are nil).
func (s *Server) ServeQUIC(pc net.PacketConn, certPEM, keyPEM []byte) error {
	cert, err := s.certificate(certPEM, keyPEM)
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if d := s.distForName(hello.ServerName); d == nil || !d.h3 {
			return nil, errNoH3
		}
		return nil, nil
	}
	idle := s.srv.IdleTimeout
	srv := &http3.Server{
		TLSConfig:      http3.ConfigureTLSConfig(cfg),
		Handler:        streamHandler{s: s},
		MaxHeaderBytes: 2 * maxRequestHeaderBytes,
		IdleTimeout:    idle,
		QUICConfig: &quic.Config{
			MaxIncomingStreams:    h2MaxConcurrentStreams,
			MaxIncomingUniStreams: 8,
			MaxIdleTimeout:        max(idle, 30*time.Second),
			HandshakeIdleTimeout:  10 * time.Second,
		},
	}
	s.mu3.Lock()
	s.h3 = srv
	s.mu3.Unlock()
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		v := fmt.Appendf(nil, `h3=":%d"; ma=%d`, a.Port, altSvcMaxAge)
		s.altSvc.Store(&v)
	}
	err = srv.Serve(pc)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, quic.ErrServerClosed) {
		return nil
	}
	return err
}

// shutdownH3 stops the HTTP/3 server, if any, gracefully within ctx.
func (s *Server) shutdownH3(ctx context.Context) error {
	s.mu3.Lock()
	srv := s.h3
	s.mu3.Unlock()
	s.altSvc.Store(nil)
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

var hAltSvc = []byte("Alt-Svc")
