package config

import (
	"strconv"
	"strings"
	"testing"
)

func TestValidateBehaviors(t *testing.T) {
	// In full.toml: behavior[0] "/api/*" uses a custom cache policy and origin request
	// policy, behavior[1] "/video/*.ism/*" legacy TTLs and forwarded_values, behavior[2]
	// "a??.jpg" managed policies by API name and id.
	b := func(c *Config, i int) *Behavior { return &d0(c).Behaviors[i] }
	fv := func(c *Config) *ForwardedValues { return b(c, 1).ForwardedValues }
	runValidateCases(t, false, []validateCase{
		{"path_pattern missing", func(c *Config) { b(c, 1).PathPattern = "" }, "distribution[0].behavior[1].path_pattern", "required"},
		{"path_pattern on default", func(c *Config) { d0(c).DefaultBehavior.PathPattern = "*" },
			"distribution[0].default_behavior.path_pattern", "not allowed on the default behavior"},
		{"path_pattern too long", func(c *Config) { b(c, 1).PathPattern = "/" + strings.Repeat("a", 255) },
			"distribution[0].behavior[1].path_pattern", "at most 255"},
		{"path_pattern bad char", func(c *Config) { b(c, 1).PathPattern = "/a%20b/*" }, "distribution[0].behavior[1].path_pattern", "'%'"},
		{"path_pattern duplicate", func(c *Config) { b(c, 2).PathPattern = "/api/*" }, "distribution[0].behavior[2].path_pattern", "also distribution[0].behavior[0]"},
		{"path_pattern duplicate without leading slash", func(c *Config) { b(c, 2).PathPattern = "api/*" },
			"distribution[0].behavior[2].path_pattern", "duplicate"},
		{"too many behaviors", func(c *Config) {
			for i := range MaxBehaviors - 2 { // with the base's 3: one over
				d0(c).Behaviors = append(d0(c).Behaviors, Behavior{PathPattern: "/p" + strconv.Itoa(i), TargetOriginID: "files"})
			}
		}, "distribution[0].behavior", "at most 75"},
		{"target missing", func(c *Config) { b(c, 1).TargetOriginID = "" }, "distribution[0].behavior[1].target_origin_id", "required"},
		{"target unknown", func(c *Config) { d0(c).DefaultBehavior.TargetOriginID = "nope" },
			"distribution[0].default_behavior.target_origin_id", "not an origin or origin group"},
		{"target in other distribution", func(c *Config) { b(c, 1).TargetOriginID = "o" }, "distribution[0].behavior[1].target_origin_id", "\"o\""},
		{"viewer protocol policy", func(c *Config) { b(c, 1).ViewerProtocolPolicy = "https" },
			"distribution[0].behavior[1].viewer_protocol_policy", "allow-all, redirect-to-https or https-only"},
		{"allowed_methods not a legal set", func(c *Config) { b(c, 1).AllowedMethods = []string{"GET", "HEAD", "POST"} },
			"distribution[0].behavior[1].allowed_methods", "must be [GET, HEAD]"},
		{"allowed_methods lower case", func(c *Config) { b(c, 1).AllowedMethods = []string{"get", "HEAD"} },
			"distribution[0].behavior[1].allowed_methods[0]", "upper case"},
		{"allowed_methods unknown", func(c *Config) { b(c, 1).AllowedMethods = []string{"GET", "HEAD", "TRACE"} },
			"distribution[0].behavior[1].allowed_methods[2]", "not one of"},
		{"cached_methods not a legal set", func(c *Config) { b(c, 0).CachedMethods = []string{"GET"} },
			"distribution[0].behavior[0].cached_methods", "[GET, HEAD] or [GET, HEAD, OPTIONS]"},
		{"cached OPTIONS not allowed", func(c *Config) { b(c, 1).CachedMethods = []string{"OPTIONS", "GET", "HEAD"} },
			"distribution[0].behavior[1].cached_methods", "not in allowed_methods"},
		{"cache_policy unknown", func(c *Config) { b(c, 0).CachePolicy = "Nope" }, "distribution[0].behavior[0].cache_policy", "neither"},
		{"cache_policy with min_ttl", func(c *Config) { b(c, 0).MinTTL = i64(1) }, "distribution[0].behavior[0].min_ttl", "together with cache_policy"},
		{"cache_policy with max_ttl", func(c *Config) { b(c, 2).MaxTTL = i64(1) }, "distribution[0].behavior[2].max_ttl", "together with cache_policy"},
		{"cache_policy with forwarded_values", func(c *Config) { b(c, 0).ForwardedValues = &ForwardedValues{} },
			"distribution[0].behavior[0].forwarded_values", "together with cache_policy"},
		{"origin_request_policy without cache_policy", func(c *Config) { b(c, 2).CachePolicy = "" },
			"distribution[0].behavior[2].origin_request_policy", "requires cache_policy"},
		{"origin_request_policy unknown", func(c *Config) { b(c, 0).OriginRequestPolicy = "KeyOnLang" },
			"distribution[0].behavior[0].origin_request_policy", "neither"},
		{"min_ttl negative", func(c *Config) { b(c, 1).MinTTL = i64(-1) }, "distribution[0].behavior[1].min_ttl", "negative"},
		{"default_ttl under min_ttl", func(c *Config) { b(c, 1).DefaultTTL = i64(5) }, "distribution[0].behavior[1].default_ttl", "at least min_ttl (10)"},
		{"max_ttl under default_ttl", func(c *Config) { b(c, 1).MaxTTL = i64(100) }, "distribution[0].behavior[1].max_ttl", "at least default_ttl (600)"},
		{"too many forwarded headers", func(c *Config) {
			fv(c).Headers = nil
			for i := range 11 {
				fv(c).Headers = append(fv(c).Headers, "X-F"+strconv.Itoa(i))
			}
		}, "distribution[0].behavior[1].forwarded_values.headers", "at most 10"},
		{"forwarded * not alone", func(c *Config) { fv(c).Headers = []string{"Origin", "*"} },
			"distribution[0].behavior[1].forwarded_values.headers[1]", "only entry"},
		{"forwarded * with min_ttl", func(c *Config) { fv(c).Headers = []string{"*"} },
			"distribution[0].behavior[1].forwarded_values.headers[0]", "min_ttl must be 0"},
		{"forwarded bad header", func(c *Config) { fv(c).Headers = []string{"a b"} },
			"distribution[0].behavior[1].forwarded_values.headers[0]", "not a valid header name"},
		{"query_string_cache_keys without query_string", func(c *Config) { fv(c).QueryString = false },
			"distribution[0].behavior[1].forwarded_values.query_string_cache_keys", "requires query_string"},
		{"cookies forward unknown", func(c *Config) { fv(c).Cookies.Forward = "some" },
			"distribution[0].behavior[1].forwarded_values.cookies.forward", "none, whitelist or all"},
		{"whitelisted_names without whitelist", func(c *Config) { fv(c).Cookies.Forward = "all" },
			"distribution[0].behavior[1].forwarded_values.cookies.whitelisted_names", "only allowed"},
		{"whitelist without names", func(c *Config) { fv(c).Cookies.WhitelistedNames = nil },
			"distribution[0].behavior[1].forwarded_values.cookies.whitelisted_names", "required"},
		{"smooth manifest content type", func(c *Config) { b(c, 1).SmoothManifestContentType = "text xml" },
			"distribution[0].behavior[1].smooth_manifest_content_type", "not a media type"},
	})
}

