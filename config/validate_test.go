package config

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fullConfig parses testdata/good/full.toml, a valid config that uses every part of the
// schema, so each validation case can break exactly one rule.
func fullConfig(t testing.TB) *Config {
	t.Helper()
	data, err := os.ReadFile("testdata/good/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data, "full.toml")
	if err != nil {
		t.Fatalf("full.toml does not validate:\n%v", err)
	}
	return c
}

type validateCase struct {
	name   string
	mutate func(c *Config)
	path   string // the exact path the error must carry
	msg    string // a substring of its message
}

func d0(c *Config) *Distribution { return &c.Distributions[0] }

// secondDistribution adds a valid distribution to c and returns it.
func secondDistribution(c *Config) *Distribution {
	c.Distributions = append(c.Distributions, Distribution{
		ID:              "E3OTHER",
		Origins:         []Origin{{ID: "x", Kind: KindDir, Path: "/tmp"}},
		DefaultBehavior: Behavior{TargetOriginID: "x"},
	})
	return &c.Distributions[len(c.Distributions)-1]
}

// runValidateCases runs each case on a fresh full.toml. Unless more is set (rules whose
// breach has knock-on effects), the error must be the only one.
func runValidateCases(t *testing.T, more bool, cases []validateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fullConfig(t)
			tc.mutate(c)
			err := c.Validate()
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Validate() = %v, want Errors with %s", err, tc.path)
			}
			if !more && len(es) != 1 {
				t.Errorf("got %d errors, want 1:\n%v", len(es), es)
			}
			for _, fe := range es {
				if fe.Path == tc.path {
					if !strings.Contains(fe.Msg, tc.msg) {
						t.Errorf("%s: got message %q, want it to contain %q", tc.path, fe.Msg, tc.msg)
					}
					return
				}
			}
			t.Errorf("no error at %s; got:\n%v", tc.path, es)
		})
	}
}

