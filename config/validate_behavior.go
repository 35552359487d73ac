package config

import (
	"mime"
	"sort"
	"strings"
)

// maxPatternLen is CloudFront's limit on path patterns and the default root object.
const maxPatternLen = 255

// isPatternChar reports whether r may appear in a path pattern ("Path pattern",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html):
// A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + & and "?" (the one-character wildcard).
func isPatternChar(r rune) bool { return isAlnum(r) || strings.ContainsRune(`_-.*$/~"'@:+&?`, r) }

// isRootObjectChar is the path-pattern set minus "@", ":", "+" and the "?" wildcard
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html).
func isRootObjectChar(r rune) bool { return isAlnum(r) || strings.ContainsRune(`_-.*$/~"'&`, r) }

func firstBad(s string, ok func(rune) bool) rune {
	for _, r := range s {
		if !ok(r) {
			return r
		}
	}
	return 0
}

func checkRootObject(e *errs, path, s string) {
	switch {
	case len(s) > maxPatternLen:
		e.add(path, "must be at most %d characters, got %d", maxPatternLen, len(s))
	case strings.HasPrefix(s, "/"):
		e.add(path, "must not start with \"/\" (write %q)", strings.TrimLeft(s, "/"))
	case firstBad(s, isRootObjectChar) != 0:
		e.add(path, "character %q is not allowed (allowed: A-Z a-z 0-9 _ - . * $ / ~ \" ' &)", firstBad(s, isRootObjectChar))
	}
}

// methodSet returns the sorted, comma-joined form of a method list.
func methodSet(ms []string) string {
	s := append([]string(nil), ms...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

// The legal AllowedMethods and CachedMethods sets
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AllowedMethods.html,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachedMethods.html), in methodSet form.
const (
	methodsGetHead        = "GET,HEAD"
	methodsGetHeadOptions = "GET,HEAD,OPTIONS"
	methodsAll            = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
)

func isMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "DELETE":
		return true
	}
	return false
}

// validate checks one behavior. targets holds the distribution's origin and group ids.
func (b *Behavior) validate(e *errs, p string, isDefault bool, targets map[string]bool, c *Config) {
	switch {
	case isDefault && b.PathPattern != "":
		e.add(p+".path_pattern", "is not allowed on the default behavior (it matches \"*\")")
	case isDefault:
	case b.PathPattern == "":
		e.add(p+".path_pattern", "is required")
	case len(b.PathPattern) > maxPatternLen:
		e.add(p+".path_pattern", "must be at most %d characters, got %d", maxPatternLen, len(b.PathPattern))
	case firstBad(b.PathPattern, isPatternChar) != 0:
		e.add(p+".path_pattern", "character %q is not allowed (allowed: A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : + &)",
			firstBad(b.PathPattern, isPatternChar))
	}
	switch {
	case b.TargetOriginID == "":
		e.add(p+".target_origin_id", "is required")
	case !targets[b.TargetOriginID]:
		e.add(p+".target_origin_id", "%q is not an origin or origin group of this distribution", b.TargetOriginID)
	}
	switch b.ViewerProtocolPolicy {
	case "", "allow-all", "redirect-to-https", "https-only":
	default:
		e.add(p+".viewer_protocol_policy", "must be allow-all, redirect-to-https or https-only, not %q", b.ViewerProtocolPolicy)
	}
	b.validateMethods(e, p)
	if b.SmoothManifestContentType != "" {
		if _, _, err := mime.ParseMediaType(b.SmoothManifestContentType); err != nil {
			e.add(p+".smooth_manifest_content_type", "%q is not a media type", b.SmoothManifestContentType)
		}
	}
	if b.CachePolicy != "" {
		if _, ok := c.CachePolicyByName(b.CachePolicy); !ok {
			e.add(p+".cache_policy", "%q is neither a managed cache policy nor a [[cache_policy]] name", b.CachePolicy)
		}
		for _, f := range []struct {
			key string
			set bool
		}{
			{"min_ttl", b.MinTTL != nil}, {"default_ttl", b.DefaultTTL != nil},
			{"max_ttl", b.MaxTTL != nil}, {"forwarded_values", b.ForwardedValues != nil},
		} {
			if f.set {
				e.add(p+"."+f.key, "cannot be set together with cache_policy")
			}
		}
	}
	if b.OriginRequestPolicy != "" {
		if b.CachePolicy == "" {
			e.add(p+".origin_request_policy", "requires cache_policy")
		}
		if _, ok := c.OriginRequestPolicyByName(b.OriginRequestPolicy); !ok {
			e.add(p+".origin_request_policy", "%q is neither a managed origin request policy nor an [[origin_request_policy]] name",
				b.OriginRequestPolicy)
		}
	}
	if b.ResponseHeadersPolicy != "" {
		if _, ok := c.ResponseHeadersPolicyByName(b.ResponseHeadersPolicy); !ok {
			e.add(p+".response_headers_policy", "%q is neither a managed response headers policy nor a [[response_headers_policy]] name",
				b.ResponseHeadersPolicy)
		}
	}
	b.validateFunctionAssociations(e, p, c)
	if b.CachePolicy == "" {
		checkTTLs(e, p, b.MinTTL, b.DefaultTTL, b.MaxTTL)
		if b.ForwardedValues != nil {
			b.ForwardedValues.validate(e, p+".forwarded_values", b.MinTTL)
		}
	}
}

