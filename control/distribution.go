package control

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/xml"
	"net/url"
	"strconv"
	"time"

	"github.com/cfedge/edge/config"
)

// accountID is the AWS account shown in distribution ARNs.
const accountID = "000000000000"

// xmlDistConfig is CloudFront's DistributionConfig, built from a config.Distribution.
type xmlDistConfig struct {
	XMLName              xml.Name        `xml:"DistributionConfig"`
	Xmlns                string          `xml:"xmlns,attr,omitempty"`
	CallerReference      string          `xml:"CallerReference"`
	Aliases              xmlAliases      `xml:"Aliases"`
	DefaultRootObject    string          `xml:"DefaultRootObject"`
	Origins              xmlOrigins      `xml:"Origins"`
	OriginGroups         xmlOriginGroups `xml:"OriginGroups"`
	DefaultCacheBehavior xmlBehavior     `xml:"DefaultCacheBehavior"`
	CacheBehaviors       xmlBehaviors    `xml:"CacheBehaviors"`
	CustomErrorResponses xmlCustomErrors `xml:"CustomErrorResponses"`
	Comment              string          `xml:"Comment"`
	Logging              xmlLogging      `xml:"Logging"`
	PriceClass           string          `xml:"PriceClass"`
	Enabled              bool            `xml:"Enabled"`
	ViewerCertificate    xmlViewerCert   `xml:"ViewerCertificate"`
	Restrictions         xmlRestrictions `xml:"Restrictions"`
	WebACLID             string          `xml:"WebACLId"`
	HTTPVersion          string          `xml:"HttpVersion"`
	IsIPV6Enabled        bool            `xml:"IsIPV6Enabled"`
	Staging              bool            `xml:"Staging"`
}

type xmlAliases struct {
	Quantity int       `xml:"Quantity"`
	Items    *xmlCNAME `xml:"Items,omitempty"`
}

type xmlCNAME struct {
	CNAME []string `xml:"CNAME"`
}

type xmlOrigins struct {
	Quantity int `xml:"Quantity"`
	Items    struct {
		Origin []xmlOrigin `xml:"Origin"`
	} `xml:"Items"`
}

type xmlOrigin struct {
	ID                 string           `xml:"Id"`
	DomainName         string           `xml:"DomainName"`
	OriginPath         string           `xml:"OriginPath"`
	CustomHeaders      xmlCustomHeaders `xml:"CustomHeaders"`
	S3OriginConfig     *xmlS3Config     `xml:"S3OriginConfig,omitempty"`
	CustomOriginConfig *xmlCustomConfig `xml:"CustomOriginConfig,omitempty"`
	ConnectionAttempts int              `xml:"ConnectionAttempts"`
	ConnectionTimeout  int64            `xml:"ConnectionTimeout"`
}

type xmlCustomHeaders struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Header []xmlHeader `xml:"OriginCustomHeader"`
	} `xml:"Items,omitempty"`
}

type xmlHeader struct {
	Name  string `xml:"HeaderName"`
	Value string `xml:"HeaderValue"`
}

type xmlS3Config struct {
	OriginAccessIdentity string `xml:"OriginAccessIdentity"`
}

type xmlCustomConfig struct {
	HTTPPort               int         `xml:"HTTPPort"`
	HTTPSPort              int         `xml:"HTTPSPort"`
	OriginProtocolPolicy   string      `xml:"OriginProtocolPolicy"`
	OriginSslProtocols     xmlStrItems `xml:"OriginSslProtocols"`
	OriginReadTimeout      int64       `xml:"OriginReadTimeout"`
	OriginKeepaliveTimeout int64       `xml:"OriginKeepaliveTimeout"`
}

// xmlStrItems is CloudFront's {Quantity, Items{<name>…}} list of strings; the element name of
// the items is chosen per use (see strItems).
type xmlStrItems struct {
	Quantity int          `xml:"Quantity"`
	Items    *xmlItemList `xml:"Items,omitempty"`
}

type xmlItemList struct {
	Items []xmlNamed
}

