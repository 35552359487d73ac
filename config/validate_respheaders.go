package config

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Response headers policy limits: 20 custom policies ("General quotas on policies",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies);
// the comment, CSP and custom header sizes of ResponseHeadersPolicyConfig
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyConfig.html)
// and "Quotas on headers"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-custom-headers).
const (
	maxResponseHeadersPolicies = 20
	maxPolicyCommentLen        = 128
)

// corsMethods are the values of ResponseHeadersPolicyAccessControlAllowMethods
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyAccessControlAllowMethods.html).
func corsMethods() []string {
	return []string{"GET", "DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "ALL"}
}

// referrerPolicies are the values of ResponseHeadersPolicyReferrerPolicy
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyReferrerPolicy.html).
func referrerPolicies() []string {
	return []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}
}

// unremovableResponseHeader reports whether CloudFront refuses name in a policy's
// RemoveHeadersConfig ("Remove headers",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html#understanding-response-headers-policies-remove-headers):
// hop-by-hop and framing fields, and those CloudFront owns (X-Amz-Cf-*, X-Edge-*).
// Names compare case-insensitively.
func unremovableResponseHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "x-amz-cf-") || strings.HasPrefix(n, "x-edge-") {
		return true
	}
	switch n {
	case "connection", "content-encoding", "content-length", "expect", "host", "keep-alive",
		"proxy-authenticate", "proxy-authorization", "proxy-connection", "trailer",
		"transfer-encoding", "upgrade", "via", "warning", "x-accel-buffering", "x-accel-charset",
		"x-accel-limit-rate", "x-accel-redirect", "x-amzn-auth", "x-amzn-cf-billing", "x-amzn-cf-id",
		"x-amzn-cf-xff", "x-amzn-errortype", "x-amzn-fle-profile", "x-amzn-header-count",
		"x-amzn-header-order", "x-amzn-lambda-integration-tag", "x-amzn-requestid", "x-cache",
		"x-forwarded-proto", "x-real-ip":
		return true
	}
	return false
}

func (c *Config) validateResponseHeadersPolicies(e *errs) {
	if len(c.ResponseHeadersPolicies) > maxResponseHeadersPolicies {
		e.add("response_headers_policy", "at most %d response headers policies are allowed, got %d",
			maxResponseHeadersPolicies, len(c.ResponseHeadersPolicies))
	}
	seen := map[string]string{}
	for i := range c.ResponseHeadersPolicies {
		rp := &c.ResponseHeadersPolicies[i]
		p := idx("response_headers_policy", i)
		checkPolicyName(e, p, rp.Name, seen)
		rp.validate(e, p)
	}
}

func (rp *ResponseHeadersPolicy) validate(e *errs, p string) {
	if n := utf8.RuneCountInString(rp.Comment); n > maxPolicyCommentLen {
		e.add(p+".comment", "must be at most %d characters, got %d", maxPolicyCommentLen, n)
	}
	if rp.CorsConfig == nil && rp.SecurityHeadersConfig == nil && len(rp.CustomHeadersConfig) == 0 &&
		len(rp.RemoveHeadersConfig) == 0 && rp.ServerTimingHeadersConfig == nil {
		e.add(p, "the policy does nothing: set cors_config, security_headers_config, custom_headers_config, "+
			"remove_headers_config or server_timing_headers_config")
	}
	if rp.CorsConfig != nil {
		rp.CorsConfig.validate(e, p+".cors_config")
	}
	if rp.SecurityHeadersConfig != nil {
		rp.SecurityHeadersConfig.validate(e, p+".security_headers_config")
	}
	validateCustomResponseHeaders(e, p+".custom_headers_config", rp.CustomHeadersConfig)
	seen := map[string]int{}
	for i, h := range rp.RemoveHeadersConfig {
		hp := idx(p+".remove_headers_config", i) + ".header"
		key := strings.ToLower(h.Header)
		switch {
		case h.Header == "":
			e.add(hp, "is required")
		case !allChars(h.Header, isTokenChar):
			e.add(hp, "%q is not a valid header name", h.Header)
		case unremovableResponseHeader(h.Header):
			e.add(hp, "%q cannot be removed by a response headers policy", h.Header)
		default:
			if j, dup := seen[key]; dup {
				e.add(hp, "duplicate header %q (also remove_headers_config[%d])", h.Header, j)
			} else {
				seen[key] = i
			}
		}
	}
	if st := rp.ServerTimingHeadersConfig; st != nil {
		r := st.SamplingRate
		switch {
		case math.IsNaN(r) || r < 0 || r > 100:
			e.add(p+".server_timing_headers_config.sampling_rate", "must be 0 to 100 (a percentage), got %g", r)
		case math.Abs(r*1e4-math.Round(r*1e4)) > 1e-6:
			e.add(p+".server_timing_headers_config.sampling_rate", "must have at most four decimals, got %g", r)
		}
	}
}

