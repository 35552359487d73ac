package behavior

import (
	"bytes"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/cfedge/edge/config"
)

// HeaderSetter is what a policy writes through; *fasthttp.ResponseHeader implements it.
type HeaderSetter interface {
	Peek(key string) []byte
	SetCanonical(key, value []byte)
	AddBytesKV(key, value []byte)
	Del(key string)
}

// ResponseHeadersPolicy is a compiled response headers policy
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html):
// every header name and value it writes, precomputed. It is immutable after
// NewResponseHeadersPolicy and safe for concurrent use.
//
// Header names are written in fasthttp's normalized form ("X-Xss-Protection",
// "Access-Control-Allow-Origin"), the form fasthttp's Peek and Del look names up in, so a field
// the policy set is found again by name; HTTP field names are case-insensitive.
type ResponseHeadersPolicy struct {
	// Name is the policy's name as configured ("Managed-SimpleCORS" for a managed policy).
	Name string

	remove []string    // fields removed first
	cors   *corsPolicy // nil when the policy has no CORS config
	set    []field     // security headers, then custom headers, in that order

	serverTiming bool
	samplingRate float64
}

// field is one header the policy adds: key for Peek, name and value for SetCanonical.
type field struct {
	key         string
	name, value []byte
	override    bool
}

// corsPolicy is a compiled CorsConfig.
type corsPolicy struct {
	origins   []originPattern
	anyOrigin bool // "*" is listed
	star      bool // Allow-Origin is the literal "*" (anyOrigin without credentials)
	override  bool
	methods   MethodSet // what Preflight accepts; 0 when none (SimpleCORS)

	credentials  bool
	expose       []byte // "" when none
	allowMethods []byte
	allowHeaders []byte
	maxAge       []byte // nil when not set
}

// originPattern is one entry of access_control_allow_origins other than "*".
type originPattern struct {
	scheme   []byte // lower case; nil matches any scheme
	host     []byte // lower case; with wildcard, the suffix after "*" (".example.org")
	port     []byte // nil: the origin must carry no port
	wildcard bool
}

// Field names, in fasthttp's normalized form.
const (
	hdrAllowOrigin      = "Access-Control-Allow-Origin"
	hdrAllowCredentials = "Access-Control-Allow-Credentials"
	hdrExposeHeaders    = "Access-Control-Expose-Headers"
	hdrAllowMethods     = "Access-Control-Allow-Methods"
	hdrAllowHeaders     = "Access-Control-Allow-Headers"
	hdrMaxAge           = "Access-Control-Max-Age"
	hdrVary             = "Vary"
)

var (
	bAllowOrigin      = []byte(hdrAllowOrigin)
	bAllowCredentials = []byte(hdrAllowCredentials)
	bExposeHeaders    = []byte(hdrExposeHeaders)
	bAllowMethods     = []byte(hdrAllowMethods)
	bAllowHeaders     = []byte(hdrAllowHeaders)
	bMaxAge           = []byte(hdrMaxAge)
	bVary             = []byte(hdrVary)
	bStar             = []byte("*")
	bTrue             = []byte("true")
	bOrigin           = []byte("Origin")
)

