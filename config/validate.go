package config

import (
	"math"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks c and returns every problem found as Errors, in the order of the schema
// (server, cache, api, logging, policies, key groups, functions, key value stores,
// distributions), or nil. It is pure: it opens no files or sockets (the function code and
// key value store files were read by Parse or Load, and what went wrong then is reported
// here, in place). Fields left at their zero value mean "the default" and are accepted,
// so Validate gives the same answer before and after ApplyDefaults.
//
// The rules are CloudFront's (the distribution settings reference,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-web-values-specify.html,
// the quotas, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html,
// and the API types, https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html)
// plus a few of edge's own:
// references resolve (target origins, policies, group members), ids, domain names, aliases
// and path patterns are unique, and every enumerated setting has a legal value.
func (c *Config) Validate() error {
	if c == nil {
		return Errors{{Msg: "no configuration"}}
	}
	var e errs
	c.validateServer(&e)
	c.validateCache(&e)
	c.validateAPI(&e)
	c.validateFleet(&e)
	switch c.Logging.Level {
	case "", "debug", "info", "warn", "error":
	default:
		e.add("logging.level", "must be debug, info, warn or error, not %q", c.Logging.Level)
	}
	c.validateCachePolicies(&e)
	c.validateOriginRequestPolicies(&e)
	c.validateResponseHeadersPolicies(&e)
	c.validateKeyGroups(&e)
	c.validateFunctions(&e)
	c.validateKeyValueStores(&e)
	c.validateDistributions(&e)
	return e.err()
}

func (c *Config) validateServer(e *errs) {
	s := c.Server
	checkListen(e, "server.listen", s.Listen)
	checkListen(e, "server.api_listen", s.APIListen)
	checkListen(e, "server.tls_listen", s.TLSListen)
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		e.add("server.tls_key_file", "tls_cert_file and tls_key_file go together")
	}
	if s.TLSCertFile != "" && s.TLSListen == "" {
		e.add("server.tls_listen", "required when tls_cert_file is set")
	}
	if s.Listen != "" && s.Listen == s.APIListen && !strings.HasSuffix(s.Listen, ":0") {
		e.add("server.api_listen", "must differ from server.listen (%q)", s.Listen)
	}
	if c := s.ViewerCountry; c != "" && (len(c) != 2 || !allChars(c, func(r rune) bool { return r >= 'A' && r <= 'Z' })) {
		e.add("server.viewer_country", "must be an ISO 3166-1 alpha-2 code in upper case (like \"US\" or \"FR\"), not %q", c)
	}
	if s.Pop != "" && !allChars(s.Pop, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' }) {
		e.add("server.pop", "must be upper-case letters, digits and '-' (like \"LHR50-C1\"), not %q", s.Pop)
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"shutdown_timeout", s.ShutdownTimeout}, {"read_timeout", s.ReadTimeout},
		{"write_timeout", s.WriteTimeout}, {"idle_timeout", s.IdleTimeout},
	} {
		if d.v < 0 {
			e.add("server."+d.key, "must not be negative, got %s", d.v)
		}
	}
}

