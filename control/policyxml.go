package control

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/cfedge/edge/config"
)

// The three policy configs as XML, one Go type per XML type, used for a request body (read by
// element name, in any order), the stored config with CloudFront's defaults filled in, and every
// response (elements in the model's order):
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html,
// API_OriginRequestPolicyConfig.html and API_ResponseHeadersPolicyConfig.html. Optional scalars
// whose absence matters are pointers; each parse reads the document (parseConfigDoc), checks
// what is required, fills the defaults (every {Quantity, Items} list of a block that is present
// gets its wrapper, Quantity 0 without Items when empty; optional blocks that were left out stay
// out), and checks the values of the filled config. fill is idempotent, so a config read back
// and sent again is stored unchanged. What config validation checks besides (header name
// characters, CORS origins, …) is checked when the policy is merged into the configuration the
// edge serves (finish).

// Quotas per policy ("General quotas on policies",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies)
// and the limits of ResponseHeadersPolicyConfig.
const (
	maxPolicyNames       = 10   // headers, cookies and query strings, each
	maxPolicyNameLen     = 128  // edge's bound on a policy's Name (the API pages give none)
	maxPolicyComment     = 128  // Comment, in characters
	maxRespCustomHeaders = 10   // CustomHeadersConfig items
	maxRespRemoveHeaders = 10   // RemoveHeadersConfig items
	maxCSPLen            = 1783 // ContentSecurityPolicy
)

// Policy error codes about values (the Errors sections of API_CreateCachePolicy.html,
// API_CreateOriginRequestPolicy.html and API_CreateResponseHeadersPolicy.html; all 400).
const (
	CodeTooManyHeadersInCachePolicy                 = "TooManyHeadersInCachePolicy"
	CodeTooManyCookiesInCachePolicy                 = "TooManyCookiesInCachePolicy"
	CodeTooManyQueryStringsInCachePolicy            = "TooManyQueryStringsInCachePolicy"
	CodeTooManyHeadersInOriginRequestPolicy         = "TooManyHeadersInOriginRequestPolicy"
	CodeTooManyCookiesInOriginRequestPolicy         = "TooManyCookiesInOriginRequestPolicy"
	CodeTooManyQueryStringsInOriginRequestPolicy    = "TooManyQueryStringsInOriginRequestPolicy"
	CodeTooManyCustomHeadersInResponseHeadersPolicy = "TooManyCustomHeadersInResponseHeadersPolicy"
	CodeTooManyRemoveHeadersInResponseHeadersPolicy = "TooManyRemoveHeadersInResponseHeadersPolicy"
	CodeTooLongCSPInResponseHeadersPolicy           = "TooLongCSPInResponseHeadersPolicy"
)

// parseConfigDoc checks that body is a well-formed root document with consistent quantities
// (scanDoc: MissingBody, MalformedInput, InconsistentQuantities) and reads it into v.
func parseConfigDoc(body []byte, root string, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, CodeMissingBody, "This operation requires a body: a %s document.", root)
	}
	sc, aerr := scanDoc(body)
	if aerr != nil {
		return aerr
	}
	if sc.root != root {
		return malformed("The request body is a %s document; this operation takes a %s.", clip(sc.root, 64), root)
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return malformed("The request body could not be read: %v.", err)
	}
	return nil
}

// member is a member of a document that the API marks required, and whether it was sent.
type member struct {
	name    string
	present bool
}

// required returns InvalidArgument naming the first member that was not sent; where, when not
// empty, names the block it belongs to.
func required(where string, members ...member) *apiError {
	for _, m := range members {
		if m.present {
			continue
		}
		if where != "" {
			return invalidArgument("The parameter %s is required (%s).", m.name, where)
		}
		return invalidArgument("The parameter %s is required.", m.name)
	}
	return nil
}

