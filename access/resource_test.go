package access

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

func TestMatchResource(t *testing.T) {
	const d = "d111111abcdef8.cloudfront.net"
	tests := []struct {
		pattern string
		url     string // scheme://host/path[?query], query already stripped
		cookie  bool
		want    bool
	}{
		{"*", "http://x/anything?q=1", false, true},
		{"https://" + d + "/a.jpg", "https://" + d + "/a.jpg", false, true},
		{"https://" + d + "/a.jpg", "https://" + d + "/a.jpg?x=1", false, false},
		{"https://" + d + "/a.jpg", "https://" + d + "/b.jpg", false, false},
		{"https://" + d + "/a.jpg", "http://" + d + "/a.jpg", false, false},
		{"https://" + d + "/a.jpg", "https://D111111ABCDEF8.cloudfront.net/a.jpg", false, true}, // host case-insensitive
		{"https://" + d + "/a.jpg", "https://" + d + "/A.jpg", false, false},                    // path case-sensitive
		{"HTTPS://" + d + "/a.jpg", "https://" + d + "/a.jpg", false, true},
		// trailing * in the path implies \?*
		{"https://" + d + "/videos/*", "https://" + d + "/videos/a/b.mp4", false, true},
		{"https://" + d + "/videos/*", "https://" + d + "/videos/a.mp4?t=1&u=2", false, true},
		{"https://" + d + "/videos/*", "https://" + d + "/videos", false, false},
		{"https://" + d + "/videos/*", "https://" + d + "/img/videos/a", false, false},
		// * inside the path does not run into the query
		{"https://" + d + "/*.mp4", "https://" + d + "/a/b.mp4", false, true},
		{"https://" + d + "/*.mp4", "https://" + d + "/a.jpg?x=.mp4", false, false},
		{"https://" + d + "/*game_download.zip*", "https://" + d + "/example_game_download.zip?license=yes", false, true},
		{"https://" + d + "/*game_download.zip*", "https://" + d + "/test_game_download.zip?license=temp", false, true},
		{"https://" + d + "/*game_download.zip*", "https://" + d + "/game_download.zip", false, true},
		{"https://" + d + "/*game_download.zip*", "https://" + d + "/game.zip?game_download.zip", false, false},
		// ? is one character, or the query separator
		{"https://" + d + "/a?.jpg", "https://" + d + "/ab.jpg", false, true},
		{"https://" + d + "/a?.jpg", "https://" + d + "/a.jpg", false, false},
		{"https://" + d + "/f.zip?license=yes", "https://" + d + "/f.zip?license=yes", false, true},
		{"https://" + d + "/f.zip?license=yes", "https://" + d + "/f.zip?license=no", false, false},
		{"https://" + d + "/f.zip?license=*", "https://" + d + "/f.zip?license=a&b=c", false, true},
		{"https://" + d + "/f.zip?license=*", "https://" + d + "/f.zip", false, false},
		// \? is the literal separator
		{`https://` + d + `/f.zip\?license=yes`, "https://" + d + "/f.zip?license=yes", false, true},
		{`https://` + d + `/f.zip\?license=yes`, "https://" + d + "/f.zipXlicense=yes", false, false},
		{`https://` + d + `/f.zip\?*`, "https://" + d + "/f.zip", false, true},
		{`https://` + d + `/f.zip\?*`, "https://" + d + "/f.zip?a=1", false, true},
		{`https://` + d + `/f.*\?a=1`, "https://" + d + "/f.tar.gz?a=1", false, true},
		// domain sections
		{"https://*/videos/*", "https://any.example.com/videos/a", false, true},
		{"https://*." + "example.com/*", "https://cdn.example.com/a", false, true},
		{"https://*." + "example.com/*", "https://example.com/a", false, false},
		{"https://*", "https://h.example/deep/path?q=1", false, true},
		{"https://" + d + "*", "https://" + d + ":8443/x?y", false, true},
		{"https://" + d, "https://" + d + "/", false, true},
		{"https://" + d, "https://" + d + "/a", false, false},
		{"https://*.cloudfront.net/a", "https://evil.example/x.cloudfront.net/a", false, false},
		// protocols
		{"*://" + d + "/a", "http://" + d + "/a", false, true},
		{"*" + d + "/a", "https://" + d + "/a", false, true},
		{"*/a", "https://whatever/a", false, true},
		{"http*://" + d + "/a", "https://" + d + "/a", true, true},
		{"http*://" + d + "/a", "http://" + d + "/a", true, true},
		{"http*://" + d + "/a", "https://" + d + "/a", false, false},
		{"ftp://" + d + "/a", "ftp://" + d + "/a", false, false},
		{"rtmp://" + d + "/a", "rtmp://" + d + "/a", false, false},
		{d + "/a", "https://" + d + "/a", false, false},
		{"", "https://" + d + "/a", false, false},
	}
	for _, tc := range tests {
		r := req(tc.url)
		got := matchResource(tc.pattern, r.Scheme, r.Host, r.Path, r.RawQuery, tc.cookie)
		if got != tc.want {
			t.Errorf("matchResource(%q, %q, cookie=%v) = %v, want %v", tc.pattern, tc.url, tc.cookie, got, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"a*", "a", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"*a", "bbba", false, true},
		{"?", "", false, false},
		{"??", "ab", false, true},
		{`a\?b`, "a?b", false, true},
		{`a\?b`, "axb", false, false},
		{"AbC", "aBc", true, true},
		{"AbC", "aBc", false, false},
		{"*x*y", "xxyxy", false, true},
	}
	for _, tc := range tests {
		if got := glob(tc.p, tc.s, tc.fold); got != tc.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", tc.p, tc.s, tc.fold, got, tc.want)
		}
	}
}