// corsMethodOrder is the order Allow-Methods lists "ALL" in: the order of the managed
// CORS-With-Preflight policy ("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT").
var corsMethodOrder = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// NewResponseHeadersPolicy compiles p. Errors (settings config.Validate refuses: a bad method or
// origin, a missing value) wrap ErrInvalidPolicy.
func NewResponseHeadersPolicy(p config.ResponseHeadersPolicy) (*ResponseHeadersPolicy, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("behavior: response headers policy %q: %s: %w", p.Name, fmt.Sprintf(format, args...), ErrInvalidPolicy)
	}
	rp := &ResponseHeadersPolicy{Name: p.Name}
	for _, h := range p.RemoveHeadersConfig {
		if !isToken(h.Header) {
			return nil, bad("remove_headers_config: %q is not a header name", h.Header)
		}
		rp.remove = append(rp.remove, textproto.CanonicalMIMEHeaderKey(h.Header))
	}
	if c := p.CorsConfig; c != nil {
		cp, err := compileCORS(c)
		if err != nil {
			return nil, bad("cors_config: %v", err)
		}
		rp.cors = cp
	}
	if s := p.SecurityHeadersConfig; s != nil {
		add := func(name, value string, override bool) {
			rp.set = append(rp.set, newField(name, value, override))
		}
		if x := s.XSSProtection; x != nil {
			v := "0"
			switch {
			case x.Protection && x.ModeBlock:
				v = "1; mode=block"
			case x.Protection && x.ReportURI != "":
				v = "1; report=" + x.ReportURI
			case x.Protection:
				v = "1"
			}
			add("X-XSS-Protection", v, x.Override)
		}
		if f := s.FrameOptions; f != nil {
			if f.FrameOption != "DENY" && f.FrameOption != "SAMEORIGIN" {
				return nil, bad("frame_option %q: want DENY or SAMEORIGIN", f.FrameOption)
			}
			add("X-Frame-Options", f.FrameOption, f.Override)
		}
		if r := s.ReferrerPolicy; r != nil {
			if r.ReferrerPolicy == "" {
				return nil, bad("referrer_policy is empty")
			}
			add("Referrer-Policy", r.ReferrerPolicy, r.Override)
		}
		if c := s.ContentSecurityPolicy; c != nil {
			if c.ContentSecurityPolicy == "" {
				return nil, bad("content_security_policy is empty")
			}
			add("Content-Security-Policy", c.ContentSecurityPolicy, c.Override)
		}
		if c := s.ContentTypeOptions; c != nil {
			add("X-Content-Type-Options", "nosniff", c.Override)
		}
		if t := s.StrictTransportSecurity; t != nil {
			if t.AccessControlMaxAgeSec == nil || *t.AccessControlMaxAgeSec < 0 {
				return nil, bad("strict_transport_security: access_control_max_age_sec is missing or negative")
			}
			v := "max-age=" + strconv.FormatInt(*t.AccessControlMaxAgeSec, 10)
			if t.IncludeSubdomains {
				v += "; includeSubDomains"
			}
			if t.Preload {
				v += "; preload"
			}
			add("Strict-Transport-Security", v, t.Override)
		}
	}
	for _, h := range p.CustomHeadersConfig {
		if !isToken(h.Header) || strings.ContainsAny(h.Value, "\r\n\x00") {
			return nil, bad("custom_headers_config: %q is not a header name, or its value holds CR, LF or NUL", h.Header)
		}
		rp.set = append(rp.set, newField(h.Header, h.Value, h.Override))
	}
	if st := p.ServerTimingHeadersConfig; st != nil {
		rp.serverTiming, rp.samplingRate = st.Enabled, st.SamplingRate
	}
	return rp, nil
}

func newField(name, value string, override bool) field {
	n := textproto.CanonicalMIMEHeaderKey(name)
	return field{key: n, name: []byte(n), value: []byte(value), override: override}
}

func compileCORS(c *config.CorsConfig) (*corsPolicy, error) {
	cp := &corsPolicy{override: c.OriginOverride, credentials: c.AccessControlAllowCredentials}
	for _, o := range c.AccessControlAllowOrigins {
		if o == "*" {
			cp.anyOrigin = true
			continue
		}
		pat, ok := parseOriginPattern(o)
		if !ok {
			return nil, fmt.Errorf("access_control_allow_origins: %q is not an origin", o)
		}
		cp.origins = append(cp.origins, pat)
	}
	cp.star = cp.anyOrigin && !cp.credentials
	var methods []string
	for _, m := range c.AccessControlAllowMethods {
		if m == "ALL" {
			methods = corsMethodOrder
			cp.methods = AllMethods
			break
		}
		mm := MethodOf([]byte(m))
		if mm == 0 {
			return nil, fmt.Errorf("access_control_allow_methods: %q is not a method", m)
		}
		cp.methods |= MethodSet(mm)
		methods = append(methods, m)
	}
	cp.allowMethods = []byte(strings.Join(methods, ", "))
	cp.allowHeaders = []byte(strings.Join(c.AccessControlAllowHeaders, ", "))
	cp.expose = []byte(strings.Join(c.AccessControlExposeHeaders, ", "))
	if c.AccessControlMaxAgeSec != nil {
		cp.maxAge = []byte(strconv.FormatInt(*c.AccessControlMaxAgeSec, 10))
	}
	return cp, nil
}

