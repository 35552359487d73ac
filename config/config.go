// Package config holds edge's TOML configuration: the schema (names follow CloudFront's
// DistributionConfig in snake_case), CloudFront's defaults, validation that reports every
// error at once with its TOML path, and the embedded default configuration.
package config

// Config is a whole edge configuration file.
type Config struct {
	Server  Server  `toml:"server"`
	Cache   Cache   `toml:"cache"`
	API     API     `toml:"api"`
	Logging Logging `toml:"logging"`
	// Fleet joins this edge to others through NATS (invalidations and API changes fanned out).
	Fleet Fleet `toml:"fleet"`
	// CachePolicies are custom cache policies, referenced by name from behaviors.
	CachePolicies []CachePolicy `toml:"cache_policy"`
	// OriginRequestPolicies are custom origin request policies, referenced by name.
	OriginRequestPolicies []OriginRequestPolicy `toml:"origin_request_policy"`
	// ResponseHeadersPolicies are custom response headers policies, referenced by name.
	ResponseHeadersPolicies []ResponseHeadersPolicy `toml:"response_headers_policy"`
	// KeyGroups are trusted key groups for signed URLs and cookies, referenced by id from
	// behaviors' trusted_key_groups.
	KeyGroups []KeyGroup `toml:"key_group"`
	// Functions are CloudFront Functions, attached by name to behaviors' viewer events
	// (function_association).
	Functions []Function `toml:"function"`
	// KeyValueStores are CloudFront KeyValueStores, read by the functions that name them.
	KeyValueStores []KeyValueStore `toml:"key_value_store"`
	Distributions  []Distribution  `toml:"distribution"`
}

// Server configures the listeners.
type Server struct {
	// Listen is the viewer listener address ("127.0.0.1:8080").
	Listen string `toml:"listen"`
	// APIListen is the CloudFront-compatible API listener address.
	APIListen string `toml:"api_listen"`
	// TLSListen is an HTTPS viewer listener address; empty means none. Viewer protocol
	// policies (redirect-to-https, https-only) and cs-protocol see requests on it as https.
	TLSListen string `toml:"tls_listen"`
	// TLSCertFile and TLSKeyFile are the PEM certificate chain and key for TLSListen; when both
	// are empty the edge makes a self-signed certificate for its domain names at start.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
	// Pop is the edge location shown in X-Amz-Cf-Pop and the log ("DEV1-C1").
	Pop string `toml:"pop"`
	// ViewerCountry is the ISO 3166-1 alpha-2 code the edge gives every viewer in
	// CloudFront-Viewer-Country (there is no geolocation here); default "US".
	ViewerCountry string `toml:"viewer_country"`
	// ShutdownTimeout bounds how long in-flight requests may take after SIGTERM.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	// ReadTimeout and WriteTimeout bound one viewer request and response.
	ReadTimeout  Duration `toml:"read_timeout"`
	WriteTimeout Duration `toml:"write_timeout"`
	// IdleTimeout closes idle viewer keep-alive connections.
	IdleTimeout Duration `toml:"idle_timeout"`
}

// Cache configures the shared in-memory cache.
type Cache struct {
	// Memory is the byte budget of cached bodies and headers ("512MiB").
	Memory Size `toml:"memory"`
	// MaxObjectSize is the largest body that is cached in memory; larger ones go to the disk
	// tier when there is one (up to DiskMaxObjectSize), else stream through uncached.
	MaxObjectSize Size `toml:"max_object_size"`
	// DiskPath is the folder of the disk tier (created 0700; relative to the config file).
	// Empty: memory only.
	DiskPath string `toml:"disk_path"`
	// DiskSize is the disk tier's budget ("20GiB"), required with DiskPath.
	DiskSize Size `toml:"disk_size"`
	// DiskMaxObjectSize is the largest body kept on disk; larger ones stream through uncached.
	// Default: DiskSize / 8.
	DiskMaxObjectSize Size `toml:"disk_max_object_size"`
}

