package behavior

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		// The examples of "Path pattern" in
		// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html.
		{"*.jpg", "/logo.jpg", true},
		{"*.jpg", "/a/b/c/logo.jpg", true},
		{"*.jpg", "/logo.jpeg", false},
		{"*.jpg", "/LOGO.JPG", false},                    // case-sensitive
		{"images/*.jpg", "/images/product1/x.jpg", true}, // `*` crosses "/"
		{"images/*.jpg", "/images/x.jpg", true},
		{"images/*.jpg", "/images/.jpg", true}, // `*` matches the empty run
		{"images/*.jpg", "/img/x.jpg", false},
		{"images/*.jpg", "/images/x.png", false},
		{"images/*.jpg", "/x/images/a.jpg", false}, // anchored at the start
		{"a??.jpg", "/ant.jpg", true},
		{"a??.jpg", "/abe.jpg", true},
		{"a??.jpg", "/an.jpg", false},
		{"a??.jpg", "/antt.jpg", false},
		{"a??.jpg", "/a/b.jpg", true}, // `?` matches "/" too
		{"*.doc*", "/x.doc", true},
		{"*.doc*", "/x.docx", true},
		{"*.doc*", "/x.docm", true},
		{"*.doc?", "/x.doc", false},
		{"*.doc?", "/x.docx", true},
		{"*.doc?", "/x.docxx", false},
		// Leading "/" optional on both sides.
		{"/images/*.jpg", "/images/a.jpg", true},
		{"images/*.jpg", "images/a.jpg", true},
		{"/images/*.jpg", "images/a.jpg", true},
		{"/images/*", "/images/", true},
		{"/images/*", "/images", false},
		{"/", "/", true},
		{"/", "/a", false},
		{"*", "/", true},
		{"*", "/anything/at/all?x", true},
		{"/*", "/", true},
		// Exact patterns.
		{"/index.html", "/index.html", true},
		{"/index.html", "/index.htm", false},
		{"/index.html", "/index.html/", false},
		{"/index.html", "/Index.html", false},
		// Several stars and wildcards.
		{"a*b*c", "/abc", true},
		{"a*b*c", "/aXbYc", true},
		{"a*b*c", "/acb", false},
		{"a*b*c", "/abcbc", true},
		{"a*b*c", "/ab", false},
		{"*a*", "/bab", true},
		{"*a*", "/bbb", false},
		{"**", "/", true},
		{"a**b", "/ab", true},
		{"*?*", "/", false},
		{"*?*", "/x", true},
		{"*??", "/x", false},
		{"*x?y*", "/aaxqyzz", true},
		{"*x?y*", "/aaxqqyzz", false},
		{"*aab", "/aaab", true},
		{"*ab*ab", "/abab", true},
		{"*ab*ab", "/aba", false},
		{"v?d*/x", "/vid/a/b/x", true},
		{"$~\"'@:+&-_.", "/$~\"'@:+&-_.", true},
		// Overlapping prefix and suffix must not share bytes.
		{"ab*ba", "/aba", false},
		{"ab*ba", "/abba", true},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern)
		if err != nil {
			t.Fatalf("CompilePattern(%q): %v", tt.pattern, err)
		}
		if got := p.Match([]byte(tt.path)); got != tt.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
		if ref := refMatch(tt.pattern, tt.path); ref != tt.want {
			t.Errorf("reference %q vs %q = %v, want %v (test table is wrong?)", tt.pattern, tt.path, ref, tt.want)
		}
		if p.String() != tt.pattern {
			t.Errorf("String() = %q, want %q", p.String(), tt.pattern)
		}
	}
}

func TestPatternLongSegments(t *testing.T) {
	// A `?`-segment longer than 64 bytes uses several shift-and words.
	seg := strings.Repeat("ab?", 70)[:200]
	pat := "*" + seg + "*"
	p, err := CompilePattern(pat)
	if err != nil {
		t.Fatal(err)
	}
	in := strings.ReplaceAll(seg, "?", "Z")
	for _, path := range []string{
		"/" + in, "/xx" + in + "yy", "/xx" + in[:199] + "yy", "/" + strings.Repeat("ab", 300),
		"/" + strings.Repeat("abZ", 100),
	} {
		if got, want := p.Match([]byte(path)), refMatch(pat, path); got != want {
			t.Errorf("Match(%q…) = %v, want %v", path[:10], got, want)
		}
	}
}