func boolOr(p *bool, def bool) *bool {
	if p == nil {
		return &def
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// names is the values of a {Quantity, Items} list that may be absent.
func names(l *xmlStrItems) []string {
	if l == nil {
		return nil
	}
	return l.values()
}

// normList returns l as strItems(name, its values): never nil.
func normList(l *xmlStrItems, name string) *xmlStrItems {
	n := strItems(name, names(l))
	return &n
}

// --- selectors: HeadersConfig, CookiesConfig, QueryStringsConfig ---

// xmlHeadersConfig is CachePolicyHeadersConfig and OriginRequestPolicyHeadersConfig.
type xmlHeadersConfig struct {
	HeaderBehavior string       `xml:"HeaderBehavior"`
	Headers        *xmlStrItems `xml:"Headers"` // <Name>
}

// xmlCookiesConfig is CachePolicyCookiesConfig and OriginRequestPolicyCookiesConfig.
type xmlCookiesConfig struct {
	CookieBehavior string       `xml:"CookieBehavior"`
	Cookies        *xmlStrItems `xml:"Cookies"` // <Name>
}

// xmlQueryStringsConfig is CachePolicyQueryStringsConfig and
// OriginRequestPolicyQueryStringsConfig.
type xmlQueryStringsConfig struct {
	QueryStringBehavior string       `xml:"QueryStringBehavior"`
	QueryStrings        *xmlStrItems `xml:"QueryStrings"` // <Name>
}

// selectorRule is what one selector accepts: its behaviors, those that take names (and need
// at least one, except allViewerAndWhitelistCloudFront), and the error code beyond
// maxPolicyNames names.
type selectorRule struct {
	param     string // "HeaderBehavior"
	behaviors []string
	withNames []string
	tooMany   string
}

// check refuses a behavior outside the rule, names where the behavior takes none, none where
// it needs some (InvalidArgument), and more than maxPolicyNames (the rule's code).
func (r selectorRule) check(behavior string, list []string) *apiError {
	switch {
	case !oneOf(behavior, r.behaviors...):
		return invalidArgument("The parameter %s %q is not valid: %s.", r.param, clip(behavior, 40), orWords(r.behaviors))
	case len(list) > 0 && !oneOf(behavior, r.withNames...):
		return invalidArgument("The parameter %s is %s, which takes no names, but %d are listed.", r.param, behavior, len(list))
	case len(list) == 0 && oneOf(behavior, r.withNames...) && behavior != "allViewerAndWhitelistCloudFront":
		return invalidArgument("The parameter %s is %s, which needs at least one name.", r.param, behavior)
	case len(list) > maxPolicyNames:
		return errorf(http.StatusBadRequest, r.tooMany, "The policy lists %d names for %s; at most %d are allowed.", len(list), r.param, maxPolicyNames)
	}
	return nil
}

// orWords renders a list of values as "a, b or c".
func orWords(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	out := ""
	for i, v := range vs[:len(vs)-1] {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out + " or " + vs[len(vs)-1]
}

func selector(behavior string, l *xmlStrItems) config.ParamSelector {
	return config.ParamSelector{Behavior: behavior, Names: names(l)}
}

// --- CachePolicyConfig ---

// xmlCachePolicyConfig is CachePolicyConfig.
type xmlCachePolicyConfig struct {
	XMLName    xml.Name        `xml:"CachePolicyConfig"`
	Xmlns      string          `xml:"xmlns,attr,omitempty"`
	Comment    string          `xml:"Comment"`
	Name       string          `xml:"Name"`
	DefaultTTL *int64          `xml:"DefaultTTL"`
	MaxTTL     *int64          `xml:"MaxTTL"`
	MinTTL     *int64          `xml:"MinTTL"`
	Params     *xmlCacheParams `xml:"ParametersInCacheKeyAndForwardedToOrigin"`
}

// xmlCacheParams is ParametersInCacheKeyAndForwardedToOrigin.
type xmlCacheParams struct {
	EnableAcceptEncodingGzip   *bool                  `xml:"EnableAcceptEncodingGzip"`
	EnableAcceptEncodingBrotli *bool                  `xml:"EnableAcceptEncodingBrotli"`
	HeadersConfig              *xmlHeadersConfig      `xml:"HeadersConfig"`
	CookiesConfig              *xmlCookiesConfig      `xml:"CookiesConfig"`
	QueryStringsConfig         *xmlQueryStringsConfig `xml:"QueryStringsConfig"`
}

// The selector rules of a cache policy (API_CachePolicyHeadersConfig.html,
// API_CachePolicyCookiesConfig.html, API_CachePolicyQueryStringsConfig.html).
var (
	cacheHeadersRule = selectorRule{"HeaderBehavior", []string{"none", "whitelist"}, []string{"whitelist"},
		CodeTooManyHeadersInCachePolicy}
	cacheCookiesRule = selectorRule{"CookieBehavior", []string{"none", "whitelist", "allExcept", "all"},
		[]string{"whitelist", "allExcept"}, CodeTooManyCookiesInCachePolicy}
	cacheQueryRule = selectorRule{"QueryStringBehavior", []string{"none", "whitelist", "allExcept", "all"},
		[]string{"whitelist", "allExcept"}, CodeTooManyQueryStringsInCachePolicy}
)

// parseCachePolicyConfig reads, fills and checks a CachePolicyConfig.
func parseCachePolicyConfig(body []byte) (*xmlCachePolicyConfig, *apiError) {
	x := &xmlCachePolicyConfig{}
	if aerr := parseConfigDoc(body, "CachePolicyConfig", x); aerr != nil {
		return nil, aerr
	}
	if aerr := required("", member{"Name", x.Name != ""}, member{"MinTTL", x.MinTTL != nil}); aerr != nil {
		return nil, aerr
	}
	if p := x.Params; p != nil {
		const where = "ParametersInCacheKeyAndForwardedToOrigin"
		if aerr := required(where, member{"EnableAcceptEncodingGzip", p.EnableAcceptEncodingGzip != nil},
			member{"HeadersConfig", p.HeadersConfig != nil && p.HeadersConfig.HeaderBehavior != ""},
			member{"CookiesConfig", p.CookiesConfig != nil && p.CookiesConfig.CookieBehavior != ""},
			member{"QueryStringsConfig", p.QueryStringsConfig != nil && p.QueryStringsConfig.QueryStringBehavior != ""}); aerr != nil {
			return nil, aerr
		}
	}
	x.fill()
	if aerr := x.check(); aerr != nil {
		return nil, aerr
	}
	return x, nil
}

// fill completes x as CloudFront stores it: DefaultTTL 86400 (or MinTTL when larger), MaxTTL
// 31536000 (or DefaultTTL when larger), the parameters block with its lists (none of
// everything when it was left out: the API model makes it optional), Brotli off unless set.
func (x *xmlCachePolicyConfig) fill() {
	x.XMLName, x.Xmlns = xml.Name{Local: "CachePolicyConfig"}, ""
	minV, defV, maxV := config.LegacyTTLs(x.MinTTL, x.DefaultTTL, x.MaxTTL)
	x.MinTTL, x.DefaultTTL, x.MaxTTL = &minV, &defV, &maxV
	if x.Params == nil {
		x.Params = &xmlCacheParams{}
	}
	p := x.Params
	p.EnableAcceptEncodingGzip = boolOr(p.EnableAcceptEncodingGzip, false)
	p.EnableAcceptEncodingBrotli = boolOr(p.EnableAcceptEncodingBrotli, false)
	p.HeadersConfig, p.CookiesConfig, p.QueryStringsConfig = fillSelectors(p.HeadersConfig, p.CookiesConfig, p.QueryStringsConfig)
}

// fillSelectors gives the three selectors their defaults (none) and list wrappers.
func fillSelectors(h *xmlHeadersConfig, c *xmlCookiesConfig, q *xmlQueryStringsConfig) (*xmlHeadersConfig, *xmlCookiesConfig, *xmlQueryStringsConfig) {
	if h == nil {
		h = &xmlHeadersConfig{}
	}
	if c == nil {
		c = &xmlCookiesConfig{}
	}
	if q == nil {
		q = &xmlQueryStringsConfig{}
	}
	h.HeaderBehavior, h.Headers = orStr(h.HeaderBehavior, "none"), normList(h.Headers, "Name")
	c.CookieBehavior, c.Cookies = orStr(c.CookieBehavior, "none"), normList(c.Cookies, "Name")
	q.QueryStringBehavior, q.QueryStrings = orStr(q.QueryStringBehavior, "none"), normList(q.QueryStrings, "Name")
	return h, c, q
}

// check refuses what CloudFront refuses in a filled CachePolicyConfig: an empty or long Name,
// a long Comment, TTLs out of order, selector values outside their rules, and cache key
// parameters in a policy that caches nothing (all TTLs 0: "The parameter HeaderBehavior is
// invalid for policy with caching disabled").
func (x *xmlCachePolicyConfig) check() *apiError {
	if aerr := checkName("cache policy", x.Name, maxPolicyNameLen); aerr != nil {
		return aerr
	}
	if utf8.RuneCountInString(x.Comment) > maxPolicyComment {
		return invalidArgument("The parameter Comment is longer than %d characters.", maxPolicyComment)
	}
	minV, defV, maxV := *x.MinTTL, *x.DefaultTTL, *x.MaxTTL
	if minV < 0 || !(minV <= defV && defV <= maxV) {
		return invalidArgument("The TTLs must follow MinTTL <= DefaultTTL <= MaxTTL, none negative (got %d, %d, %d).", minV, defV, maxV)
	}
	p := x.Params
	if aerr := cacheHeadersRule.check(p.HeadersConfig.HeaderBehavior, names(p.HeadersConfig.Headers)); aerr != nil {
		return aerr
	}
	if aerr := cacheCookiesRule.check(p.CookiesConfig.CookieBehavior, names(p.CookiesConfig.Cookies)); aerr != nil {
		return aerr
	}
	if aerr := cacheQueryRule.check(p.QueryStringsConfig.QueryStringBehavior, names(p.QueryStringsConfig.QueryStrings)); aerr != nil {
		return aerr
	}
	if minV == 0 && defV == 0 && maxV == 0 {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"EnableAcceptEncodingGzip", *p.EnableAcceptEncodingGzip},
			{"EnableAcceptEncodingBrotli", *p.EnableAcceptEncodingBrotli},
			{"HeaderBehavior", p.HeadersConfig.HeaderBehavior != "none"},
			{"CookieBehavior", p.CookiesConfig.CookieBehavior != "none"},
			{"QueryStringBehavior", p.QueryStringsConfig.QueryStringBehavior != "none"},
		} {
			if f.set {
				return invalidArgument("The parameter %s is invalid for policy with caching disabled.", f.name)
			}
		}
	}
	return nil
}

// model is x as the configuration the edge serves holds it, under name.
func (x *xmlCachePolicyConfig) model(name string) config.CachePolicy {
	p := x.Params
	return config.CachePolicy{
		Name: name, Comment: x.Comment,
		MinTTL: copyInt64(x.MinTTL), DefaultTTL: copyInt64(x.DefaultTTL), MaxTTL: copyInt64(x.MaxTTL),
		EnableAcceptEncodingGzip: *p.EnableAcceptEncodingGzip, EnableAcceptEncodingBrotli: *p.EnableAcceptEncodingBrotli,
		Headers:      selector(p.HeadersConfig.HeaderBehavior, p.HeadersConfig.Headers),
		Cookies:      selector(p.CookiesConfig.CookieBehavior, p.CookiesConfig.Cookies),
		QueryStrings: selector(p.QueryStringsConfig.QueryStringBehavior, p.QueryStringsConfig.QueryStrings),
	}
}

// cachePolicyXML renders a policy of the configuration (managed or [[cache_policy]]) as the
// filled CachePolicyConfig the API shows, with apiName as its Name.
func cachePolicyXML(p config.CachePolicy, apiName string) *xmlCachePolicyConfig {
	x := &xmlCachePolicyConfig{
		Comment: p.Comment, Name: apiName, MinTTL: copyInt64(p.MinTTL), DefaultTTL: copyInt64(p.DefaultTTL), MaxTTL: copyInt64(p.MaxTTL),
		Params: &xmlCacheParams{
			EnableAcceptEncodingGzip:   ptr(p.EnableAcceptEncodingGzip),
			EnableAcceptEncodingBrotli: ptr(p.EnableAcceptEncodingBrotli),
			HeadersConfig:              &xmlHeadersConfig{HeaderBehavior: p.Headers.Behavior, Headers: listOf(p.Headers.Names)},
			CookiesConfig:              &xmlCookiesConfig{CookieBehavior: p.Cookies.Behavior, Cookies: listOf(p.Cookies.Names)},
			QueryStringsConfig: &xmlQueryStringsConfig{QueryStringBehavior: p.QueryStrings.Behavior,
				QueryStrings: listOf(p.QueryStrings.Names)},
		},
	}
	x.fill()
	return x
}

func listOf(vs []string) *xmlStrItems {
	l := strItems("Name", vs)
	return &l
}

// --- OriginRequestPolicyConfig ---

// xmlORPConfig is OriginRequestPolicyConfig.
type xmlORPConfig struct {
	XMLName            xml.Name               `xml:"OriginRequestPolicyConfig"`
	Xmlns              string                 `xml:"xmlns,attr,omitempty"`
	Comment            string                 `xml:"Comment"`
	Name               string                 `xml:"Name"`
	HeadersConfig      *xmlHeadersConfig      `xml:"HeadersConfig"`
	CookiesConfig      *xmlCookiesConfig      `xml:"CookiesConfig"`
	QueryStringsConfig *xmlQueryStringsConfig `xml:"QueryStringsConfig"`
}

// The selector rules of an origin request policy (API_OriginRequestPolicyHeadersConfig.html,
// API_OriginRequestPolicyCookiesConfig.html, API_OriginRequestPolicyQueryStringsConfig.html).
var (
	orpHeadersRule = selectorRule{"HeaderBehavior",
		[]string{"none", "whitelist", "allViewer", "allViewerAndWhitelistCloudFront", "allExcept"},
		[]string{"whitelist", "allViewerAndWhitelistCloudFront", "allExcept"}, CodeTooManyHeadersInOriginRequestPolicy}
	orpCookiesRule = selectorRule{"CookieBehavior", []string{"none", "whitelist", "all", "allExcept"},
		[]string{"whitelist", "allExcept"}, CodeTooManyCookiesInOriginRequestPolicy}
	orpQueryRule = selectorRule{"QueryStringBehavior", []string{"none", "whitelist", "all", "allExcept"},
		[]string{"whitelist", "allExcept"}, CodeTooManyQueryStringsInOriginRequestPolicy}
)

// parseORPConfig reads, fills and checks an OriginRequestPolicyConfig.
func parseORPConfig(body []byte) (*xmlORPConfig, *apiError) {
	x := &xmlORPConfig{}
	if aerr := parseConfigDoc(body, "OriginRequestPolicyConfig", x); aerr != nil {
		return nil, aerr
	}
	if aerr := required("", member{"Name", x.Name != ""},
		member{"HeadersConfig", x.HeadersConfig != nil && x.HeadersConfig.HeaderBehavior != ""},
		member{"CookiesConfig", x.CookiesConfig != nil && x.CookiesConfig.CookieBehavior != ""},
		member{"QueryStringsConfig", x.QueryStringsConfig != nil && x.QueryStringsConfig.QueryStringBehavior != ""}); aerr != nil {
		return nil, aerr
	}
	x.fill()
	if aerr := x.check(); aerr != nil {
		return nil, aerr
	}
	return x, nil
}

func (x *xmlORPConfig) fill() {
	x.XMLName, x.Xmlns = xml.Name{Local: "OriginRequestPolicyConfig"}, ""
	x.HeadersConfig, x.CookiesConfig, x.QueryStringsConfig = fillSelectors(x.HeadersConfig, x.CookiesConfig, x.QueryStringsConfig)
}

func (x *xmlORPConfig) check() *apiError {
	if aerr := checkName("origin request policy", x.Name, maxPolicyNameLen); aerr != nil {
		return aerr
	}
	if utf8.RuneCountInString(x.Comment) > maxPolicyComment {
		return invalidArgument("The parameter Comment is longer than %d characters.", maxPolicyComment)
	}
	if aerr := orpHeadersRule.check(x.HeadersConfig.HeaderBehavior, names(x.HeadersConfig.Headers)); aerr != nil {
		return aerr
	}
	if aerr := orpCookiesRule.check(x.CookiesConfig.CookieBehavior, names(x.CookiesConfig.Cookies)); aerr != nil {
		return aerr
	}
	return orpQueryRule.check(x.QueryStringsConfig.QueryStringBehavior, names(x.QueryStringsConfig.QueryStrings))
}

func (x *xmlORPConfig) model(name string) config.OriginRequestPolicy {
	return config.OriginRequestPolicy{
		Name: name, Comment: x.Comment,
		Headers:      selector(x.HeadersConfig.HeaderBehavior, x.HeadersConfig.Headers),
		Cookies:      selector(x.CookiesConfig.CookieBehavior, x.CookiesConfig.Cookies),
		QueryStrings: selector(x.QueryStringsConfig.QueryStringBehavior, x.QueryStringsConfig.QueryStrings),
	}
}

// orpXML is cachePolicyXML for origin request policies.
func orpXML(p config.OriginRequestPolicy, apiName string) *xmlORPConfig {
	x := &xmlORPConfig{
		Comment: p.Comment, Name: apiName,
		HeadersConfig:      &xmlHeadersConfig{HeaderBehavior: p.Headers.Behavior, Headers: listOf(p.Headers.Names)},
		CookiesConfig:      &xmlCookiesConfig{CookieBehavior: p.Cookies.Behavior, Cookies: listOf(p.Cookies.Names)},
		QueryStringsConfig: &xmlQueryStringsConfig{QueryStringBehavior: p.QueryStrings.Behavior, QueryStrings: listOf(p.QueryStrings.Names)},
	}
	x.fill()
	return x
}

// --- ResponseHeadersPolicyConfig ---

// xmlRHPConfig is ResponseHeadersPolicyConfig.
type xmlRHPConfig struct {
	XMLName                   xml.Name              `xml:"ResponseHeadersPolicyConfig"`
	Xmlns                     string                `xml:"xmlns,attr,omitempty"`
	Comment                   string                `xml:"Comment"`
	Name                      string                `xml:"Name"`
	CorsConfig                *xmlCorsConfig        `xml:"CorsConfig"`
	SecurityHeadersConfig     *xmlSecurityHeaders   `xml:"SecurityHeadersConfig"`
	ServerTimingHeadersConfig *xmlServerTiming      `xml:"ServerTimingHeadersConfig"`
	CustomHeadersConfig       *xmlRespCustomHeaders `xml:"CustomHeadersConfig"`
	RemoveHeadersConfig       *xmlRespRemoveHeaders `xml:"RemoveHeadersConfig"`
}

// xmlCorsConfig is ResponseHeadersPolicyCorsConfig.
type xmlCorsConfig struct {
	AccessControlAllowOrigins     *xmlStrItems `xml:"AccessControlAllowOrigins"` // <Origin>
	AccessControlAllowHeaders     *xmlStrItems `xml:"AccessControlAllowHeaders"` // <Header>
	AccessControlAllowMethods     *xmlStrItems `xml:"AccessControlAllowMethods"` // <Method>
	AccessControlAllowCredentials *bool        `xml:"AccessControlAllowCredentials"`
	AccessControlExposeHeaders    *xmlStrItems `xml:"AccessControlExposeHeaders"` // <Header>
	AccessControlMaxAgeSec        *int64       `xml:"AccessControlMaxAgeSec"`
	OriginOverride                *bool        `xml:"OriginOverride"`
}

// xmlSecurityHeaders is ResponseHeadersPolicySecurityHeadersConfig.
type xmlSecurityHeaders struct {
	XSSProtection           *xmlXSSProtection `xml:"XSSProtection"`
	FrameOptions            *xmlFrameOptions  `xml:"FrameOptions"`
	ReferrerPolicy          *xmlReferrer      `xml:"ReferrerPolicy"`
	ContentSecurityPolicy   *xmlCSP           `xml:"ContentSecurityPolicy"`
	ContentTypeOptions      *xmlOverride      `xml:"ContentTypeOptions"`
	StrictTransportSecurity *xmlHSTS          `xml:"StrictTransportSecurity"`
}

type xmlXSSProtection struct {
	Override   *bool  `xml:"Override"`
	Protection *bool  `xml:"Protection"`
	ModeBlock  *bool  `xml:"ModeBlock"`
	ReportURI  string `xml:"ReportUri,omitempty"`
}

type xmlFrameOptions struct {
	Override    *bool  `xml:"Override"`
	FrameOption string `xml:"FrameOption"`
}

type xmlReferrer struct {
	Override       *bool  `xml:"Override"`
	ReferrerPolicy string `xml:"ReferrerPolicy"`
}

type xmlCSP struct {
	Override              *bool  `xml:"Override"`
	ContentSecurityPolicy string `xml:"ContentSecurityPolicy"`
}

type xmlOverride struct {
	Override *bool `xml:"Override"`
}

type xmlHSTS struct {
	Override               *bool  `xml:"Override"`
	IncludeSubdomains      *bool  `xml:"IncludeSubdomains"`
	Preload                *bool  `xml:"Preload"`
	AccessControlMaxAgeSec *int64 `xml:"AccessControlMaxAgeSec"`
}

// xmlServerTiming is ResponseHeadersPolicyServerTimingHeadersConfig.
type xmlServerTiming struct {
	Enabled      *bool    `xml:"Enabled"`
	SamplingRate *float64 `xml:"SamplingRate"`
}

// xmlRespCustomHeaders is ResponseHeadersPolicyCustomHeadersConfig.
type xmlRespCustomHeaders struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Header []xmlRespCustomHeader `xml:"ResponseHeadersPolicyCustomHeader"`
	} `xml:"Items,omitempty"`
}

