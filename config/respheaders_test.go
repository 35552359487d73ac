package config

import (
	"reflect"
	"strings"
	"testing"
)

const respHeadersTOML = minimalTOML + `
[[response_headers_policy]]
name = "Site"
comment = "CORS for the app, security headers, no Server"
[response_headers_policy.cors_config]
access_control_allow_origins = ["https://app.example.com", "https://*.example.org", "http://localhost:3000"]
access_control_allow_headers = ["Content-Type", "Authorization"]
access_control_allow_methods = ["GET", "POST"]
access_control_expose_headers = ["ETag"]
access_control_allow_credentials = true
access_control_max_age_sec = 600
origin_override = true
[response_headers_policy.security_headers_config]
xss_protection = { protection = true, report_uri = "https://r.example.com/xss" }
frame_options = { frame_option = "DENY", override = true }
referrer_policy = { referrer_policy = "no-referrer" }
content_security_policy = { content_security_policy = "default-src 'self'", override = true }
content_type_options = { override = true }
strict_transport_security = { access_control_max_age_sec = 63072000, include_subdomains = true, preload = true }
[[response_headers_policy.custom_headers_config]]
header = "X-Empty"
value = ""
[[response_headers_policy.custom_headers_config]]
header = "Server"
value = "edge"
override = true
[[response_headers_policy.remove_headers_config]]
header = "X-Powered-By"
[response_headers_policy.server_timing_headers_config]
enabled = true
sampling_rate = 12.5

[[response_headers_policy]]
name = "TimingOnly"
server_timing_headers_config = { enabled = true, sampling_rate = 100 }
`

