package main

import (
	"bufio"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeDefaultAndGracefulShutdown runs "edge serve" on the embedded default (as make run does,
// from the repository root), checks the CloudFront headers, a Hit with Age on the second request,
// the Smooth demo manifest, and that SIGTERM lets an in-flight request finish before exit.
func TestServeDefaultAndGracefulShutdown(t *testing.T) {
	t.Chdir("../..")
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"serve", "-listen", "127.0.0.1:0", "-api-listen", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if m := regexp.MustCompile(`serving viewers on (http://\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("edge serve did not say where it listens")
	}
	go io.Copy(io.Discard, pr)
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	r, body := get("/")
	if r.StatusCode != 200 || !strings.Contains(body, "edge is serving") || r.Header.Get("X-Cache") != "Miss from cloudfront" ||
		len(r.Header.Get("X-Amz-Cf-Id")) != 56 || !strings.HasSuffix(r.Header.Get("Via"), "(CloudFront)") || r.Header.Get("X-Amz-Cf-Pop") != "DEV1-C1" {
		t.Fatalf("first GET /: %d %v", r.StatusCode, r.Header)
	}
	r, _ = get("/")
	if r.Header.Get("X-Cache") != "Hit from cloudfront" || r.Header.Get("Age") == "" {
		t.Fatalf("second GET /: X-Cache %q Age %q", r.Header.Get("X-Cache"), r.Header.Get("Age"))
	}
	if r, body = get("/demo/demo.ism/Manifest"); r.StatusCode != 200 || !strings.Contains(body, "<SmoothStreamingMedia") {
		t.Fatalf("demo manifest: %d", r.StatusCode)
	}

	// A response in flight (headers received, body not yet read) must complete after SIGTERM.
	resp, err := http.Get(base + "/demo/demo_360.ismv")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != resp.ContentLength {
		t.Fatalf("in-flight response cut by the shutdown: %d of %d bytes, %v", n, resp.ContentLength, err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("edge serve exited %d after SIGTERM", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("edge serve did not stop after SIGTERM")
	}
	if _, err := http.Get(base + "/"); err == nil {
		t.Error("still serving after shutdown")
	}
}