type xmlRespCustomHeader struct {
	Header   string  `xml:"Header"`
	Value    *string `xml:"Value"`
	Override *bool   `xml:"Override"`
}

// xmlRespRemoveHeaders is ResponseHeadersPolicyRemoveHeadersConfig.
type xmlRespRemoveHeaders struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Header []xmlRespRemoveHeader `xml:"ResponseHeadersPolicyRemoveHeader"`
	} `xml:"Items,omitempty"`
}

type xmlRespRemoveHeader struct {
	Header string `xml:"Header"`
}

func (h *xmlRespCustomHeaders) list() []xmlRespCustomHeader {
	if h == nil || h.Items == nil {
		return nil
	}
	return h.Items.Header
}

func (h *xmlRespRemoveHeaders) list() []xmlRespRemoveHeader {
	if h == nil || h.Items == nil {
		return nil
	}
	return h.Items.Header
}

// parseRHPConfig reads, fills and checks a ResponseHeadersPolicyConfig.
func parseRHPConfig(body []byte) (*xmlRHPConfig, *apiError) {
	x := &xmlRHPConfig{}
	if aerr := parseConfigDoc(body, "ResponseHeadersPolicyConfig", x); aerr != nil {
		return nil, aerr
	}
	if aerr := x.required(); aerr != nil {
		return nil, aerr
	}
	x.fill()
	if aerr := x.check(); aerr != nil {
		return nil, aerr
	}
	return x, nil
}