// API configures the control API: authentication, timings and where its changes are kept.
type API struct {
	// Auth is "sigv4" (default) or "none" (explicit opt-out, for local use only).
	Auth string `toml:"auth"`
	// Keys are the access keys accepted for SigV4.
	Keys []AccessKey `toml:"key"`
	// InvalidationDelay is how long an invalidation stays InProgress before it is Completed
	// (0 = completed as soon as it is applied, which is at once). Lets tests see in-progress limits.
	InvalidationDelay Duration `toml:"invalidation_delay"`
	// DeployDelay is how long a distribution created or updated through the API reads
	// InProgress before it reads Deployed (0 = Deployed from the next read on, so that
	// "aws cloudfront wait distribution-deployed" returns at its first poll). The change itself
	// is served at once either way.
	DeployDelay Duration `toml:"deploy_delay"`
	// StateDir is a folder where the API keeps what it created or changed (distributions with
	// their tags, functions), written atomically and fsynced on every change and read back at
	// start. Empty: API changes live in memory and are lost when the edge stops.
	StateDir string `toml:"state_dir"`
	// S3Endpoint is an S3-compatible endpoint ("http://127.0.0.1:9000") that the S3 origins of
	// distributions created through the API are fetched from, in path style, instead of AWS:
	// an origin whose DomainName is a bucket's REST endpoint ("BUCKET.s3.REGION.amazonaws.com")
	// reads that bucket there, signed when its origin access control signs (with the
	// credentials of the environment, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and
	// anonymously otherwise. Empty: signed origins go to AWS, the others are fetched over
	// HTTP(S) on their DomainName.
	S3Endpoint string `toml:"s3_endpoint"`
}

// AccessKey is one AWS-style access key pair accepted by the API.
type AccessKey struct {
	AccessKeyID     string `toml:"access_key_id"`
	SecretAccessKey string `toml:"secret_access_key"`
}

// Logging configures the access log and the process log.
type Logging struct {
	// Level is the slog level: "debug", "info" (default), "warn", "error".
	Level string `toml:"level"`
	// AccessLog is a file path for CloudFront-format (W3C) access logs; "-" is stdout; empty disables.
	AccessLog string `toml:"access_log"`
}

// Distribution is one CloudFront distribution.
type Distribution struct {
	ID                string   `toml:"id,omitempty"`
	DomainName        string   `toml:"domain_name,omitempty"`
	Aliases           []string `toml:"aliases,omitempty"`
	Comment           string   `toml:"comment,omitempty"`
	Enabled           *bool    `toml:"enabled,omitempty"`
	DefaultRootObject string   `toml:"default_root_object,omitempty"`

	// Settings kept and shown by the API (GetDistributionConfig) as CloudFront has them, so that a
	// configuration imported from CloudFront (edge import) reads back the same; the edge itself
	// does not act on them. CallerReference defaults to "edge-" + id.
	CallerReference string `toml:"caller_reference,omitempty"`
	PriceClass      string `toml:"price_class,omitempty"`  // PriceClass_100 | PriceClass_200 | PriceClass_All | None
	HTTPVersion     string `toml:"http_version,omitempty"` // http1.1 | http2 | http3 | http2and3
	IsIPV6Enabled   *bool  `toml:"is_ipv6_enabled,omitempty"`
	WebACLID        string `toml:"web_acl_id,omitempty"`

	Origins              []Origin              `toml:"origin,omitempty"`
	OriginGroups         []OriginGroup         `toml:"origin_group,omitempty"`
	Behaviors            []Behavior            `toml:"behavior,omitempty"`
	DefaultBehavior      Behavior              `toml:"default_behavior,omitempty"`
	CustomErrorResponses []CustomErrorResponse `toml:"custom_error_response,omitempty"`
}

// Origin kinds.
const (
	KindHTTP = "http"
	KindS3   = "s3"
	KindDir  = "dir"
)

// OriginShield is an origin's shield tier
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/APIReference/API_OriginShield.html): the
// edge at Address ("HOST:PORT", its plain-HTTP listener) runs the same distribution and asks the
// origin for this edge.
type OriginShield struct {
	// Enabled sends this origin's GET and HEAD misses to the shield at Address.
	Enabled bool `toml:"enabled"`
	// Address is the shield edge's plain-HTTP listener, "HOST:PORT"; required when Enabled.
	Address string `toml:"address,omitempty"`
	// Region is CloudFront's OriginShieldRegion, kept for the API; this edge uses Address.
	Region string `toml:"origin_shield_region,omitempty"`
	// Secret proves a request comes from a lower-tier edge: the lower edge sends it as the
	// value of the hop header, and the shield (which runs the same distribution, so it has the
	// same secret) asks the origin itself only for requests that carry it. It is read whether
	// or not Enabled is set: the shield keeps Enabled false (an edge whose shield is itself
	// would wait on its own request) and the same Secret. Without a secret, the
	// hop header is believed only from loopback peers (lower edges on the shield's machine).
	// Visible ASCII, at most 256 characters.
	Secret string `toml:"secret,omitempty"`
}

