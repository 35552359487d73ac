package config

import (
	"crypto/sha256"
	"encoding/base32"
	"os"
	"strings"
	"time"
)

// CloudFront's defaults, and edge's own where CloudFront has none.
// DefaultViewerCountry is the CloudFront-Viewer-Country of every viewer unless
// server.viewer_country says otherwise.
const DefaultViewerCountry = "US"

const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultAPIListen       = "127.0.0.1:8081"
	DefaultPop             = "DEV1-C1"
	DefaultShutdownTimeout = Duration(30 * time.Second)
	DefaultReadTimeout     = Duration(60 * time.Second)
	DefaultWriteTimeout    = Duration(60 * time.Second)
	DefaultIdleTimeout     = Duration(60 * time.Second)
	DefaultMemory          = 512 * MiB
	DefaultMaxObjectSize   = 64 * MiB
	DefaultAPIAuth         = "sigv4"
	DefaultLogLevel        = "info"

	DefaultConnectionAttempts     = 3
	DefaultConnectionTimeout      = Duration(10 * time.Second)
	DefaultOriginReadTimeout      = Duration(30 * time.Second)
	DefaultOriginKeepaliveTimeout = Duration(5 * time.Second)
	DefaultOriginProtocolPolicy   = "http-only"
	DefaultHTTPPort               = 80
	DefaultHTTPSPort              = 443
	DefaultS3Region               = "us-east-1"

	DefaultViewerProtocolPolicy = "allow-all"
	DefaultMinTTL               = int64(0)
	DefaultDefaultTTL           = int64(86400)
	DefaultMaxTTL               = int64(31536000)
	DefaultErrorCachingMinTTL   = int64(10)

	DefaultFunctionRuntime = RuntimeJS20
)

// ApplyDefaults fills every unset field with CloudFront's default (edge's, where CloudFront
// has none); the values are listed on the Default… constants. A field is unset when it
// holds its zero value (nil for pointers and lists). ApplyDefaults is idempotent, never
// overwrites a set field, and is safe on a nil Config.
//
// Besides the constants, it sets:
//   - distribution enabled = true, and an empty domain_name to DomainNameFor(id);
//   - s3 origins' access to "sigv4" when access keys are given, else "anonymous";
//   - behaviors without a cache_policy: legacy TTLs by CloudFront's rules (default_ttl =
//     min_ttl when min_ttl > 86400; max_ttl = default_ttl when either exceeds 31536000) and
//     forwarded_values = CloudFront's default (nothing forwarded, cookies "none");
//   - behaviors with a cache_policy keep nil TTLs and forwarded_values;
//   - custom cache policies' TTLs as above, and every unset policy selector to "none";
//   - functions' runtime to DefaultFunctionRuntime.
func (c *Config) ApplyDefaults() {
	if c == nil {
		return
	}
	s := &c.Server
	setStr(&s.Listen, DefaultListen)
	setStr(&s.APIListen, DefaultAPIListen)
	setStr(&s.Pop, DefaultPop)
	setStr(&s.ViewerCountry, DefaultViewerCountry)
	setDur(&s.ShutdownTimeout, DefaultShutdownTimeout)
	setDur(&s.ReadTimeout, DefaultReadTimeout)
	setDur(&s.WriteTimeout, DefaultWriteTimeout)
	setDur(&s.IdleTimeout, DefaultIdleTimeout)
	if c.Cache.Memory == 0 {
		c.Cache.Memory = DefaultMemory
	}
	if c.Cache.MaxObjectSize == 0 {
		c.Cache.MaxObjectSize = DefaultMaxObjectSize
	}
	if c.Cache.DiskPath != "" && c.Cache.DiskMaxObjectSize == 0 {
		c.Cache.DiskMaxObjectSize = c.Cache.DiskSize / 8
	}
	setStr(&c.API.Auth, DefaultAPIAuth)
	setStr(&c.Logging.Level, DefaultLogLevel)
	if c.Fleet.Enabled() {
		setDur(&c.Fleet.InvalidationTimeout, Duration(DefaultFleetInvalidationTimeout))
		if c.Fleet.Node == "" {
			host, _ := os.Hostname()
			c.Fleet.Node = NodeNameFromHost(host)
		}
	}

	for i := range c.CachePolicies {
		p := &c.CachePolicies[i]
		p.MinTTL, p.DefaultTTL, p.MaxTTL = defaultTTLs(p.MinTTL, p.DefaultTTL, p.MaxTTL)
		setStr(&p.Headers.Behavior, "none")
		setStr(&p.Cookies.Behavior, "none")
		setStr(&p.QueryStrings.Behavior, "none")
	}
	for i := range c.OriginRequestPolicies {
		p := &c.OriginRequestPolicies[i]
		setStr(&p.Headers.Behavior, "none")
		setStr(&p.Cookies.Behavior, "none")
		setStr(&p.QueryStrings.Behavior, "none")
	}
	for i := range c.Functions {
		setStr(&c.Functions[i].Runtime, DefaultFunctionRuntime)
	}
	for i := range c.Distributions {
		c.Distributions[i].applyDefaults()
	}
}