func TestCompilePatternErrors(t *testing.T) {
	tests := []struct {
		pattern string
		want    string
	}{
		{"", "empty"},
		{"/" + strings.Repeat("a", 255), "more than 255"},
		{"/a b", `" "`},
		{"/a%20b", `"%"`},
		{"/a#b", `"#"`},
		{"/a\\b", `"\\"`},
		{"/é", `"\xc3"`},
		{"/a\x00", `"\x00"`},
		{"/a[b]", `"["`},
	}
	for _, tt := range tests {
		_, err := CompilePattern(tt.pattern)
		if err == nil {
			t.Errorf("CompilePattern(%q): no error", tt.pattern)
			continue
		}
		if !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("CompilePattern(%q): %v does not wrap ErrInvalidPattern", tt.pattern, err)
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "behavior: path_pattern ") {
			t.Errorf("CompilePattern(%q) = %q, want it to name %s", tt.pattern, err, tt.want)
		}
	}
	if _, err := CompilePattern("/" + strings.Repeat("a", 254)); err != nil {
		t.Errorf("255 characters: %v", err)
	}
}

// refMatch is the reference matcher: the pattern as a regexp over the path's bytes, each byte
// mapped to one rune so that `.` matches exactly one byte.
func refMatch(pattern, path string) bool {
	pattern = strings.TrimPrefix(pattern, "/")
	path = strings.TrimPrefix(path, "/")
	var re strings.Builder
	re.WriteString(`^(?s:`)
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			re.WriteString(`.*`)
		case '?':
			re.WriteString(`.`)
		default:
			re.WriteString(regexp.QuoteMeta(string(rune(c))))
		}
	}
	re.WriteString(`)$`)
	runes := make([]rune, len(path))
	for i := 0; i < len(path); i++ {
		runes[i] = rune(path[i])
	}
	return regexp.MustCompile(re.String()).MatchString(string(runes))
}

// validPattern is the reference validity rule.
func validPattern(p string) bool {
	if p == "" || len(p) > 255 {
		return false
	}
	for _, c := range []byte(p) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.ContainsRune(`_-.*$/~"'@:+&?`, rune(c))
		if !ok {
			return false
		}
	}
	return true
}

func FuzzCompilePattern(f *testing.F) {
	for _, s := range [][2]string{
		{"*.jpg", "/a/b.jpg"}, {"images/*.jpg", "/images/x/y.jpg"}, {"a??.jpg", "/ant.jpg"},
		{"*.doc?", "/x.doc"}, {"a*b*c", "/abcbc"}, {"*?*", "/"}, {"ab*ba", "/aba"},
		{"/", "/"}, {"", ""}, {"*a?b*", "/\xff\xfeab"}, {"/é", "/é"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		p, err := CompilePattern(pattern)
		if (err == nil) != validPattern(pattern) {
			t.Fatalf("CompilePattern(%q) error %v, valid %v", pattern, err, validPattern(pattern))
		}
		if err == nil {
			if got, want := p.Match([]byte(path)), refMatch(pattern, path); got != want {
				t.Fatalf("%q.Match(%q) = %v, reference %v", pattern, path, got, want)
			}
		}
		// Also exercise matching on a small alphabet, where matches are frequent.
		sp := squash(pattern, "ab*?/", 255)
		if sp == "" {
			return
		}
		q, err := CompilePattern(sp)
		if err != nil {
			t.Fatalf("CompilePattern(%q): %v", sp, err)
		}
		spath := squash(path, "ab/", 1<<12)
		if got, want := q.Match([]byte(spath)), refMatch(sp, spath); got != want {
			t.Fatalf("%q.Match(%q) = %v, reference %v", sp, spath, got, want)
		}
	})
}

// squash maps each byte of s onto alphabet, keeping at most n bytes.
func squash(s, alphabet string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && i < n; i++ {
		b = append(b, alphabet[int(s[i])%len(alphabet)])
	}
	return string(b)
}