// xmlNamed is one string element whose name is chosen at run time.
type xmlNamed struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// strItems builds an xmlStrItems whose items are <name>v</name>.
func strItems(name string, vs []string) xmlStrItems {
	l := xmlStrItems{Quantity: len(vs)}
	if len(vs) > 0 {
		l.Items = &xmlItemList{}
		for _, v := range vs {
			l.Items.Items = append(l.Items.Items, xmlNamed{XMLName: xml.Name{Local: name}, Value: v})
		}
	}
	return l
}

type xmlOriginGroups struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Group []xmlOriginGroup `xml:"OriginGroup"`
	} `xml:"Items,omitempty"`
}

type xmlOriginGroup struct {
	ID               string `xml:"Id"`
	FailoverCriteria struct {
		StatusCodes xmlStrItems `xml:"StatusCodes"`
	} `xml:"FailoverCriteria"`
	Members struct {
		Quantity int `xml:"Quantity"`
		Items    struct {
			Member []struct {
				OriginID string `xml:"OriginId"`
			} `xml:"OriginGroupMember"`
		} `xml:"Items"`
	} `xml:"Members"`
}

type xmlBehaviors struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Behavior []xmlBehavior `xml:"CacheBehavior"`
	} `xml:"Items,omitempty"`
}

type xmlBehavior struct {
	PathPattern                string              `xml:"PathPattern,omitempty"`
	TargetOriginID             string              `xml:"TargetOriginId"`
	TrustedSigners             xmlTrusted          `xml:"TrustedSigners"`
	TrustedKeyGroups           xmlTrusted          `xml:"TrustedKeyGroups"`
	ViewerProtocolPolicy       string              `xml:"ViewerProtocolPolicy"`
	AllowedMethods             xmlAllowedMethods   `xml:"AllowedMethods"`
	SmoothStreaming            bool                `xml:"SmoothStreaming"`
	Compress                   bool                `xml:"Compress"`
	LambdaFunctionAssociations xmlStrItems         `xml:"LambdaFunctionAssociations"`
	FunctionAssociations       xmlStrItems         `xml:"FunctionAssociations"`
	FieldLevelEncryptionID     string              `xml:"FieldLevelEncryptionId"`
	CachePolicyID              string              `xml:"CachePolicyId,omitempty"`
	OriginRequestPolicyID      string              `xml:"OriginRequestPolicyId,omitempty"`
	ForwardedValues            *xmlForwardedValues `xml:"ForwardedValues,omitempty"`
	MinTTL                     *int64              `xml:"MinTTL,omitempty"`
	DefaultTTL                 *int64              `xml:"DefaultTTL,omitempty"`
	MaxTTL                     *int64              `xml:"MaxTTL,omitempty"`
}

type xmlTrusted struct {
	Enabled  bool `xml:"Enabled"`
	Quantity int  `xml:"Quantity"`
}

type xmlAllowedMethods struct {
	Quantity      int         `xml:"Quantity"`
	Items         xmlItemList `xml:"Items"`
	CachedMethods xmlStrItems `xml:"CachedMethods"`
}

type xmlForwardedValues struct {
	QueryString bool `xml:"QueryString"`
	Cookies     struct {
		Forward          string       `xml:"Forward"`
		WhitelistedNames *xmlStrItems `xml:"WhitelistedNames,omitempty"`
	} `xml:"Cookies"`
	Headers              xmlStrItems `xml:"Headers"`
	QueryStringCacheKeys xmlStrItems `xml:"QueryStringCacheKeys"`
}

type xmlCustomErrors struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Response []xmlCustomError `xml:"CustomErrorResponse"`
	} `xml:"Items,omitempty"`
}

type xmlCustomError struct {
	ErrorCode          int    `xml:"ErrorCode"`
	ResponsePagePath   string `xml:"ResponsePagePath"`
	ResponseCode       string `xml:"ResponseCode"`
	ErrorCachingMinTTL *int64 `xml:"ErrorCachingMinTTL,omitempty"`
}

type xmlLogging struct {
	Enabled        bool   `xml:"Enabled"`
	IncludeCookies bool   `xml:"IncludeCookies"`
	Bucket         string `xml:"Bucket"`
	Prefix         string `xml:"Prefix"`
}

type xmlViewerCert struct {
	CloudFrontDefaultCertificate bool   `xml:"CloudFrontDefaultCertificate"`
	MinimumProtocolVersion       string `xml:"MinimumProtocolVersion"`
	CertificateSource            string `xml:"CertificateSource"`
}