func (d *Distribution) applyDefaults() {
	if d.Enabled == nil {
		t := true
		d.Enabled = &t
	}
	if d.DomainName == "" && d.ID != "" {
		d.DomainName = DomainNameFor(d.ID)
	}
	for i := range d.Origins {
		d.Origins[i].applyDefaults()
	}
	for i := range d.Behaviors {
		d.Behaviors[i].applyDefaults()
	}
	d.DefaultBehavior.applyDefaults()
	for i := range d.CustomErrorResponses {
		if d.CustomErrorResponses[i].ErrorCachingMinTTL == nil {
			d.CustomErrorResponses[i].ErrorCachingMinTTL = i64(DefaultErrorCachingMinTTL)
		}
	}
}

func (o *Origin) applyDefaults() {
	if o.ConnectionAttempts == 0 {
		o.ConnectionAttempts = DefaultConnectionAttempts
	}
	setDur(&o.ConnectionTimeout, DefaultConnectionTimeout)
	setDur(&o.OriginReadTimeout, DefaultOriginReadTimeout)
	setDur(&o.OriginKeepaliveTimeout, DefaultOriginKeepaliveTimeout)
	switch o.Kind {
	case KindHTTP:
		setStr(&o.OriginProtocolPolicy, DefaultOriginProtocolPolicy)
		if o.HTTPPort == 0 {
			o.HTTPPort = DefaultHTTPPort
		}
		if o.HTTPSPort == 0 {
			o.HTTPSPort = DefaultHTTPSPort
		}
	case KindS3:
		setStr(&o.Region, DefaultS3Region)
		if o.AccessKeyID != "" || o.SecretAccessKey != "" {
			setStr(&o.Access, "sigv4")
		} else {
			setStr(&o.Access, "anonymous")
		}
	}
}

func (b *Behavior) applyDefaults() {
	setStr(&b.ViewerProtocolPolicy, DefaultViewerProtocolPolicy)
	if b.AllowedMethods == nil {
		b.AllowedMethods = []string{"GET", "HEAD"}
	}
	if b.CachedMethods == nil {
		b.CachedMethods = []string{"GET", "HEAD"}
	}
	if b.CachePolicy != "" {
		return // TTLs and keying come from the policy; validation rejects legacy fields.
	}
	b.MinTTL, b.DefaultTTL, b.MaxTTL = defaultTTLs(b.MinTTL, b.DefaultTTL, b.MaxTTL)
	if b.ForwardedValues == nil {
		b.ForwardedValues = &ForwardedValues{}
	}
	setStr(&b.ForwardedValues.Cookies.Forward, "none")
}

// LegacyTTLs returns a legacy behavior's MinTTL, DefaultTTL and MaxTTL with the unset (nil)
// ones filled by CloudFront's rules, as ApplyDefaults fills them (see defaultTTLs).
func LegacyTTLs(minP, defP, maxP *int64) (minV, defV, maxV int64) {
	a, b, c := defaultTTLs(minP, defP, maxP)
	return *a, *b, *c
}

// defaultTTLs fills unset TTLs by CloudFront's rules (MinTTL, DefaultTTL and MaxTTL in
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html): min 0, default
// 86400 (or min, when min is larger), max 31536000 (or default, when min or default is
// larger). Set values are kept as they are, in fresh pointers.
func defaultTTLs(minP, defP, maxP *int64) (*int64, *int64, *int64) {
	minV := DefaultMinTTL
	if minP != nil {
		minV = *minP
	}
	defV := DefaultDefaultTTL
	if defP != nil {
		defV = *defP
	} else if minV > DefaultDefaultTTL {
		defV = minV
	}
	maxV := DefaultMaxTTL
	if maxP != nil {
		maxV = *maxP
	} else if minV > DefaultMaxTTL || defV > DefaultMaxTTL {
		maxV = defV
	}
	return i64(minV), i64(defV), i64(maxV)
}

// DomainNameFor returns the CloudFront-style domain name edge gives a distribution whose
// domain_name is empty: "d" + 13 characters + ".cloudfront.net". The 13 characters are the
// first 65 bits of SHA-256(id) in lower-case base32hex (0-9, a-v), so the name is stable
// for an id and differs between ids (barring a 2^-65 collision, which validation reports
// as a duplicate domain name).
func DomainNameFor(id string) string {
	sum := sha256.Sum256([]byte(id))
	enc := base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	return "d" + strings.ToLower(enc[:13]) + ".cloudfront.net"
}

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDur(p *Duration, v Duration) {
	if *p == 0 {
		*p = v
	}
}

func i64(v int64) *int64 { return &v }