// checkListen accepts "host:port" and ":port" with a numeric port 0–65535 (0: any free port).
func checkListen(e *errs, path, addr string) {
	if addr == "" {
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		e.add(path, "must be host:port (like \"127.0.0.1:8080\"), not %q", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		e.add(path, "port %q must be a number from 0 to 65535", port)
	}
	if host != "" && hostProblem(host, false) != "" {
		e.add(path, "host %q is not a host name or IP address", host)
	}
}

func (c *Config) validateCache(e *errs) {
	memory := c.Cache.Memory
	if memory == 0 {
		memory = DefaultMemory
	}
	if c.Cache.Memory != 0 && c.Cache.Memory < MiB {
		e.add("cache.memory", "must be at least 1MiB, got %s", c.Cache.Memory)
	}
	switch {
	case c.Cache.MaxObjectSize < 0:
		e.add("cache.max_object_size", "must not be negative, got %s", c.Cache.MaxObjectSize)
	case c.Cache.MaxObjectSize > memory:
		e.add("cache.max_object_size", "must not exceed cache.memory (%s), got %s", memory, c.Cache.MaxObjectSize)
	}
	cc := &c.Cache
	if cc.DiskPath == "" {
		if cc.DiskSize != 0 || cc.DiskMaxObjectSize != 0 {
			e.add("cache.disk_size", "needs cache.disk_path")
		}
		return
	}
	switch {
	case cc.DiskSize == 0:
		e.add("cache.disk_size", "is required with cache.disk_path")
	case cc.DiskSize < MiB:
		e.add("cache.disk_size", "must be at least 1MiB, got %s", cc.DiskSize)
	}
	switch {
	case cc.DiskMaxObjectSize < 0:
		e.add("cache.disk_max_object_size", "must not be negative, got %s", cc.DiskMaxObjectSize)
	case cc.DiskSize > 0 && cc.DiskMaxObjectSize > cc.DiskSize:
		e.add("cache.disk_max_object_size", "must not exceed cache.disk_size (%s), got %s", cc.DiskSize, cc.DiskMaxObjectSize)
	}
}

func (c *Config) validateAPI(e *errs) {
	switch c.API.Auth {
	case "", "sigv4", "none":
	default:
		e.add("api.auth", "must be sigv4 or none, not %q", c.API.Auth)
	}
	if c.API.InvalidationDelay < 0 {
		e.add("api.invalidation_delay", "must not be negative, got %s", c.API.InvalidationDelay)
	}
	if c.API.DeployDelay < 0 {
		e.add("api.deploy_delay", "must not be negative, got %s", c.API.DeployDelay)
	}
	if strings.ContainsRune(c.API.StateDir, 0) {
		e.add("api.state_dir", "must be a folder path, not %q", c.API.StateDir)
	}
	if ep := c.API.S3Endpoint; ep != "" {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" {
			e.add("api.s3_endpoint", "must be an http:// or https:// URL (like \"http://127.0.0.1:9000\"), not %q", ep)
		}
	}
	seen := map[string]int{}
	for i, k := range c.API.Keys {
		p := idx("api.key", i)
		if k.AccessKeyID == "" {
			e.add(p+".access_key_id", "is required")
		} else if j, dup := seen[k.AccessKeyID]; dup {
			e.add(p+".access_key_id", "duplicate access key id %q (also api.key[%d])", k.AccessKeyID, j)
		} else {
			seen[k.AccessKeyID] = i
		}
		if k.SecretAccessKey == "" {
			e.add(p+".secret_access_key", "is required")
		}
	}
}

// Per-distribution quotas, from "General quotas on distributions",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-web-distributions
// (defaults that AWS can raise; edge enforces them, and the API answers going over them with
// the quota's own error code).
const (
	// MaxBehaviors is "Cache behaviors per distribution" (the default behavior apart).
	MaxBehaviors = 75
	// MaxOrigins is "Origins per distribution".
	MaxOrigins = 100
	// MaxOriginGroups is "Origin groups per distribution".
	MaxOriginGroups = 10
	// MaxAliases is "Alternate domain names (CNAMEs) per distribution".
	MaxAliases = 100
)

func (c *Config) validateDistributions(e *errs) {
	if len(c.Distributions) == 0 {
		// Without [[distribution]] the edge waits for distributions created through the API,
		// which needs a way in: an access key, or authentication turned off.
		if c.API.Auth != "none" && len(c.API.Keys) == 0 {
			e.add("distribution", "at least one [[distribution]] is required, unless distributions are created "+
				"through the API: then add an [[api.key]] (or set api.auth = \"none\")")
		}
		return
	}
	ids := map[string]string{}
	hosts := map[string]string{} // lower-cased domain name or alias -> path of its first use
	claim := func(path, host string) {
		h := strings.ToLower(host)
		if first, dup := hosts[h]; dup {
			e.add(path, "%q is already used by %s", host, first)
			return
		}
		hosts[h] = path
	}
	for i := range c.Distributions {
		d := &c.Distributions[i]
		p := idx("distribution", i)
		switch {
		case d.ID == "":
			e.add(p+".id", "is required")
		case !allChars(d.ID, isIDChar):
			e.add(p+".id", "must be letters, digits, '-' and '_', not %q", d.ID)
		case ids[d.ID] != "":
			e.add(p+".id", "duplicate distribution id %q (also %s)", d.ID, ids[d.ID])
		default:
			ids[d.ID] = p
		}
		domain := d.DomainName
		if domain == "" && d.ID != "" {
			domain = DomainNameFor(d.ID)
		}
		// A duplicate id's derived domain name clashes too; that is the same mistake.
		derivedDup := ids[d.ID] != p && domain == DomainNameFor(d.ID)
		switch {
		case domain == "" || derivedDup:
		case hostProblem(domain, false) != "":
			e.add(p+".domain_name", "%q %s", domain, hostProblem(domain, false))
		default:
			claim(p+".domain_name", domain)
		}
		if len(d.Aliases) > MaxAliases {
			e.add(p+".aliases", "at most %d aliases are allowed, got %d", MaxAliases, len(d.Aliases))
		}
		for j, a := range d.Aliases {
			ap := idx(p+".aliases", j)
			if msg := hostProblem(a, true); msg != "" {
				e.add(ap, "%q %s", a, msg)
				continue
			}
			claim(ap, a)
		}
		d.validate(e, p, c)
	}
}