func TestResponseHeadersPolicyParse(t *testing.T) {
	c, err := Parse([]byte(respHeadersTOML), "rhp.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.ResponseHeadersPolicyByName("Site")
	if !ok {
		t.Fatal("Site not found")
	}
	if p.CorsConfig == nil || *p.CorsConfig.AccessControlMaxAgeSec != 600 || !p.CorsConfig.AccessControlAllowCredentials ||
		p.SecurityHeadersConfig.StrictTransportSecurity == nil || !p.SecurityHeadersConfig.StrictTransportSecurity.Preload ||
		len(p.CustomHeadersConfig) != 2 || p.CustomHeadersConfig[0].Value != "" || p.ServerTimingHeadersConfig.SamplingRate != 12.5 {
		t.Errorf("Site decoded as %+v", p)
	}
	// A deep copy: changing it leaves the config alone.
	p.CorsConfig.AccessControlAllowOrigins[0] = "x"
	*p.CorsConfig.AccessControlMaxAgeSec = 1
	p.SecurityHeadersConfig.FrameOptions.FrameOption = "x"
	q, _ := c.ResponseHeadersPolicyByName("Site")
	if q.CorsConfig.AccessControlAllowOrigins[0] != "https://app.example.com" || *q.CorsConfig.AccessControlMaxAgeSec != 600 ||
		q.SecurityHeadersConfig.FrameOptions.FrameOption != "DENY" {
		t.Error("ResponseHeadersPolicyByName returned a shallow copy")
	}
	if tp, _ := c.ResponseHeadersPolicyByName("TimingOnly"); tp.ServerTimingHeadersConfig.SamplingRate != 100 {
		t.Errorf("integer sampling_rate: %+v", tp.ServerTimingHeadersConfig)
	}
}

func TestResponseHeadersPolicyTypeErrors(t *testing.T) {
	_, err := Parse([]byte(minimalTOML+`
[[response_headers_policy]]
name = "T"
server_timing_headers_config = { enabled = true, sampling_rate = "half", rate = 1 }
`), "t.toml")
	for _, want := range []string{
		`response_headers_policy[0].server_timing_headers_config.sampling_rate: must be a number, not string "half"`,
		`response_headers_policy[0].server_timing_headers_config.rate: unknown key`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
}

func TestResponseHeadersPolicyByName(t *testing.T) {
	c, err := Parse([]byte(respHeadersTOML), "rhp.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lookup, want string }{
		{"SimpleCORS", "Managed-SimpleCORS"},
		{"Managed-SimpleCORS", "Managed-SimpleCORS"},
		{"60669652-455b-4ae9-85a4-c4c02393f86c", "Managed-SimpleCORS"},
		{"CORS-With-Preflight", "Managed-CORS-With-Preflight"},
		{"5CC3B908-E619-4B99-88E5-2CF7F45965BD", "Managed-CORS-With-Preflight"},
		{"SecurityHeadersPolicy", "Managed-SecurityHeadersPolicy"},
		{"67f7725c-6f97-4210-82d7-5512b31e9d03", "Managed-SecurityHeadersPolicy"},
		{"CORS-and-SecurityHeadersPolicy", "Managed-CORS-and-SecurityHeadersPolicy"},
		{"e61eb60c-9c35-4d20-a928-2b84e02af89c", "Managed-CORS-and-SecurityHeadersPolicy"},
		{"CORS-with-preflight-and-SecurityHeadersPolicy", "Managed-CORS-with-preflight-and-SecurityHeadersPolicy"},
		{"eaab4381-ed33-4a86-88ca-d9558dc6cd63", "Managed-CORS-with-preflight-and-SecurityHeadersPolicy"},
		{"Site", "Site"},
		{"simplecors", ""},
		{"CachingOptimized", ""},
		{"", ""},
	} {
		p, ok := c.ResponseHeadersPolicyByName(tt.lookup)
		if ok != (tt.want != "") || p.Name != tt.want {
			t.Errorf("ResponseHeadersPolicyByName(%q) = %q, %v; want %q", tt.lookup, p.Name, ok, tt.want)
		}
	}
	if _, ok := (*Config)(nil).ResponseHeadersPolicyByName("SimpleCORS"); !ok {
		t.Error("nil Config: managed policy not found")
	}
}

// TestManagedResponseHeadersPolicyValues pins the managed policies to "Use managed response
// headers policies"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html).
func TestManagedResponseHeadersPolicyValues(t *testing.T) {
	byName := map[string]ResponseHeadersPolicy{}
	for _, m := range ManagedResponseHeadersPolicies() {
		byName[m.ShortName] = m.Policy
	}
	security := &SecurityHeadersConfig{
		ReferrerPolicy:          &ReferrerPolicy{ReferrerPolicy: "strict-origin-when-cross-origin"},
		StrictTransportSecurity: &StrictTransportSecurity{AccessControlMaxAgeSec: i64(31536000)},
		ContentTypeOptions:      &ContentTypeOptions{Override: true},
		FrameOptions:            &FrameOptions{FrameOption: "SAMEORIGIN"},
		XSSProtection:           &XSSProtection{Protection: true, ModeBlock: true},
	}
	simple := &CorsConfig{AccessControlAllowOrigins: []string{"*"}}
	preflight := &CorsConfig{
		AccessControlAllowOrigins:  []string{"*"},
		AccessControlAllowHeaders:  []string{"*"},
		AccessControlAllowMethods:  []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"},
		AccessControlExposeHeaders: []string{"*"},
	}
	for name, want := range map[string]struct {
		cors *CorsConfig
		sec  *SecurityHeadersConfig
	}{
		"SimpleCORS":                                    {simple, nil},
		"CORS-With-Preflight":                           {preflight, nil},
		"SecurityHeadersPolicy":                         {nil, security},
		"CORS-and-SecurityHeadersPolicy":                {simple, security},
		"CORS-with-preflight-and-SecurityHeadersPolicy": {preflight, security},
	} {
		p, ok := byName[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if !reflect.DeepEqual(p.CorsConfig, want.cors) || !reflect.DeepEqual(p.SecurityHeadersConfig, want.sec) {
			t.Errorf("%s: cors %+v security %+v", name, p.CorsConfig, p.SecurityHeadersConfig)
		}
		if p.Name != "Managed-"+name || p.CustomHeadersConfig != nil || p.RemoveHeadersConfig != nil || p.ServerTimingHeadersConfig != nil {
			t.Errorf("%s: %+v", name, p)
		}
	}
	if len(byName) != 5 {
		t.Errorf("%d managed response headers policies, want 5", len(byName))
	}
}
