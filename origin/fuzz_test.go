package origin

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/httpcond"
)

// FuzzParseRange checks that a satisfied range always lies inside the representation.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-4", "bytes=5-", "bytes=-3", "bytes=-0", "bytes=10-", "bytes=4-2",
		"bytes=0-1,3-4", "BYTES= 1 - 2 ", "bytes=99999999999999999999-", "bytes=-99999999999999999999", "items=0-1", "bytes="} {
		f.Add(s, int64(10))
	}
	f.Add("bytes=0-", int64(0))
	f.Fuzz(func(t *testing.T, s string, size int64) {
		if size < 0 {
			return
		}
		start, n, res := parseRange(s, size)
		switch res {
		case rangeOK:
			if start < 0 || n < 1 || n > size-start {
				t.Fatalf("parseRange(%q, %d) = [%d, +%d), outside the representation", s, size, start, n)
			}
		case rangeNone, rangeUnsatisfiable:
			if start != 0 || n != 0 {
				t.Fatalf("parseRange(%q, %d) = %d, %d with result %d, want zeros", s, size, start, n, res)
			}
		default:
			t.Fatalf("parseRange(%q, %d): unknown result %d", s, size, res)
		}
	})
}

// FuzzCleanName checks that an accepted name is a clean relative path with no way up.
// Regressions in testdata/fuzz/FuzzCleanName: 5291803b0aa93ca3 ("/." gave the name ".").
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"/a/b.txt", "/../x", "/%2e%2e/x", "/..%2fx", "/a%5cb", "/a\\b", "/a%00b", "/%zz",
		"/", "/a/", "/a//b", "/./a", "/%252e%252e", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok, err := cleanName(p)
		if err != nil || !ok {
			if name != "" {
				t.Fatalf("cleanName(%q) = %q with ok %v err %v, want no name", p, name, ok, err)
			}
			return
		}
		if !fs.ValidPath(name) || strings.ContainsAny(name, "\\\x00") {
			t.Fatalf("cleanName(%q) = %q, not a clean relative path", p, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("cleanName(%q) = %q, has a %q segment", p, name, seg)
			}
		}
	})
}

// FuzzETagListMatch checks that a strong match is also a weak match and nothing panics.
func FuzzETagListMatch(f *testing.F) {
	for _, s := range []string{`"a"`, `W/"a"`, `*`, `"x", "a"`, `"x",W/"a"`, `"unterminated`, `W/`, `,,, "a"`} {
		f.Add(s, `"a"`)
	}
	f.Fuzz(func(t *testing.T, list, etag string) {
		if httpcond.MatchETagList([]byte(list), []byte(etag), true) && !httpcond.MatchETagList([]byte(list), []byte(etag), false) {
			t.Fatalf("%q matches %q strongly but not weakly", list, etag)
		}
	})
}

// FuzzDirFetch fetches arbitrary paths from a folder that has a secret beside it and
// symlinks pointing at it: the secret's bytes must never come back.
func FuzzDirFetch(f *testing.F) {
	_, www := dirFixture(f)
	d, err := NewDir(config.Origin{ID: "fuzz", Path: www}, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = d.Close() })
	for _, s := range []string{"/a/file.txt", "/../secret.txt", "/link-out", "/dir-out/secret.txt", "/abs-out",
		"/%2e%2e/secret.txt", "/a/%2e%2e%2f%2e%2e%2fsecret.txt", "/dir-in/../../secret.txt", "/link-in"} {
		f.Add(s, "")
	}
	f.Add("/digits.txt", "bytes=-3")
	f.Fuzz(func(t *testing.T, p, rng string) {
		resp, err := d.Fetch(context.Background(), &Request{Method: http.MethodGet, Path: p, Header: http.Header{"Range": {rng}}})
		if err != nil {
			t.Fatalf("Fetch(%q): %v", p, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("Fetch(%q): read: %v", p, err)
		}
		if strings.Contains(string(body), secret[:8]) || strings.Contains(string(body), secret[8:]) {
			t.Fatalf("Fetch(%q) returned the secret (status %d)", p, resp.Status)
		}
	})
}
