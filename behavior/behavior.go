package behavior

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cfedge/edge/config"
)

// ErrInvalidPolicy is wrapped by the errors New returns for settings CloudFront would reject.
var ErrInvalidPolicy = errors.New("invalid behavior settings")

// DefaultSmoothManifestContentType is the Content-Type of Smooth client manifests unless the
// behavior overrides it.
const DefaultSmoothManifestContentType = "text/xml"

// Behavior is one compiled cache behavior. It is immutable after New and safe for concurrent
// use; callers must not modify its fields.
type Behavior struct {
	// Index is the behavior's position in the distribution's list; -1 for the default.
	Index int
	// PathPattern is the pattern as configured; "" for the default behavior.
	PathPattern string
	// Pattern is the compiled PathPattern; nil for the default behavior.
	Pattern *Pattern
	// TargetOriginID names the origin or origin group requests go to.
	TargetOriginID string
	// ViewerProtocolPolicy is "allow-all", "redirect-to-https" or "https-only".
	ViewerProtocolPolicy string
	// Allowed are the methods viewers may use; Cached are the methods whose responses are
	// cached (always GET and HEAD, optionally OPTIONS).
	Allowed, Cached MethodSet
	// SmoothStreaming turns Smooth Streaming URLs into origin reads.
	SmoothStreaming bool
	// Compress is the behavior's Compress flag; see Compression for whether the edge may
	// actually compress.
	Compress bool
	// TTL is the behavior's Min/Default/Max TTL, CloudFront defaults applied. It is the zero
	// policy (nothing cached) when NoCache is set.
	TTL TTLPolicy
	// Key builds the cache key.
	Key KeyPolicy
	// Forward says what of the viewer request reaches the origin.
	Forward ForwardPolicy
	// NoCache is true when nothing may be cached (CachingDisabled: all TTLs 0, or legacy
	// headers ["*"]): no caching, no request collapsing, no compression.
	NoCache bool
	// NoCollapse is true when concurrent misses must not be collapsed into one origin
	// request: NoCache, or cookies forwarded to the origin ("Simultaneous requests for the
	// same object (request collapsing)",
	// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-traffic-spikes).
	NoCollapse bool
	// SmoothManifestContentType is the Content-Type of Smooth client manifests.
	SmoothManifestContentType string
	// ResponseHeaders is the behavior's compiled response headers policy; nil when it has none.
	ResponseHeaders *ResponseHeadersPolicy
	// ViewerRequestFunction and ViewerResponseFunction name the CloudFront Functions
	// ([[function]]) associated with the behavior's viewer-request and viewer-response events;
	// "" for none. The behavior only carries the names: whoever runs functions looks them up.
	ViewerRequestFunction, ViewerResponseFunction string
}

// Spec is what New compiles: a behavior's settings with its policies already looked up.
type Spec struct {
	Behavior config.Behavior
	// CachePolicy is the resolved cache policy; nil selects legacy mode (Behavior.MinTTL,
	// DefaultTTL, MaxTTL and ForwardedValues).
	CachePolicy *config.CachePolicy
	// OriginRequestPolicy is the resolved origin request policy; nil for none. It needs a
	// CachePolicy.
	OriginRequestPolicy *config.OriginRequestPolicy
	// ResponseHeadersPolicy is the resolved response headers policy; nil for none.
	ResponseHeadersPolicy *config.ResponseHeadersPolicy
}

// Cacheable reports whether a response to method (exact upper-case bytes) may be cached
// under this behavior. It allocates nothing.
func (b *Behavior) Cacheable(method []byte) bool { return !b.NoCache && b.Cached.Has(method) }

// Compression reports which encodings the edge may produce for this behavior: Compress is
// on, caching is possible, and the policy normalises Accept-Encoding for that coding (legacy
// mode: gzip only;
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html).
func (b *Behavior) Compression() (gzip, br bool) {
	if !b.Compress || b.NoCache {
		return false, false
	}
	return b.Key.AcceptEncoding()
}

// IsDefault reports whether b is a distribution's default behavior.
func (b *Behavior) IsDefault() bool { return b.Index < 0 }