func (cc *CorsConfig) validate(e *errs, p string) {
	credentials := cc.AccessControlAllowCredentials
	if len(cc.AccessControlAllowOrigins) == 0 {
		e.add(p+".access_control_allow_origins", "at least one origin is required (\"*\" allows any)")
	}
	for i, o := range cc.AccessControlAllowOrigins {
		op := idx(p+".access_control_allow_origins", i)
		if msg := corsOriginProblem(o); msg != "" {
			e.add(op, "%q %s", o, msg)
		} else if o == "*" && credentials {
			e.add(op, "\"*\" cannot be used with access_control_allow_credentials = true: browsers refuse "+
				"credentialed responses that allow any origin; list the origins")
		}
	}
	checkHeaderValueLen(e, p+".access_control_allow_origins", cc.AccessControlAllowOrigins)

	if len(cc.AccessControlAllowHeaders) == 0 {
		e.add(p+".access_control_allow_headers", "at least one header name (or \"*\") is required")
	}
	if credentials {
		for i, h := range cc.AccessControlAllowHeaders {
			if h == "*" {
				e.add(idx(p+".access_control_allow_headers", i),
					"\"*\" cannot be used with access_control_allow_credentials = true (CloudFront refuses it); list the headers")
			}
		}
	}
	checkCORSHeaderNames(e, p+".access_control_allow_headers", cc.AccessControlAllowHeaders)
	checkHeaderValueLen(e, p+".access_control_allow_headers", cc.AccessControlAllowHeaders)

	mp := p + ".access_control_allow_methods"
	if len(cc.AccessControlAllowMethods) == 0 {
		e.add(mp, "at least one method is required (%s)", orList(corsMethods()))
	}
	seen := map[string]int{}
	for i, m := range cc.AccessControlAllowMethods {
		switch {
		case !containsStr(corsMethods(), m):
			if containsStr(corsMethods(), strings.ToUpper(m)) {
				e.add(idx(mp, i), "method %q must be upper case (%q)", m, strings.ToUpper(m))
			} else {
				e.add(idx(mp, i), "%q is not one of %s", m, orList(corsMethods()))
			}
		case m == "ALL" && len(cc.AccessControlAllowMethods) > 1:
			e.add(idx(mp, i), "ALL (every method) must be the only entry")
		default:
			if j, dup := seen[m]; dup {
				e.add(idx(mp, i), "duplicate method %q (also access_control_allow_methods[%d])", m, j)
			} else {
				seen[m] = i
			}
		}
	}

	checkCORSHeaderNames(e, p+".access_control_expose_headers", cc.AccessControlExposeHeaders)
	checkHeaderValueLen(e, p+".access_control_expose_headers", cc.AccessControlExposeHeaders)
	if cc.AccessControlMaxAgeSec != nil && *cc.AccessControlMaxAgeSec < 0 {
		e.add(p+".access_control_max_age_sec", "must not be negative, got %d", *cc.AccessControlMaxAgeSec)
	}
}

// corsOriginProblem returns "" when s may be listed in access_control_allow_origins, else what
// is wrong: "*" alone, or [scheme://]host[:port] with no path, where the host may have "*" as its
// whole leftmost label ("https://*.example.org") and nowhere else ("CORS",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html#understanding-response-headers-policies-cors).
func corsOriginProblem(s string) string {
	if s == "*" {
		return ""
	}
	rest := s
	if scheme, after, ok := strings.Cut(s, "://"); ok {
		if scheme == "" || !allChars(scheme, func(r rune) bool { return isAlnum(r) || r == '+' || r == '-' || r == '.' }) {
			return "has no valid scheme (write an origin like \"https://www.example.com\")"
		}
		rest = after
	}
	if rest == "" {
		return "is empty (write an origin like \"https://www.example.com\")"
	}
	if strings.ContainsAny(rest, "/?#") {
		return "must be an origin (scheme://host[:port]) without a path"
	}
	host := rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host = rest[:i]
		port := rest[i+1:]
		if port == "" || len(port) > 5 || !allChars(port, func(r rune) bool { return r >= '0' && r <= '9' }) {
			return "has an invalid port"
		}
	}
	if strings.Contains(host, "*") {
		if !strings.HasPrefix(host, "*.") || strings.Contains(host[2:], "*") {
			return "may use \"*\" only as its whole leftmost label (like \"https://*.example.org\"), not in the middle, inside a label or as the top-level domain"
		}
		host = host[2:]
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		return "" // an IPv6 literal
	}
	if hostProblem(host, false) != "" {
		return "is not a valid origin (scheme://host[:port])"
	}
	return ""
}