// parseOriginPattern compiles "[scheme://]host[:port]", host possibly "*.rest".
func parseOriginPattern(s string) (originPattern, bool) {
	var p originPattern
	rest := s
	if scheme, after, ok := strings.Cut(s, "://"); ok {
		if scheme == "" {
			return p, false
		}
		p.scheme = []byte(strings.ToLower(scheme))
		rest = after
	}
	host := rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, p.port = rest[:i], []byte(rest[i+1:])
		if len(p.port) == 0 {
			return p, false
		}
	}
	if strings.HasPrefix(host, "*.") {
		p.wildcard = true
		host = host[1:] // keep the dot: ".example.org"
	}
	if host == "" || host == "." || strings.ContainsAny(host, "*/?# ") {
		return p, false
	}
	p.host = []byte(strings.ToLower(host))
	return p, true
}

// Apply decorates one response, after the edge has written the origin's (or the cached) fields:
// removes first, then adds CORS (only when origin != nil and it matches the policy; Allow-Methods,
// Allow-Headers, Max-Age only when preflight), security and custom headers, each replacing an
// existing field only when its override (origin_override for the CORS block) says so
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html).
// It allocates nothing.
//
// Allow-Origin is "*" when the policy lists "*" without credentials, otherwise the request's
// Origin echoed, and then "Origin" is added to Vary (a Vary without it is extended; one holding
// "*" or "Origin" is left alone). A field the origin sent with an empty value counts as absent.
func (p *ResponseHeadersPolicy) Apply(h HeaderSetter, origin []byte, preflight bool) {
	p.ApplyFixed(h)
	p.ApplyCORS(h, origin, preflight)
}

// ApplyFixed is the part of Apply that does not depend on the request: the removals, then the
// security and custom headers. A caller may apply it once to a stored response's head and
// ApplyCORS per request; the result is Apply's as long as no custom header names a CORS field.
func (p *ResponseHeadersPolicy) ApplyFixed(h HeaderSetter) {
	for _, k := range p.remove {
		h.Del(k)
	}
	for i := range p.set {
		f := &p.set[i]
		put(h, f.key, f.name, f.value, f.override)
	}
}

// ApplyCORS is the part of Apply that depends on the request's Origin: the CORS headers, when
// origin matches the policy (Allow-Methods, Allow-Headers and Max-Age only when preflight).
func (p *ResponseHeadersPolicy) ApplyCORS(h HeaderSetter, origin []byte, preflight bool) {
	if c := p.cors; c != nil && len(origin) > 0 && c.match(origin) {
		c.apply(h, origin, preflight)
	}
}

// Preflight reports whether the edge answers a CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method) itself: the policy has a CORS config, the origin matches and the
// requested method is allowed. It allocates nothing.
//
// Methods compare exactly (upper case, as browsers send the standard ones). A policy without
// Allow-Methods (SimpleCORS) answers no preflight.
func (p *ResponseHeadersPolicy) Preflight(origin, method []byte) bool {
	c := p.cors
	return c != nil && len(origin) > 0 && c.methods.Has(method) && c.match(origin)
}

// CORSSameForEveryOrigin reports whether the CORS fields ApplyCORS adds outside a preflight are
// the same for every matching Origin (Allow-Origin is "*"), so that a caller may prepare them
// once per stored response.
func (p *ResponseHeadersPolicy) CORSSameForEveryOrigin() bool { return p.cors != nil && p.cors.star }

// MatchesOrigin reports whether a request with this Origin gets CORS fields. It allocates nothing.
func (p *ResponseHeadersPolicy) MatchesOrigin(origin []byte) bool {
	return p.cors != nil && len(origin) > 0 && p.cors.match(origin)
}

// ServerTiming returns whether Server-Timing is enabled and its sampling rate in percent.
func (p *ResponseHeadersPolicy) ServerTiming() (enabled bool, rate float64) {
	return p.serverTiming, p.samplingRate
}

// put sets name: value unless the field is present and override is off; it reports whether it
// set it.
func put(h HeaderSetter, key string, name, value []byte, override bool) bool {
	if !override && len(h.Peek(key)) > 0 {
		return false
	}
	h.SetCanonical(name, value)
	return true
}

