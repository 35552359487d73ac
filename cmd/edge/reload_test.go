package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingOrigin serves every path with a one-hour max-age and counts requests per path;
// its responses name it (X-Origin) so a test sees which origin answered.
type countingOrigin struct {
	name string
	mu   sync.Mutex
	hits map[string]int
	srv  *httptest.Server
}

func newCountingOrigin(t *testing.T, name string) *countingOrigin {
	o := &countingOrigin{name: name, hits: map[string]int{}}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("X-Origin", o.name)
		fmt.Fprintf(w, "%s %s", o.name, r.URL.Path)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *countingOrigin) count(prefix string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for p, c := range o.hits {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

func (o *countingOrigin) port() string { return o.srv.URL[strings.LastIndexByte(o.srv.URL, ':')+1:] }

// reloadConfig is a distribution with behaviors /a/* and /b/* on origin one; bTTL changes only
// /b/*; withC adds a behavior /c/* on origin two.
func reloadConfig(one, two *countingOrigin, bTTL int, withC bool) string {
	c := fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
api_listen = "127.0.0.1:0"
[logging]
level = "info"
[api]
auth = "none"
[[distribution]]
id = "ERELOAD"
aliases = ["127.0.0.1"]
[[distribution.origin]]
id = "one"
kind = "http"
domain_name = "127.0.0.1"
http_port = %s
[[distribution.origin]]
id = "two"
kind = "http"
domain_name = "127.0.0.1"
http_port = %s
[[distribution.behavior]]
path_pattern = "/a/*"
target_origin_id = "one"
[[distribution.behavior]]
path_pattern = "/b/*"
target_origin_id = "one"
min_ttl = 0
default_ttl = %d
max_ttl = 31536000
`, one.port(), two.port(), bTTL)
	if withC {
		c += `
[[distribution.behavior]]
path_pattern = "/c/*"
target_origin_id = "two"
`
	}
	return c + `
[distribution.default_behavior]
target_origin_id = "one"
`
}

// TestReloadUnderLoad: SIGHUP ten times while viewers fetch without pause. No request fails,
// no object of the unchanged behavior (/a/*) is fetched again, the changed behavior's objects
// (/b/*) are, a behavior added by a reload answers at once, and a config that fails validation
// is refused with the old one kept.
func TestReloadUnderLoad(t *testing.T) {
	one, two := newCountingOrigin(t, "one"), newCountingOrigin(t, "two")
	path := filepath.Join(t.TempDir(), "edge.toml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadConfig(one, two, 100, false))

	outR, outW := io.Pipe()
	logR, logW := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- run([]string{"serve", "-config", path}, outW, logW)
		outW.Close()
		logW.Close()
	}()
	// Reload outcomes, in order, as the edge logs them (read from the start: the log is a pipe).
	outcomes := make(chan string, 32)
	go func() {
		for sc := bufio.NewScanner(logR); sc.Scan(); {
			switch line := sc.Text(); {
			case strings.Contains(line, "msg=reloaded"):
				outcomes <- "reloaded"
			case strings.Contains(line, "reload refused"):
				outcomes <- "refused"
			}
		}
	}()
	base := ""
	for sc := bufio.NewScanner(outR); sc.Scan(); {
		if m := regexp.MustCompile(`serving viewers on (http://\S+)/`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("edge serve did not say where it listens")
	}
	go io.Copy(io.Discard, outR)
	defer func() {
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
		select {
		case <-exit:
		case <-time.After(30 * time.Second):
			t.Error("edge serve did not stop")
		}
	}()
	sighup := func(want string) {
		t.Helper()
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-outcomes:
			if got != want {
				t.Fatalf("reload %s, want %s", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no reload outcome logged")
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	get := func(p string) (int, string, string, error) {
		resp, err := client.Get(base + p)
		if err != nil {
			return 0, "", "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("X-Cache"), err
	}
	const objects = 10
	for i := range objects { // warm both behaviors
		for _, p := range []string{"/a/", "/b/"} {
			if code, _, _, err := get(fmt.Sprint(p, i)); err != nil || code != 200 {
				t.Fatalf("warming %s%d: %d %v", p, i, code, err)
			}
		}
	}

	// edge bench hits /a/0 for two seconds, beside the clients below; the reloads go on until
	// it is done, so it runs through them.
	benchOut := make(chan string, 1)
	go func() {
		var out strings.Builder
		run([]string{"bench", "-scenario", "hit", "-url", base, "-size", "/a/0", "-c", "4", "-d", "2s", "-json"}, &out, io.Discard)
		benchOut <- out.String()
	}()
	var stop atomic.Bool
	var requests, failures atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				p := fmt.Sprint([]string{"/a/", "/b/"}[(g+i)%2], i%objects)
				code, body, _, err := get(p)
				requests.Add(1)
				if err != nil || code != 200 || body != "one "+p {
					failures.Add(1)
					t.Errorf("GET %s during reloads: %d %q %v", p, code, body, err)
				}
			}
		}()
	}
	var benchReport string
	for k := 1; k <= 10 || benchReport == ""; k++ {
		write(reloadConfig(one, two, 100+k, false))
		sighup("reloaded")
		for seen := requests.Load(); requests.Load() < seen+20; { // the clients go on between reloads
			runtime.Gosched()
		}
		select {
		case benchReport = <-benchOut:
		default:
		}
	}
	write("[[distribution]]\nid = \"\"\n") // fails validation
	sighup("refused")
	stop.Store(true)
	wg.Wait()

	if failures.Load() != 0 || requests.Load() == 0 {
		t.Fatalf("%d of %d requests failed across the reloads", failures.Load(), requests.Load())
	}
	var rep struct {
		Requests int64 `json:"requests"`
		Errors   int64 `json:"errors"`
	}
	if err := json.Unmarshal([]byte(benchReport), &rep); err != nil || rep.Requests == 0 || rep.Errors != 0 {
		t.Fatalf("edge bench across the reloads: %d requests, %d errors (%v)\n%s", rep.Requests, rep.Errors, err, benchReport)
	}
	if n := one.count("/a/"); n != objects {
		t.Errorf("the unchanged behavior's objects were fetched %d times, want %d (once each)", n, objects)
	}
	if n := one.count("/b/"); n <= objects {
		t.Errorf("the changed behavior's objects were fetched %d times: never again after its TTL changed", n)
	}
	if _, _, xc, _ := get("/a/1"); xc != "Hit from cloudfront" {
		t.Errorf("after the refused reload /a/1 is %q, want a hit", xc)
	}

	// A behavior added by a reload answers the next request.
	write(reloadConfig(one, two, 200, true))
	sighup("reloaded")
	if code, body, _, err := get("/c/x"); err != nil || code != 200 || body != "two /c/x" {
		t.Fatalf("GET /c/x after adding its behavior: %d %q %v", code, body, err)
	}
}