// required refuses a config without a member the API marks required, in a block that is present.
func (x *xmlRHPConfig) required() *apiError {
	if aerr := required("", member{"Name", x.Name != ""}); aerr != nil {
		return aerr
	}
	if c := x.CorsConfig; c != nil {
		if aerr := required("CorsConfig", member{"AccessControlAllowOrigins", c.AccessControlAllowOrigins != nil},
			member{"AccessControlAllowHeaders", c.AccessControlAllowHeaders != nil},
			member{"AccessControlAllowMethods", c.AccessControlAllowMethods != nil},
			member{"AccessControlAllowCredentials", c.AccessControlAllowCredentials != nil},
			member{"OriginOverride", c.OriginOverride != nil}); aerr != nil {
			return aerr
		}
	}
	if s := x.SecurityHeadersConfig; s != nil {
		type block struct {
			where   string
			members []member
		}
		var blocks []block
		add := func(where string, override *bool, more ...member) {
			blocks = append(blocks, block{where, append([]member{{"Override", override != nil}}, more...)})
		}
		if v := s.XSSProtection; v != nil {
			add("XSSProtection", v.Override, member{"Protection", v.Protection != nil})
		}
		if v := s.FrameOptions; v != nil {
			add("FrameOptions", v.Override, member{"FrameOption", v.FrameOption != ""})
		}
		if v := s.ReferrerPolicy; v != nil {
			add("ReferrerPolicy", v.Override, member{"ReferrerPolicy", v.ReferrerPolicy != ""})
		}
		if v := s.ContentSecurityPolicy; v != nil {
			add("ContentSecurityPolicy", v.Override, member{"ContentSecurityPolicy", v.ContentSecurityPolicy != ""})
		}
		if v := s.ContentTypeOptions; v != nil {
			add("ContentTypeOptions", v.Override)
		}
		if v := s.StrictTransportSecurity; v != nil {
			add("StrictTransportSecurity", v.Override, member{"AccessControlMaxAgeSec", v.AccessControlMaxAgeSec != nil})
		}
		for _, b := range blocks {
			if aerr := required(b.where, b.members...); aerr != nil {
				return aerr
			}
		}
	}
	if st := x.ServerTimingHeadersConfig; st != nil {
		if aerr := required("ServerTimingHeadersConfig", member{"Enabled", st.Enabled != nil}); aerr != nil {
			return aerr
		}
	}
	for i, h := range x.CustomHeadersConfig.list() {
		if aerr := required("CustomHeadersConfig item "+strconv.Itoa(i), member{"Header", h.Header != ""},
			member{"Value", h.Value != nil}, member{"Override", h.Override != nil}); aerr != nil {
			return aerr
		}
	}
	for i, h := range x.RemoveHeadersConfig.list() {
		if aerr := required("RemoveHeadersConfig item "+strconv.Itoa(i), member{"Header", h.Header != ""}); aerr != nil {
			return aerr
		}
	}
	return nil
}