func (c *corsPolicy) apply(h HeaderSetter, origin []byte, preflight bool) {
	if c.star {
		put(h, hdrAllowOrigin, bAllowOrigin, bStar, c.override)
	} else if put(h, hdrAllowOrigin, bAllowOrigin, origin, c.override) {
		addVaryOrigin(h)
	}
	if c.credentials {
		put(h, hdrAllowCredentials, bAllowCredentials, bTrue, c.override)
	}
	if len(c.expose) > 0 {
		put(h, hdrExposeHeaders, bExposeHeaders, c.expose, c.override)
	}
	if !preflight {
		return
	}
	if len(c.allowMethods) > 0 {
		put(h, hdrAllowMethods, bAllowMethods, c.allowMethods, c.override)
	}
	if len(c.allowHeaders) > 0 {
		put(h, hdrAllowHeaders, bAllowHeaders, c.allowHeaders, c.override)
	}
	if c.maxAge != nil {
		put(h, hdrMaxAge, bMaxAge, c.maxAge, c.override)
	}
}

// addVaryOrigin makes Vary list Origin: set when absent; when the response varies on other
// fields but neither Origin nor "*", a second Vary field line names Origin (RFC 9110 §12.5.5:
// Vary is a list, and field lines of a list combine).
func addVaryOrigin(h HeaderSetter) {
	v := h.Peek(hdrVary)
	if len(v) == 0 {
		h.SetCanonical(bVary, bOrigin)
		return
	}
	if hasToken(v, "origin") || hasToken(v, "*") {
		return
	}
	h.AddBytesKV(bVary, bOrigin)
}

// hasToken reports whether the comma-separated list v holds tok (lower case), case-insensitively.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		item = bytes.TrimSpace(item)
		if foldEq(item, tok) {
			return true
		}
	}
	return false
}

// match reports whether origin (as a browser sends it: scheme://host[:port]) is allowed. Schemes
// and hosts compare case-insensitively; ports exactly. An entry without a scheme matches any
// scheme; an entry without a port matches only an origin without one (browsers leave the
// default port out). "*.example.org" matches one or more labels below example.org, not
// example.org itself.
func (c *corsPolicy) match(origin []byte) bool {
	if c.anyOrigin {
		return true
	}
	scheme, host, port, ok := splitOrigin(origin)
	if !ok {
		return false
	}
	for i := range c.origins {
		if c.origins[i].matches(scheme, host, port) {
			return true
		}
	}
	return false
}

func (o *originPattern) matches(scheme, host, port []byte) bool {
	if o.scheme != nil && !bytes.EqualFold(scheme, o.scheme) {
		return false
	}
	if !bytes.Equal(port, o.port) {
		return false
	}
	if !o.wildcard {
		return bytes.EqualFold(host, o.host)
	}
	n := len(host) - len(o.host)
	if n <= 0 || !bytes.EqualFold(host[n:], o.host) {
		return false
	}
	// The labels "*" stands for: non-empty, made of host-name characters.
	prefix := host[:n]
	if prefix[0] == '.' || prefix[n-1] == '.' {
		return false
	}
	for _, ch := range prefix {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return !bytes.Contains(prefix, []byte(".."))
}

// splitOrigin splits "scheme://host[:port]"; port is nil when absent. "null" and anything
// without a scheme or host does not split.
func splitOrigin(o []byte) (scheme, host, port []byte, ok bool) {
	i := bytes.Index(o, []byte("://"))
	if i <= 0 {
		return nil, nil, nil, false
	}
	scheme, hp := o[:i], o[i+3:]
	if len(hp) > 0 && hp[0] == '[' { // IPv6 literal
		j := bytes.IndexByte(hp, ']')
		if j < 0 {
			return nil, nil, nil, false
		}
		host, hp = hp[:j+1], hp[j+1:]
		if len(hp) > 0 {
			if hp[0] != ':' {
				return nil, nil, nil, false
			}
			port = hp[1:]
		}
	} else if j := bytes.LastIndexByte(hp, ':'); j >= 0 {
		host, port = hp[:j], hp[j+1:]
	} else {
		host = hp
	}
	if len(host) == 0 || port != nil && len(port) == 0 {
		return nil, nil, nil, false
	}
	return scheme, host, port, true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