// New compiles one behavior. index is its position among the distribution's ordered
// behaviors, or -1 for the default behavior (whose path pattern must be empty or "*").
// Unset settings take CloudFront's defaults: allow-all, GET and HEAD allowed and cached,
// TTLs 0/86400/31536000 (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html).
// Errors name the setting and wrap
// ErrInvalidPattern, ErrInvalidMethod or ErrInvalidPolicy.
func New(index int, s Spec) (*Behavior, error) {
	c := &s.Behavior
	b := &Behavior{
		Index:                     index,
		TargetOriginID:            c.TargetOriginID,
		ViewerProtocolPolicy:      c.ViewerProtocolPolicy,
		SmoothStreaming:           c.SmoothStreaming,
		Compress:                  c.Compress,
		SmoothManifestContentType: c.SmoothManifestContentType,
	}
	if index < 0 {
		b.Index = -1
		if c.PathPattern != "" && c.PathPattern != "*" {
			return nil, fmt.Errorf("behavior: default behavior: path_pattern %q: must be empty: %w",
				c.PathPattern, ErrInvalidPattern)
		}
	} else {
		p, err := CompilePattern(c.PathPattern)
		if err != nil {
			return nil, err
		}
		b.PathPattern, b.Pattern = c.PathPattern, p
	}
	if b.TargetOriginID == "" {
		return nil, fmt.Errorf("behavior: %s: target_origin_id is empty: %w", b.name(), ErrInvalidPolicy)
	}
	switch b.ViewerProtocolPolicy {
	case "":
		b.ViewerProtocolPolicy = "allow-all"
	case "allow-all", "redirect-to-https", "https-only":
	default:
		return nil, fmt.Errorf("behavior: %s: viewer_protocol_policy %q: want allow-all, redirect-to-https or https-only: %w",
			b.name(), b.ViewerProtocolPolicy, ErrInvalidPolicy)
	}
	if b.SmoothManifestContentType == "" {
		b.SmoothManifestContentType = DefaultSmoothManifestContentType
	}
	if err := b.setMethods(c); err != nil {
		return nil, err
	}
	var err error
	if s.CachePolicy != nil {
		err = b.setPolicies(c, s.CachePolicy, s.OriginRequestPolicy)
	} else {
		err = b.setLegacy(c, s.OriginRequestPolicy)
	}
	if err != nil {
		return nil, err
	}
	if b.TTL.Max <= 0 {
		b.NoCache = true
	}
	if b.NoCache {
		b.TTL = TTLPolicy{}
	}
	b.NoCollapse = b.NoCache || b.Forward.ForwardsCookies()
	if err := b.setFunctions(c); err != nil {
		return nil, err
	}
	if s.ResponseHeadersPolicy != nil {
		rh, err := NewResponseHeadersPolicy(*s.ResponseHeadersPolicy)
		if err != nil {
			return nil, fmt.Errorf("behavior: %s: %w", b.name(), err)
		}
		b.ResponseHeaders = rh
	}
	return b, nil
}

// setFunctions takes the function associations: viewer events only, one function per event
// ("Associate functions with distributions",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/associate-function.html).
func (b *Behavior) setFunctions(c *config.Behavior) error {
	for i, a := range c.FunctionAssociations {
		var slot *string
		switch a.EventType {
		case config.EventViewerRequest:
			slot = &b.ViewerRequestFunction
		case config.EventViewerResponse:
			slot = &b.ViewerResponseFunction
		default:
			return fmt.Errorf("behavior: %s: function_association %d: event_type %q: want viewer-request or viewer-response: %w",
				b.name(), i, a.EventType, ErrInvalidPolicy)
		}
		switch {
		case a.Function == "":
			return fmt.Errorf("behavior: %s: function_association %d: function is empty: %w", b.name(), i, ErrInvalidPolicy)
		case *slot != "":
			return fmt.Errorf("behavior: %s: function_association %d: a second function for %s: %w",
				b.name(), i, a.EventType, ErrInvalidPolicy)
		}
		*slot = a.Function
	}
	return nil
}

// name is how errors refer to the behavior.
func (b *Behavior) name() string {
	if b.Index < 0 {
		return "default behavior"
	}
	return fmt.Sprintf("behavior %d (path_pattern %q)", b.Index, b.PathPattern)
}

