package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// diskBody is object n's body: size bytes that differ per object and per offset.
func diskBody(n, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(n*31 + i*7 + i/997)
	}
	return b
}

// diskOrigin serves /big/N (300 KiB, over max_object_size: straight to disk) and /small/N
// (2 KiB: memory, written through to disk), cacheable for an hour, and counts requests.
func diskOrigin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		size := 2 << 10
		rest, ok := strings.CutPrefix(r.URL.Path, "/small/")
		if !ok {
			rest, ok = strings.CutPrefix(r.URL.Path, "/big/")
			size = 300 << 10
		}
		id, err := strconv.Atoi(rest)
		if !ok || err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("ETag", fmt.Sprintf(`"%s"`, r.URL.Path))
		w.Write(diskBody(id, size))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// viewerProc is an edge serve started from the binary.
type viewerProc struct {
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

var viewersLine = regexp.MustCompile(`serving viewers on (http://\S+)/`)

// startBinary starts bin serve -config cfg and waits until it says where viewers are served.
func startBinary(t *testing.T, bin, cfg string) *viewerProc {
	t.Helper()
	p := &viewerProc{}
	p.cmd, p.log = launch(t, bin, cfg, func(line string) bool {
		if m := viewersLine.FindStringSubmatch(line); m != nil {
			p.base = m[1]
		}
		return p.base != ""
	})
	if p.base == "" {
		t.Fatalf("edge serve did not start; log:\n%s", p.log)
	}
	return p
}

// launch starts bin serve -config cfg (killed when the test ends) and hands each line it
// prints to ready until ready says it has what it waits for, or 30 s have passed, or the process
// ended; the caller checks what ready collected. log is the process's stderr.
func launch(t *testing.T, bin, cfg string, ready func(line string) bool) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd, log := exec.Command(bin, "serve", "-config", cfg), new(bytes.Buffer)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() && !ready(sc.Text()) {
		}
		close(done)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a bound on a broken start, not a synchronisation
		_ = cmd.Process.Kill()
		<-done
	}
	return cmd, log
}

// buildBinary builds ./cmd/edge into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "edge")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDiskTierKillAndRestart runs the edge binary with a disk tier under concurrent fills,
// kills it with SIGKILL in the middle of them, and starts it again on the same folder: every
// object is then served whole and right (from disk, or fetched again), never a partial or
// mixed body; some survived the kill as hits. After a graceful stop (SIGTERM), everything that
// had been served is a hit after the restart, without one origin request.
func TestDiskTierKillAndRestart(t *testing.T) {
	origin, originReqs := diskOrigin(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "edge.toml")
	toml := fmt.Sprintf(`[server]
listen = "127.0.0.1:0"
api_listen = "127.0.0.1:0"
[cache]
memory = "1MiB"
max_object_size = "64KiB"
disk_path = "cache"
disk_size = "256MiB"
[api]
auth = "none"
[[distribution]]
id = "EDISK"
aliases = ["127.0.0.1"]
[[distribution.origin]]
id = "o"
kind = "http"
domain_name = "127.0.0.1"
http_port = %s
[distribution.default_behavior]
target_origin_id = "o"
`, origin.URL[strings.LastIndexByte(origin.URL, ':')+1:])
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	const objects = 100
	paths := make([]string, 0, 2*objects)
	for i := range objects {
		paths = append(paths, fmt.Sprintf("/big/%d", i), fmt.Sprintf("/small/%d", i))
	}
	want := func(p string) []byte {
		id, _ := strconv.Atoi(p[strings.LastIndexByte(p, '/')+1:])
		if strings.HasPrefix(p, "/big/") {
			return diskBody(id, 300<<10)
		}
		return diskBody(id, 2<<10)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
	get := func(base, p string) (int, []byte, string, error) {
		resp, err := client.Get(base + p)
		if err != nil {
			return 0, nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header.Get("X-Cache"), err
	}

	// Concurrent fills, killed with SIGKILL once 150 answers are in.
	p := startBinary(t, bin, cfg)
	var done atomic.Int64
	killed := make(chan struct{})
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-killed:
					return
				default:
				}
				path := paths[r.IntN(len(paths))]
				code, b, _, err := get(p.base, path)
				if err != nil {
					continue // the kill cut it
				}
				if code != 200 || !bytes.Equal(b, want(path)) {
					t.Errorf("before the kill, %s: %d, %d bytes", path, code, len(b))
				}
				if done.Add(1) == 150 {
					once.Do(func() { close(enough) })
				}
			}
		})
	}
	<-enough
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	close(killed)
	wg.Wait()

	p = startBinary(t, bin, cfg)
	hits := 0
	for _, path := range paths {
		code, b, xc, err := get(p.base, path)
		if err != nil || code != 200 || !bytes.Equal(b, want(path)) {
			t.Fatalf("after the kill, %s: %d, %d bytes, %v (a damaged object was served)", path, code, len(b), err)
		}
		if xc == "Hit from cloudfront" {
			hits++
		}
	}
	if hits == 0 {
		t.Fatalf("no object survived the kill as a hit")
	}
	t.Logf("%d of %d objects were hits after SIGKILL", hits, len(paths))

	// A graceful stop keeps everything.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("edge serve after SIGTERM: %v\n%s", err, p.log)
	}
	before := originReqs.Load()
	p = startBinary(t, bin, cfg)
	for _, path := range paths {
		code, b, xc, err := get(p.base, path)
		if err != nil || code != 200 || !bytes.Equal(b, want(path)) || xc != "Hit from cloudfront" {
			t.Fatalf("after a graceful restart, %s: %d, %d bytes, %q, %v", path, code, len(b), xc, err)
		}
	}
	if n := originReqs.Load() - before; n != 0 {
		t.Fatalf("the origin saw %d requests after a graceful restart, want 0", n)
	}
	info, err := os.Stat(filepath.Join(dir, "cache"))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("disk tier folder: %v, %v; want mode 0700", info.Mode(), err)
	}
}