// checkCORSHeaderNames accepts header names and "*".
func checkCORSHeaderNames(e *errs, p string, names []string) {
	seen := map[string]int{}
	for i, n := range names {
		switch {
		case n == "":
			e.add(idx(p, i), "must not be empty")
		case n != "*" && !allChars(n, isTokenChar):
			e.add(idx(p, i), "%q is not a valid header name (or \"*\")", n)
		default:
			if j, dup := seen[strings.ToLower(n)]; dup {
				e.add(idx(p, i), "duplicate header %q (also [%d])", n, j)
			} else {
				seen[strings.ToLower(n)] = i
			}
		}
	}
}

// checkHeaderValueLen checks that a list joined with ", " fits in one header value.
func checkHeaderValueLen(e *errs, p string, list []string) {
	if n := len(strings.Join(list, ", ")); n > maxHeaderValueLen {
		e.add(p, "the header value would be %d characters; at most %d are allowed", n, maxHeaderValueLen)
	}
}

func (s *SecurityHeadersConfig) validate(e *errs, p string) {
	if s.XSSProtection == nil && s.FrameOptions == nil && s.ReferrerPolicy == nil &&
		s.ContentSecurityPolicy == nil && s.ContentTypeOptions == nil && s.StrictTransportSecurity == nil {
		e.add(p, "set at least one of xss_protection, frame_options, referrer_policy, content_security_policy, "+
			"content_type_options or strict_transport_security")
	}
	if x := s.XSSProtection; x != nil {
		xp := p + ".xss_protection"
		switch {
		case x.ModeBlock && x.ReportURI != "":
			e.add(xp+".report_uri", "cannot be set together with mode_block = true")
		case !x.Protection && (x.ModeBlock || x.ReportURI != ""):
			e.add(xp+".protection", "must be true when mode_block or report_uri is set (\"X-XSS-Protection: 0\" takes no directives)")
		}
		if x.ReportURI != "" && (strings.ContainsAny(x.ReportURI, "\r\n\x00; ") || len(x.ReportURI) > maxHeaderValueLen-len("1; report=")) {
			e.add(xp+".report_uri", "must be a URI without spaces, ';', CR or LF, of at most %d characters",
				maxHeaderValueLen-len("1; report="))
		}
	}
	if f := s.FrameOptions; f != nil {
		switch f.FrameOption {
		case "DENY", "SAMEORIGIN":
		case "":
			e.add(p+".frame_options.frame_option", "is required: DENY or SAMEORIGIN")
		default:
			e.add(p+".frame_options.frame_option", "must be DENY or SAMEORIGIN, not %q", f.FrameOption)
		}
	}
	if r := s.ReferrerPolicy; r != nil {
		switch {
		case r.ReferrerPolicy == "":
			e.add(p+".referrer_policy.referrer_policy", "is required: %s", orList(referrerPolicies()))
		case !containsStr(referrerPolicies(), r.ReferrerPolicy):
			e.add(p+".referrer_policy.referrer_policy", "must be %s, not %q", orList(referrerPolicies()), r.ReferrerPolicy)
		}
	}
	if c := s.ContentSecurityPolicy; c != nil {
		cp := p + ".content_security_policy.content_security_policy"
		switch {
		case c.ContentSecurityPolicy == "":
			e.add(cp, "is required")
		case len(c.ContentSecurityPolicy) > maxHeaderValueLen:
			e.add(cp, "must be at most %d characters, got %d", maxHeaderValueLen, len(c.ContentSecurityPolicy))
		case strings.ContainsAny(c.ContentSecurityPolicy, "\r\n\x00"):
			e.add(cp, "must not contain CR, LF or NUL")
		}
	}
	if t := s.StrictTransportSecurity; t != nil {
		tp := p + ".strict_transport_security.access_control_max_age_sec"
		switch {
		case t.AccessControlMaxAgeSec == nil:
			e.add(tp, "is required (seconds; 31536000 is a year)")
		case *t.AccessControlMaxAgeSec < 0:
			e.add(tp, "must not be negative, got %d", *t.AccessControlMaxAgeSec)
		}
	}
}

func validateCustomResponseHeaders(e *errs, p string, hs []ResponseCustomHeader) {
	list := make([]customHeader, len(hs))
	for i, h := range hs {
		list[i] = customHeader{h.Header, h.Value}
	}
	// unremovableResponseHeader is edge's own rule here: these fields carry the framing or
	// belong to CloudFront.
	validateCustomHeaders(e, p, "header", list, unremovableResponseHeader, "cannot be set by a response headers policy")
}
