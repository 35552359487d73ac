package config

// Response headers policies: the fields of CloudFront's ResponseHeadersPolicyConfig
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyConfig.html)
// in snake_case. The API's {Quantity, Items} wrappers are plain TOML arrays here. Booleans the API
// marks required (Override, OriginOverride, AccessControlAllowCredentials, Protection, Enabled)
// may be left out and then mean false.

// ResponseHeadersPolicy is a custom response headers policy ("Understand response headers
// policies",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html).
// At least one of its five blocks must be set.
type ResponseHeadersPolicy struct {
	Name    string `toml:"name"`
	Comment string `toml:"comment"` // at most 128 characters
	// CorsConfig adds the Access-Control-* headers to responses to CORS requests.
	CorsConfig *CorsConfig `toml:"cors_config"`
	// SecurityHeadersConfig adds the six security headers.
	SecurityHeadersConfig *SecurityHeadersConfig `toml:"security_headers_config"`
	// CustomHeadersConfig adds arbitrary headers (at most 10).
	CustomHeadersConfig []ResponseCustomHeader `toml:"custom_headers_config"`
	// RemoveHeadersConfig removes headers from the origin's (or the cached) response.
	RemoveHeadersConfig []ResponseRemoveHeader `toml:"remove_headers_config"`
	// ServerTimingHeadersConfig adds CloudFront's Server-Timing header.
	ServerTimingHeadersConfig *ServerTimingHeadersConfig `toml:"server_timing_headers_config"`
}

// CorsConfig is ResponseHeadersPolicyCorsConfig
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyCorsConfig.html).
type CorsConfig struct {
	// AccessControlAllowOrigins are the origins allowed: "*", an origin as browsers send it
	// ("https://www.example.com", optionally with a port), or one whose leftmost label is "*"
	// ("https://*.example.com"). Required.
	AccessControlAllowOrigins []string `toml:"access_control_allow_origins"`
	// AccessControlAllowHeaders are header names or "*", sent on preflight responses. Required.
	AccessControlAllowHeaders []string `toml:"access_control_allow_headers"`
	// AccessControlAllowMethods are GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT, or ALL alone,
	// sent on preflight responses. Required.
	AccessControlAllowMethods []string `toml:"access_control_allow_methods"`
	// AccessControlExposeHeaders are header names or "*".
	AccessControlExposeHeaders []string `toml:"access_control_expose_headers"`
	// AccessControlAllowCredentials sends "Access-Control-Allow-Credentials: true" when set.
	AccessControlAllowCredentials bool `toml:"access_control_allow_credentials"`
	// AccessControlMaxAgeSec is Access-Control-Max-Age on preflight responses; nil for none.
	AccessControlMaxAgeSec *int64 `toml:"access_control_max_age_sec"`
	// OriginOverride makes the policy's CORS headers replace the origin's.
	OriginOverride bool `toml:"origin_override"`
}

// SecurityHeadersConfig is ResponseHeadersPolicySecurityHeadersConfig
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicySecurityHeadersConfig.html);
// a nil block adds nothing.
type SecurityHeadersConfig struct {
	XSSProtection           *XSSProtection           `toml:"xss_protection"`
	FrameOptions            *FrameOptions            `toml:"frame_options"`
	ReferrerPolicy          *ReferrerPolicy          `toml:"referrer_policy"`
	ContentSecurityPolicy   *ContentSecurityPolicy   `toml:"content_security_policy"`
	ContentTypeOptions      *ContentTypeOptions      `toml:"content_type_options"`
	StrictTransportSecurity *StrictTransportSecurity `toml:"strict_transport_security"`
}

// XSSProtection is X-XSS-Protection: "0", "1", "1; mode=block" or "1; report=<uri>".
type XSSProtection struct {
	Protection bool   `toml:"protection"`
	ModeBlock  bool   `toml:"mode_block"` // excludes ReportURI
	ReportURI  string `toml:"report_uri"`
	Override   bool   `toml:"override"`
}

// FrameOptions is X-Frame-Options: "DENY" or "SAMEORIGIN".
type FrameOptions struct {
	FrameOption string `toml:"frame_option"`
	Override    bool   `toml:"override"`
}

// ReferrerPolicy is Referrer-Policy, one of the eight values of ReferrerPolicyList.
type ReferrerPolicy struct {
	ReferrerPolicy string `toml:"referrer_policy"`
	Override       bool   `toml:"override"`
}

