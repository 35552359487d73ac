package config

import (
	"strings"
	"testing"
)

func TestValidateWildcardAliases(t *testing.T) {
	bad := func(alias, msg string) validateCase {
		return validateCase{"alias " + alias, func(c *Config) { d0(c).Aliases = []string{alias} },
			"distribution[0].aliases[0]", msg}
	}
	runValidateCases(t, false, []validateCase{
		bad("a.*.com", `"*" is allowed only as the whole leftmost label`),
		bad("sub.*.example.com", `"*" is allowed only as the whole leftmost label`),
		bad("*.*.example.com", `"*" is allowed only as the whole leftmost label`),
		bad("example.*", `"*" is allowed only as the whole leftmost label`),
		bad("*foo.com", `"*" must be the whole leftmost label, on its own, like "*.example.com" (not "*foo")`),
		bad("*domain.example.com", `(not "*domain")`),
		bad("**.x.com", `(not "**")`),
		bad("f*o.x.com", `(not "f*o")`),
		bad("*", `"*" must be followed by "." and a domain name`),
		bad("*.", `"*" must be followed by "." and a domain name`),
		bad("*..com", "is not a valid host name"),
		bad("*.-x.com", "is not a valid host name"),
		bad("*.example.com:443", "without a port"),
		{"wildcard domain_name", func(c *Config) { d0(c).DomainName = "*.example.com" },
			"distribution[0].domain_name", `must not contain "*" (only aliases may be wildcards`},
		{"wildcard origin", func(c *Config) {
			c.Distributions[0].Origins[0].Kind = KindHTTP
			c.Distributions[0].Origins[0].DomainName = "*.o.com"
		},
			"distribution[0].origin[0].domain_name", `must not contain "*"`},
		{"duplicate wildcard", func(c *Config) { d0(c).Aliases = []string{"*.a.com", "*.A.com"} },
			"distribution[0].aliases[1]", "already used by distribution[0].aliases[0]"},
	})
	for _, good := range [][]string{
		{"*.example.com"},
		{"*.com"},
		{"*.example.com", "example.com", "www.example.com"}, // overlapping is allowed
		{"*.a-b.example.co.uk"},
	} {
		c := fullConfig(t)
		d0(c).Aliases = good
		if err := c.Validate(); err != nil {
			t.Errorf("aliases %q: %v", good, err)
		}
	}
}

func TestWildcardParent(t *testing.T) {
	tests := []struct{ host, want string }{
		{"a.example.com", "example.com"},
		{"a.b.example.com", "b.example.com"}, // so "*.example.com" does not cover it
		{"example.com", "com"},
		{"localhost", ""},
		{"", ""},
		{".example.com", ""},
		{"a.", ""},
		{"a..b", ".b"},
	}
	for _, tt := range tests {
		got := WildcardParent([]byte(tt.host))
		if string(got) != tt.want || (tt.want == "") != (got == nil) {
			t.Errorf("WildcardParent(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
	for _, tt := range []struct {
		alias, parent string
		ok            bool
	}{
		{"*.example.com", "example.com", true},
		{"www.example.com", "", false},
		{"*.", "", false},
		{"*", "", false},
	} {
		if p, ok := WildcardAliasParent(tt.alias); p != tt.parent || ok != tt.ok {
			t.Errorf("WildcardAliasParent(%q) = %q, %v; want %q, %v", tt.alias, p, ok, tt.parent, tt.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { WildcardParent([]byte("a.example.com")) }); n != 0 {
		t.Errorf("WildcardParent allocates %v times", n)
	}
}

// TestWildcardLookup shows the intended use: exact names first, then the wildcard parent;
// the * covers exactly one label and an exact alias wins.
func TestWildcardLookup(t *testing.T) {
	exact := map[string]string{"www.example.com": "exact"}
	wild := map[string]string{}
	for alias, dist := range map[string]string{"*.example.com": "wild", "*.b.example.com": "deeper"} {
		if p, ok := WildcardAliasParent(alias); ok {
			wild[p] = dist
		}
	}
	lookup := func(host string) string {
		if d, ok := exact[host]; ok {
			return d
		}
		return wild[string(WildcardParent([]byte(host)))]
	}
	for host, want := range map[string]string{
		"www.example.com":   "exact",
		"a.example.com":     "wild",
		"a.b.example.com":   "deeper",
		"x.y.c.example.com": "",
		"example.com":       "",
		"a.example.org":     "",
	} {
		if got := lookup(host); got != want {
			t.Errorf("lookup(%q) = %q, want %q", host, got, want)
		}
	}
}

func FuzzWildcardAlias(f *testing.F) {
	for _, s := range []string{"*.example.com", "a.*.com", "*foo.com", "*", "**.x.com", "*.", "x.com", "*..", "*.a.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg := hostProblem(s, true)
		parent, isWild := WildcardAliasParent(s)
		if msg == "" && strings.Contains(s, "*") {
			// An accepted wildcard is "*." and a host name with no further "*".
			if !isWild || strings.Contains(parent, "*") || hostProblem(parent, false) != "" {
				t.Fatalf("accepted %q, parent %q, %v", s, parent, isWild)
			}
			// It covers exactly the hosts one label below its parent.
			if got := WildcardParent([]byte("x." + parent)); string(got) != parent {
				t.Fatalf("WildcardParent(x.%s) = %q", parent, got)
			}
		}
		if strings.Contains(s, "*") && hostProblem(s, false) == "" {
			t.Fatalf("a non-alias host %q with * accepted", s)
		}
		if p := WildcardParent([]byte(s)); p != nil && (len(p) >= len(s) || !strings.HasSuffix(s, "."+string(p))) {
			t.Fatalf("WildcardParent(%q) = %q", s, p)
		}
	})
}

func TestHostProblem(t *testing.T) {
	for _, tc := range []struct {
		host     string
		wildcard bool
		ok       bool
	}{
		{"example.com", false, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"fe80::1%eth0", false, false}, // a zone names an interface, not a host
		{"::%*", true, false},          // found by FuzzWildcardAlias: an address with zone "*"
		{"*.example.com", true, true},
		{"*.example.com", false, false},
		{"example.com:80", false, false},
		{"a_b.example.com", false, true},
		{"-a.example.com", false, false},
	} {
		if got := hostProblem(tc.host, tc.wildcard) == ""; got != tc.ok {
			t.Errorf("hostProblem(%q, %v) = %q; want ok %v", tc.host, tc.wildcard, hostProblem(tc.host, tc.wildcard), tc.ok)
		}
	}
}