// Origin is one origin of a distribution.
type Origin struct {
	ID string `toml:"id,omitempty"`
	// OriginShield sends this origin's requests through another edge that caches in front of
	// it (CloudFront's OriginShield, with Address in place of the region). Nil: none.
	OriginShield *OriginShield `toml:"origin_shield,omitempty"`
	// Kind is "http" (custom origin), "s3" or "dir" (a local folder).
	Kind string `toml:"kind,omitempty"`
	// DomainName is the origin host for http origins (may carry no port; see HTTPPort).
	DomainName string `toml:"domain_name,omitempty"`
	// OriginPath is prefixed to the request path: starts with "/", no trailing "/".
	OriginPath string `toml:"origin_path,omitempty"`

	// http: "http-only" (default), "https-only" or "match-viewer".
	OriginProtocolPolicy string `toml:"origin_protocol_policy,omitempty"`
	HTTPPort             int    `toml:"http_port,omitempty"`  // default 80
	HTTPSPort            int    `toml:"https_port,omitempty"` // default 443
	// InsecureSkipVerify accepts any origin certificate (local development only).
	InsecureSkipVerify bool `toml:"insecure_skip_verify,omitempty"`

	ConnectionAttempts     int      `toml:"connection_attempts,omitempty"`      // 1–3, default 3
	ConnectionTimeout      Duration `toml:"connection_timeout,omitempty"`       // 1–10 s, default 10 s
	OriginReadTimeout      Duration `toml:"origin_read_timeout,omitempty"`      // 1–60 s, default 30 s
	OriginKeepaliveTimeout Duration `toml:"origin_keepalive_timeout,omitempty"` // 1–60 s, default 5 s

	CustomHeaders []CustomHeader `toml:"custom_header,omitempty"`

	// dir: the folder served.
	Path string `toml:"path,omitempty"`

	// s3
	Bucket      string `toml:"bucket,omitempty"`
	Region      string `toml:"region,omitempty"`
	Endpoint    string `toml:"endpoint,omitempty"`
	VirtualHost bool   `toml:"virtual_host,omitempty"`
	// Access is "anonymous" or "sigv4" (Origin Access Control style).
	Access          string `toml:"access,omitempty"`
	AccessKeyID     string `toml:"access_key_id,omitempty"`
	SecretAccessKey string `toml:"secret_access_key,omitempty"`
	SessionToken    string `toml:"session_token,omitempty"`
}

// CustomHeader is an origin custom header.
type CustomHeader struct {
	Name  string `toml:"name,omitempty"`
	Value string `toml:"value,omitempty"`
}

// OriginGroup is a failover pair of origins.
type OriginGroup struct {
	ID string `toml:"id,omitempty"`
	// Members are exactly two origin ids: primary, then secondary.
	Members []string `toml:"members,omitempty"`
	// FailoverStatusCodes is a subset of 400, 403, 404, 416, 500, 502, 503, 504.
	FailoverStatusCodes []int `toml:"failover_status_codes,omitempty"`
}

// Behavior is one cache behavior (or the default behavior, which has no path pattern).
type Behavior struct {
	PathPattern          string   `toml:"path_pattern,omitempty"`
	TargetOriginID       string   `toml:"target_origin_id,omitempty"`
	ViewerProtocolPolicy string   `toml:"viewer_protocol_policy,omitempty"` // allow-all (default) | redirect-to-https | https-only
	AllowedMethods       []string `toml:"allowed_methods,omitempty"`        // default GET, HEAD
	CachedMethods        []string `toml:"cached_methods,omitempty"`         // default GET, HEAD
	SmoothStreaming      bool     `toml:"smooth_streaming,omitempty"`
	Compress             bool     `toml:"compress,omitempty"`
	// TrustedKeyGroups are [[key_group]] ids: when set, every request on this behavior needs a
	// valid signed URL or signed cookies made with one of their keys.
	TrustedKeyGroups []string `toml:"trusted_key_groups,omitempty"`

	// CachePolicy names a managed policy ("CachingOptimized", "Managed-CachingOptimized" or its
	// id) or a [[cache_policy]] by name. Excludes the legacy fields below.
	CachePolicy string `toml:"cache_policy,omitempty"`
	// OriginRequestPolicy names a managed policy or an [[origin_request_policy]]; needs CachePolicy.
	OriginRequestPolicy string `toml:"origin_request_policy,omitempty"`
	// ResponseHeadersPolicy names a managed response headers policy ("SecurityHeadersPolicy",
	// "Managed-SecurityHeadersPolicy" or its id) or a [[response_headers_policy]] by name.
	ResponseHeadersPolicy string `toml:"response_headers_policy,omitempty"`
	// FunctionAssociations attach [[function]]s to the behavior's viewer events, at most one
	// per event type (CloudFront's FunctionAssociations).
	FunctionAssociations []FunctionAssociation `toml:"function_association,omitempty"`

	// Legacy settings (used when CachePolicy is empty).
	MinTTL          *int64           `toml:"min_ttl,omitempty"`
	DefaultTTL      *int64           `toml:"default_ttl,omitempty"`
	MaxTTL          *int64           `toml:"max_ttl,omitempty"`
	ForwardedValues *ForwardedValues `toml:"forwarded_values,omitempty"`

	// SmoothManifestContentType overrides the Manifest content type ("text/xml" by default).
	SmoothManifestContentType string `toml:"smooth_manifest_content_type,omitempty"`
}

