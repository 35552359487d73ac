package config

import "strings"

// ManagedCachePolicy is one of CloudFront's managed cache policies
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html).
// Policy.Name is its API name ("Managed-CachingOptimized"; the two UseOriginCacheControlHeaders
// policies carry no prefix), ShortName the console name ("CachingOptimized").
type ManagedCachePolicy struct {
	ID        string
	ShortName string
	Policy    CachePolicy
}

// ManagedOriginRequestPolicy is one of CloudFront's managed origin request policies
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html).
// Policy.Name is its API name ("Managed-AllViewer").
type ManagedOriginRequestPolicy struct {
	ID        string
	ShortName string
	Policy    OriginRequestPolicy
}

// ManagedCachePolicies returns CloudFront's managed cache policies, in the order of the
// CloudFront documentation. Each call returns fresh values the caller may modify.
func ManagedCachePolicies() []ManagedCachePolicy {
	ttl := func(minV, defV, maxV int64) (*int64, *int64, *int64) { return i64(minV), i64(defV), i64(maxV) }
	none := ParamSelector{Behavior: "none"}
	all := ParamSelector{Behavior: "all"}
	wl := func(names ...string) ParamSelector {
		return ParamSelector{Behavior: "whitelist", Names: append([]string(nil), names...)}
	}
	mk := func(id, short, apiName, comment string, minV, defV, maxV int64, gzip, br bool,
		h, c, q ParamSelector) ManagedCachePolicy {
		p := CachePolicy{Name: apiName, Comment: comment, EnableAcceptEncodingGzip: gzip,
			EnableAcceptEncodingBrotli: br, Headers: h, Cookies: c, QueryStrings: q}
		p.MinTTL, p.DefaultTTL, p.MaxTTL = ttl(minV, defV, maxV)
		return ManagedCachePolicy{ID: id, ShortName: short, Policy: p}
	}
	useOriginHeaders := func() ParamSelector {
		return wl("Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")
	}
	return []ManagedCachePolicy{
		mk("658327ea-f89d-4fab-a63d-7e88639e58f6", "CachingOptimized", "Managed-CachingOptimized",
			"Default policy when CF compression is enabled",
			1, 86400, 31536000, true, true, none, none, none),
		mk("b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "CachingOptimizedForUncompressedObjects",
			"Managed-CachingOptimizedForUncompressedObjects",
			"Default policy when compression is disabled",
			1, 86400, 31536000, false, false, none, none, none),
		mk("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "CachingDisabled", "Managed-CachingDisabled",
			"Policy with caching disabled",
			0, 0, 0, false, false, none, none, none),
		mk("2e54312d-136d-493c-8eb9-b001f22f67d2", "Amplify", "Managed-Amplify",
			"Policy for Amplify Origin",
			2, 2, 600, true, true, wl("Authorization", "CloudFront-Viewer-Country", "Host"), all, all),
		mk("08627262-05a9-4f76-9ded-b50ca2e3a84f", "Elemental-MediaPackage", "Managed-Elemental-MediaPackage",
			"Policy for Elemental MediaPackage Origin",
			0, 86400, 31536000, true, false, wl("Origin"), none, wl("aws.manifestfilter", "start", "end", "m")),
		mk("83da9c7e-98b4-4e11-a168-04f0df8e2c65", "UseOriginCacheControlHeaders", "UseOriginCacheControlHeaders",
			"Honors Cache-Control from the origin; keys on Host and Origin",
			0, 0, 31536000, true, true, useOriginHeaders(), all, none),
		mk("4cc15a8a-d715-48a4-82b8-cc0b614638fe", "UseOriginCacheControlHeaders-QueryStrings",
			"UseOriginCacheControlHeaders-QueryStrings",
			"Like UseOriginCacheControlHeaders, with all query strings in the key",
			0, 0, 31536000, true, true, useOriginHeaders(), all, all),
	}
}