// ContentSecurityPolicy is Content-Security-Policy (at most 1,783 characters).
type ContentSecurityPolicy struct {
	ContentSecurityPolicy string `toml:"content_security_policy"`
	Override              bool   `toml:"override"`
}

// ContentTypeOptions is "X-Content-Type-Options: nosniff".
type ContentTypeOptions struct {
	Override bool `toml:"override"`
}

// StrictTransportSecurity is "Strict-Transport-Security: max-age=N[; includeSubDomains][; preload]".
type StrictTransportSecurity struct {
	AccessControlMaxAgeSec *int64 `toml:"access_control_max_age_sec"` // required
	IncludeSubdomains      bool   `toml:"include_subdomains"`
	Preload                bool   `toml:"preload"`
	Override               bool   `toml:"override"`
}

// ResponseCustomHeader is one ResponseHeadersPolicyCustomHeader; Value may be empty.
type ResponseCustomHeader struct {
	Header   string `toml:"header"`
	Value    string `toml:"value"`
	Override bool   `toml:"override"`
}

// ResponseRemoveHeader is one ResponseHeadersPolicyRemoveHeader.
type ResponseRemoveHeader struct {
	Header string `toml:"header"`
}

// ServerTimingHeadersConfig is ResponseHeadersPolicyServerTimingHeadersConfig: SamplingRate is
// the percentage of responses that get Server-Timing, 0 to 100 with up to four decimals.
type ServerTimingHeadersConfig struct {
	Enabled      bool    `toml:"enabled"`
	SamplingRate float64 `toml:"sampling_rate"`
}

// ManagedResponseHeadersPolicy is one of CloudFront's managed response headers policies
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html).
// Policy.Name is its API name ("Managed-SimpleCORS"), ShortName the console name.
type ManagedResponseHeadersPolicy struct {
	ID        string
	ShortName string
	Policy    ResponseHeadersPolicy
}

// ManagedResponseHeadersPolicies returns CloudFront's managed response headers policies, in the
// order of "Use managed response headers policies"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html),
// with the values of its "Policy settings" tables. Each call returns fresh values.
//
// The guide lists no Access-Control-Allow-Headers for CORS-With-Preflight although the API
// requires AccessControlAllowHeaders (ResponseHeadersPolicyCorsConfig,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyCorsConfig.html):
// edge uses "*", which is what a preflight carrying Access-Control-Request-Headers needs. The
// guide lists only Access-Control-Allow-Origin for SimpleCORS ("for simple CORS requests"), so its
// Allow-Headers and Allow-Methods are left empty: it adds nothing to preflight responses beyond
// Allow-Origin, and edge never answers a preflight for it.
func ManagedResponseHeadersPolicies() []ManagedResponseHeadersPolicy {
	simpleCORS := func() *CorsConfig {
		return &CorsConfig{AccessControlAllowOrigins: []string{"*"}}
	}
	preflightCORS := func() *CorsConfig {
		return &CorsConfig{
			AccessControlAllowOrigins:  []string{"*"},
			AccessControlAllowHeaders:  []string{"*"}, // not in the guide's table: see above
			AccessControlAllowMethods:  []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"},
			AccessControlExposeHeaders: []string{"*"},
		}
	}
	security := func() *SecurityHeadersConfig {
		return &SecurityHeadersConfig{
			ReferrerPolicy:          &ReferrerPolicy{ReferrerPolicy: "strict-origin-when-cross-origin"},
			StrictTransportSecurity: &StrictTransportSecurity{AccessControlMaxAgeSec: i64(31536000)},
			ContentTypeOptions:      &ContentTypeOptions{Override: true},
			FrameOptions:            &FrameOptions{FrameOption: "SAMEORIGIN"},
			XSSProtection:           &XSSProtection{Protection: true, ModeBlock: true},
		}
	}
	mk := func(id, short, comment string, cors *CorsConfig, sec *SecurityHeadersConfig) ManagedResponseHeadersPolicy {
		return ManagedResponseHeadersPolicy{ID: id, ShortName: short, Policy: ResponseHeadersPolicy{
			Name: "Managed-" + short, Comment: comment, CorsConfig: cors, SecurityHeadersConfig: sec}}
	}
	return []ManagedResponseHeadersPolicy{
		mk("e61eb60c-9c35-4d20-a928-2b84e02af89c", "CORS-and-SecurityHeadersPolicy",
			"Allows simple CORS requests from any origin and adds security headers",
			simpleCORS(), security()),
		mk("5cc3b908-e619-4b99-88e5-2cf7f45965bd", "CORS-With-Preflight",
			"Allows CORS requests from any origin, including preflight requests",
			preflightCORS(), nil),
		mk("eaab4381-ed33-4a86-88ca-d9558dc6cd63", "CORS-with-preflight-and-SecurityHeadersPolicy",
			"Allows CORS requests from any origin, including preflight requests, and adds security headers",
			preflightCORS(), security()),
		mk("67f7725c-6f97-4210-82d7-5512b31e9d03", "SecurityHeadersPolicy",
			"Adds a set of security headers to every response",
			nil, security()),
		mk("60669652-455b-4ae9-85a4-c4c02393f86c", "SimpleCORS",
			"Allows simple CORS requests from any origin",
			simpleCORS(), nil),
	}
}

