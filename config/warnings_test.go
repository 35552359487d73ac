package config

import (
	"strings"
	"testing"
)

func TestWarningsAuthorization(t *testing.T) {
	const path = "distribution[0].behavior[0].origin_request_policy"
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string // path of the one warning, "" for none
	}{
		{"full.toml has none", func(*Config) {}, ""},
		{"Managed-AllViewer with CachingOptimized", func(c *Config) {
			b := &d0(c).Behaviors[0]
			b.CachePolicy, b.OriginRequestPolicy = "CachingOptimized", "Managed-AllViewer"
		}, path},
		{"AllViewer by id", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "216adef6-5c7f-47e4-b989-5492eafa07d3"
		}, path},
		{"AllViewerAndCloudFrontHeaders", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "AllViewerAndCloudFrontHeaders-2022-06"
		}, path},
		{"custom allViewer policy", func(c *Config) {
			c.OriginRequestPolicies[0].Headers = ParamSelector{Behavior: "allViewer"}
		}, path},
		{"on the default behavior", func(c *Config) {
			b := &d0(c).DefaultBehavior
			b.CachePolicy, b.OriginRequestPolicy = "KeyOnLang", "AllViewer"
		}, "distribution[0].default_behavior.origin_request_policy"},
		{"Authorization in the key (custom policy)", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "AllViewer"
			c.CachePolicies[0].Headers.Names = append(c.CachePolicies[0].Headers.Names, "authorization")
		}, ""},
		{"Authorization in the key (Managed-Amplify)", func(c *Config) {
			b := &d0(c).Behaviors[0]
			b.CachePolicy, b.OriginRequestPolicy = "Amplify", "AllViewer"
		}, ""},
		{"nothing cached (CachingDisabled)", func(c *Config) {
			b := &d0(c).Behaviors[0]
			b.CachePolicy, b.OriginRequestPolicy = "CachingDisabled", "AllViewer"
		}, ""},
		{"MaxTTL 0 in a custom policy", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "AllViewer"
			zero := int64(0)
			c.CachePolicies[0].MinTTL, c.CachePolicies[0].DefaultTTL, c.CachePolicies[0].MaxTTL = &zero, &zero, &zero
		}, ""},
		{"MaxTTL left to its default caches", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "AllViewer"
			c.CachePolicies[0].MinTTL, c.CachePolicies[0].DefaultTTL, c.CachePolicies[0].MaxTTL = nil, nil, nil
		}, path},
		{"allExcept does not forward Authorization", func(c *Config) {
			c.OriginRequestPolicies[0].Headers = ParamSelector{Behavior: "allExcept", Names: []string{"Host"}}
		}, ""},
		{"AllViewerExceptHostHeader (allExcept): edge does not forward it", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "AllViewerExceptHostHeader"
		}, ""},
		{"unresolved policy is Validate's business", func(c *Config) {
			d0(c).Behaviors[0].OriginRequestPolicy = "NoSuchPolicy"
		}, ""},
	}
	for _, tt := range tests {
		c := fullConfig(t)
		tt.mutate(c)
		ws := c.Warnings()
		switch {
		case tt.want == "" && len(ws) != 0:
			t.Errorf("%s: got warnings %v, want none", tt.name, ws)
		case tt.want != "" && (len(ws) != 1 || ws[0].Path != tt.want):
			t.Errorf("%s: got warnings %v, want one at %s", tt.name, ws, tt.want)
		case tt.want != "" && !strings.Contains(ws[0].Msg, "Authorization"):
			t.Errorf("%s: message %q does not name Authorization", tt.name, ws[0].Msg)
		}
		// Defaults do not change the answer.
		c.ApplyDefaults()
		if again := c.Warnings(); len(again) != len(ws) {
			t.Errorf("%s: %d warnings before ApplyDefaults, %d after", tt.name, len(ws), len(again))
		}
	}
	var nilConfig *Config
	if nilConfig.Warnings() != nil {
		t.Error("nil Config has warnings")
	}
}

func TestValidatePolicyHeaderNames(t *testing.T) {
	runValidateCases(t, false, []validateCase{
		{"cache policy header with colon", func(c *Config) {
			c.CachePolicies[0].Headers.Names = []string{"Accept-Language", "x-a:b"}
		}, "cache_policy[0].headers.names[1]", `"x-a:b" is not a valid header name`},
		{"cache policy header with space", func(c *Config) {
			c.CachePolicies[0].Headers.Names = []string{"X Lang"}
		}, "cache_policy[0].headers.names[0]", "is not a valid header name"},
		{"origin request policy header", func(c *Config) {
			c.OriginRequestPolicies[0].Headers.Names = []string{"User-Agent", "bad\nname"}
		}, "origin_request_policy[0].headers.names[1]", "is not a valid header name"},
	})
}