// fill completes x: the CORS lists with their wrappers (ExposeHeaders empty when left out),
// XSS ModeBlock and the HSTS flags false unless set, SamplingRate 0 unless set, and the counts
// of the header lists. Blocks that were left out stay out.
func (x *xmlRHPConfig) fill() {
	x.XMLName, x.Xmlns = xml.Name{Local: "ResponseHeadersPolicyConfig"}, ""
	if c := x.CorsConfig; c != nil {
		c.AccessControlAllowOrigins = normList(c.AccessControlAllowOrigins, "Origin")
		c.AccessControlAllowHeaders = normList(c.AccessControlAllowHeaders, "Header")
		c.AccessControlAllowMethods = normList(c.AccessControlAllowMethods, "Method")
		c.AccessControlExposeHeaders = normList(c.AccessControlExposeHeaders, "Header")
	}
	if s := x.SecurityHeadersConfig; s != nil {
		if v := s.XSSProtection; v != nil {
			v.ModeBlock = boolOr(v.ModeBlock, false)
		}
		if v := s.StrictTransportSecurity; v != nil {
			v.IncludeSubdomains, v.Preload = boolOr(v.IncludeSubdomains, false), boolOr(v.Preload, false)
		}
	}
	if st := x.ServerTimingHeadersConfig; st != nil && st.SamplingRate == nil {
		st.SamplingRate = ptr(0.0)
	}
	if h := x.CustomHeadersConfig; h != nil {
		if h.Items != nil && len(h.Items.Header) == 0 {
			h.Items = nil
		}
		h.Quantity = len(h.list())
	}
	if h := x.RemoveHeadersConfig; h != nil {
		if h.Items != nil && len(h.Items.Header) == 0 {
			h.Items = nil
		}
		h.Quantity = len(h.list())
	}
}