// ResponseHeadersPolicyByName returns the response headers policy a behavior's
// response_headers_policy names: a managed policy by short name ("SimpleCORS"), API name
// ("Managed-SimpleCORS") or id, or else a custom [[response_headers_policy]] by name. The result
// is a deep copy. Safe on a nil Config (managed policies only). It allocates, so resolve
// policies once at start-up.
func (c *Config) ResponseHeadersPolicyByName(name string) (ResponseHeadersPolicy, bool) {
	if name == "" {
		return ResponseHeadersPolicy{}, false
	}
	for _, m := range ManagedResponseHeadersPolicies() {
		if matchesManaged(name, m.ID, m.ShortName, m.Policy.Name) {
			return m.Policy, true
		}
	}
	if c != nil {
		for _, p := range c.ResponseHeadersPolicies {
			if p.Name == name {
				return copyResponseHeadersPolicy(p), true
			}
		}
	}
	return ResponseHeadersPolicy{}, false
}

func copyResponseHeadersPolicy(p ResponseHeadersPolicy) ResponseHeadersPolicy {
	strs := func(s []string) []string {
		if s == nil {
			return nil
		}
		return append([]string(nil), s...)
	}
	if p.CorsConfig != nil {
		c := *p.CorsConfig
		c.AccessControlAllowOrigins = strs(c.AccessControlAllowOrigins)
		c.AccessControlAllowHeaders = strs(c.AccessControlAllowHeaders)
		c.AccessControlAllowMethods = strs(c.AccessControlAllowMethods)
		c.AccessControlExposeHeaders = strs(c.AccessControlExposeHeaders)
		c.AccessControlMaxAgeSec = copyI64(c.AccessControlMaxAgeSec)
		p.CorsConfig = &c
	}
	if s := p.SecurityHeadersConfig; s != nil {
		c := SecurityHeadersConfig{}
		if s.XSSProtection != nil {
			v := *s.XSSProtection
			c.XSSProtection = &v
		}
		if s.FrameOptions != nil {
			v := *s.FrameOptions
			c.FrameOptions = &v
		}
		if s.ReferrerPolicy != nil {
			v := *s.ReferrerPolicy
			c.ReferrerPolicy = &v
		}
		if s.ContentSecurityPolicy != nil {
			v := *s.ContentSecurityPolicy
			c.ContentSecurityPolicy = &v
		}
		if s.ContentTypeOptions != nil {
			v := *s.ContentTypeOptions
			c.ContentTypeOptions = &v
		}
		if s.StrictTransportSecurity != nil {
			v := *s.StrictTransportSecurity
			v.AccessControlMaxAgeSec = copyI64(v.AccessControlMaxAgeSec)
			c.StrictTransportSecurity = &v
		}
		p.SecurityHeadersConfig = &c
	}
	if p.CustomHeadersConfig != nil {
		p.CustomHeadersConfig = append([]ResponseCustomHeader(nil), p.CustomHeadersConfig...)
	}
	if p.RemoveHeadersConfig != nil {
		p.RemoveHeadersConfig = append([]ResponseRemoveHeader(nil), p.RemoveHeadersConfig...)
	}
	if p.ServerTimingHeadersConfig != nil {
		v := *p.ServerTimingHeadersConfig
		p.ServerTimingHeadersConfig = &v
	}
	return p
}