type xmlRestrictions struct {
	GeoRestriction struct {
		RestrictionType string `xml:"RestrictionType"`
		Quantity        int    `xml:"Quantity"`
	} `xml:"GeoRestriction"`
}

// buildDistConfig renders d as CloudFront's DistributionConfig, with c's policies resolving
// behavior policy names to ids. The result is a pure function of its inputs.
func buildDistConfig(c *config.Config, d *config.Distribution) xmlDistConfig {
	x := xmlDistConfig{
		CallerReference:   "edge-" + d.ID,
		DefaultRootObject: d.DefaultRootObject,
		Comment:           d.Comment,
		PriceClass:        "PriceClass_All",
		Enabled:           d.Enabled == nil || *d.Enabled,
		WebACLID:          "",
		HTTPVersion:       "http1.1",
		ViewerCertificate: xmlViewerCert{CloudFrontDefaultCertificate: true, MinimumProtocolVersion: "TLSv1",
			CertificateSource: "cloudfront"},
	}
	x.Restrictions.GeoRestriction.RestrictionType = "none"
	x.Aliases.Quantity = len(d.Aliases)
	if len(d.Aliases) > 0 {
		x.Aliases.Items = &xmlCNAME{CNAME: append([]string(nil), d.Aliases...)}
	}
	x.Origins.Quantity = len(d.Origins)
	for i := range d.Origins {
		x.Origins.Items.Origin = append(x.Origins.Items.Origin, buildOrigin(&d.Origins[i]))
	}
	x.OriginGroups.Quantity = len(d.OriginGroups)
	if len(d.OriginGroups) > 0 {
		x.OriginGroups.Items = &struct {
			Group []xmlOriginGroup `xml:"OriginGroup"`
		}{}
		for _, g := range d.OriginGroups {
			var og xmlOriginGroup
			og.ID = g.ID
			codes := make([]string, len(g.FailoverStatusCodes))
			for i, sc := range g.FailoverStatusCodes {
				codes[i] = strconv.Itoa(sc)
			}
			og.FailoverCriteria.StatusCodes = strItems("StatusCode", codes)
			og.Members.Quantity = len(g.Members)
			for _, m := range g.Members {
				og.Members.Items.Member = append(og.Members.Items.Member, struct {
					OriginID string `xml:"OriginId"`
				}{m})
			}
			x.OriginGroups.Items.Group = append(x.OriginGroups.Items.Group, og)
		}
	}
	x.DefaultCacheBehavior = buildBehavior(c, &d.DefaultBehavior, false)
	x.CacheBehaviors.Quantity = len(d.Behaviors)
	if len(d.Behaviors) > 0 {
		x.CacheBehaviors.Items = &struct {
			Behavior []xmlBehavior `xml:"CacheBehavior"`
		}{}
		for i := range d.Behaviors {
			x.CacheBehaviors.Items.Behavior = append(x.CacheBehaviors.Items.Behavior, buildBehavior(c, &d.Behaviors[i], true))
		}
	}
	x.CustomErrorResponses.Quantity = len(d.CustomErrorResponses)
	if len(d.CustomErrorResponses) > 0 {
		x.CustomErrorResponses.Items = &struct {
			Response []xmlCustomError `xml:"CustomErrorResponse"`
		}{}
		for _, r := range d.CustomErrorResponses {
			ce := xmlCustomError{ErrorCode: r.ErrorCode, ResponsePagePath: r.ResponsePagePath, ErrorCachingMinTTL: r.ErrorCachingMinTTL}
			if r.ResponseCode != 0 {
				ce.ResponseCode = strconv.Itoa(r.ResponseCode)
			}
			x.CustomErrorResponses.Items.Response = append(x.CustomErrorResponses.Items.Response, ce)
		}
	}
	return x
}