func (d *Distribution) validate(e *errs, p string, c *Config) {
	if d.DefaultRootObject != "" {
		checkRootObject(e, p+".default_root_object", d.DefaultRootObject)
	}
	// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html
	if pc := d.PriceClass; pc != "" && !slices.Contains([]string{"PriceClass_100", "PriceClass_200", "PriceClass_All", "None"}, pc) {
		e.add(p+".price_class", "must be PriceClass_100, PriceClass_200, PriceClass_All or None, got %q", pc)
	}
	if hv := d.HTTPVersion; hv != "" && !slices.Contains([]string{"http1.1", "http2", "http3", "http2and3"}, hv) {
		e.add(p+".http_version", "must be http1.1, http2, http3 or http2and3, got %q", hv)
	}
	if len(d.CallerReference) > 128 {
		e.add(p+".caller_reference", "is %d characters; at most 128", len(d.CallerReference))
	}
	targets := map[string]bool{} // origin and group ids, for target_origin_id
	seen := map[string]string{}
	claimID := func(path, id string) {
		if first, dup := seen[id]; dup {
			e.add(path, "duplicate id %q (also %s)", id, first)
			return
		}
		seen[id] = path
		targets[id] = true
	}
	if len(d.Origins) == 0 {
		e.add(p+".origin", "at least one [[distribution.origin]] is required")
	}
	if len(d.Origins) > MaxOrigins {
		e.add(p+".origin", "at most %d origins are allowed, got %d", MaxOrigins, len(d.Origins))
	}
	origins := map[string]bool{}
	for j := range d.Origins {
		o := &d.Origins[j]
		op := idx(p+".origin", j)
		if o.ID == "" {
			e.add(op+".id", "is required")
		} else {
			claimID(op+".id", o.ID)
			origins[o.ID] = true
		}
		o.validate(e, op)
	}
	if len(d.OriginGroups) > MaxOriginGroups {
		e.add(p+".origin_group", "at most %d origin groups are allowed, got %d", MaxOriginGroups, len(d.OriginGroups))
	}
	for j := range d.OriginGroups {
		g := &d.OriginGroups[j]
		gp := idx(p+".origin_group", j)
		if g.ID == "" {
			e.add(gp+".id", "is required")
		} else {
			claimID(gp+".id", g.ID)
		}
		g.validate(e, gp, origins)
	}
	if len(d.Behaviors) > MaxBehaviors {
		e.add(p+".behavior", "at most %d behaviors are allowed, got %d", MaxBehaviors, len(d.Behaviors))
	}
	patterns := map[string]string{}
	for j := range d.Behaviors {
		b := &d.Behaviors[j]
		bp := idx(p+".behavior", j)
		b.validate(e, bp, false, targets, c)
		if b.PathPattern == "" {
			continue
		}
		// A leading "/" is optional in CloudFront, so "/a/*" and "a/*" are the same pattern.
		norm := strings.TrimPrefix(b.PathPattern, "/")
		if first, dup := patterns[norm]; dup {
			e.add(bp+".path_pattern", "duplicate path pattern %q (also %s)", b.PathPattern, first)
		} else {
			patterns[norm] = bp + ".path_pattern"
		}
	}
	d.DefaultBehavior.validate(e, p+".default_behavior", true, targets, c)
	codes := map[int]string{}
	for j := range d.CustomErrorResponses {
		r := &d.CustomErrorResponses[j]
		rp := idx(p+".custom_error_response", j)
		r.validate(e, rp)
		if first, dup := codes[r.ErrorCode]; dup && r.ErrorCode != 0 {
			e.add(rp+".error_code", "duplicate error_code %d (also %s)", r.ErrorCode, first)
		} else {
			codes[r.ErrorCode] = rp
		}
	}
}

