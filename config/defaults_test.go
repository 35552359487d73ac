package config

import (
	"reflect"
	"regexp"
	"testing"
	"time"
)

// minimalTOML is the smallest valid config: every other value comes from the defaults.
const minimalTOML = `
[[distribution]]
id = "EMINIMAL"

[[distribution.origin]]
id = "web"
kind = "http"
domain_name = "example.com"

[[distribution.origin]]
id = "bucket"
kind = "s3"
bucket = "b"

[[distribution.origin]]
id = "keyed"
kind = "s3"
bucket = "b"
access_key_id = "AK"
secret_access_key = "SK"

[[distribution.behavior]]
path_pattern = "/p/*"
target_origin_id = "web"
cache_policy = "CachingDisabled"

[distribution.default_behavior]
target_origin_id = "web"

[[distribution.custom_error_response]]
error_code = 404

[[cache_policy]]
name = "mine"

[[origin_request_policy]]
name = "orp"
`

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte(minimalTOML), "minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := &c.Distributions[0]
	web, s3, keyed := &d.Origins[0], &d.Origins[1], &d.Origins[2]
	db, pb := &d.DefaultBehavior, &d.Behaviors[0]
	cp, op := &c.CachePolicies[0], &c.OriginRequestPolicies[0]
	get := func(p *int64) any {
		if p == nil {
			return "nil"
		}
		return *p
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"server.listen", c.Server.Listen, "127.0.0.1:8080"},
		{"server.api_listen", c.Server.APIListen, "127.0.0.1:8081"},
		{"server.pop", c.Server.Pop, "DEV1-C1"},
		{"server.shutdown_timeout", c.Server.ShutdownTimeout.D(), 30 * time.Second},
		{"server.read_timeout", c.Server.ReadTimeout.D(), 60 * time.Second},
		{"server.write_timeout", c.Server.WriteTimeout.D(), 60 * time.Second},
		{"server.idle_timeout", c.Server.IdleTimeout.D(), 60 * time.Second},
		{"cache.memory", c.Cache.Memory, 512 * MiB},
		{"cache.max_object_size", c.Cache.MaxObjectSize, 64 * MiB},
		{"api.auth", c.API.Auth, "sigv4"},
		{"logging.level", c.Logging.Level, "info"},
		{"distribution.enabled", *d.Enabled, true},
		{"distribution.domain_name", d.DomainName, DomainNameFor("EMINIMAL")},
		{"origin.connection_attempts", web.ConnectionAttempts, 3},
		{"origin.connection_timeout", web.ConnectionTimeout.D(), 10 * time.Second},
		{"origin.origin_read_timeout", web.OriginReadTimeout.D(), 30 * time.Second},
		{"origin.origin_keepalive_timeout", web.OriginKeepaliveTimeout.D(), 5 * time.Second},
		{"s3 origin.connection_attempts", s3.ConnectionAttempts, 3},
		{"http origin.origin_protocol_policy", web.OriginProtocolPolicy, "http-only"},
		{"http origin.http_port", web.HTTPPort, 80},
		{"http origin.https_port", web.HTTPSPort, 443},
		{"s3 origin.region", s3.Region, "us-east-1"},
		{"s3 origin.access without keys", s3.Access, "anonymous"},
		{"s3 origin.access with keys", keyed.Access, "sigv4"},
		{"s3 origin has no http_port", s3.HTTPPort, 0},
		{"behavior.viewer_protocol_policy", db.ViewerProtocolPolicy, "allow-all"},
		{"behavior.allowed_methods", db.AllowedMethods, []string{"GET", "HEAD"}},
		{"behavior.cached_methods", db.CachedMethods, []string{"GET", "HEAD"}},
		{"behavior.min_ttl", get(db.MinTTL), int64(0)},
		{"behavior.default_ttl", get(db.DefaultTTL), int64(86400)},
		{"behavior.max_ttl", get(db.MaxTTL), int64(31536000)},
		{"behavior.forwarded_values.cookies.forward", db.ForwardedValues.Cookies.Forward, "none"},
		{"behavior.forwarded_values.query_string", db.ForwardedValues.QueryString, false},
		{"policy behavior.allowed_methods", pb.AllowedMethods, []string{"GET", "HEAD"}},
		{"policy behavior.min_ttl", get(pb.MinTTL), "nil"},
		{"policy behavior.default_ttl", get(pb.DefaultTTL), "nil"},
		{"policy behavior.max_ttl", get(pb.MaxTTL), "nil"},
		{"policy behavior.forwarded_values", pb.ForwardedValues == nil, true},
		{"custom_error_response.error_caching_min_ttl", get(d.CustomErrorResponses[0].ErrorCachingMinTTL), int64(10)},
		{"cache_policy.min_ttl", get(cp.MinTTL), int64(0)},
		{"cache_policy.default_ttl", get(cp.DefaultTTL), int64(86400)},
		{"cache_policy.max_ttl", get(cp.MaxTTL), int64(31536000)},
		{"cache_policy.headers.behavior", cp.Headers.Behavior, "none"},
		{"cache_policy.cookies.behavior", cp.Cookies.Behavior, "none"},
		{"cache_policy.query_strings.behavior", cp.QueryStrings.Behavior, "none"},
		{"origin_request_policy.headers.behavior", op.Headers.Behavior, "none"},
		{"origin_request_policy.cookies.behavior", op.Cookies.Behavior, "none"},
		{"origin_request_policy.query_strings.behavior", op.QueryStrings.Behavior, "none"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func TestDefaultsKeepSetValues(t *testing.T) {
	f := false
	c := &Config{
		Server:        Server{Listen: ":9000", ReadTimeout: Duration(time.Second)},
		Cache:         Cache{Memory: 2 * MiB},
		Distributions: []Distribution{{ID: "E", DomainName: "x.example", Enabled: &f}},
	}
	c.ApplyDefaults()
	if c.Server.Listen != ":9000" || c.Server.ReadTimeout.D() != time.Second || c.Cache.Memory != 2*MiB {
		t.Errorf("set values overwritten: %+v %+v", c.Server, c.Cache)
	}
	if *c.Distributions[0].Enabled || c.Distributions[0].DomainName != "x.example" {
		t.Errorf("distribution overwritten: %+v", c.Distributions[0])
	}
	var nilCfg *Config
	nilCfg.ApplyDefaults() // must not panic
}

func TestApplyDefaultsIdempotent(t *testing.T) {
	c, err := Parse([]byte(minimalTOML), "")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Parse([]byte(minimalTOML), "")
	again.ApplyDefaults()
	again.ApplyDefaults()
	if !reflect.DeepEqual(c, again) {
		t.Errorf("ApplyDefaults twice changed the config:\n%+v\n%+v", c, again)
	}
}

func TestDefaultTTLRules(t *testing.T) {
	tests := []struct {
		name          string
		minV, defV    *int64
		maxV          *int64
		wMin, wD, wMx int64
	}{
		{"all unset", nil, nil, nil, 0, 86400, 31536000},
		{"min over a day raises default", i64(100000), nil, nil, 100000, 100000, 31536000},
		{"min over a year raises default and max", i64(40000000), nil, nil, 40000000, 40000000, 40000000},
		{"default over a year raises max", nil, i64(40000000), nil, 0, 40000000, 40000000},
		{"explicit values kept", i64(1), i64(2), i64(3), 1, 2, 3},
		{"min under a day keeps default", i64(60), nil, nil, 60, 86400, 31536000},
	}
	for _, tt := range tests {
		mn, df, mx := defaultTTLs(tt.minV, tt.defV, tt.maxV)
		if *mn != tt.wMin || *df != tt.wD || *mx != tt.wMx {
			t.Errorf("%s: got %d/%d/%d, want %d/%d/%d", tt.name, *mn, *df, *mx, tt.wMin, tt.wD, tt.wMx)
		}
	}
}

func TestDomainNameFor(t *testing.T) {
	re := regexp.MustCompile(`^d[0-9a-v]{13}\.cloudfront\.net$`)
	a, b := DomainNameFor("EDFDVBD6EXAMPLE"), DomainNameFor("EDFDVBD6EXAMPLF")
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Errorf("DomainNameFor = %q, %q; want d + 13 chars + .cloudfront.net", a, b)
	}
	if a != DomainNameFor("EDFDVBD6EXAMPLE") {
		t.Error("DomainNameFor is not stable")
	}
	if a == b {
		t.Errorf("two ids gave the same name %q", a)
	}
	// Pin the derivation (checked independently: SHA-256 of "E1" in base32hex), so a change,
	// which would move users' URLs, is noticed.
	if got, want := DomainNameFor("E1"), "d48i9l9gvq9cks.cloudfront.net"; got != want {
		t.Errorf("DomainNameFor(E1) = %q, want %q", got, want)
	}
}