// buildOrigin renders one origin. s3 origins show their bucket's domain (or the custom
// endpoint's host); http origins their domain name; dir origins, which CloudFront has no
// counterpart for, appear as custom origins on "localhost" (the folder is not shown: it would
// leak the server's file system and make the ETag depend on where the config lives).
func buildOrigin(o *config.Origin) xmlOrigin {
	x := xmlOrigin{
		ID:                 o.ID,
		DomainName:         o.DomainName,
		OriginPath:         o.OriginPath,
		ConnectionAttempts: o.ConnectionAttempts,
		ConnectionTimeout:  int64(o.ConnectionTimeout.D() / time.Second),
	}
	x.CustomHeaders.Quantity = len(o.CustomHeaders)
	if len(o.CustomHeaders) > 0 {
		x.CustomHeaders.Items = &struct {
			Header []xmlHeader `xml:"OriginCustomHeader"`
		}{}
		for _, h := range o.CustomHeaders {
			x.CustomHeaders.Items.Header = append(x.CustomHeaders.Items.Header, xmlHeader{h.Name, h.Value})
		}
	}
	switch o.Kind {
	case config.KindS3:
		x.DomainName = o.Bucket + ".s3." + o.Region + ".amazonaws.com"
		if u, err := url.Parse(o.Endpoint); err == nil && u.Host != "" {
			x.DomainName = u.Host
		}
		x.S3OriginConfig = &xmlS3Config{}
	default:
		if o.Kind == config.KindDir {
			x.DomainName = "localhost"
		}
		x.CustomOriginConfig = &xmlCustomConfig{
			HTTPPort:               orInt(o.HTTPPort, config.DefaultHTTPPort),
			HTTPSPort:              orInt(o.HTTPSPort, config.DefaultHTTPSPort),
			OriginProtocolPolicy:   orStr(o.OriginProtocolPolicy, config.DefaultOriginProtocolPolicy),
			OriginSslProtocols:     strItems("SslProtocol", []string{"TLSv1.2"}),
			OriginReadTimeout:      int64(o.OriginReadTimeout.D() / time.Second),
			OriginKeepaliveTimeout: int64(o.OriginKeepaliveTimeout.D() / time.Second),
		}
	}
	return x
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func buildBehavior(c *config.Config, b *config.Behavior, withPattern bool) xmlBehavior {
	x := xmlBehavior{
		TargetOriginID:             b.TargetOriginID,
		ViewerProtocolPolicy:       b.ViewerProtocolPolicy,
		SmoothStreaming:            b.SmoothStreaming,
		Compress:                   b.Compress,
		LambdaFunctionAssociations: strItems("LambdaFunctionAssociation", nil),
		FunctionAssociations:       strItems("FunctionAssociation", nil),
	}
	if withPattern {
		x.PathPattern = b.PathPattern
	}
	if x.ViewerProtocolPolicy == "" {
		x.ViewerProtocolPolicy = config.DefaultViewerProtocolPolicy
	}
	allowed, cached := b.AllowedMethods, b.CachedMethods
	if len(allowed) == 0 {
		allowed = []string{"GET", "HEAD"}
	}
	if len(cached) == 0 {
		cached = []string{"GET", "HEAD"}
	}
	x.AllowedMethods.Quantity = len(allowed)
	x.AllowedMethods.Items = *strItems("Method", allowed).Items
	x.AllowedMethods.CachedMethods = strItems("Method", cached)
	if b.CachePolicy != "" {
		x.CachePolicyID = cachePolicyID(c, b.CachePolicy)
		if b.OriginRequestPolicy != "" {
			x.OriginRequestPolicyID = originRequestPolicyID(c, b.OriginRequestPolicy)
		}
		return x
	}
	x.MinTTL, x.DefaultTTL, x.MaxTTL = b.MinTTL, b.DefaultTTL, b.MaxTTL
	fv := &xmlForwardedValues{}
	fv.Cookies.Forward = "none"
	if f := b.ForwardedValues; f != nil {
		fv.QueryString = f.QueryString
		fv.Headers = strItems("Name", f.Headers)
		fv.QueryStringCacheKeys = strItems("Name", f.QueryStringCacheKeys)
		if f.Cookies.Forward != "" {
			fv.Cookies.Forward = f.Cookies.Forward
		}
		if f.Cookies.Forward == "whitelist" {
			wl := strItems("Name", f.Cookies.WhitelistedNames)
			fv.Cookies.WhitelistedNames = &wl
		}
	} else {
		fv.Headers = strItems("Name", nil)
		fv.QueryStringCacheKeys = strItems("Name", nil)
	}
	x.ForwardedValues = fv
	return x
}

// cachePolicyID returns the id of the managed cache policy that name designates (by id, console
// name or API name), or a stable UUID-shaped id derived from the name of a custom policy.
func cachePolicyID(_ *config.Config, name string) string {
	for _, m := range config.ManagedCachePolicies() {
		if name == m.ID || name == m.ShortName || name == m.Policy.Name {
			return m.ID
		}
	}
	return nameUUID("cache-policy/" + name)
}

// originRequestPolicyID is cachePolicyID for origin request policies.
func originRequestPolicyID(_ *config.Config, name string) string {
	for _, m := range config.ManagedOriginRequestPolicies() {
		if name == m.ID || name == m.ShortName || name == m.Policy.Name {
			return m.ID
		}
	}
	return nameUUID("origin-request-policy/" + name)
}

// nameUUID derives a UUID-shaped id from s (SHA-256, version nibble 5, RFC 4122 variant).
func nameUUID(s string) string {
	sum := sha256.Sum256([]byte(s))
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// configETag returns the ETag of a distribution config: "E" and 13 characters of the base32
// SHA-256 of its XML, so it changes exactly when the rendered config does.
func configETag(doc []byte) string {
	sum := sha256.Sum256(doc)
	return "E" + base32.StdEncoding.EncodeToString(sum[:])[:13]
}

// xmlDistribution is CloudFront's Distribution (GetDistribution).
type xmlDistribution struct {
	XMLName                       xml.Name       `xml:"Distribution"`
	Xmlns                         string         `xml:"xmlns,attr"`
	ID                            string         `xml:"Id"`
	ARN                           string         `xml:"ARN"`
	Status                        string         `xml:"Status"`
	LastModifiedTime              string         `xml:"LastModifiedTime"`
	InProgressInvalidationBatches int            `xml:"InProgressInvalidationBatches"`
	DomainName                    string         `xml:"DomainName"`
	ActiveTrustedSigners          xmlTrusted     `xml:"ActiveTrustedSigners"`
	ActiveTrustedKeyGroups        xmlTrusted     `xml:"ActiveTrustedKeyGroups"`
	DistributionConfig            *xmlDistConfig `xml:"DistributionConfig"`
}

// xmlDistList is CloudFront's DistributionList (ListDistributions).
type xmlDistList struct {
	XMLName     xml.Name `xml:"DistributionList"`
	Xmlns       string   `xml:"xmlns,attr"`
	Marker      string   `xml:"Marker"`
	NextMarker  string   `xml:"NextMarker,omitempty"`
	MaxItems    int      `xml:"MaxItems"`
	IsTruncated bool     `xml:"IsTruncated"`
	Quantity    int      `xml:"Quantity"`
	Items       *struct {
		Summary []xmlDistSummary `xml:"DistributionSummary"`
	} `xml:"Items,omitempty"`
}

// xmlDistSummary is CloudFront's DistributionSummary.
type xmlDistSummary struct {
	ID                   string          `xml:"Id"`
	ARN                  string          `xml:"ARN"`
	ETag                 string          `xml:"ETag"`
	Status               string          `xml:"Status"`
	LastModifiedTime     string          `xml:"LastModifiedTime"`
	DomainName           string          `xml:"DomainName"`
	Aliases              xmlAliases      `xml:"Aliases"`
	Origins              xmlOrigins      `xml:"Origins"`
	OriginGroups         xmlOriginGroups `xml:"OriginGroups"`
	DefaultCacheBehavior xmlBehavior     `xml:"DefaultCacheBehavior"`
	CacheBehaviors       xmlBehaviors    `xml:"CacheBehaviors"`
	CustomErrorResponses xmlCustomErrors `xml:"CustomErrorResponses"`
	Comment              string          `xml:"Comment"`
	PriceClass           string          `xml:"PriceClass"`
	Enabled              bool            `xml:"Enabled"`
	ViewerCertificate    xmlViewerCert   `xml:"ViewerCertificate"`
	Restrictions         xmlRestrictions `xml:"Restrictions"`
	WebACLID             string          `xml:"WebACLId"`
	HTTPVersion          string          `xml:"HttpVersion"`
	IsIPV6Enabled        bool            `xml:"IsIPV6Enabled"`
	Staging              bool            `xml:"Staging"`
}

func distARN(id string) string { return "arn:aws:cloudfront::" + accountID + ":distribution/" + id }