func TestValidateFullConfigIsValid(t *testing.T) {
	c := fullConfig(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	// Validate accepts zero values as "default", so an undefaulted config validates too.
	bare := &Config{Distributions: []Distribution{{ID: "E1", Origins: []Origin{{ID: "o", Kind: KindDir, Path: "."}},
		DefaultBehavior: Behavior{TargetOriginID: "o"}}}}
	if err := bare.Validate(); err != nil {
		t.Fatalf("bare config: Validate() = %v", err)
	}
	if err := (*Config)(nil).Validate(); err == nil {
		t.Fatal("nil config validated")
	}
}

func TestValidateTopLevel(t *testing.T) {
	runValidateCases(t, false, []validateCase{
		{"listen not host:port", func(c *Config) { c.Server.Listen = "8080" }, "server.listen", "host:port"},
		{"listen bad host", func(c *Config) { c.Server.Listen = "bad host:80" }, "server.listen", "host"},
		{"api_listen port out of range", func(c *Config) { c.Server.APIListen = "127.0.0.1:99999" }, "server.api_listen", "0 to 65535"},
		{"api_listen same as listen", func(c *Config) { c.Server.APIListen = c.Server.Listen }, "server.api_listen", "must differ"},
		{"pop lower case", func(c *Config) { c.Server.Pop = "lhr50" }, "server.pop", "upper-case"},
		{"negative read_timeout", func(c *Config) { c.Server.ReadTimeout = Duration(-time.Second) }, "server.read_timeout", "negative"},
		{"memory under 1MiB", func(c *Config) { c.Cache.Memory, c.Cache.MaxObjectSize = 1000, 500 }, "cache.memory", "at least 1MiB"},
		{"max_object_size over memory", func(c *Config) { c.Cache.MaxObjectSize = c.Cache.Memory + 1 }, "cache.max_object_size", "must not exceed"},
		{"negative max_object_size", func(c *Config) { c.Cache.MaxObjectSize = -1 }, "cache.max_object_size", "negative"},
		{"disk_size without disk_path", func(c *Config) { c.Cache.DiskSize = GiB }, "cache.disk_size", "needs cache.disk_path"},
		{"disk_path without disk_size", func(c *Config) { c.Cache.DiskPath = "/var/cache/edge" }, "cache.disk_size", "required"},
		{"tiny disk_size", func(c *Config) { c.Cache.DiskPath, c.Cache.DiskSize = "/d", 1000 }, "cache.disk_size", "at least 1MiB"},
		{"disk_max_object_size over disk_size", func(c *Config) {
			c.Cache.DiskPath, c.Cache.DiskSize, c.Cache.DiskMaxObjectSize = "/d", GiB, 2*GiB
		}, "cache.disk_max_object_size", "must not exceed"},
		{"negative disk_max_object_size", func(c *Config) { c.Cache.DiskPath, c.Cache.DiskSize, c.Cache.DiskMaxObjectSize = "/d", GiB, -1 }, "cache.disk_max_object_size", "negative"},
		{"price_class unknown", func(c *Config) { d0(c).PriceClass = "PriceClass_50" }, "distribution[0].price_class", "PriceClass_100"},
		{"http_version unknown", func(c *Config) { d0(c).HTTPVersion = "h2" }, "distribution[0].http_version", "http2and3"},
		{"api auth unknown", func(c *Config) { c.API.Auth = "basic" }, "api.auth", "sigv4 or none"},
		{"api key without secret", func(c *Config) { c.API.Keys[0].SecretAccessKey = "" }, "api.key[0].secret_access_key", "required"},
		{"api key without id", func(c *Config) { c.API.Keys[1].AccessKeyID = "" }, "api.key[1].access_key_id", "required"},
		{"api key duplicate", func(c *Config) { c.API.Keys[1].AccessKeyID = c.API.Keys[0].AccessKeyID }, "api.key[1].access_key_id", "duplicate"},
		{"log level", func(c *Config) { c.Logging.Level = "verbose" }, "logging.level", "debug, info, warn or error"},
		{"no distribution and no api key", func(c *Config) { c.Distributions, c.API.Keys = nil, nil }, "distribution", "at least one"},
		{"negative deploy_delay", func(c *Config) { c.API.DeployDelay = Duration(-time.Second) }, "api.deploy_delay", "negative"},
		{"s3_endpoint not a URL", func(c *Config) { c.API.S3Endpoint = "127.0.0.1:9000" }, "api.s3_endpoint", "http:// or https:// URL"},
		{"s3_endpoint with a query", func(c *Config) { c.API.S3Endpoint = "http://127.0.0.1:9000/?x=1" }, "api.s3_endpoint", "http:// or https:// URL"},
		{"negative invalidation_delay", func(c *Config) { c.API.InvalidationDelay = Duration(-time.Second) }, "api.invalidation_delay", "negative"},
		{"distribution id missing", func(c *Config) { d0(c).ID = "" }, "distribution[0].id", "required"},
		{"distribution id chars", func(c *Config) { d0(c).ID = "E1/2" }, "distribution[0].id", "letters, digits"},
		{"distribution id duplicate", func(c *Config) { c.Distributions[1].ID = d0(c).ID }, "distribution[1].id", "duplicate"},
		{"domain_name is a URL", func(c *Config) { d0(c).DomainName = "https://d1.cloudfront.net" }, "distribution[0].domain_name", "not a URL"},
		{"domain_name duplicate", func(c *Config) { secondDistribution(c).DomainName = "D1TEST.cloudfront.net" },
			"distribution[2].domain_name", "already used by distribution[0].domain_name"},
		{"derived domain_name clashes", func(c *Config) { d0(c).Aliases[0] = DomainNameFor("E2TESTDIST0002") },
			"distribution[1].domain_name", "already used by distribution[0].aliases[0]"},
		{"alias with scheme", func(c *Config) { d0(c).Aliases[0] = "http://www.example.com" }, "distribution[0].aliases[0]", "not a URL"},
		{"alias with path", func(c *Config) { d0(c).Aliases[1] = "www.example.com/x" }, "distribution[0].aliases[1]", "without a path"},
		{"alias with port", func(c *Config) { d0(c).Aliases[0] = "www.example.com:8080" }, "distribution[0].aliases[0]", "without a port"},
		{"alias bad label", func(c *Config) { d0(c).Aliases[0] = "-bad-.example.com" }, "distribution[0].aliases[0]", "not a valid host name"},
		{"alias duplicate across distributions", func(c *Config) { secondDistribution(c).Aliases = []string{"WWW.example.com"} },
			"distribution[2].aliases[0]", "already used by distribution[0].aliases[0]"},
		{"too many aliases", func(c *Config) {
			d := secondDistribution(c)
			for i := range 101 {
				d.Aliases = append(d.Aliases, "a"+strconv.Itoa(i)+".example.org")
			}
		}, "distribution[2].aliases", "at most 100"},
		{"root object leading slash", func(c *Config) { d0(c).DefaultRootObject = "/index.html" }, "distribution[0].default_root_object", "must not start"},
		{"root object bad char", func(c *Config) { d0(c).DefaultRootObject = "index@2.html" }, "distribution[0].default_root_object", "'@'"},
		{"root object too long", func(c *Config) { d0(c).DefaultRootObject = strings.Repeat("a", 256) }, "distribution[0].default_root_object", "at most 255"},
	})
}

func TestValidateOrigins(t *testing.T) {
	web := func(c *Config) *Origin { return &d0(c).Origins[0] }
	s3 := func(c *Config) *Origin { return &d0(c).Origins[1] }
	dir := func(c *Config) *Origin { return &d0(c).Origins[2] }
	hdrs := func(c *Config, n int) {
		for i := range n {
			web(c).CustomHeaders = append(web(c).CustomHeaders, CustomHeader{Name: "X-H" + strings.Repeat("h", i), Value: "v"})
		}
	}
	runValidateCases(t, false, []validateCase{
		{"too many origins", func(c *Config) {
			for i := range MaxOrigins {
				d0(c).Origins = append(d0(c).Origins, Origin{ID: "extra" + strings.Repeat("x", i), Kind: KindDir, Path: "."})
			}
		}, "distribution[0].origin", "at most 100"},
		{"kind missing", func(c *Config) { dir(c).Kind = "" }, "distribution[0].origin[2].kind", "required"},
		{"kind unknown", func(c *Config) { dir(c).Kind = "ftp" }, "distribution[0].origin[2].kind", "http, s3 or dir"},
		{"http domain missing", func(c *Config) { web(c).DomainName = "" }, "distribution[0].origin[0].domain_name", "required"},
		{"http domain with scheme", func(c *Config) { web(c).DomainName = "http://origin.example.com" }, "distribution[0].origin[0].domain_name", "not a URL"},
		{"http domain with path", func(c *Config) { web(c).DomainName = "origin.example.com/x" }, "distribution[0].origin[0].domain_name", "path"},
		{"http domain with port", func(c *Config) { web(c).DomainName = "origin.example.com:8080" }, "distribution[0].origin[0].domain_name", "port"},
		{"http_port", func(c *Config) { web(c).HTTPPort = 81 }, "distribution[0].origin[0].http_port", "80, 443 or 1024 to 65535"},
		{"https_port", func(c *Config) { web(c).HTTPSPort = 70000 }, "distribution[0].origin[0].https_port", "80, 443 or 1024 to 65535"},
		{"protocol policy", func(c *Config) { web(c).OriginProtocolPolicy = "https" }, "distribution[0].origin[0].origin_protocol_policy", "match-viewer"},
		{"origin_path no slash", func(c *Config) { web(c).OriginPath = "prod" }, "distribution[0].origin[0].origin_path", "must start"},
		{"origin_path trailing slash", func(c *Config) { web(c).OriginPath = "/prod/" }, "distribution[0].origin[0].origin_path", "not end"},
		{"origin_shield without address", func(c *Config) { web(c).OriginShield = &OriginShield{Enabled: true} }, "distribution[0].origin[0].origin_shield.address", "HOST:PORT"},
		{"origin_shield secret with a space", func(c *Config) {
			web(c).OriginShield = &OriginShield{Enabled: true, Address: "10.0.0.5:8080", Secret: "two words"}
		}, "distribution[0].origin[0].origin_shield.secret", "visible ASCII"},
		{"origin_shield secret with CRLF", func(c *Config) {
			web(c).OriginShield = &OriginShield{Secret: "a\r\nX-Injected: 1"}
		}, "distribution[0].origin[0].origin_shield.secret", "visible ASCII"},
		{"origin_shield secret too long", func(c *Config) {
			web(c).OriginShield = &OriginShield{Enabled: true, Address: "10.0.0.5:8080", Secret: strings.Repeat("s", 257)}
		}, "distribution[0].origin[0].origin_shield.secret", "at most 256"},
		{"connection_attempts", func(c *Config) { web(c).ConnectionAttempts = 4 }, "distribution[0].origin[0].connection_attempts", "1 to 3"},
		{"connection_timeout", func(c *Config) { web(c).ConnectionTimeout = Duration(11 * time.Second) }, "distribution[0].origin[0].connection_timeout", "1s to 10s"},
		{"origin_read_timeout", func(c *Config) { web(c).OriginReadTimeout = Duration(61 * time.Second) }, "distribution[0].origin[0].origin_read_timeout", "1s to 60s"},
		{"keepalive under 1s", func(c *Config) { web(c).OriginKeepaliveTimeout = Duration(500 * time.Millisecond) },
			"distribution[0].origin[0].origin_keepalive_timeout", "1s to 60s"},
		{"too many custom headers", func(c *Config) { hdrs(c, 10) }, "distribution[0].origin[0].custom_header", "at most 10"},
		{"custom header name too long", func(c *Config) { web(c).CustomHeaders[0].Name = "X-" + strings.Repeat("a", 255) },
			"distribution[0].origin[0].custom_header[0].name", "at most 256"},
		{"custom header value too long", func(c *Config) { web(c).CustomHeaders[0].Value = strings.Repeat("a", 1784) },
			"distribution[0].origin[0].custom_header[0].value", "at most 1783"},
		{"custom headers total too long", func(c *Config) {
			for i := range 6 {
				web(c).CustomHeaders = append(web(c).CustomHeaders, CustomHeader{Name: "X-L" + strings.Repeat("l", i), Value: strings.Repeat("v", 1783)})
			}
		}, "distribution[0].origin[0].custom_header", "at most 10240"},
		{"custom header empty name", func(c *Config) { web(c).CustomHeaders[0].Name = "" }, "distribution[0].origin[0].custom_header[0].name", "required"},
		{"custom header bad name", func(c *Config) { web(c).CustomHeaders[0].Name = "X Bad" }, "distribution[0].origin[0].custom_header[0].name", "not a valid header name"},
		{"custom header CRLF value", func(c *Config) { web(c).CustomHeaders[0].Value = "a\r\nb" }, "distribution[0].origin[0].custom_header[0].value", "CR, LF"},
		{"custom header Host", func(c *Config) { web(c).CustomHeaders[0].Name = "host" }, "distribution[0].origin[0].custom_header[0].name", "cannot be set"},
		{"custom header X-Amz-*", func(c *Config) { web(c).CustomHeaders[0].Name = "X-Amz-Date" }, "distribution[0].origin[0].custom_header[0].name", "cannot be set"},
		{"custom header X-Edge-*", func(c *Config) { web(c).CustomHeaders[0].Name = "x-edge-location" }, "distribution[0].origin[0].custom_header[0].name", "cannot be set"},
		{"custom header duplicate", func(c *Config) {
			web(c).CustomHeaders = append(web(c).CustomHeaders, CustomHeader{Name: "x-origin-secret", Value: "v"})
		}, "distribution[0].origin[0].custom_header[1].name", "duplicate"},
		{"s3 bucket missing", func(c *Config) { s3(c).Bucket = "" }, "distribution[0].origin[1].bucket", "required"},
		{"s3 bucket with slash", func(c *Config) { s3(c).Bucket = "a/b" }, "distribution[0].origin[1].bucket", "bucket name"},
		{"s3 endpoint not http", func(c *Config) { s3(c).Endpoint = "ftp://127.0.0.1:9000" }, "distribution[0].origin[1].endpoint", "http:// or https://"},
		{"s3 endpoint no scheme", func(c *Config) { s3(c).Endpoint = "127.0.0.1:9000" }, "distribution[0].origin[1].endpoint", "http:// or https://"},
		{"s3 access unknown", func(c *Config) { s3(c).Access = "public" }, "distribution[0].origin[1].access", "anonymous or sigv4"},
		{"s3 anonymous with keys", func(c *Config) { s3(c).Access = "anonymous" }, "distribution[0].origin[1].access", "keys are set"},
		{"s3 secret without id", func(c *Config) { s3(c).AccessKeyID = "" }, "distribution[0].origin[1].access_key_id", "required"},
		{"s3 id without secret", func(c *Config) { s3(c).SecretAccessKey = "" }, "distribution[0].origin[1].secret_access_key", "required"},
		{"s3 session token alone", func(c *Config) {
			s3(c).AccessKeyID, s3(c).SecretAccessKey, s3(c).SessionToken = "", "", "tok"
		}, "distribution[0].origin[1].session_token", "needs"},
		{"dir path missing", func(c *Config) { dir(c).Path = "" }, "distribution[0].origin[2].path", "required"},
	})
	runValidateCases(t, true, []validateCase{
		{"origin id clashes with group", func(c *Config) { d0(c).OriginGroups[0].ID = "bucket" },
			"distribution[0].origin_group[0].id", "also distribution[0].origin[1].id"},
		{"no origins", func(c *Config) {
			c.Distributions[1].Origins = nil
		}, "distribution[1].origin", "at least one"},
		{"origin id missing", func(c *Config) { dir(c).ID = "" }, "distribution[0].origin[2].id", "required"},
		{"origin id duplicate", func(c *Config) { dir(c).ID = "web" }, "distribution[0].origin[2].id", "duplicate"},
	})
}

func TestValidateOriginGroups(t *testing.T) {
	g := func(c *Config) *OriginGroup { return &d0(c).OriginGroups[0] }
	runValidateCases(t, false, []validateCase{
		{"one member", func(c *Config) { g(c).Members = []string{"web"} }, "distribution[0].origin_group[0].members", "exactly two"},
		{"three members", func(c *Config) { g(c).Members = append(g(c).Members, "bucket") }, "distribution[0].origin_group[0].members", "exactly two"},
		{"unknown member", func(c *Config) { g(c).Members[1] = "nope" }, "distribution[0].origin_group[0].members[1]", "not an origin"},
		{"group as member", func(c *Config) {
			d0(c).OriginGroups = append(d0(c).OriginGroups, OriginGroup{ID: "g2", Members: []string{"failover", "web"}, FailoverStatusCodes: []int{500}})
		}, "distribution[0].origin_group[1].members[0]", "groups cannot be members"},
		{"same member twice", func(c *Config) { g(c).Members[1] = "web" }, "distribution[0].origin_group[0].members[1]", "two different"},
		{"no failover codes", func(c *Config) { g(c).FailoverStatusCodes = nil }, "distribution[0].origin_group[0].failover_status_codes", "at least one"},
		{"bad failover code", func(c *Config) { g(c).FailoverStatusCodes[1] = 501 },
			"distribution[0].origin_group[0].failover_status_codes[1]", "501 is not a failover status code"},
		{"too many groups", func(c *Config) {
			for i := range 10 {
				d0(c).OriginGroups = append(d0(c).OriginGroups, OriginGroup{ID: "g" + strings.Repeat("x", i),
					Members: []string{"web", "bucket"}, FailoverStatusCodes: []int{404}})
			}
		}, "distribution[0].origin_group", "at most 10"},
	})
}

func TestValidateCustomErrorResponses(t *testing.T) {
	r := func(c *Config) *CustomErrorResponse { return &d0(c).CustomErrorResponses[0] }
	runValidateCases(t, false, []validateCase{
		{"error_code", func(c *Config) { r(c).ErrorCode = 418 }, "distribution[0].custom_error_response[0].error_code", "must be one of 400, 403"},
		{"error_code duplicate", func(c *Config) { d0(c).CustomErrorResponses[1].ErrorCode = 404 },
			"distribution[0].custom_error_response[1].error_code", "duplicate"},
		{"page without code", func(c *Config) { r(c).ResponseCode = 0 }, "distribution[0].custom_error_response[0].response_code", "required when response_page_path"},
		{"code without page", func(c *Config) { r(c).ResponsePagePath = "" }, "distribution[0].custom_error_response[0].response_page_path", "required when response_code"},
		{"response_code", func(c *Config) { r(c).ResponseCode = 201 }, "distribution[0].custom_error_response[0].response_code", "must be one of 200, 400"},
		{"page path relative", func(c *Config) { r(c).ResponsePagePath = "404.html" }, "distribution[0].custom_error_response[0].response_page_path", "must start"},
		{"negative caching ttl", func(c *Config) { r(c).ErrorCachingMinTTL = i64(-1) },
			"distribution[0].custom_error_response[0].error_caching_min_ttl", "negative"},
		{"caching ttl beyond a Duration", func(c *Config) { r(c).ErrorCachingMinTTL = i64(math.MaxInt64/int64(time.Second) + 1) },
			"distribution[0].custom_error_response[0].error_caching_min_ttl", "at most 9223372036"},
	})
}

func TestErrorsFormat(t *testing.T) {
	es := Errors{{Path: "a.b", Msg: "bad"}, {Path: "c[0]", Msg: "worse"}}
	if got, want := es.Error(), "a.b: bad\nc[0]: worse"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var fe FieldError
	if !errors.As(error(es), &fe) || fe.Path != "a.b" {
		t.Errorf("errors.As(FieldError) = %v, want the first FieldError", fe)
	}
	if !es.Has("c[0]") || es.Has("c") {
		t.Error("Has does not match exact paths")
	}
}

// TestValidateNoDistribution: a configuration without [[distribution]] is valid when the API
// can create distributions (an access key, or authentication off), and refused otherwise.
func TestValidateNoDistribution(t *testing.T) {
	tests := []struct {
		name  string
		auth  string
		keys  bool
		valid bool
	}{
		{"sigv4 with a key", "sigv4", true, true},
		{"default auth with a key", "", true, true},
		{"auth none", "none", false, true},
		{"sigv4 without a key", "sigv4", false, false},
		{"default auth without a key", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fullConfig(t)
			c.Distributions = nil
			c.API.Auth = tt.auth
			if !tt.keys {
				c.API.Keys = nil
			}
			err := c.Validate()
			if tt.valid && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			var es Errors
			if !tt.valid && (!errors.As(err, &es) || !es.Has("distribution")) {
				t.Fatalf("Validate() = %v, want an error at distribution", err)
			}
		})
	}
	// The same through Parse: an API-only file loads.
	c, err := Parse([]byte("[[api.key]]\naccess_key_id = \"AKID\"\nsecret_access_key = \"secret\"\n"), "api-only.toml")
	if err != nil || len(c.Distributions) != 0 {
		t.Fatalf("Parse(api-only) = %v, %v", c, err)
	}
}