// ManagedOriginRequestPolicies returns CloudFront's managed origin request policies, in the
// order of the CloudFront documentation, then HostHeaderOnly (a newer policy that forwards
// only Host; its id comes from AWS's own infrastructure-as-code listings, not the guide).
// Each call returns fresh values.
func ManagedOriginRequestPolicies() []ManagedOriginRequestPolicy {
	none := ParamSelector{Behavior: "none"}
	all := ParamSelector{Behavior: "all"}
	wl := func(names ...string) ParamSelector {
		return ParamSelector{Behavior: "whitelist", Names: append([]string(nil), names...)}
	}
	mk := func(id, short, comment string, h, c, q ParamSelector) ManagedOriginRequestPolicy {
		return ManagedOriginRequestPolicy{ID: id, ShortName: short, Policy: OriginRequestPolicy{
			Name: "Managed-" + short, Comment: comment, Headers: h, Cookies: c, QueryStrings: q}}
	}
	cors := []string{"Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"}
	return []ManagedOriginRequestPolicy{
		mk("216adef6-5c7f-47e4-b989-5492eafa07d3", "AllViewer",
			"Policy to forward all parameters in viewer requests",
			ParamSelector{Behavior: "allViewer"}, all, all),
		mk("33f36d7e-f396-46d9-90e0-52428a34d9dc", "AllViewerAndCloudFrontHeaders-2022-06",
			"Policy to forward all parameters in viewer requests and all CloudFront headers released through June 2022",
			ParamSelector{Behavior: "allViewerAndWhitelistCloudFront", Names: cloudFrontHeaders2022()}, all, all),
		mk("b689b0a8-53d0-40ab-baf2-68738e2966ac", "AllViewerExceptHostHeader",
			"Policy to forward all viewer parameters except the Host header",
			ParamSelector{Behavior: "allExcept", Names: []string{"Host"}}, all, all),
		mk("59781a5b-3903-41f3-afcb-af62929ccde1", "CORS-CustomOrigin",
			"Policy for origin with CORS",
			wl("Origin"), none, none),
		mk("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "CORS-S3Origin",
			"Policy for S3 origin with CORS",
			wl(cors...), none, none),
		mk("775133bc-15f2-49f9-abea-afb2e0bf67d2", "Elemental-MediaTailor-PersonalizedManifests",
			"Policy for Elemental MediaTailor Origin",
			wl(append(cors, "User-Agent", "X-Forwarded-For")...), none, all),
		mk("acba4595-bd28-49b8-b9fe-13317c0390fa", "UserAgentRefererHeaders",
			"Policy for origins that use User-Agent and Referer",
			wl("User-Agent", "Referer"), none, none),
		mk("bf0718e1-ba1e-49d1-88b1-f726733018ae", "HostHeaderOnly",
			"Policy to forward only the Host header",
			wl("Host"), none, none),
	}
}

// cloudFrontHeaders2022 are the CloudFront-* headers of AllViewerAndCloudFrontHeaders-2022-06.
func cloudFrontHeaders2022() []string {
	return []string{
		"CloudFront-Forwarded-Proto",
		"CloudFront-Is-Android-Viewer", "CloudFront-Is-Desktop-Viewer", "CloudFront-Is-IOS-Viewer",
		"CloudFront-Is-Mobile-Viewer", "CloudFront-Is-SmartTV-Viewer", "CloudFront-Is-Tablet-Viewer",
		"CloudFront-Viewer-Address", "CloudFront-Viewer-ASN", "CloudFront-Viewer-City",
		"CloudFront-Viewer-Country", "CloudFront-Viewer-Country-Name",
		"CloudFront-Viewer-Country-Region", "CloudFront-Viewer-Country-Region-Name",
		"CloudFront-Viewer-Http-Version", "CloudFront-Viewer-Latitude", "CloudFront-Viewer-Longitude",
		"CloudFront-Viewer-Metro-Code", "CloudFront-Viewer-Postal-Code", "CloudFront-Viewer-Time-Zone",
		"CloudFront-Viewer-TLS",
	}
}

