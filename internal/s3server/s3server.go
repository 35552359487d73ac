// Package s3server runs a real S3-compatible server for tests: versitygw with its posix
// back end on a temporary folder, listening on 127.0.0.1, with root credentials and an
// aws-sdk-go-v2 S3 client ready to create buckets and upload objects.
//
// The server binary is built once per machine by scripts/build-s3server.sh (a pinned
// version, cached in $HOME/.cache/edge/bin, outside the clone). A build or start failure
// fails the test: nothing is skipped.
package s3server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the region the server answers for and the client signs for.
const Region = "us-east-1"

// buildScript is the script that builds the server, relative to the repository root.
const buildScript = "scripts/build-s3server.sh"

// Server is a running S3-compatible server. Its fields are read-only.
type Server struct {
	// Endpoint is the server's base URL, "http://127.0.0.1:PORT".
	Endpoint string
	// Addr is the server's host:port.
	Addr string
	// Region is the region to sign for (Region).
	Region string
	// AccessKey and SecretKey are the root credentials (the secret differs every start).
	AccessKey, SecretKey string
	// Client is an S3 client signed with the root credentials, in path style.
	Client *s3.Client
	// Dir is the posix back end's root: one folder per bucket.
	Dir string

	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *syncBuffer
}

// Start builds the server if needed, starts it on a free 127.0.0.1 port with a new
// temporary folder, waits until it answers and returns it; it is stopped when the test ends.
// Any failure fails the test.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		t.Fatalf("s3server: %v", err)
	}
	s := &Server{
		Region:    Region,
		AccessKey: "EDGETESTROOTACCESS01",
		SecretKey: hex.EncodeToString(secret),
		Dir:       t.TempDir(),
		t:         t,
	}
	var err error
	for try := 0; try < 3; try++ { // a port taken between picking and binding: try another
		if err = s.start(bin); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("s3server: %v", err)
	}
	s.Client = s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey, Source: "s3server"}, nil
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return s
}

// start runs the server once on a freshly picked port and waits for it to answer.
func (s *Server) start(bin string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s.out = &syncBuffer{}
	cmd := exec.Command(bin,
		"--access", s.AccessKey, "--secret", s.SecretKey,
		"--port", addr, "--region", s.Region, "--keep-alive", "--quiet",
		"posix", s.Dir)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.Env = serverEnv()
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done, s.Addr, s.Endpoint = cmd, done, addr, "http://"+addr
	if err := s.waitReady(30 * time.Second); err != nil {
		s.stop()
		return fmt.Errorf("%s on %s: %w\n%s", filepath.Base(bin), addr, err, s.out.String())
	}
	s.t.Cleanup(s.stop)
	return nil
}

// waitReady polls the server until it answers any HTTP request (an anonymous ListBuckets
// answers 403), the process exits, or the time is up.
func (s *Server) waitReady(limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.done:
			return errors.New("exited before answering")
		default:
		}
		resp, err := c.Get(s.Endpoint + "/")
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after %s: %w", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the process: SIGTERM, then SIGKILL after 5 s.
func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Stop stops the server now (it is also stopped when the test ends), so tests can see an
// origin that went away.
func (s *Server) Stop() { s.stop() }

// Log returns what the server printed so far.
func (s *Server) Log() string { return s.out.String() }

// serverEnv is the environment the server runs with: the test's, less the variables that
// configure versitygw (they would override the flags).
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VGW_") || strings.HasPrefix(name, "ROOT_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Binary returns the path of the server binary, running scripts/build-s3server.sh (which
// builds it once per machine and then only prints its path). It fails the test when the
// script fails.
func Binary(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("s3server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, buildScript))
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("s3server: %s: %v\n%s%s", buildScript, err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("s3server: %s printed %q, not an executable (%v)\n%s", buildScript, bin, err, stderr.String())
	}
	return bin
}

// repoRoot finds the repository root: the nearest folder above the working directory (a
// package folder, under go test) that holds the build script.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, buildScript)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s above the working directory", buildScript)
		}
		dir = parent
	}
}

// syncBuffer is a bytes.Buffer safe for the process's two output streams, capped so a
// chatty server cannot eat memory.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const maxLog = 1 << 20

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxLog - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// portOf returns the port of a host:port address, 0 when there is none.
func portOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// Port returns the port the server listens on.
func (s *Server) Port() int { return portOf(s.Addr) }
