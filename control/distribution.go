package control

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/xml"
	"strconv"
	"time"

	"github.com/cfedge/edge/config"
)

// accountID is the AWS account shown in distribution ARNs.
const accountID = "000000000000"

// buildDistConfig renders d, a distribution of the configuration file, as CloudFront's
// DistributionConfig, with c's policies resolving behavior policy names to ids (policyids.go)
// and filled as the API fills a config it is sent. The result is a pure function of its inputs.
func buildDistConfig(c *config.Config, d *config.Distribution) xmlDistConfig {
	x := xmlDistConfig{
		CallerReference:   orStr(d.CallerReference, "edge-"+d.ID),
		Aliases:           strItems("CNAME", d.Aliases),
		DefaultRootObject: d.DefaultRootObject,
		Comment:           d.Comment,
		Enabled:           d.Enabled == nil || *d.Enabled,
		PriceClass:        d.PriceClass,
		WebACLID:          d.WebACLID,
		// What the viewer listeners speak unless the file says otherwise.
		HTTPVersion:   orStr(d.HTTPVersion, "http1.1"),
		IsIPV6Enabled: d.IsIPV6Enabled != nil && *d.IsIPV6Enabled,
	}
	x.Origins.Quantity = len(d.Origins)
	for i := range d.Origins {
		x.Origins.Items.Origin = append(x.Origins.Items.Origin, buildOrigin(&d.Origins[i]))
	}
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
			for _, m := range g.Members {
				og.Members.Items.Member = append(og.Members.Items.Member, xmlGroupMember{OriginID: m})
			}
			x.OriginGroups.Items.Group = append(x.OriginGroups.Items.Group, og)
		}
	}
	x.DefaultCacheBehavior = buildBehavior(c, &d.DefaultBehavior, false)
	if len(d.Behaviors) > 0 {
		x.CacheBehaviors.Items = &struct {
			Behavior []xmlBehavior `xml:"CacheBehavior"`
		}{}
		for i := range d.Behaviors {
			x.CacheBehaviors.Items.Behavior = append(x.CacheBehaviors.Items.Behavior, buildBehavior(c, &d.Behaviors[i], true))
		}
	}
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
	x.fill(nil)
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
	if len(o.CustomHeaders) > 0 {
		x.CustomHeaders.Items = &struct {
			Header []xmlHeader `xml:"OriginCustomHeader"`
		}{}
		for _, h := range o.CustomHeaders {
			x.CustomHeaders.Items.Header = append(x.CustomHeaders.Items.Header, xmlHeader{h.Name, h.Value})
		}
	}
	if sh := o.OriginShield; sh != nil && (sh.Enabled || sh.Region != "") {
		x.OriginShield = &xmlOriginShield{Enabled: sh.Enabled, OriginShieldRegion: sh.Region}
	}
	switch o.Kind {
	case config.KindS3:
		// The bucket's AWS domain, also for a custom endpoint (a local S3): it is what
		// CloudFront would show, and what edge import reads back as this bucket
		// (config.S3BucketDomain). The endpoint is the file's business.
		x.DomainName = config.S3Domain(o.Bucket, o.Region)
		x.S3OriginConfig = &xmlS3Config{}
	default:
		if o.Kind == config.KindDir {
			x.DomainName = "localhost"
		}
		x.CustomOriginConfig = &xmlCustomConfig{
			HTTPPort:               orInt(o.HTTPPort, config.DefaultHTTPPort),
			HTTPSPort:              orInt(o.HTTPSPort, config.DefaultHTTPSPort),
			OriginProtocolPolicy:   orStr(o.OriginProtocolPolicy, config.DefaultOriginProtocolPolicy),
			OriginSslProtocols:     strItems("SslProtocol", []string{defaultSslProtocol}),
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
		TargetOriginID:       b.TargetOriginID,
		ViewerProtocolPolicy: orStr(b.ViewerProtocolPolicy, config.DefaultViewerProtocolPolicy),
		SmoothStreaming:      b.SmoothStreaming,
		Compress:             b.Compress,
	}
	if withPattern {
		x.PathPattern = b.PathPattern
	}
	if len(b.TrustedKeyGroups) > 0 {
		x.TrustedKeyGroups = xmlTrusted{Enabled: true, Items: strItems("KeyGroup", b.TrustedKeyGroups).Items}
	}
	allowed, cached := b.AllowedMethods, b.CachedMethods
	if len(allowed) == 0 {
		allowed = []string{"GET", "HEAD"}
	}
	if len(cached) == 0 {
		cached = []string{"GET", "HEAD"}
	}
	cm := strItems("Method", cached)
	x.AllowedMethods = &xmlAllowedMethods{Items: strItems("Method", allowed).Items, CachedMethods: &cm}
	if len(b.FunctionAssociations) > 0 {
		x.FunctionAssociations.Items = &struct {
			Assoc []xmlFnAssoc `xml:"FunctionAssociation"`
		}{}
		for _, a := range b.FunctionAssociations {
			x.FunctionAssociations.Items.Assoc = append(x.FunctionAssociations.Items.Assoc,
				xmlFnAssoc{FunctionARN: fnARN(a.Function), EventType: a.EventType})
		}
	}
	if b.ResponseHeadersPolicy != "" {
		x.ResponseHeadersPolicyID = responseHeadersPolicyID(c, b.ResponseHeadersPolicy)
	}
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
	}
	x.ForwardedValues = fv
	return x
}