// check refuses the values CloudFront refuses with its own codes or InvalidArgument: an empty
// or long Name, a long Comment, methods, frame options and referrer policies outside their
// enumerations, a negative max age, a sampling rate outside 0–100, more than 10 custom or
// removed headers, a Content-Security-Policy over 1,783 characters.
func (x *xmlRHPConfig) check() *apiError {
	if aerr := checkName("response headers policy", x.Name, maxPolicyNameLen); aerr != nil {
		return aerr
	}
	if utf8.RuneCountInString(x.Comment) > maxPolicyComment {
		return invalidArgument("The parameter Comment is longer than %d characters.", maxPolicyComment)
	}
	if c := x.CorsConfig; c != nil {
		for _, m := range c.AccessControlAllowMethods.values() {
			if !oneOf(m, "GET", "DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "ALL") {
				return invalidArgument("The parameter AccessControlAllowMethods holds %q: GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT or ALL.", clip(m, 40))
			}
		}
		if c.AccessControlMaxAgeSec != nil && *c.AccessControlMaxAgeSec < 0 {
			return invalidArgument("The parameter AccessControlMaxAgeSec must not be negative.")
		}
	}
	if s := x.SecurityHeadersConfig; s != nil {
		if v := s.FrameOptions; v != nil && !oneOf(v.FrameOption, "DENY", "SAMEORIGIN") {
			return invalidArgument("The parameter FrameOption %q is not valid: DENY or SAMEORIGIN.", clip(v.FrameOption, 40))
		}
		if v := s.ReferrerPolicy; v != nil && !oneOf(v.ReferrerPolicy, "no-referrer", "no-referrer-when-downgrade", "origin",
			"origin-when-cross-origin", "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url") {
			return invalidArgument("The parameter ReferrerPolicy %q is not valid.", clip(v.ReferrerPolicy, 40))
		}
		if v := s.ContentSecurityPolicy; v != nil && len(v.ContentSecurityPolicy) > maxCSPLen {
			return errorf(http.StatusBadRequest, CodeTooLongCSPInResponseHeadersPolicy,
				"The Content-Security-Policy is %d characters long; at most %d are allowed.", len(v.ContentSecurityPolicy), maxCSPLen)
		}
		if v := s.StrictTransportSecurity; v != nil && *v.AccessControlMaxAgeSec < 0 {
			return invalidArgument("The parameter AccessControlMaxAgeSec of StrictTransportSecurity must not be negative.")
		}
	}
	if st := x.ServerTimingHeadersConfig; st != nil && (*st.SamplingRate < 0 || *st.SamplingRate > 100) {
		return invalidArgument("The parameter SamplingRate must be 0 to 100, got %g.", *st.SamplingRate)
	}
	if n := len(x.CustomHeadersConfig.list()); n > maxRespCustomHeaders {
		return errorf(http.StatusBadRequest, CodeTooManyCustomHeadersInResponseHeadersPolicy,
			"The policy adds %d custom headers; at most %d are allowed.", n, maxRespCustomHeaders)
	}
	if n := len(x.RemoveHeadersConfig.list()); n > maxRespRemoveHeaders {
		return errorf(http.StatusBadRequest, CodeTooManyRemoveHeadersInResponseHeadersPolicy,
			"The policy removes %d headers; at most %d are allowed.", n, maxRespRemoveHeaders)
	}
	return nil
}