func TestLegacyTTLs(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	tests := []struct {
		min, def, max *int64
		want          [3]int64
	}{
		{nil, nil, nil, [3]int64{0, 86400, 31536000}},
		{p(5), nil, nil, [3]int64{5, 86400, 31536000}},
		{p(100000), nil, nil, [3]int64{100000, 100000, 31536000}},
		{nil, p(40000000), nil, [3]int64{0, 40000000, 40000000}},
		{p(1), p(2), p(3), [3]int64{1, 2, 3}},
	}
	for _, tt := range tests {
		a, b, c := LegacyTTLs(tt.min, tt.def, tt.max)
		if got := [3]int64{a, b, c}; got != tt.want {
			t.Errorf("LegacyTTLs(%v, %v, %v) = %v, want %v", tt.min, tt.def, tt.max, got, tt.want)
		}
	}
}

// TestOriginShieldSecretParses reads origin_shield's secret from TOML: on a lower edge (enabled,
// with the shield's address) and on a top-tier shield that keeps enabled false and needs no
// address.
func TestOriginShieldSecretParses(t *testing.T) {
	for _, tc := range []struct{ line, address string }{
		{`origin_shield = { enabled = true, address = "10.0.0.5:8080", secret = "s3cr3t-Value_1" }`, "10.0.0.5:8080"},
		{`origin_shield = { enabled = false, secret = "s3cr3t-Value_1" }`, ""},
	} {
		doc := "[[distribution]]\nid = \"ESHIELD\"\n[[distribution.origin]]\nid = \"web\"\nkind = \"http\"\ndomain_name = \"example.com\"\n" +
			tc.line + "\n[distribution.default_behavior]\ntarget_origin_id = \"web\"\n"
		c, err := Parse([]byte(doc), "shield.toml")
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		sh := c.Distributions[0].Origins[0].OriginShield
		if sh == nil || sh.Secret != "s3cr3t-Value_1" || sh.Address != tc.address {
			t.Fatalf("%s: read %+v", tc.line, sh)
		}
	}
}