// Origin custom header limits ("Quotas on headers",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-custom-headers).
const (
	maxCustomHeaders      = 10
	maxHeaderNameLen      = 256
	maxHeaderValueLen     = 1783
	maxCustomHeadersTotal = 10240
)

func (o *Origin) validate(e *errs, p string) {
	switch o.Kind {
	case KindHTTP:
		if o.DomainName == "" {
			e.add(p+".domain_name", "is required for http origins")
		} else if msg := hostProblem(o.DomainName, false); msg != "" {
			if strings.Contains(msg, "port") {
				msg += " (set http_port or https_port)"
			}
			e.add(p+".domain_name", "%q %s", o.DomainName, msg)
		}
		switch o.OriginProtocolPolicy {
		case "", "http-only", "https-only", "match-viewer":
		default:
			e.add(p+".origin_protocol_policy", "must be http-only, https-only or match-viewer, not %q", o.OriginProtocolPolicy)
		}
		checkOriginPort(e, p+".http_port", o.HTTPPort)
		checkOriginPort(e, p+".https_port", o.HTTPSPort)
	case KindS3:
		if o.Bucket == "" {
			e.add(p+".bucket", "is required for s3 origins")
		} else if strings.ContainsAny(o.Bucket, "/ ") {
			e.add(p+".bucket", "must be a bucket name (no '/' or spaces), not %q", o.Bucket)
		}
		if o.Endpoint != "" {
			u, err := url.Parse(o.Endpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				u.RawQuery != "" || u.Fragment != "" {
				e.add(p+".endpoint", "must be an http:// or https:// URL (like \"http://127.0.0.1:9000\"), not %q", o.Endpoint)
			}
		}
		hasKeys := o.AccessKeyID != "" || o.SecretAccessKey != ""
		switch o.Access {
		case "", "sigv4":
		case "anonymous":
			if hasKeys {
				e.add(p+".access", "is anonymous, but access keys are set (use sigv4, or remove the keys)")
			}
		default:
			e.add(p+".access", "must be anonymous or sigv4, not %q", o.Access)
		}
		if o.AccessKeyID == "" && o.SecretAccessKey != "" {
			e.add(p+".access_key_id", "is required when secret_access_key is set")
		}
		if o.AccessKeyID != "" && o.SecretAccessKey == "" {
			e.add(p+".secret_access_key", "is required when access_key_id is set")
		}
		if o.SessionToken != "" && !hasKeys {
			e.add(p+".session_token", "needs access_key_id and secret_access_key")
		}
	case KindDir:
		if o.Path == "" {
			e.add(p+".path", "is required for dir origins")
		}
	case "":
		e.add(p+".kind", "is required: http, s3 or dir")
	default:
		e.add(p+".kind", "must be http, s3 or dir, not %q", o.Kind)
	}
	if o.OriginPath != "" && (!strings.HasPrefix(o.OriginPath, "/") || strings.HasSuffix(o.OriginPath, "/")) {
		e.add(p+".origin_path", "must start with \"/\" and not end with \"/\", got %q", o.OriginPath)
	}
	if sh := o.OriginShield; sh != nil {
		if host, port, err := net.SplitHostPort(sh.Address); sh.Enabled && (err != nil || host == "" || port == "") {
			e.add(p+".origin_shield.address", "must be the shield edge's HOST:PORT, got %q", sh.Address)
		}
		// The secret travels as a header value between tiers: visible ASCII only, so that it
		// is sent and compared exactly as written (RFC 9110 §5.5 trims surrounding spaces).
		const maxSecret = 256
		if len(sh.Secret) > maxSecret {
			e.add(p+".origin_shield.secret", "must be at most %d characters, got %d", maxSecret, len(sh.Secret))
		} else if !allChars(sh.Secret, func(c rune) bool { return c > 0x20 && c < 0x7f }) {
			e.add(p+".origin_shield.secret", "must be visible ASCII characters (no spaces or control characters)")
		}
	}
	if o.ConnectionAttempts != 0 && (o.ConnectionAttempts < 1 || o.ConnectionAttempts > 3) {
		e.add(p+".connection_attempts", "must be 1 to 3, got %d", o.ConnectionAttempts)
	}
	checkSeconds(e, p+".connection_timeout", o.ConnectionTimeout, 10)
	checkSeconds(e, p+".origin_read_timeout", o.OriginReadTimeout, 60)
	checkSeconds(e, p+".origin_keepalive_timeout", o.OriginKeepaliveTimeout, 60)
	o.validateHeaders(e, p)
}

func (o *Origin) validateHeaders(e *errs, p string) {
	hs := make([]customHeader, len(o.CustomHeaders))
	for i, h := range o.CustomHeaders {
		hs[i] = customHeader{h.Name, h.Value}
	}
	validateCustomHeaders(e, p+".custom_header", "name", hs, forbiddenOriginHeader, "cannot be set as an origin custom header")
}

// customHeader is one entry of a custom header list, for validateCustomHeaders.
type customHeader struct{ name, value string }

// validateCustomHeaders checks a list of custom headers at TOML path p (entry i at p[i], its name
// under nameKey): CloudFront's count and size limits for custom headers, a valid name that is not
// repeated and that refused does not refuse (refusal says why), and a value without CR, LF or NUL.
// Origin custom headers and a response headers policy's custom headers share these rules
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
func validateCustomHeaders(e *errs, p, nameKey string, hs []customHeader, refused func(string) bool, refusal string) {
	if len(hs) > maxCustomHeaders {
		e.add(p, "at most %d custom headers are allowed, got %d", maxCustomHeaders, len(hs))
	}
	list := p[strings.LastIndexByte(p, '.')+1:]
	total := 0
	seen := map[string]int{}
	for i, h := range hs {
		hp := idx(p, i)
		total += len(h.name) + len(h.value)
		switch {
		case h.name == "":
			e.add(hp+"."+nameKey, "is required")
		case len(h.name) > maxHeaderNameLen:
			e.add(hp+"."+nameKey, "must be at most %d characters, got %d", maxHeaderNameLen, len(h.name))
		case !allChars(h.name, isTokenChar):
			e.add(hp+"."+nameKey, "%q is not a valid header name", h.name)
		case refused(h.name):
			e.add(hp+"."+nameKey, "%q %s", h.name, refusal)
		default:
			if j, dup := seen[strings.ToLower(h.name)]; dup {
				e.add(hp+"."+nameKey, "duplicate header %q (also %s[%d])", h.name, list, j)
			} else {
				seen[strings.ToLower(h.name)] = i
			}
		}
		if len(h.value) > maxHeaderValueLen {
			e.add(hp+".value", "must be at most %d characters, got %d", maxHeaderValueLen, len(h.value))
		} else if strings.ContainsAny(h.value, "\r\n\x00") {
			e.add(hp+".value", "must not contain CR, LF or NUL")
		}
	}
	if total > maxCustomHeadersTotal {
		e.add(p, "names and values together must be at most %d characters, got %d", maxCustomHeadersTotal, total)
	}
}

// forbiddenOriginHeader reports whether CloudFront refuses name as an origin custom header
// ("Custom headers that CloudFront can't add to origin requests",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html).
// Names compare case-insensitively.
func forbiddenOriginHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "x-amz-") || strings.HasPrefix(n, "x-edge-") {
		return true
	}
	switch n {
	case "cache-control", "connection", "content-length", "cookie", "host", "if-match",
		"if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards",
		"pragma", "proxy-authorization", "proxy-connection", "range", "request-range", "te",
		"trailer", "transfer-encoding", "upgrade", "via", "x-real-ip":
		return true
	}
	return false
}