func (b *Behavior) setMethods(c *config.Behavior) error {
	allowed, err := ParseMethods(c.AllowedMethods)
	if err != nil {
		return fmt.Errorf("behavior: %s: allowed_methods: %w", b.name(), err)
	}
	cached, err := ParseMethods(c.CachedMethods)
	if err != nil {
		return fmt.Errorf("behavior: %s: cached_methods: %w", b.name(), err)
	}
	if allowed == 0 {
		allowed = GetHead
	}
	if cached == 0 {
		cached = GetHead
	}
	if allowed != GetHead && allowed != GetHeadOptions && allowed != AllMethods {
		return fmt.Errorf("behavior: %s: allowed_methods %q: want [GET HEAD], [GET HEAD OPTIONS] or all seven: %w",
			b.name(), allowed.String(), ErrInvalidMethod)
	}
	if cached != GetHead && cached != GetHeadOptions {
		return fmt.Errorf("behavior: %s: cached_methods %q: want [GET HEAD] or [GET HEAD OPTIONS]: %w",
			b.name(), cached.String(), ErrInvalidMethod)
	}
	if cached&^allowed != 0 {
		return fmt.Errorf("behavior: %s: cached_methods %q: not all allowed (%s): %w",
			b.name(), cached.String(), allowed.String(), ErrInvalidMethod)
	}
	b.Allowed, b.Cached = allowed, cached
	return nil
}

// ttlPolicy applies CloudFront's TTL defaults (MinTTL, DefaultTTL and MaxTTL in
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html) to
// seconds that may be nil.
func ttlPolicy(what string, minS, defS, maxS *int64) (TTLPolicy, error) {
	for _, v := range []struct {
		name string
		p    *int64
	}{{"min_ttl", minS}, {"default_ttl", defS}, {"max_ttl", maxS}} {
		if v.p != nil && (*v.p < 0 || *v.p > maxSeconds) {
			return TTLPolicy{}, fmt.Errorf("behavior: %s: %s %d: out of range: %w", what, v.name, *v.p, ErrInvalidPolicy)
		}
	}
	var p TTLPolicy
	if minS != nil {
		p.Min = time.Duration(*minS) * time.Second
	}
	switch {
	case defS != nil:
		p.Default = time.Duration(*defS) * time.Second
	case p.Min > DefaultDefaultTTL:
		p.Default = p.Min
	default:
		p.Default = DefaultDefaultTTL
	}
	switch {
	case maxS != nil:
		p.Max = time.Duration(*maxS) * time.Second
	case p.Min > DefaultMaxTTL || p.Default > DefaultMaxTTL:
		p.Max = max(p.Default, p.Min)
	default:
		p.Max = DefaultMaxTTL
	}
	if p.Min > p.Default || p.Default > p.Max {
		return TTLPolicy{}, fmt.Errorf("behavior: %s: want min_ttl ≤ default_ttl ≤ max_ttl, have %v ≤ %v ≤ %v: %w",
			what, p.Min, p.Default, p.Max, ErrInvalidPolicy)
	}
	return p, nil
}

// Selector behaviors each policy part accepts besides "none".
func cpHeaderModes() []modeName { return []modeName{{"whitelist", selWhitelist}} }

func cpParamModes() []modeName {
	return []modeName{{"whitelist", selWhitelist}, {"allExcept", selAllExcept}, {"all", selAll}}
}

func orpHeaderModes() []modeName {
	return []modeName{{"whitelist", selWhitelist}, {"allViewer", selAll},
		{"allViewerAndWhitelistCloudFront", selAll}, {"allExcept", selAllExcept}}
}

func orpParamModes() []modeName {
	return []modeName{{"whitelist", selWhitelist}, {"all", selAll}, {"allExcept", selAllExcept}}
}

