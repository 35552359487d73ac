package config

import (
	"testing"
)

func TestCachePolicyByName(t *testing.T) {
	c := fullConfig(t)
	tests := []struct {
		name     string
		lookup   string
		wantName string
		wantMin  int64
		ok       bool
	}{
		{"short name", "CachingOptimized", "Managed-CachingOptimized", 1, true},
		{"API name", "Managed-CachingOptimized", "Managed-CachingOptimized", 1, true},
		{"id", "658327ea-f89d-4fab-a63d-7e88639e58f6", "Managed-CachingOptimized", 1, true},
		{"id upper case", "658327EA-F89D-4FAB-A63D-7E88639E58F6", "Managed-CachingOptimized", 1, true},
		{"disabled by id", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "Managed-CachingDisabled", 0, true},
		{"unprefixed API name", "UseOriginCacheControlHeaders", "UseOriginCacheControlHeaders", 0, true},
		{"unprefixed policy with Managed-", "Managed-UseOriginCacheControlHeaders-QueryStrings",
			"UseOriginCacheControlHeaders-QueryStrings", 0, true},
		{"Amplify", "Amplify", "Managed-Amplify", 2, true},
		{"custom", "KeyOnLang", "KeyOnLang", 0, true},
		{"names are case-sensitive", "cachingoptimized", "", 0, false},
		{"unknown", "Nope", "", 0, false},
		{"empty", "", "", 0, false},
		{"an origin request policy is not a cache policy", "AllViewer", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := c.CachePolicyByName(tt.lookup)
			if ok != tt.ok {
				t.Fatalf("CachePolicyByName(%q) ok = %v, want %v", tt.lookup, ok, tt.ok)
			}
			if !ok {
				return
			}
			if p.Name != tt.wantName || p.MinTTL == nil || *p.MinTTL != tt.wantMin {
				t.Errorf("CachePolicyByName(%q) = %q min %v, want %q min %d", tt.lookup, p.Name, p.MinTTL, tt.wantName, tt.wantMin)
			}
		})
	}
}

func TestOriginRequestPolicyByName(t *testing.T) {
	c := fullConfig(t)
	tests := []struct {
		lookup, wantName, wantHeaders string
		ok                            bool
	}{
		{"AllViewer", "Managed-AllViewer", "allViewer", true},
		{"Managed-AllViewer", "Managed-AllViewer", "allViewer", true},
		{"216adef6-5c7f-47e4-b989-5492eafa07d3", "Managed-AllViewer", "allViewer", true},
		{"AllViewerExceptHostHeader", "Managed-AllViewerExceptHostHeader", "allExcept", true},
		{"AllViewerAndCloudFrontHeaders-2022-06", "Managed-AllViewerAndCloudFrontHeaders-2022-06", "allViewerAndWhitelistCloudFront", true},
		{"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "Managed-CORS-S3Origin", "whitelist", true},
		{"ForwardUA", "ForwardUA", "whitelist", true},
		{"CachingOptimized", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		p, ok := c.OriginRequestPolicyByName(tt.lookup)
		if ok != tt.ok || p.Name != tt.wantName || p.Headers.Behavior != tt.wantHeaders {
			t.Errorf("OriginRequestPolicyByName(%q) = %q/%q, %v; want %q/%q, %v",
				tt.lookup, p.Name, p.Headers.Behavior, ok, tt.wantName, tt.wantHeaders, tt.ok)
		}
	}
	// A nil Config still knows the managed policies.
	if _, ok := (*Config)(nil).OriginRequestPolicyByName("UserAgentRefererHeaders"); !ok {
		t.Error("nil Config: managed policy not found")
	}
	if _, ok := (*Config)(nil).CachePolicyByName("Elemental-MediaPackage"); !ok {
		t.Error("nil Config: managed cache policy not found")
	}
}

func TestPolicyLookupsReturnCopies(t *testing.T) {
	c := fullConfig(t)
	p, _ := c.CachePolicyByName("KeyOnLang")
	*p.MinTTL = 999
	p.Headers.Names[0] = "changed"
	if *c.CachePolicies[0].MinTTL == 999 || c.CachePolicies[0].Headers.Names[0] == "changed" {
		t.Error("CachePolicyByName returned shared state")
	}
	m, _ := c.CachePolicyByName("Amplify")
	m.Headers.Names[0] = "changed"
	*m.MaxTTL = 1
	if again, _ := c.CachePolicyByName("Amplify"); again.Headers.Names[0] != "Authorization" || *again.MaxTTL != 600 {
		t.Error("managed cache policy data is shared between calls")
	}
	o, _ := c.OriginRequestPolicyByName("ForwardUA")
	o.Headers.Names[0] = "changed"
	if c.OriginRequestPolicies[0].Headers.Names[0] == "changed" {
		t.Error("OriginRequestPolicyByName returned shared state")
	}
	s3, _ := c.OriginRequestPolicyByName("CORS-S3Origin")
	s3.Headers.Names[0] = "changed"
	if tailor, _ := c.OriginRequestPolicyByName("Elemental-MediaTailor-PersonalizedManifests"); tailor.Headers.Names[0] != "Origin" {
		t.Error("managed origin request policies share name slices")
	}
}

func TestManagedPolicyData(t *testing.T) {
	cps := ManagedCachePolicies()
	if len(cps) != 7 {
		t.Fatalf("%d managed cache policies, want 7", len(cps))
	}
	ids := map[string]bool{}
	for _, m := range cps {
		p := m.Policy
		if ids[m.ID] || len(m.ID) != 36 {
			t.Errorf("%s: bad or duplicate id %q", m.ShortName, m.ID)
		}
		ids[m.ID] = true
		if *p.MinTTL > *p.DefaultTTL || *p.DefaultTTL > *p.MaxTTL {
			t.Errorf("%s: TTLs out of order", m.ShortName)
		}
	}
	disabled, _ := (*Config)(nil).CachePolicyByName("CachingDisabled")
	if *disabled.MaxTTL != 0 || disabled.EnableAcceptEncodingGzip {
		t.Errorf("CachingDisabled = %+v", disabled)
	}
	mp, _ := (*Config)(nil).CachePolicyByName("Elemental-MediaPackage")
	if !mp.EnableAcceptEncodingGzip || mp.EnableAcceptEncodingBrotli || len(mp.QueryStrings.Names) != 4 {
		t.Errorf("Elemental-MediaPackage = %+v", mp)
	}
	orps := ManagedOriginRequestPolicies()
	if len(orps) != 8 {
		t.Fatalf("%d managed origin request policies, want 8", len(orps))
	}
	for _, m := range orps {
		if ids[m.ID] || len(m.ID) != 36 {
			t.Errorf("%s: bad or duplicate id %q", m.ShortName, m.ID)
		}
		ids[m.ID] = true
	}
	if h, ok := (*Config)(nil).OriginRequestPolicyByName("bf0718e1-ba1e-49d1-88b1-f726733018ae"); !ok ||
		h.Name != "Managed-HostHeaderOnly" || h.Headers.Behavior != "whitelist" || len(h.Headers.Names) != 1 || h.Headers.Names[0] != "Host" {
		t.Errorf("HostHeaderOnly = %+v, %v", h, ok)
	}
	cf, _ := (*Config)(nil).OriginRequestPolicyByName("AllViewerAndCloudFrontHeaders-2022-06")
	if len(cf.Headers.Names) != 21 {
		t.Errorf("AllViewerAndCloudFrontHeaders-2022-06 lists %d CloudFront headers, want 21", len(cf.Headers.Names))
	}
}
