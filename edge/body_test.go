package edge

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBodyRefusedFromHeaders (A.5): a request the edge refuses is answered from its request line
// and headers, without its body being read: the viewer gets the status while it has sent none of
// the 64 MiB it announced.
func TestBodyRefusedFromHeaders(t *testing.T) {
	o := newTestOrigin(t)
	e := startEdge(t, baseConfig(""), o.port())
	for _, c := range []struct{ name, head, want string }{
		{"POST to a GET/HEAD behavior", "POST /upload HTTP/1.1\r\nContent-Length: 67108864\r\n", " 403"},
		{"GET with a body", "GET /a HTTP/1.1\r\nContent-Length: 67108864\r\n", " 403"},
		{"GET with a chunked body", "GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", " 403"},
	} {
		c.head += "Host: " + e.host + "\r\n\r\n"
		st, _, _ := e.rawExchange(t, c.head, 10*time.Second)
		if !strings.Contains(st, c.want) {
			t.Errorf("%s: %q, want%s before any body byte", c.name, st, c.want)
		}
	}
	if n := o.requests(); n != 0 {
		t.Errorf("the origin saw %d requests", n)
	}
}

// TestUploadsStream (A.5): bodies forwarded to the origin stream through the edge: four
// concurrent 64 MiB uploads (one of them chunked) arrive whole while the edge's heap stays far
// below their size.
func TestUploadsStream(t *testing.T) {
	const size = 64 << 20
	o := newTestOrigin(t)
	o.handle("/upload", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x %v", n, h.Sum(nil), err)
	})
	e := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/upload"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
cache_policy = "Managed-CachingDisabled"
`), o.port())
	want := fmt.Sprintf("%d %x <nil>", size, sha256.Sum256(pattern64(size)))
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	peak := heapPeak(func() {
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var body io.Reader = &patternReader{n: size}
				req, _ := http.NewRequest("POST", "http://"+e.addr+"/upload", body)
				req.Host = e.host
				if i == 0 {
					req.ContentLength = -1 // chunked
				} else {
					req.ContentLength = size
				}
				resp, err := viewer.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				defer resp.Body.Close()
				got, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(got) != want {
					errs <- fmt.Sprintf("upload %d: %d %q", i, resp.StatusCode, got)
				}
			}()
		}
		wg.Wait()
	})
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The test's own goroutines read and hash; the edge holds a few buffers per upload.
	if peak > 48<<20 {
		t.Errorf("heap peaked at %d MiB for 4×64 MiB of uploads", peak>>20)
	}
	t.Logf("4 concurrent 64 MiB uploads: heap peak %.1f MiB", float64(peak)/(1<<20))
}

// patternReader yields n bytes of a fixed pattern without holding them.
type patternReader struct{ off, n int }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := min(len(b), p.n-p.off)
	for i := range k {
		b[i] = byte((p.off + i) * 7)
	}
	p.off += k
	return k, nil
}

// pattern64 is the whole pattern, for its checksum.
func pattern64(n int) []byte {
	b := make([]byte, n)
	io.ReadFull(&patternReader{n: n}, b)
	return b
}

// TestRefusedUploadDoesNotPoisonTheConnection: after a refused request whose body was not read,
// the connection is either closed or ready for the next request: the body is never parsed as one.
func TestRefusedUploadDoesNotPoisonTheConnection(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a", 200, nil, "a")
	e := startEdge(t, baseConfig(""), o.port())
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	smuggled := "GET /a HTTP/1.1\r\nHost: " + e.host + "\r\n\r\n"
	fmt.Fprintf(c, "POST /a HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", e.host, len(smuggled), smuggled)
	br := bufio.NewReader(c)
	r, err := http.ReadResponse(br, nil)
	if err != nil || r.StatusCode != 403 {
		t.Fatalf("POST: %v %v", r, err)
	}
	io.Copy(io.Discard, r.Body)
	if r2, err := http.ReadResponse(br, nil); err == nil {
		t.Errorf("the body was answered as a request: %d", r2.StatusCode)
	}
	if n := o.count("/a"); n != 0 {
		t.Errorf("origin saw /a %d times", n)
	}
}