// ForwardedValues is CloudFront's legacy forwarding (and keying) setting.
type ForwardedValues struct {
	QueryString          bool     `toml:"query_string,omitempty"`
	QueryStringCacheKeys []string `toml:"query_string_cache_keys,omitempty"`
	Headers              []string `toml:"headers,omitempty"` // ["*"] forwards all and disables caching
	Cookies              Cookies  `toml:"cookies,omitempty"`
}

// Cookies is the legacy cookie forwarding setting.
type Cookies struct {
	Forward          string   `toml:"forward,omitempty"` // none (default) | whitelist | all
	WhitelistedNames []string `toml:"whitelisted_names,omitempty"`
}

// CachePolicy is a custom cache policy (CachePolicyConfig).
type CachePolicy struct {
	Name                       string        `toml:"name"`
	Comment                    string        `toml:"comment"`
	MinTTL                     *int64        `toml:"min_ttl"`
	DefaultTTL                 *int64        `toml:"default_ttl"`
	MaxTTL                     *int64        `toml:"max_ttl"`
	EnableAcceptEncodingGzip   bool          `toml:"enable_accept_encoding_gzip"`
	EnableAcceptEncodingBrotli bool          `toml:"enable_accept_encoding_brotli"`
	Headers                    ParamSelector `toml:"headers"`       // behavior: none | whitelist
	Cookies                    ParamSelector `toml:"cookies"`       // none | whitelist | allExcept | all
	QueryStrings               ParamSelector `toml:"query_strings"` // none | whitelist | allExcept | all
}

// OriginRequestPolicy is a custom origin request policy.
type OriginRequestPolicy struct {
	Name         string        `toml:"name"`
	Comment      string        `toml:"comment"`
	Headers      ParamSelector `toml:"headers"`       // none | whitelist | allViewer | allViewerAndWhitelistCloudFront | allExcept
	Cookies      ParamSelector `toml:"cookies"`       // none | whitelist | all | allExcept
	QueryStrings ParamSelector `toml:"query_strings"` // none | whitelist | all | allExcept
}

// ParamSelector selects headers, cookies or query strings by behavior and names.
type ParamSelector struct {
	Behavior string   `toml:"behavior"`
	Names    []string `toml:"names"`
}

// CustomErrorResponse replaces or re-times an error status.
type CustomErrorResponse struct {
	ErrorCode          int    `toml:"error_code,omitempty"`
	ResponsePagePath   string `toml:"response_page_path,omitempty"`
	ResponseCode       int    `toml:"response_code,omitempty"`
	ErrorCachingMinTTL *int64 `toml:"error_caching_min_ttl,omitempty"` // seconds, default 10
}

// KeyGroup is a trusted key group: the public keys whose signatures a behavior accepts.
type KeyGroup struct {
	ID        string      `toml:"id"`
	Comment   string      `toml:"comment"`
	PublicKey []PublicKey `toml:"public_key"`
}

// PublicKey is one RSA public key of a key group; its id is the Key-Pair-Id signers send.
type PublicKey struct {
	ID string `toml:"id"`
	// EncodedKey is the PEM-encoded RSA public key (as CloudFront's PublicKeyConfig.EncodedKey).
	EncodedKey string `toml:"encoded_key"`
	// Path reads the PEM from a file instead (relative to the config file).
	Path string `toml:"path"`
}
