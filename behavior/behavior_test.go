package behavior

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

func TestNewDefaults(t *testing.T) {
	b := mustNew(t, -1, Spec{Behavior: config.Behavior{TargetOriginID: "media"}})
	if b.Index != -1 || b.Pattern != nil || b.PathPattern != "" || !b.IsDefault() {
		t.Errorf("default behavior identity: %+v", b)
	}
	if b.ViewerProtocolPolicy != "allow-all" || b.Allowed != GetHead || b.Cached != GetHead {
		t.Errorf("defaults: %q %v %v", b.ViewerProtocolPolicy, b.Allowed, b.Cached)
	}
	if b.TTL != (TTLPolicy{0, 86400 * time.Second, 31536000 * time.Second}) {
		t.Errorf("TTL defaults = %+v", b.TTL)
	}
	if b.NoCache || b.NoCollapse || b.SmoothManifestContentType != "text/xml" {
		t.Errorf("flags: %+v", b)
	}
	if g, br := b.Compression(); g || br {
		t.Error("Compression without Compress")
	}
	if !b.Cacheable([]byte("GET")) || b.Cacheable([]byte("OPTIONS")) || b.Cacheable([]byte("POST")) {
		t.Error("Cacheable is wrong")
	}
}

func TestNewTTLDefaults(t *testing.T) {
	tests := []struct {
		min, def, max *int64
		want          TTLPolicy
	}{
		{nil, nil, nil, TTLPolicy{0, 86400 * sec, 31536000 * sec}},
		{i64(100000), nil, nil, TTLPolicy{100000 * sec, 100000 * sec, 31536000 * sec}}, // Min > 86400
		{i64(40000000), nil, nil, TTLPolicy{40000000 * sec, 40000000 * sec, 40000000 * sec}},
		{nil, i64(40000000), nil, TTLPolicy{0, 40000000 * sec, 40000000 * sec}},
		{i64(5), i64(60), i64(600), TTLPolicy{5 * sec, 60 * sec, 600 * sec}},
	}
	for _, tt := range tests {
		b := mustNew(t, 0, Spec{Behavior: config.Behavior{PathPattern: "*", TargetOriginID: "o",
			MinTTL: tt.min, DefaultTTL: tt.def, MaxTTL: tt.max}})
		if b.TTL != tt.want {
			t.Errorf("TTL = %+v, want %+v", b.TTL, tt.want)
		}
		cp := config.CachePolicy{Name: "p", MinTTL: tt.min, DefaultTTL: tt.def, MaxTTL: tt.max}
		if b := policyBehavior(t, cp, nil); b.TTL != tt.want {
			t.Errorf("policy TTL = %+v, want %+v", b.TTL, tt.want)
		}
	}
}

func TestNewNoCache(t *testing.T) {
	disabled := config.CachePolicy{Name: "CachingDisabled", MinTTL: i64(0), DefaultTTL: i64(0), MaxTTL: i64(0)}
	b := policyBehavior(t, disabled, nil)
	if !b.NoCache || !b.NoCollapse || b.TTL != (TTLPolicy{}) || b.Cacheable([]byte("GET")) {
		t.Errorf("CachingDisabled: %+v", b)
	}
	if g, br := b.Compression(); g || br {
		t.Error("CachingDisabled compresses")
	}
	optimized := config.CachePolicy{Name: "CachingOptimized", MinTTL: i64(1), DefaultTTL: i64(86400), MaxTTL: i64(31536000),
		EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true}
	b = policyBehavior(t, optimized, nil)
	if b.NoCache || b.NoCollapse {
		t.Errorf("CachingOptimized: %+v", b)
	}
	if g, br := b.Compression(); !g || !br {
		t.Error("CachingOptimized with Compress does not compress")
	}
	b = policyBehavior(t, config.CachePolicy{Name: "x", Cookies: sel("all"), EnableAcceptEncodingGzip: true,
		Headers: sel("whitelist", "accept-encoding")}, nil)
	if b.NoCache || !b.NoCollapse {
		t.Errorf("cookies in key must stop collapsing: %+v", b)
	}
	if g, br := b.Compression(); g || br {
		t.Error("Accept-Encoding listed explicitly must disable compression")
	}
	b = legacyBehavior(t, &config.ForwardedValues{Headers: []string{"Host", "*"}}, true)
	if !b.NoCache || !b.NoCollapse || b.TTL != (TTLPolicy{}) {
		t.Errorf(`legacy headers ["*"]: %+v`, b)
	}
	if g, _ := legacyBehavior(t, nil, true).Compression(); !g {
		t.Error("legacy Compress does not gzip")
	}
}