func (b *Behavior) setPolicies(c *config.Behavior, cp *config.CachePolicy, orp *config.OriginRequestPolicy) error {
	if c.MinTTL != nil || c.DefaultTTL != nil || c.MaxTTL != nil || c.ForwardedValues != nil {
		return fmt.Errorf("behavior: %s: cache_policy %q excludes min_ttl, default_ttl, max_ttl and forwarded_values: %w",
			b.name(), cp.Name, ErrInvalidPolicy)
	}
	what := fmt.Sprintf("%s: cache_policy %q", b.name(), cp.Name)
	ttl, err := ttlPolicy(what, cp.MinTTL, cp.DefaultTTL, cp.MaxTTL)
	if err != nil {
		return err
	}
	b.TTL = ttl
	hm, err := parseMode(what+": headers", cp.Headers.Behavior, cpHeaderModes())
	if err != nil {
		return err
	}
	qm, err := parseMode(what+": query_strings", cp.QueryStrings.Behavior, cpParamModes())
	if err != nil {
		return err
	}
	cm, err := parseMode(what+": cookies", cp.Cookies.Behavior, cpParamModes())
	if err != nil {
		return err
	}
	var keyHeaders []string
	if hm == selWhitelist {
		keyHeaders = cp.Headers.Names
	}
	b.Key = KeyPolicy{
		query:   querySel{mode: qm, names: cp.QueryStrings.Names},
		headers: newKeyHeaders(keyHeaders),
		cookies: newCookieSel(cm, cp.Cookies.Names, false),
		gzip:    cp.EnableAcceptEncodingGzip,
		br:      cp.EnableAcceptEncodingBrotli,
	}
	b.finishKey()
	f := &b.Forward
	f.keyHdrs = headerSel{mode: selWhitelist, names: lowerAll(keyHeaders)}
	f.qa, f.ca = b.Key.query, b.Key.cookies
	f.gzip, f.br = b.Key.gzip, b.Key.br
	f.cfHdrs = cloudFrontNames(nil, keyHeaders)
	if orp != nil {
		if err := b.setORP(orp); err != nil {
			return err
		}
	}
	f.host = f.keyHdrs.listedName("host") || f.orpHdrs.matchName("host")
	f.ua = f.keyHdrs.listedName("user-agent") || f.orpHdrs.matchName("user-agent")
	return nil
}

func (b *Behavior) setORP(orp *config.OriginRequestPolicy) error {
	what := fmt.Sprintf("%s: origin_request_policy %q", b.name(), orp.Name)
	hm, err := parseMode(what+": headers", orp.Headers.Behavior, orpHeaderModes())
	if err != nil {
		return err
	}
	qm, err := parseMode(what+": query_strings", orp.QueryStrings.Behavior, orpParamModes())
	if err != nil {
		return err
	}
	cm, err := parseMode(what+": cookies", orp.Cookies.Behavior, orpParamModes())
	if err != nil {
		return err
	}
	f := &b.Forward
	switch orp.Headers.Behavior {
	case "whitelist":
		for _, n := range orp.Headers.Names {
			if strings.EqualFold(n, "authorization") {
				return fmt.Errorf("behavior: %s: headers: Authorization cannot be listed in an origin request policy (put it in the cache policy): %w",
					what, ErrInvalidPolicy)
			}
		}
		f.orpHdrs = headerSel{mode: hm, names: lowerAll(orp.Headers.Names)}
		f.cfHdrs = cloudFrontNames(f.cfHdrs, orp.Headers.Names)
	case "allViewerAndWhitelistCloudFront":
		f.orpHdrs = headerSel{mode: hm}
		f.cfHdrs = cloudFrontNames(f.cfHdrs, orp.Headers.Names)
	case "allExcept":
		f.orpHdrs = headerSel{mode: hm, names: lowerAll(orp.Headers.Names)}
	default:
		f.orpHdrs = headerSel{mode: hm}
	}
	f.qb, f.hasQB = querySel{mode: qm, names: orp.QueryStrings.Names}, true
	f.cb, f.hasCB = newCookieSel(cm, orp.Cookies.Names, false), true
	return nil
}

