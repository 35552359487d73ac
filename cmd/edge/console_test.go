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

// TestServeConsole runs "edge serve" on the embedded default and finds the console at the root
// of the API listener, beside the API (still SigV4) and /metrics, answering with the edge's
// matcher. (The figures against /metrics: e2e's TestConsoleInBrowser.)
func TestServeConsole(t *testing.T) {
	t.Chdir("../..")
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"serve", "-listen", "127.0.0.1:0", "-api-listen", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	var viewerURL, consoleURL string
	lines := bufio.NewScanner(pr)
	for consoleURL == "" && lines.Scan() {
		if m := regexp.MustCompile(`serving viewers on (http://\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			viewerURL = m[1]
		}
		if m := regexp.MustCompile(`console on (http://\S+)/ `).FindStringSubmatch(lines.Text()); m != nil {
			consoleURL = m[1]
		}
	}
	if viewerURL == "" || consoleURL == "" {
		t.Fatal("edge serve did not say where the viewers and the console are")
	}
	go io.Copy(io.Discard, pr)
	get := func(url string) (int, http.Header, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	if st, _, _ := get(viewerURL + "/hello.json"); st != 200 {
		t.Fatalf("GET /hello.json: %d", st)
	}
	st, h, body := get(consoleURL + "/")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "EDFDVBD6EXAMPLE") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("console /: %d %v\n%s", st, h, body)
	}
	if st, _, body := get(consoleURL + "/distributions/EDFDVBD6EXAMPLE?path=/demo/demo.ism/Manifest"); st != 200 ||
		!strings.Contains(body, `data-pattern="/demo/*"`) {
		t.Fatalf("console distribution page: %d\n%s", st, body)
	}
	if st, h, body := get(consoleURL + "/live.json"); st != 200 || h.Get("Content-Type") != "application/json" ||
		!strings.Contains(body, `"distributions":[{"id":"EDFDVBD6EXAMPLE",`) {
		t.Fatalf("/live.json: %d %s", st, body)
	}
	if st, _, body := get(consoleURL + "/2020-05-31/distribution"); st != 403 || !strings.Contains(body, "MissingAuthenticationToken") {
		t.Fatalf("the API without a signature: %d %s", st, body)
	}
	if st, _, body := get(consoleURL + "/metrics"); st != 200 || !strings.Contains(body, "edge_requests_total") {
		t.Fatalf("/metrics: %d", st)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("edge serve exited %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("edge serve did not stop after SIGTERM")
	}
}