func TestNewErrors(t *testing.T) {
	cp := &config.CachePolicy{Name: "p"}
	tests := []struct {
		name  string
		index int
		s     Spec
		is    error
		text  string
	}{
		{"bad pattern", 0, Spec{Behavior: config.Behavior{PathPattern: "/a b", TargetOriginID: "o"}}, ErrInvalidPattern, `path_pattern "/a b"`},
		{"empty pattern", 1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}}, ErrInvalidPattern, "empty"},
		{"default with pattern", -1, Spec{Behavior: config.Behavior{PathPattern: "/x", TargetOriginID: "o"}}, ErrInvalidPattern, "default behavior"},
		{"no origin", 0, Spec{Behavior: config.Behavior{PathPattern: "*"}}, ErrInvalidPolicy, "target_origin_id"},
		{"viewer protocol", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", ViewerProtocolPolicy: "http-only"}}, ErrInvalidPolicy, "viewer_protocol_policy"},
		{"unknown method", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", AllowedMethods: []string{"GET", "TRACE"}}}, ErrInvalidMethod, "TRACE"},
		{"illegal allowed set", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", AllowedMethods: []string{"GET", "HEAD", "POST"}}}, ErrInvalidMethod, "allowed_methods"},
		{"illegal cached set", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", AllowedMethods: []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"},
			CachedMethods: []string{"GET", "HEAD", "POST"}}}, ErrInvalidMethod, "cached_methods"},
		{"cached not allowed", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", CachedMethods: []string{"GET", "HEAD", "OPTIONS"}}}, ErrInvalidMethod, "not all allowed"},
		{"negative ttl", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", MinTTL: i64(-1)}}, ErrInvalidPolicy, "min_ttl -1"},
		{"min > max", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", MinTTL: i64(10), MaxTTL: i64(5), DefaultTTL: i64(7)}}, ErrInvalidPolicy, "min_ttl ≤ default_ttl"},
		{"legacy with policy", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", MinTTL: i64(1)}, CachePolicy: cp}, ErrInvalidPolicy, "excludes"},
		{"ORP without policy", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}, OriginRequestPolicy: &config.OriginRequestPolicy{Name: "o"}}, ErrInvalidPolicy, "needs a cache_policy"},
		{"bad cookie forward", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", ForwardedValues: &config.ForwardedValues{Cookies: config.Cookies{Forward: "some"}}}}, ErrInvalidPolicy, "cookies.forward"},
		{"cp header allExcept", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}, CachePolicy: &config.CachePolicy{Name: "p", Headers: sel("allExcept")}}, ErrInvalidPolicy, `headers behavior "allExcept"`},
		{"cp query bad", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}, CachePolicy: &config.CachePolicy{Name: "p", QueryStrings: sel("some")}}, ErrInvalidPolicy, "query_strings"},
		{"orp bad headers", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}, CachePolicy: cp, OriginRequestPolicy: &config.OriginRequestPolicy{Name: "o", Headers: sel("all")}}, ErrInvalidPolicy, "allViewer"},
		{"orp Authorization", -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}, CachePolicy: cp, OriginRequestPolicy: &config.OriginRequestPolicy{Name: "o", Headers: sel("whitelist", "authorization")}}, ErrInvalidPolicy, "Authorization"},
	}
	for _, tt := range tests {
		_, err := New(tt.index, tt.s)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "behavior: ") {
			t.Errorf("%s: error %q, want it to wrap %v and contain %q", tt.name, err, tt.is, tt.text)
		}
	}
}

func TestTableFirstMatchWins(t *testing.T) {
	patterns := []string{"/images/thumbs/*", "/images/*.jpg", "*.jpg", "/api/v?/*", "/images/*"}
	var ordered []*Behavior
	for i, p := range patterns {
		ordered = append(ordered, mustNew(t, i, Spec{Behavior: config.Behavior{PathPattern: p, TargetOriginID: p}}))
	}
	def := mustNew(t, -1, Spec{Behavior: config.Behavior{TargetOriginID: "default"}})
	tab := NewTable(ordered, def)
	tests := []struct {
		path string
		want string
	}{
		{"/images/thumbs/a.jpg", "/images/thumbs/*"}, // earlier beats more specific later
		{"/images/a.jpg", "/images/*.jpg"},
		{"/images/sub/a.jpg", "/images/*.jpg"},
		{"/other/a.jpg", "*.jpg"},
		{"/images/a.png", "/images/*"},
		{"/api/v1/users", "/api/v?/*"},
		{"/api/v10/users", "default"},
		{"/IMAGES/a.png", "default"},
		{"/", "default"},
	}
	for _, tt := range tests {
		if got := tab.Match([]byte(tt.path)); got.TargetOriginID != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.path, got.TargetOriginID, tt.want)
		}
	}
	all := tab.Behaviors()
	if len(all) != len(patterns)+1 || all[len(all)-1] != def || all[0] != ordered[0] || tab.Default() != def {
		t.Errorf("Behaviors() = %d entries, default last: %v", len(all), all[len(all)-1] == def)
	}
	if NewTable(nil, nil).Match([]byte("/x")) != nil {
		t.Error("empty table matched")
	}
	if got := NewTable([]*Behavior{nil, ordered[1]}, nil); len(got.Behaviors()) != 1 {
		t.Error("nil behaviors are not skipped")
	}
}
