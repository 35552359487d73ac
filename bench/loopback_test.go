package bench

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		url      string
		addr     string
		path     string
		errMatch string
	}{
		{"http://127.0.0.1:8080", "127.0.0.1:8080", "", ""},
		{"http://127.0.0.1:8080/", "127.0.0.1:8080", "", ""},
		{"http://127.8.9.10:81/base/", "127.8.9.10:81", "/base", ""},
		{"http://localhost:9000", "localhost:9000", "", ""},
		{"http://LOCALHOST", "LOCALHOST:80", "", ""},
		{"http://[::1]:8080", "[::1]:8080", "", ""},
		{"http://[::ffff:127.0.0.1]:8080", "[::ffff:127.0.0.1]:8080", "", ""},
		{"http://10.0.0.1:8080", "", "", "not loopback"},
		{"http://192.168.1.1", "", "", "not loopback"},
		{"http://0.0.0.0:8080", "", "", "not loopback"},
		{"http://example.com", "", "", "not loopback"},
		{"http://localhost.example.com", "", "", "not loopback"},
		{"http://127.0.0.1.nip.io", "", "", "not loopback"},
		{"http://[::2]:80", "", "", "not loopback"},
		{"http://2130706433", "", "", "not loopback"}, // decimal 127.0.0.1 is refused, not resolved
		{"https://127.0.0.1", "", "", "scheme"},
		{"127.0.0.1:8080", "", "", "url"},
		{"ftp://127.0.0.1", "", "", "scheme"},
		{"http://user@127.0.0.1", "", "", "want scheme"},
		{"http://127.0.0.1/?q=1", "", "", "want scheme"},
		{"http://%zz", "", "", "url"},
	}
	for _, tc := range tests {
		got, err := parseTarget(tc.url)
		if tc.errMatch != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
				t.Errorf("parseTarget(%q) = %+v, %v; want error with %q", tc.url, got, err, tc.errMatch)
			}
			continue
		}
		if err != nil || got.addr != tc.addr || got.path != tc.path {
			t.Errorf("parseTarget(%q) = %+v, %v; want addr %q path %q", tc.url, got, err, tc.addr, tc.path)
		}
	}
}

func TestCheckListen(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0":    true,
		"127.1.2.3:8080": true,
		"[::1]:0":        true,
		"localhost:80":   true,
		":8080":          false,
		"0.0.0.0:8080":   false,
		"[::]:8080":      false,
		"10.1.1.1:80":    false,
		"127.0.0.1":      false,
	} {
		if err := checkListen(addr); (err == nil) != ok {
			t.Errorf("checkListen(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/x", "http://[::1]", "http://localhost", "http://10.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := parseTarget(s)
		if err != nil {
			return
		}
		host := tg.addr[:strings.LastIndexByte(tg.addr, ':')]
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if !isLoopbackHost(host) {
			t.Fatalf("parseTarget(%q) accepted non-loopback %q", s, tg.addr)
		}
	})
}