// configETag returns the ETag of a distribution config: "E" and 13 characters of the base32
// SHA-256 of its XML, so it changes exactly when the rendered config does.
func configETag(doc []byte) string {
	sum := sha256.Sum256(doc)
	return "E" + base32.StdEncoding.EncodeToString(sum[:])[:13]
}

// xmlDistribution is CloudFront's Distribution (GetDistribution, CreateDistribution,
// UpdateDistribution; https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Distribution.html).
type xmlDistribution struct {
	XMLName                       xml.Name           `xml:"Distribution"`
	Xmlns                         string             `xml:"xmlns,attr"`
	ID                            string             `xml:"Id"`
	ARN                           string             `xml:"ARN"`
	Status                        string             `xml:"Status"`
	LastModifiedTime              string             `xml:"LastModifiedTime"`
	InProgressInvalidationBatches int                `xml:"InProgressInvalidationBatches"`
	DomainName                    string             `xml:"DomainName"`
	ActiveTrustedSigners          xmlTrusted         `xml:"ActiveTrustedSigners"`
	ActiveTrustedKeyGroups        xmlActiveKeyGroups `xml:"ActiveTrustedKeyGroups"`
	DistributionConfig            *xmlDistConfig     `xml:"DistributionConfig"`
	AliasICPRecordals             *xmlAliasRecordals `xml:"AliasICPRecordals,omitempty"`
}

// xmlActiveKeyGroups is ActiveTrustedKeyGroups: the key groups the behaviors trust, with their
// public key ids.
type xmlActiveKeyGroups struct {
	Enabled  bool `xml:"Enabled"`
	Quantity int  `xml:"Quantity"`
	Items    *struct {
		KeyGroup []xmlKGKeyPairIDs `xml:"KeyGroup"`
	} `xml:"Items,omitempty"`
}

type xmlKGKeyPairIDs struct {
	KeyGroupID string      `xml:"KeyGroupId"`
	KeyPairIDs xmlStrItems `xml:"KeyPairIds"` // <KeyPairId>
}

// xmlAliasRecordals is AliasICPRecordals: every alias APPROVED (outside China no ICP
// recordal applies).
type xmlAliasRecordals struct {
	Recordal []xmlAliasRecordal `xml:"AliasICPRecordal"`
}

type xmlAliasRecordal struct {
	CNAME             string `xml:"CNAME"`
	ICPRecordalStatus string `xml:"ICPRecordalStatus"`
}

// activeKeyGroups derives ActiveTrustedKeyGroups from conf's behaviors: every key group an
// enabled TrustedKeyGroups names, once, in order, with the ids of its public keys in c.
func activeKeyGroups(c *config.Config, conf *xmlDistConfig) xmlActiveKeyGroups {
	var out xmlActiveKeyGroups
	seen := map[string]bool{}
	add := func(b *xmlBehavior) {
		if !b.TrustedKeyGroups.Enabled {
			return
		}
		for _, id := range b.TrustedKeyGroups.values() {
			if seen[id] {
				continue
			}
			seen[id] = true
			var keys []string
			for _, g := range c.KeyGroups {
				if g.ID == id {
					for _, k := range g.PublicKey {
						keys = append(keys, k.ID)
					}
				}
			}
			if out.Items == nil {
				out.Items = &struct {
					KeyGroup []xmlKGKeyPairIDs `xml:"KeyGroup"`
				}{}
			}
			out.Items.KeyGroup = append(out.Items.KeyGroup, xmlKGKeyPairIDs{KeyGroupID: id, KeyPairIDs: strItems("KeyPairId", keys)})
		}
	}
	add(&conf.DefaultCacheBehavior)
	if conf.CacheBehaviors.Items != nil {
		for i := range conf.CacheBehaviors.Items.Behavior {
			add(&conf.CacheBehaviors.Items.Behavior[i])
		}
	}
	if out.Items != nil {
		out.Enabled, out.Quantity = true, len(out.Items.KeyGroup)
	}
	return out
}

// aliasRecordals is AliasICPRecordals for conf's aliases (nil without aliases).
func aliasRecordals(conf *xmlDistConfig) *xmlAliasRecordals {
	cnames := conf.Aliases.values()
	if len(cnames) == 0 {
		return nil
	}
	r := &xmlAliasRecordals{}
	for _, c := range cnames {
		r.Recordal = append(r.Recordal, xmlAliasRecordal{CNAME: c, ICPRecordalStatus: "APPROVED"})
	}
	return r
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
	Aliases              xmlStrItems     `xml:"Aliases"`
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
