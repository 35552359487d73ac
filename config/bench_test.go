package config

import "testing"

// Config work happens once at start-up; these benchmarks keep its cost visible.

func BenchmarkParseDefault(b *testing.B) {
	b.ReportAllocs()
	data := []byte(defaultTOML)
	for b.Loop() {
		if _, err := Parse(data, "default.toml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachePolicyByName shows why callers resolve policies once, not per request.
func BenchmarkCachePolicyByName(b *testing.B) {
	b.ReportAllocs()
	c := &Config{CachePolicies: []CachePolicy{{Name: "mine"}}}
	for b.Loop() {
		if _, ok := c.CachePolicyByName("mine"); !ok {
			b.Fatal("not found")
		}
	}
}