func (b *Behavior) validateMethods(e *errs, p string) {
	allowed := methodsGetHead
	if b.AllowedMethods != nil {
		allowed = methodSet(b.AllowedMethods)
		if !checkMethodNames(e, p+".allowed_methods", b.AllowedMethods) {
			allowed = ""
		} else if allowed != methodsGetHead && allowed != methodsGetHeadOptions && allowed != methodsAll {
			e.add(p+".allowed_methods", "must be [GET, HEAD], [GET, HEAD, OPTIONS] or [GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE], got [%s]",
				strings.Join(b.AllowedMethods, ", "))
			allowed = ""
		}
	}
	if b.CachedMethods == nil {
		return
	}
	cached := methodSet(b.CachedMethods)
	switch {
	case !checkMethodNames(e, p+".cached_methods", b.CachedMethods):
	case cached != methodsGetHead && cached != methodsGetHeadOptions:
		e.add(p+".cached_methods", "must be [GET, HEAD] or [GET, HEAD, OPTIONS], got [%s]", strings.Join(b.CachedMethods, ", "))
	case cached == methodsGetHeadOptions && allowed == methodsGetHead:
		e.add(p+".cached_methods", "OPTIONS is cached but not in allowed_methods")
	}
}

// checkMethodNames reports each entry that is not an upper-case HTTP method CloudFront knows.
func checkMethodNames(e *errs, path string, ms []string) bool {
	ok := true
	for i, m := range ms {
		if !isMethod(m) {
			ok = false
			if isMethod(strings.ToUpper(m)) {
				e.add(idx(path, i), "method %q must be upper case (%q)", m, strings.ToUpper(m))
			} else {
				e.add(idx(path, i), "%q is not one of GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE", m)
			}
		}
	}
	return ok
}

// checkTTLs checks 0 ≤ min ≤ default ≤ max, with unset values taking CloudFront's defaults.
func checkTTLs(e *errs, p string, minP, defP, maxP *int64) {
	minV, defV, maxV := defaultTTLs(minP, defP, maxP)
	switch {
	case *minV < 0:
		e.add(p+".min_ttl", "must not be negative, got %d", *minV)
	case *defV < *minV:
		e.add(p+".default_ttl", "must be at least min_ttl (%d), got %d", *minV, *defV)
	case *maxV < *defV:
		e.add(p+".max_ttl", "must be at least default_ttl (%d), got %d", *defV, *maxV)
	}
}

// Legacy forwarding limit: headers per cache behavior with legacy cache settings ("Quotas on
// headers", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-custom-headers).
const maxForwardedHeaders = 10

func (f *ForwardedValues) validate(e *errs, p string, minTTL *int64) {
	if len(f.Headers) > maxForwardedHeaders {
		e.add(p+".headers", "at most %d headers are allowed, got %d", maxForwardedHeaders, len(f.Headers))
	}
	for i, h := range f.Headers {
		switch {
		case h == "*" && len(f.Headers) > 1:
			e.add(idx(p+".headers", i), "\"*\" (forward all headers) must be the only entry")
		case h == "*" && minTTL != nil && *minTTL > 0:
			e.add(idx(p+".headers", i), "\"*\" disables caching, so min_ttl must be 0")
		case h != "*" && (h == "" || !allChars(h, isTokenChar)):
			e.add(idx(p+".headers", i), "%q is not a valid header name", h)
		}
	}
	if len(f.QueryStringCacheKeys) > 0 && !f.QueryString {
		e.add(p+".query_string_cache_keys", "requires query_string = true")
	}
	switch f.Cookies.Forward {
	case "", "none", "all":
		if len(f.Cookies.WhitelistedNames) > 0 {
			e.add(p+".cookies.whitelisted_names", "is only allowed with forward = \"whitelist\"")
		}
	case "whitelist":
		if len(f.Cookies.WhitelistedNames) == 0 {
			e.add(p+".cookies.whitelisted_names", "is required with forward = \"whitelist\"")
		}
	default:
		e.add(p+".cookies.forward", "must be none, whitelist or all, not %q", f.Cookies.Forward)
	}
}