func TestStripSignature(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a=1", "a=1"},
		{"Expires=1&Signature=x&Key-Pair-Id=K", ""},
		{"a=1&Expires=1&Signature=x&Key-Pair-Id=K", "a=1"},
		{"Expires=1&a=1&Signature=x&Key-Pair-Id=K&b=2", "a=1&b=2"},
		{"a=1&Policy=p&Signature=x&Key-Pair-Id=K&Hash-Algorithm=SHA256", "a=1"},
		{"a=1&&b=2&Expires=1", "a=1&&b=2"},
		{"a=1&", "a=1&"},
		{"&a=1&Expires=1", "&a=1"},
		{"Expires&Signature=&a", "a"},
		{"expires=1&Key-Pair-Id2=x&Signatures=y", "expires=1&Key-Pair-Id2=x&Signatures=y"},
		{"a=Expires%3D1&x=Expires=", "a=Expires%3D1&x=Expires="},
	}
	for _, tc := range tests {
		got := StripSignature(nil, []byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("StripSignature(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// Appends to dst.
		if got := StripSignature([]byte("pre:"), []byte(tc.in)); string(got) != "pre:"+tc.want {
			t.Errorf("StripSignature(pre:, %q) = %q", tc.in, got)
		}
	}
}

// sdkCanned is the canned policy exactly as the SDK serializes it before signing.
func sdkCanned(t testing.TB, resource string, expires time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sign.NewCannedPolicy(resource, expires)); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

func TestAppendCannedMatchesSDK(t *testing.T) {
	tests := []struct{ url, resource string }{
		{"https://" + host + "/a.jpg", "https://" + host + "/a.jpg"},
		{"https://" + host + "/a.jpg?x=1&Expires=5&Signature=s&Key-Pair-Id=K", "https://" + host + "/a.jpg?x=1"},
		{"https://" + host + "/a.jpg?Expires=5&Signature=s&Key-Pair-Id=K", "https://" + host + "/a.jpg"},
		{`http://127.0.0.1:8080/q"uote\back<tag>&amp?a=<b>&c="d"`, `http://127.0.0.1:8080/q"uote\back<tag>&amp?a=<b>&c="d"`},
		{"http://h/ctl\x01\x1f\t\n\r\b\f", "http://h/ctl\x01\x1f\t\n\r\b\f"},
		{"http://h/utf8-é-\u2028-\u2029-\xff", "http://h/utf8-é-\u2028-\u2029-\xff"},
	}
	for _, tc := range tests {
		got := appendCanned(nil, req(tc.url), exp.Unix())
		want := sdkCanned(t, tc.resource, exp)
		if !bytes.Equal(got, want) {
			t.Errorf("appendCanned(%q)\n got %s\nwant %s", tc.url, got, want)
		}
	}
}