func checkOriginPort(e *errs, path string, port int) {
	if port == 0 || port == 80 || port == 443 || port >= 1024 && port <= 65535 {
		return
	}
	e.add(path, "must be 80, 443 or 1024 to 65535, got %d", port)
}

// checkSeconds accepts zero (the default) or 1 s to maxSec s.
func checkSeconds(e *errs, path string, d Duration, maxSec int) {
	if d == 0 {
		return
	}
	if d.D() < time.Second || d.D() > time.Duration(maxSec)*time.Second {
		e.add(path, "must be 1s to %ds, got %s", maxSec, d)
	}
}

// failoverCodes are the status codes an origin group may fail over on
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html).
func failoverCodes() []int { return []int{400, 403, 404, 416, 500, 502, 503, 504} }

func (g *OriginGroup) validate(e *errs, p string, origins map[string]bool) {
	if len(g.Members) != 2 {
		e.add(p+".members", "must list exactly two origin ids (primary, secondary), got %d", len(g.Members))
	}
	for i, m := range g.Members {
		mp := idx(p+".members", i)
		switch {
		case m == "":
			e.add(mp, "must be an origin id")
		case !origins[m]:
			e.add(mp, "%q is not an origin of this distribution (groups cannot be members)", m)
		case i > 0 && m == g.Members[0]:
			e.add(mp, "%q is listed twice; members must be two different origins", m)
		}
	}
	if len(g.FailoverStatusCodes) == 0 {
		e.add(p+".failover_status_codes", "at least one status code is required (from %s)", intList(failoverCodes()))
	}
	for i, code := range g.FailoverStatusCodes {
		if !containsInt(failoverCodes(), code) {
			e.add(idx(p+".failover_status_codes", i), "%d is not a failover status code (use %s)", code, intList(failoverCodes()))
		}
	}
}

