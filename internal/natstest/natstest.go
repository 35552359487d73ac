// Package natstest runs a real NATS server with JetStream inside a test process
// (github.com/nats-io/nats-server/v2, the server itself, embedded), on 127.0.0.1, with its
// store in a folder the test owns, so that it can be stopped and started again on the same
// port and store, as a NATS server restarts.
package natstest

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
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server that can be stopped and started again.
type Server struct {
	t     testing.TB
	port  int
	dir   string
	token string
	tls   *tls.Config
	srv   *server.Server
}

// Start starts a NATS server with JetStream on a free loopback port, storing in a new temporary
// folder; it is shut down when the test ends.
func Start(t testing.TB) *Server { return StartWithToken(t, "") }

// StartWithToken is Start for a server whose clients must present token ("" for none).
func StartWithToken(t testing.TB, token string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &Server{t: t, port: port, dir: t.TempDir(), token: token}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// StartTLS is Start for a server that speaks TLS only, with a certificate for 127.0.0.1 made
// for the test; caFile is that certificate in PEM, for clients to trust.
func StartTLS(t testing.TB) (s *Server, caFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "natstest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s = &Server{t: t, port: port, dir: t.TempDir(),
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}}
	s.Restart()
	t.Cleanup(s.Stop)
	return s, caFile
}

// URL is the server's client URL.
func (s *Server) URL() string {
	if s.tls != nil {
		return fmt.Sprintf("tls://127.0.0.1:%d", s.port)
	}
	return fmt.Sprintf("nats://127.0.0.1:%d", s.port)
}

// Stop shuts the server down (its clients see the connection go); Restart brings it back.
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}

// Restart starts the server (again) on its port and store.
func (s *Server) Restart() {
	s.t.Helper()
	if s.srv != nil {
		return
	}
	opts := &server.Options{Host: "127.0.0.1", Port: s.port, JetStream: true, StoreDir: s.dir, NoLog: true, NoSigs: true,
		DisableJetStreamBanner: true, MaxPayload: 8 << 20, Authorization: s.token}
	if s.tls != nil {
		opts.TLS, opts.TLSConfig, opts.TLSTimeout = true, s.tls, 2
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server did not start")
	}
	s.srv = srv
}
