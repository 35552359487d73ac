package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// ServeTLS accepts HTTPS viewer connections on ln until Shutdown, with the PEM certificate chain
// and key given, or, when both are nil, a self-signed certificate for every distribution's
// domain name and aliases (and localhost, 127.0.0.1, ::1), made now.
func (s *Server) ServeTLS(ln net.Listener, certPEM, keyPEM []byte) error {
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		s.tlsPort.Store(int32(a.Port))
	}
	cert, err := s.certificate(certPEM, keyPEM)
	if err != nil {
		return err
	}
	base := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"}}
	h1only := base.Clone()
	h1only.NextProtos = []string{"http/1.1"}
	cfg := base.Clone()
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if p := s.alpnFor(hello.ServerName); len(p) == 1 {
			return h1only, nil
		}
		return nil, nil
	}
	tl := newTLSListener(ln, cfg, s.srv.ReadTimeout, s.h2.ServeConn)
	return s.srv.Serve(guardedListener{tl})
}

// certificate parses the PEM certificate and key, or makes the self-signed certificate when
// both are nil; the TLS and QUIC listeners share it.
func (s *Server) certificate(certPEM, keyPEM []byte) (tls.Certificate, error) {
	s.certMu.Lock()
	defer s.certMu.Unlock()
	if s.cert != nil {
		return *s.cert, nil
	}
	if certPEM == nil && keyPEM == nil {
		var err error
		if certPEM, keyPEM, err = s.selfSigned(time.Now()); err != nil {
			return tls.Certificate{}, err
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("edge: tls certificate: %w", err)
	}
	s.cert = &cert
	return cert, nil
}

// ReadCertificate reads a PEM certificate chain and key from files, for ServeTLS.
func ReadCertificate(certFile, keyFile string) (certPEM, keyPEM []byte, err error) {
	if certPEM, err = os.ReadFile(certFile); err != nil {
		return nil, nil, fmt.Errorf("edge: tls certificate: %w", err)
	}
	if keyPEM, err = os.ReadFile(keyFile); err != nil {
		return nil, nil, fmt.Errorf("edge: tls key: %w", err)
	}
	return certPEM, keyPEM, nil
}

// selfSigned makes a P-256 self-signed certificate, valid for a year, for the edge's host names.
func (s *Server) selfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("edge: self-signed certificate: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, fmt.Errorf("edge: self-signed certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"edge (self-signed)"}, CommonName: "edge"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for host := range s.snap.Load().byHost {
		if ip := net.ParseIP(host); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if host != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("edge: self-signed certificate: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("edge: self-signed certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