func (b *Behavior) setLegacy(c *config.Behavior, orp *config.OriginRequestPolicy) error {
	if orp != nil {
		return fmt.Errorf("behavior: %s: origin_request_policy %q needs a cache_policy: %w",
			b.name(), orp.Name, ErrInvalidPolicy)
	}
	ttl, err := ttlPolicy(b.name(), c.MinTTL, c.DefaultTTL, c.MaxTTL)
	if err != nil {
		return err
	}
	b.TTL = ttl
	var fv config.ForwardedValues
	if c.ForwardedValues != nil {
		fv = *c.ForwardedValues
	}
	f := &b.Forward
	f.legacy = true
	var keyHeaders []string
	for _, h := range fv.Headers {
		if h == "*" {
			f.legacyAll = true
		}
	}
	if f.legacyAll {
		b.NoCache = true
	} else {
		keyHeaders = fv.Headers
	}
	var cm selMode
	switch fv.Cookies.Forward {
	case "", "none":
	case "whitelist":
		cm = selWhitelist
	case "all":
		cm = selAll
	default:
		return fmt.Errorf("behavior: %s: forwarded_values.cookies.forward %q: want none, whitelist or all: %w",
			b.name(), fv.Cookies.Forward, ErrInvalidPolicy)
	}
	var qm selMode
	switch {
	case !fv.QueryString:
	case len(fv.QueryStringCacheKeys) == 0:
		qm = selAll
	default:
		qm = selWhitelist
	}
	b.Key = KeyPolicy{
		query:   querySel{mode: qm, names: fv.QueryStringCacheKeys},
		headers: newKeyHeaders(keyHeaders),
		cookies: newCookieSel(cm, fv.Cookies.WhitelistedNames, true),
		gzip:    c.Compress,
	}
	b.finishKey()
	f.keyHdrs = headerSel{mode: selWhitelist, names: lowerAll(keyHeaders)}
	if fv.QueryString {
		f.qa = querySel{mode: selAll}
	}
	f.ca = b.Key.cookies
	f.gzip = b.Key.gzip
	f.cfHdrs = cloudFrontNames(nil, keyHeaders)
	f.host = f.legacyAll || f.keyHdrs.listedName("host")
	f.ua = f.legacyAll || f.keyHdrs.listedName("user-agent")
	return nil
}

// finishKey makes an explicitly keyed Accept-Encoding an ordinary header: it then replaces
// the normalised value in the key and disables edge compression ("Cache compressed objects",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html#cache-policy-compressed-objects).
func (b *Behavior) finishKey() {
	if b.Key.HasHeader("Accept-Encoding") {
		b.Key.gzip, b.Key.br = false, false
	}
}

func lowerAll(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(n))
	}
	return out
}

// cloudFrontNames appends the lower-case CloudFront-* names of names not yet in dst.
func cloudFrontNames(dst, names []string) []string {
	for _, n := range names {
		l := strings.ToLower(n)
		if !strings.HasPrefix(l, "cloudfront-") {
			continue
		}
		dup := false
		for _, d := range dst {
			dup = dup || d == l
		}
		if !dup {
			dst = append(dst, l)
		}
	}
	return dst
}

// Table is a distribution's ordered behaviors plus its default behavior. It is immutable and
// safe for concurrent use.
type Table struct {
	ordered []*Behavior
	def     *Behavior
	all     []*Behavior
}

// NewTable builds a table from behaviors in precedence order and the default behavior. Nil
// entries are skipped; a non-default behavior without a Pattern matches every path.
func NewTable(ordered []*Behavior, def *Behavior) *Table {
	t := &Table{def: def}
	for _, b := range ordered {
		if b != nil {
			t.ordered = append(t.ordered, b)
		}
	}
	t.all = append(append([]*Behavior(nil), t.ordered...), def)
	if def == nil {
		t.all = t.all[:len(t.all)-1]
	}
	return t
}

// Match returns the first behavior whose pattern matches path (the request path without
// query string), else the default behavior (nil when the table has none). It allocates
// nothing.
func (t *Table) Match(path []byte) *Behavior {
	for _, b := range t.ordered {
		if b.Pattern == nil || b.Pattern.Match(path) {
			return b
		}
	}
	return t.def
}

// Default returns the default behavior.
func (t *Table) Default() *Behavior { return t.def }

// Behaviors returns the ordered behaviors followed by the default. The caller must not
// modify the slice.
func (t *Table) Behaviors() []*Behavior { return t.all }
