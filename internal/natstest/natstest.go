// Package natstest runs a real NATS server with JetStream inside a test process
// (github.com/nats-io/nats-server/v2, the server itself, embedded), on 127.0.0.1, with its
// store in a folder the test owns, so that it can be stopped and started again on the same
// port and store, as a NATS server restarts.
package natstest

import (
	"fmt"
	"net"
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

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

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