// Policy limits ("General quotas on policies",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies).
const (
	maxPolicyNames     = 10
	maxPolicyNameChars = 1024
	maxPolicyNameLen   = 128
)

func checkPolicyName(e *errs, p, name string, seen map[string]string) {
	switch {
	case name == "":
		e.add(p+".name", "is required")
	case len(name) > maxPolicyNameLen || !allChars(name, isIDChar):
		e.add(p+".name", "must be up to %d letters, digits, '-' and '_', not %q", maxPolicyNameLen, name)
	case isManagedName(name):
		e.add(p+".name", "%q is the name of a managed policy", name)
	case seen[name] != "":
		e.add(p+".name", "duplicate policy name %q (also %s)", name, seen[name])
	default:
		seen[name] = p
	}
}

// checkSelector checks one ParamSelector against the behaviors allowed for it; withNames
// are those that take a name list (and require one). It returns the characters used by
// the names.
func checkSelector(e *errs, p string, s ParamSelector, allowed, withNames []string) int {
	if s.Behavior != "" && !containsStr(allowed, s.Behavior) {
		e.add(p+".behavior", "must be %s, not %q", orList(allowed), s.Behavior)
		return 0
	}
	takesNames := containsStr(withNames, s.Behavior)
	switch {
	case len(s.Names) > 0 && !takesNames:
		e.add(p+".names", "is only allowed with behavior %s", orList(withNames))
	case len(s.Names) == 0 && takesNames && s.Behavior != "allViewerAndWhitelistCloudFront":
		e.add(p+".names", "at least one name is required with behavior %q", s.Behavior)
	case len(s.Names) > maxPolicyNames:
		e.add(p+".names", "at most %d names are allowed, got %d", maxPolicyNames, len(s.Names))
	}
	chars := 0
	for i, n := range s.Names {
		chars += len(n)
		if n == "" {
			e.add(idx(p+".names", i), "must not be empty")
		}
	}
	return chars
}

func (c *Config) validateCachePolicies(e *errs) {
	seen := map[string]string{}
	for i := range c.CachePolicies {
		cp := &c.CachePolicies[i]
		p := idx("cache_policy", i)
		checkPolicyName(e, p, cp.Name, seen)
		checkTTLs(e, p, cp.MinTTL, cp.DefaultTTL, cp.MaxTTL)
		keyed := []string{"whitelist", "allExcept"}
		chars := checkSelector(e, p+".headers", cp.Headers, []string{"none", "whitelist"}, []string{"whitelist"})
		checkHeaderNames(e, p+".headers.names", cp.Headers.Names)
		chars += checkSelector(e, p+".cookies", cp.Cookies, []string{"none", "whitelist", "allExcept", "all"}, keyed)
		chars += checkSelector(e, p+".query_strings", cp.QueryStrings, []string{"none", "whitelist", "allExcept", "all"}, keyed)
		if chars > maxPolicyNameChars {
			e.add(p, "header, cookie and query string names together must be at most %d characters, got %d", maxPolicyNameChars, chars)
		}
	}
}

func (c *Config) validateOriginRequestPolicies(e *errs) {
	seen := map[string]string{}
	for i := range c.OriginRequestPolicies {
		op := &c.OriginRequestPolicies[i]
		p := idx("origin_request_policy", i)
		checkPolicyName(e, p, op.Name, seen)
		checkSelector(e, p+".headers", op.Headers,
			[]string{"none", "whitelist", "allViewer", "allViewerAndWhitelistCloudFront", "allExcept"},
			[]string{"whitelist", "allViewerAndWhitelistCloudFront", "allExcept"})
		checkHeaderNames(e, p+".headers.names", op.Headers.Names)
		for j, n := range op.Headers.Names {
			if strings.EqualFold(n, "Authorization") {
				e.add(idx(p+".headers.names", j), "Authorization cannot be listed in an origin request policy (put it in the cache policy)")
			}
		}
		keyed := []string{"whitelist", "allExcept"}
		checkSelector(e, p+".cookies", op.Cookies, []string{"none", "whitelist", "all", "allExcept"}, keyed)
		checkSelector(e, p+".query_strings", op.QueryStrings, []string{"none", "whitelist", "all", "allExcept"}, keyed)
	}
}

// checkHeaderNames reports policy header names that are not RFC 9110 tokens (§5.1): no
// viewer can send such a header, and a ':' in a name would make cache keys ambiguous.
// Empty names are checkSelector's to report.
func checkHeaderNames(e *errs, p string, names []string) {
	for i, n := range names {
		if n != "" && !allChars(n, isTokenChar) {
			e.add(idx(p, i), "%q is not a valid header name", n)
		}
	}
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