// model is x as the configuration holds it, under name.
func (x *xmlRHPConfig) model(name string) config.ResponseHeadersPolicy {
	p := config.ResponseHeadersPolicy{Name: name, Comment: x.Comment}
	if c := x.CorsConfig; c != nil {
		p.CorsConfig = &config.CorsConfig{
			AccessControlAllowOrigins:     c.AccessControlAllowOrigins.values(),
			AccessControlAllowHeaders:     c.AccessControlAllowHeaders.values(),
			AccessControlAllowMethods:     c.AccessControlAllowMethods.values(),
			AccessControlExposeHeaders:    c.AccessControlExposeHeaders.values(),
			AccessControlAllowCredentials: *c.AccessControlAllowCredentials,
			AccessControlMaxAgeSec:        copyInt64(c.AccessControlMaxAgeSec),
			OriginOverride:                *c.OriginOverride,
		}
	}
	if s := x.SecurityHeadersConfig; s != nil {
		sc := &config.SecurityHeadersConfig{}
		if v := s.XSSProtection; v != nil {
			sc.XSSProtection = &config.XSSProtection{Protection: *v.Protection, ModeBlock: *v.ModeBlock, ReportURI: v.ReportURI, Override: *v.Override}
		}
		if v := s.FrameOptions; v != nil {
			sc.FrameOptions = &config.FrameOptions{FrameOption: v.FrameOption, Override: *v.Override}
		}
		if v := s.ReferrerPolicy; v != nil {
			sc.ReferrerPolicy = &config.ReferrerPolicy{ReferrerPolicy: v.ReferrerPolicy, Override: *v.Override}
		}
		if v := s.ContentSecurityPolicy; v != nil {
			sc.ContentSecurityPolicy = &config.ContentSecurityPolicy{ContentSecurityPolicy: v.ContentSecurityPolicy, Override: *v.Override}
		}
		if v := s.ContentTypeOptions; v != nil {
			sc.ContentTypeOptions = &config.ContentTypeOptions{Override: *v.Override}
		}
		if v := s.StrictTransportSecurity; v != nil {
			sc.StrictTransportSecurity = &config.StrictTransportSecurity{AccessControlMaxAgeSec: copyInt64(v.AccessControlMaxAgeSec),
				IncludeSubdomains: *v.IncludeSubdomains, Preload: *v.Preload, Override: *v.Override}
		}
		p.SecurityHeadersConfig = sc
	}
	if st := x.ServerTimingHeadersConfig; st != nil {
		p.ServerTimingHeadersConfig = &config.ServerTimingHeadersConfig{Enabled: *st.Enabled, SamplingRate: *st.SamplingRate}
	}
	for _, h := range x.CustomHeadersConfig.list() {
		p.CustomHeadersConfig = append(p.CustomHeadersConfig, config.ResponseCustomHeader{Header: h.Header, Value: *h.Value, Override: *h.Override})
	}
	for _, h := range x.RemoveHeadersConfig.list() {
		p.RemoveHeadersConfig = append(p.RemoveHeadersConfig, config.ResponseRemoveHeader{Header: h.Header})
	}
	return p
}