func TestValidatePolicies(t *testing.T) {
	cp := func(c *Config) *CachePolicy { return &c.CachePolicies[0] }
	op := func(c *Config) *OriginRequestPolicy { return &c.OriginRequestPolicies[0] }
	addCP := func(c *Config, name string) { c.CachePolicies = append(c.CachePolicies, CachePolicy{Name: name}) }
	addOP := func(c *Config, name string) {
		c.OriginRequestPolicies = append(c.OriginRequestPolicies, OriginRequestPolicy{Name: name})
	}
	runValidateCases(t, false, []validateCase{
		{"cache policy name missing", func(c *Config) { addCP(c, "") }, "cache_policy[1].name", "required"},
		{"cache policy name chars", func(c *Config) { addCP(c, "my policy") }, "cache_policy[1].name", "letters, digits"},
		{"cache policy name is managed", func(c *Config) { addCP(c, "cachingoptimized") }, "cache_policy[1].name", "managed policy"},
		{"cache policy name is managed id", func(c *Config) { addCP(c, "4135ea2d-6df8-44a3-9df3-4b5a84be39ad") }, "cache_policy[1].name", "managed policy"},
		{"cache policy name duplicate", func(c *Config) { addCP(c, "KeyOnLang") }, "cache_policy[1].name", "also cache_policy[0]"},
		{"cache policy TTL order", func(c *Config) { cp(c).MinTTL = i64(7200) }, "cache_policy[0].default_ttl", "at least min_ttl (7200)"},
		{"cache policy headers behavior", func(c *Config) { cp(c).Headers.Behavior = "allViewer" }, "cache_policy[0].headers.behavior", "none or whitelist"},
		{"cache policy cookies behavior", func(c *Config) { cp(c).Cookies.Behavior = "bogus" },
			"cache_policy[0].cookies.behavior", "none, whitelist, allExcept or all"},
		{"cache policy names without whitelist", func(c *Config) { cp(c).Cookies.Names = []string{"a"} }, "cache_policy[0].cookies.names", "only allowed"},
		{"cache policy whitelist without names", func(c *Config) { cp(c).QueryStrings.Names = nil }, "cache_policy[0].query_strings.names", "at least one"},
		{"cache policy too many names", func(c *Config) {
			for i := range 10 {
				cp(c).Headers.Names = append(cp(c).Headers.Names, "X-K"+strconv.Itoa(i))
			}
		}, "cache_policy[0].headers.names", "at most 10"},
		{"cache policy empty name entry", func(c *Config) { cp(c).QueryStrings.Names = []string{""} }, "cache_policy[0].query_strings.names[0]", "empty"},
		{"cache policy names too long together", func(c *Config) {
			cp(c).QueryStrings.Names = []string{strings.Repeat("q", 600), strings.Repeat("r", 600)}
		}, "cache_policy[0]", "at most 1024 characters"},
		{"origin request policy name is managed", func(c *Config) { addOP(c, "Managed-AllViewer") }, "origin_request_policy[1].name", "managed policy"},
		{"origin request policy name duplicate", func(c *Config) { addOP(c, "ForwardUA") }, "origin_request_policy[1].name", "duplicate"},
		{"origin request policy headers behavior", func(c *Config) { op(c).Headers.Behavior = "all" },
			"origin_request_policy[0].headers.behavior", "allViewerAndWhitelistCloudFront"},
		{"origin request policy Authorization", func(c *Config) { op(c).Headers.Names = []string{"User-Agent", "authorization"} },
			"origin_request_policy[0].headers.names[1]", "Authorization cannot be listed"},
		{"origin request policy cookies behavior", func(c *Config) { op(c).Cookies.Behavior = "allViewer" },
			"origin_request_policy[0].cookies.behavior", "none, whitelist, all or allExcept"},
		{"origin request policy names with all", func(c *Config) { op(c).QueryStrings.Behavior = "all" },
			"origin_request_policy[0].query_strings.names", "only allowed"},
	})
}
