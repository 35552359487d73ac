package console

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/a.jpg", "/a.jpg"},
		{"/a.jpg?w=1", "/a.jpg?w=1"},
		{"/a.jpg?Expires=1&Signature=abc&Key-Pair-Id=K1", "/a.jpg"},
		{"/a.jpg?w=1&Policy=eyJ&Signature=abc&Key-Pair-Id=K1&h=2", "/a.jpg?w=1&h=2"},
		{"/a.jpg?signature=abc&KEY-PAIR-ID=K", "/a.jpg"}, // names without case
		{"/a.jpg?Sig%6Eature=abc&x", "/a.jpg?x"},         // escaped names
		{"/a?X-Amz-Signature=s&X-Amz-Credential=c&X-Amz-Security-Token=t&X-Amz-Date=d", "/a?X-Amz-Date=d"},
		{"/a?Signature", "/a"},                       // no value
		{"/a?SignatureX=1", "/a?SignatureX=1"},       // another name
		{"/a?x=Signature=abc", "/a?x=Signature=abc"}, // a value, not a name
		{"/a?Signature=abc#frag", "/a"},
		{"/a#x?Signature=abc", "/a"}, // fragments are dropped
		{"https://user:pass@cdn.example/a?Signature=abc&v=2", "https://cdn.example/a?v=2"},
		{"nats://tok@10.0.0.1:4222", "nats://10.0.0.1:4222"},
		{"https://cdn.example/a@b?c=d", "https://cdn.example/a@b?c=d"}, // '@' in the path
		{"/p?", "/p"},
		{"", ""},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{"token": true, "nats_password": true, "API-Key": true, "viewer": false, "pop": false,
		"tls": false, "Secret": true, "credentials": true} {
		if secretName(name) != want {
			t.Errorf("secretName(%q) = %v", name, !want)
		}
	}
}

// FuzzRedactURL: whatever the input, the output keeps no signing parameter and no user
// information, and redacting again changes nothing.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"/a?Signature=x", "https://u:p@h/a?Policy=p&x=1", "/a?%53ignature=1", "x://@?&=#", "/a?b=c&&Key-Pair-Id"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := redactURL(in)
		if again := redactURL(out); again != out {
			t.Fatalf("redactURL(%q) = %q, then %q", in, out, again)
		}
		if strings.Contains(out, "#") {
			t.Fatalf("redactURL(%q) = %q keeps a fragment", in, out)
		}
		if i := strings.IndexByte(out, '?'); i >= 0 {
			q := out[i+1:]
			for _, part := range strings.Split(q, "&") {
				name, _, _ := strings.Cut(part, "=")
				if signingParam(name) {
					t.Fatalf("redactURL(%q) = %q keeps %q", in, out, part)
				}
			}
		}
		if i := strings.Index(out, "://"); i > 0 && !strings.ContainsAny(out[:i], "/?#") {
			rest := out[i+3:]
			if end := strings.IndexAny(rest, "/?#"); end >= 0 {
				rest = rest[:end]
			}
			if strings.Contains(rest, "@") {
				t.Fatalf("redactURL(%q) = %q keeps user information", in, out)
			}
		}
		if u, err := url.Parse(out); err == nil && u.User != nil && strings.Contains(in, "://") {
			if _, set := u.User.Password(); set {
				t.Fatalf("redactURL(%q) = %q keeps a password", in, out)
			}
		}
	})
}