// rhpXML is cachePolicyXML for response headers policies. A list the configuration leaves
// empty shows as a block only when the configuration has one (CustomHeadersConfig and
// RemoveHeadersConfig when they hold items).
func rhpXML(p config.ResponseHeadersPolicy, apiName string) *xmlRHPConfig {
	x := &xmlRHPConfig{Comment: p.Comment, Name: apiName}
	if c := p.CorsConfig; c != nil {
		x.CorsConfig = &xmlCorsConfig{
			AccessControlAllowOrigins:     ptr(strItems("Origin", c.AccessControlAllowOrigins)),
			AccessControlAllowHeaders:     ptr(strItems("Header", c.AccessControlAllowHeaders)),
			AccessControlAllowMethods:     ptr(strItems("Method", c.AccessControlAllowMethods)),
			AccessControlAllowCredentials: ptr(c.AccessControlAllowCredentials),
			AccessControlExposeHeaders:    ptr(strItems("Header", c.AccessControlExposeHeaders)),
			AccessControlMaxAgeSec:        copyInt64(c.AccessControlMaxAgeSec),
			OriginOverride:                ptr(c.OriginOverride),
		}
	}
	if s := p.SecurityHeadersConfig; s != nil {
		sx := &xmlSecurityHeaders{}
		if v := s.XSSProtection; v != nil {
			sx.XSSProtection = &xmlXSSProtection{Override: ptr(v.Override), Protection: ptr(v.Protection), ModeBlock: ptr(v.ModeBlock), ReportURI: v.ReportURI}
		}
		if v := s.FrameOptions; v != nil {
			sx.FrameOptions = &xmlFrameOptions{Override: ptr(v.Override), FrameOption: v.FrameOption}
		}
		if v := s.ReferrerPolicy; v != nil {
			sx.ReferrerPolicy = &xmlReferrer{Override: ptr(v.Override), ReferrerPolicy: v.ReferrerPolicy}
		}
		if v := s.ContentSecurityPolicy; v != nil {
			sx.ContentSecurityPolicy = &xmlCSP{Override: ptr(v.Override), ContentSecurityPolicy: v.ContentSecurityPolicy}
		}
		if v := s.ContentTypeOptions; v != nil {
			sx.ContentTypeOptions = &xmlOverride{Override: ptr(v.Override)}
		}
		if v := s.StrictTransportSecurity; v != nil {
			sx.StrictTransportSecurity = &xmlHSTS{Override: ptr(v.Override), IncludeSubdomains: ptr(v.IncludeSubdomains),
				Preload: ptr(v.Preload), AccessControlMaxAgeSec: copyInt64(v.AccessControlMaxAgeSec)}
			if sx.StrictTransportSecurity.AccessControlMaxAgeSec == nil {
				sx.StrictTransportSecurity.AccessControlMaxAgeSec = ptr(int64(0))
			}
		}
		x.SecurityHeadersConfig = sx
	}
	if st := p.ServerTimingHeadersConfig; st != nil {
		x.ServerTimingHeadersConfig = &xmlServerTiming{Enabled: ptr(st.Enabled), SamplingRate: ptr(st.SamplingRate)}
	}
	if len(p.CustomHeadersConfig) > 0 {
		x.CustomHeadersConfig = &xmlRespCustomHeaders{Items: &struct {
			Header []xmlRespCustomHeader `xml:"ResponseHeadersPolicyCustomHeader"`
		}{}}
		for _, h := range p.CustomHeadersConfig {
			x.CustomHeadersConfig.Items.Header = append(x.CustomHeadersConfig.Items.Header,
				xmlRespCustomHeader{Header: h.Header, Value: ptr(h.Value), Override: ptr(h.Override)})
		}
	}
	if len(p.RemoveHeadersConfig) > 0 {
		x.RemoveHeadersConfig = &xmlRespRemoveHeaders{Items: &struct {
			Header []xmlRespRemoveHeader `xml:"ResponseHeadersPolicyRemoveHeader"`
		}{}}
		for _, h := range p.RemoveHeadersConfig {
			x.RemoveHeadersConfig.Items.Header = append(x.RemoveHeadersConfig.Items.Header, xmlRespRemoveHeader{Header: h.Header})
		}
	}
	x.fill()
	return x
}
