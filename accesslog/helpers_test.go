package accesslog

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares got with testdata/name, rewriting the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// namedRecord is a sample record for table tests.
type namedRecord struct {
	name string
	r    Record
}

// sampleRecords returns a hit, a miss with a query and an odd user agent, an error with a
// range, a viewer that left before the response, and an all-absent record.
func sampleRecords() []namedRecord {
	at := time.Date(2024, 3, 9, 23, 59, 58, 700e6, time.FixedZone("CET", 3600)) // 22:59:58 UTC
	return []namedRecord{
		{"hit", Record{
			Time: at, EdgeLocation: "DEV1-C1", BytesSent: 10435,
			ClientIP: []byte("192.0.2.10"), Method: []byte("GET"), Host: "d111111abcdef8.cloudfront.net",
			URIStem: []byte("/video/intro.ism/Manifest"), Status: 200,
			Referer: []byte("https://www.example.com/watch?v=1"), UserAgent: []byte("curl/8.5.0"),
			ResultType: "Hit", RequestID: []byte("SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ=="),
			HostHeader: []byte("cdn.example.com"), Protocol: "https", BytesReceived: 212,
			TimeTaken: 2 * time.Millisecond, SSLProtocol: "TLSv1.3", SSLCipher: "TLS_AES_128_GCM_SHA256",
			ResponseResultType: "Hit", ProtocolVersion: []byte("HTTP/2.0"), ClientPort: 53024,
			TimeToFirstByte: 1500 * time.Microsecond, DetailedResultType: "Hit",
			ContentType: []byte("text/xml"), ContentLength: 10012, RangeStart: -1, RangeEnd: -1,
		}},
		{"miss with query and odd user agent", Record{
			Time: at.Add(time.Second), EdgeLocation: "DEV1-C1", BytesSent: 5520,
			ClientIP: []byte("2001:db8::1"), Method: []byte("GET"), Host: "d111111abcdef8.cloudfront.net",
			URIStem: []byte("/images/caf\u00e9 menu.jpg"), Status: 200,
			UserAgent:  []byte("Mozilla/5.0 (X11; Linux x86_64) \"quoted\" 'single' {x|y} [z] ^~` \u00fcnicode \u2603\t#%<>\\"),
			Query:      []byte("size=large&q=a%20b&tag=x+y"),
			Cookie:     []byte("session=abc; theme=dark"),
			ResultType: "Miss", RequestID: []byte("x2bDAbWZvDLsT2fkPCcx5v0fQ1ZZ6o2KmCNcH0yVBkxJ7TJA-ZmlyA=="),
			HostHeader: []byte("d111111abcdef8.cloudfront.net"), Protocol: "http", BytesReceived: 388,
			TimeTaken: 82*time.Millisecond + 400*time.Microsecond, ForwardedFor: []byte("203.0.113.7, 10.0.0.2"),
			ResponseResultType: "Miss", ProtocolVersion: []byte("HTTP/1.1"), ClientPort: 40000,
			TimeToFirstByte: 81 * time.Millisecond, DetailedResultType: "Miss",
			ContentType: []byte("image/jpeg"), ContentLength: 5120, RangeStart: -1, RangeEnd: -1,
		}},
		{"error with range", Record{
			Time: at.Add(2 * time.Second), EdgeLocation: "DEV1-C1", BytesSent: 1024 + 310,
			ClientIP: []byte("198.51.100.23"), Method: []byte("GET"), Host: "d111111abcdef8.cloudfront.net",
			URIStem: []byte("/media/big.ismv"), Status: 206,
			UserAgent: []byte("VLC/3.0.20 LibVLC/3.0.20"), ResultType: "Error",
			RequestID:  []byte("k7cUWbYwDhBiVqSJQ0WbnrRO2QwHmNx0UeV0u1tUqfdCEBq6tjoT5Q=="),
			HostHeader: []byte("localhost:8080"), Protocol: "http", BytesReceived: 140,
			TimeTaken: 30*time.Second + 1*time.Millisecond, ResponseResultType: "Miss",
			ProtocolVersion: []byte("HTTP/1.1"), ClientPort: 61000, TimeToFirstByte: 120 * time.Millisecond,
			DetailedResultType: "OriginReadError", ContentType: []byte("video/mp4"), ContentLength: 1024,
			RangeStart: 0, RangeEnd: 1023,
		}},
		{"viewer left before the response", Record{
			Time: at.Add(3 * time.Second), EdgeLocation: "DEV1-C1", BytesSent: 0,
			ClientIP: []byte("192.0.2.11"), Method: []byte("HEAD"), Host: "d111111abcdef8.cloudfront.net",
			URIStem: []byte("/"), Status: 0, Referer: []byte("-"), UserAgent: []byte("-"),
			ResultType: "Error", RequestID: []byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="),
			HostHeader: []byte("localhost"), Protocol: "http", BytesReceived: 60,
			TimeTaken: 999600 * time.Microsecond, ResponseResultType: "Miss",
			ProtocolVersion: []byte("HTTP/1.0"), ClientPort: 1, DetailedResultType: "ClientHungUpRequest",
			ContentLength: -1, RangeStart: -1, RangeEnd: -1,
		}},
		{"absent", Record{
			Time: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), BytesSent: -1, BytesReceived: -1,
			TimeTaken: -time.Second, ContentLength: -1, RangeStart: -1, RangeEnd: -1,
		}},
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gateWriter lets its first write (the header) through, then blocks every write until open
// is closed. After that it appends to buf.
type gateWriter struct {
	open   chan struct{}
	mu     sync.Mutex
	writes int
	buf    bytes.Buffer
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	g.writes++
	first := g.writes == 1
	g.mu.Unlock()
	if !first {
		<-g.open
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

// failWriter accepts the header, then fails every write.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	if f.n == 1 {
		return len(p), nil
	}
	return 0, errDiskFull
}

// mustNew is New that fails the test on error and closes the writer at cleanup.
func mustNew(t testing.TB, cfg Config) *Writer {
	t.Helper()
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// recordLines splits a log into its lines (without newlines), failing on a missing final newline.
func recordLines(t *testing.T, log string) []string {
	t.Helper()
	if log == "" {
		return nil
	}
	if log[len(log)-1] != '\n' {
		t.Fatalf("log does not end in a newline: %q", log[max(0, len(log)-80):])
	}
	lines := bytes.Split([]byte(log[:len(log)-1]), []byte{'\n'})
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(l)
	}
	return out
}