// matchesManaged reports whether name is the short name, the API name, the short name with
// a "Managed-" prefix, or the id of a managed policy. Names compare exactly; ids
// case-insensitively.
func matchesManaged(name, id, short, apiName string) bool {
	return name == short || name == apiName || name == "Managed-"+short || strings.EqualFold(name, id)
}

// CachePolicyByName returns the cache policy a behavior's cache_policy names: a managed
// policy by short name ("CachingOptimized"), API name ("Managed-CachingOptimized") or id, or
// else a custom [[cache_policy]] by name. The result is a deep copy. Safe on a nil Config
// (managed policies only). It allocates, so resolve policies once at start-up.
func (c *Config) CachePolicyByName(name string) (CachePolicy, bool) {
	if name == "" {
		return CachePolicy{}, false
	}
	for _, m := range ManagedCachePolicies() {
		if matchesManaged(name, m.ID, m.ShortName, m.Policy.Name) {
			return m.Policy, true
		}
	}
	if c != nil {
		for _, p := range c.CachePolicies {
			if p.Name == name {
				return copyCachePolicy(p), true
			}
		}
	}
	return CachePolicy{}, false
}

// OriginRequestPolicyByName returns the origin request policy a behavior's
// origin_request_policy names: a managed policy by short name ("AllViewer"), API name
// ("Managed-AllViewer") or id, or else a custom [[origin_request_policy]] by name. The
// result is a deep copy. Safe on a nil Config (managed policies only). It allocates, so
// resolve policies once at start-up.
func (c *Config) OriginRequestPolicyByName(name string) (OriginRequestPolicy, bool) {
	if name == "" {
		return OriginRequestPolicy{}, false
	}
	for _, m := range ManagedOriginRequestPolicies() {
		if matchesManaged(name, m.ID, m.ShortName, m.Policy.Name) {
			return m.Policy, true
		}
	}
	if c != nil {
		for _, p := range c.OriginRequestPolicies {
			if p.Name == name {
				return copyOriginRequestPolicy(p), true
			}
		}
	}
	return OriginRequestPolicy{}, false
}

// isManagedName reports whether a custom policy name would shadow a managed policy's
// name or id (compared case-insensitively, to keep names unambiguous).
func isManagedName(name string) bool {
	for _, m := range ManagedCachePolicies() {
		if managedClash(name, m.ID, m.ShortName, m.Policy.Name) {
			return true
		}
	}
	for _, m := range ManagedOriginRequestPolicies() {
		if managedClash(name, m.ID, m.ShortName, m.Policy.Name) {
			return true
		}
	}
	for _, m := range ManagedResponseHeadersPolicies() {
		if managedClash(name, m.ID, m.ShortName, m.Policy.Name) {
			return true
		}
	}
	return false
}

func managedClash(name, id, short, apiName string) bool {
	return strings.EqualFold(name, id) || strings.EqualFold(name, short) ||
		strings.EqualFold(name, apiName) || strings.EqualFold(name, "Managed-"+short)
}

func copyCachePolicy(p CachePolicy) CachePolicy {
	p.MinTTL, p.DefaultTTL, p.MaxTTL = copyI64(p.MinTTL), copyI64(p.DefaultTTL), copyI64(p.MaxTTL)
	p.Headers, p.Cookies, p.QueryStrings = copySel(p.Headers), copySel(p.Cookies), copySel(p.QueryStrings)
	return p
}

func copyOriginRequestPolicy(p OriginRequestPolicy) OriginRequestPolicy {
	p.Headers, p.Cookies, p.QueryStrings = copySel(p.Headers), copySel(p.Cookies), copySel(p.QueryStrings)
	return p
}

func copySel(s ParamSelector) ParamSelector {
	if s.Names != nil {
		s.Names = append([]string(nil), s.Names...)
	}
	return s
}

func copyI64(p *int64) *int64 {
	if p == nil {
		return nil
	}
	return i64(*p)
}