func errorCodes() []int    { return []int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504} }
func responseCodes() []int { return append([]int{200}, errorCodes()...) }

func (r *CustomErrorResponse) validate(e *errs, p string) {
	if !containsInt(errorCodes(), r.ErrorCode) {
		e.add(p+".error_code", "must be one of %s, got %d", intList(errorCodes()), r.ErrorCode)
	}
	switch {
	case r.ResponsePagePath != "" && r.ResponseCode == 0:
		e.add(p+".response_code", "is required when response_page_path is set")
	case r.ResponsePagePath == "" && r.ResponseCode != 0:
		e.add(p+".response_page_path", "is required when response_code is set")
	}
	if r.ResponseCode != 0 && !containsInt(responseCodes(), r.ResponseCode) {
		e.add(p+".response_code", "must be one of %s, got %d", intList(responseCodes()), r.ResponseCode)
	}
	if r.ResponsePagePath != "" && !strings.HasPrefix(r.ResponsePagePath, "/") {
		e.add(p+".response_page_path", "must start with \"/\", got %q", r.ResponsePagePath)
	}
	switch ttl := r.ErrorCachingMinTTL; {
	case ttl == nil:
	case *ttl < 0:
		e.add(p+".error_caching_min_ttl", "must not be negative, got %d", *ttl)
	case *ttl > maxErrorCachingMinTTL:
		e.add(p+".error_caching_min_ttl", "must be at most %d (seconds), got %d", maxErrorCachingMinTTL, *ttl)
	}
}

// maxErrorCachingMinTTL is the longest ErrorCachingMinTTL, in seconds, that a time.Duration
// holds (about 292 years): the edge caches an error for that many seconds as a Duration, so a
// larger value would wrap. CloudFront documents the member as a Long without a maximum
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CustomErrorResponse.html).
const maxErrorCachingMinTTL = int64(math.MaxInt64 / time.Second)

// hostProblem returns "" when s is a host name (or an IP address), else what is wrong with
// it. With wildcard, s may be a wildcard alias "*.example.com" (see wildcardProblem).
func hostProblem(s string, wildcard bool) string {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" { // "fe80::1%eth0": a zone names an interface of one machine, never a host
			return "must not have an IPv6 zone"
		}
		return ""
	}
	switch {
	case strings.Contains(s, "://"):
		return "must be a host name, not a URL"
	case strings.Contains(s, "/"):
		return "must be a host name without a path"
	case strings.Contains(s, ":"):
		return "must be a host name without a port"
	case len(s) > 253:
		return "is longer than 253 characters"
	}
	name := s
	if strings.Contains(s, "*") {
		if !wildcard {
			return `must not contain "*" (only aliases may be wildcards, like "*.example.com")`
		}
		if msg := wildcardProblem(s); msg != "" {
			return msg
		}
		name = s[len("*."):]
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			!allChars(label, func(r rune) bool { return isAlnum(r) || r == '-' || r == '_' }) {
			return "is not a valid host name"
		}
	}
	return ""
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func isIDChar(r rune) bool { return isAlnum(r) || r == '-' || r == '_' }

// isTokenChar is RFC 9110's tchar, the characters of a header name.
func isTokenChar(r rune) bool { return isAlnum(r) || strings.ContainsRune("!#$%&'*+-.^_`|~", r) }

func allChars(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func intList(list []int) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ", ")
}

// orList renders choices for messages: "a, b or c".
func orList(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
