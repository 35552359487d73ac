package control

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cfedge/edge/config"
)

// toModel turns a filled DistributionConfig into the config.Distribution the edge serves with
// the configuration file base and the functions fns: refs.model without the API's policies,
// key groups and origin access controls (an OriginAccessControlId is then not looked at).
func toModel(base *config.Config, id, domain string, x *xmlDistConfig, fns fnLookup) (config.Distribution, *apiError) {
	return refs{base: base, fns: fns}.model(id, domain, x)
}

// refs resolves what a DistributionConfig names: policies and key groups of the configuration
// file (base) and of the API (res; nil: none), origin access controls (res) and functions (fns).
type refs struct {
	base *config.Config
	res  *resources
	fns  fnLookup
}

// model turns a filled DistributionConfig into the config.Distribution the edge serves, the
// inverse of buildDistConfig: one model for distributions from the configuration file and from
// the API. Policy ids resolve by policyName (policyids.go), key groups in r.base and r.res,
// function ARNs by r.fns.
//
// Custom origins become http origins with their ports, protocol policy, timeouts and custom
// headers. S3 origins on a bucket's REST endpoint (BUCKET.s3.REGION.amazonaws.com) become s3
// origins of that bucket, signed when their origin access control signs (originAccess); other
// S3 origins become http origins on their DomainName with protocol match-viewer, which is how
// CloudFront talks to an S3 endpoint ("CloudFront forwards requests to Amazon S3 by using the
// protocol that viewers used",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-s3-origin.html).
// OriginAccessIdentity is echoed only. Kept in the document but not served: Logging, Restrictions, WebACLId, PriceClass,
// HttpVersion, IsIPV6Enabled, ViewerCertificate, OriginShield, OriginSslProtocols, Lambda@Edge
// associations, FieldLevelEncryptionId and RealtimeLogConfigArn.
//
// Errors carry CloudFront's codes: NoSuchOrigin, NoSuchCachePolicy, NoSuchOriginRequestPolicy,
// NoSuchResponseHeadersPolicy, TrustedKeyGroupDoesNotExist, InvalidFunctionAssociation,
// InvalidOriginAccessControl, IllegalOriginAccessConfiguration,
// InvalidDomainNameForOriginAccessControl, and InvalidArgument for the rest. Whatever passes
// here still goes through config validation.
func (r refs) model(id, domain string, x *xmlDistConfig) (config.Distribution, *apiError) {
	enabled, ipv6 := x.Enabled, x.IsIPV6Enabled
	d := config.Distribution{
		ID: id, DomainName: domain, Aliases: x.Aliases.values(), Comment: x.Comment,
		Enabled: &enabled, DefaultRootObject: x.DefaultRootObject,
		CallerReference: x.CallerReference, PriceClass: x.PriceClass, HTTPVersion: x.HTTPVersion,
		IsIPV6Enabled: &ipv6, WebACLID: x.WebACLID,
	}
	targets := map[string]bool{}
	for i := range x.Origins.Items.Origin {
		o, aerr := r.origin(&x.Origins.Items.Origin[i])
		if aerr != nil {
			return config.Distribution{}, aerr
		}
		d.Origins = append(d.Origins, o)
		targets[o.ID] = true
	}
	if x.OriginGroups.Items != nil {
		for _, g := range x.OriginGroups.Items.Group {
			og := config.OriginGroup{ID: g.ID}
			for _, m := range g.Members.Items.Member {
				og.Members = append(og.Members, m.OriginID)
			}
			for _, sc := range g.FailoverCriteria.StatusCodes.values() {
				n, err := strconv.Atoi(strings.TrimSpace(sc))
				if err != nil {
					return config.Distribution{}, invalidArgument("Origin group %q: status code %q is not a number.", clip(g.ID, 64), clip(sc, 16))
				}
				og.FailoverStatusCodes = append(og.FailoverStatusCodes, n)
			}
			d.OriginGroups = append(d.OriginGroups, og)
			targets[og.ID] = true
		}
	}
	var aerr *apiError
	if d.DefaultBehavior, aerr = r.behavior(&x.DefaultCacheBehavior, "DefaultCacheBehavior", targets); aerr != nil {
		return config.Distribution{}, aerr
	}
	if x.CacheBehaviors.Items != nil {
		for i := range x.CacheBehaviors.Items.Behavior {
			b := &x.CacheBehaviors.Items.Behavior[i]
			cb, aerr := r.behavior(b, "CacheBehavior "+strconv.Quote(b.PathPattern), targets)
			if aerr != nil {
				return config.Distribution{}, aerr
			}
			d.Behaviors = append(d.Behaviors, cb)
		}
	}
	if x.CustomErrorResponses.Items != nil {
		for _, r := range x.CustomErrorResponses.Items.Response {
			cr := config.CustomErrorResponse{ErrorCode: r.ErrorCode, ResponsePagePath: r.ResponsePagePath}
			if r.ErrorCachingMinTTL != nil {
				v := *r.ErrorCachingMinTTL
				cr.ErrorCachingMinTTL = &v
			}
			if rc := strings.TrimSpace(r.ResponseCode); rc != "" {
				n, err := strconv.Atoi(rc)
				if err != nil {
					return config.Distribution{}, invalidArgument("CustomErrorResponse %d: ResponseCode %q is not a status code.", r.ErrorCode, clip(rc, 16))
				}
				cr.ResponseCode = n
			}
			d.CustomErrorResponses = append(d.CustomErrorResponses, cr)
		}
	}
	one := config.Config{Distributions: []config.Distribution{d}}
	one.ApplyDefaults()
	return one.Distributions[0], nil
}

// Origin timeout ranges, in seconds (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Origin.html,
// ConnectionTimeout: 1–10; https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CustomOriginConfig.html,
// OriginReadTimeout and OriginKeepaliveTimeout: 1–60 at the default quota, which AWS raises on
// request, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-web-distributions).
// Config validation enforces the same ranges on the converted durations; these are checked
// first, on the numbers, because a number of seconds beyond a time.Duration wraps when
// converted (2^55+5 seconds would read as 5 s).
const (
	maxConnectionTimeout      = 10
	maxOriginReadTimeout      = 60
	maxOriginKeepaliveTimeout = 60
)

// seconds converts n seconds of the timeout name of origin id to a duration; 0 (unset) stays
// 0, which config defaults fill in. A value outside 1..maxSec is InvalidArgument, refused
// before the conversion can wrap.
func seconds(id, name string, n, maxSec int64) (config.Duration, *apiError) {
	if n == 0 {
		return 0, nil
	}
	if n < 1 || n > maxSec {
		return 0, invalidArgument("Origin %q: %s %d is not valid: it must be 1 to %d seconds.", clip(id, 64), name, n, maxSec)
	}
	return config.Duration(time.Duration(n) * time.Second), nil
}

// origin converts one origin (see model).
func (r refs) origin(o *xmlOrigin) (config.Origin, *apiError) {
	co := config.Origin{
		ID: o.ID, Kind: config.KindHTTP, DomainName: o.DomainName, OriginPath: o.OriginPath,
		ConnectionAttempts: o.ConnectionAttempts,
	}
	var aerr *apiError
	if co.ConnectionTimeout, aerr = seconds(o.ID, "ConnectionTimeout", o.ConnectionTimeout, maxConnectionTimeout); aerr != nil {
		return config.Origin{}, aerr
	}
	if o.CustomHeaders.Items != nil {
		for _, h := range o.CustomHeaders.Items.Header {
			co.CustomHeaders = append(co.CustomHeaders, config.CustomHeader{Name: h.Name, Value: h.Value})
		}
	}
	switch c, s3 := o.CustomOriginConfig, o.S3OriginConfig; {
	case c != nil && s3 != nil:
		return config.Origin{}, invalidArgument("Origin %q: S3OriginConfig and CustomOriginConfig cannot both be set.", clip(o.ID, 64))
	case c != nil:
		co.HTTPPort, co.HTTPSPort, co.OriginProtocolPolicy = c.HTTPPort, c.HTTPSPort, c.OriginProtocolPolicy
		if co.OriginReadTimeout, aerr = seconds(o.ID, "OriginReadTimeout", c.OriginReadTimeout, maxOriginReadTimeout); aerr != nil {
			return config.Origin{}, aerr
		}
		if co.OriginKeepaliveTimeout, aerr = seconds(o.ID, "OriginKeepaliveTimeout", c.OriginKeepaliveTimeout, maxOriginKeepaliveTimeout); aerr != nil {
			return config.Origin{}, aerr
		}
		if !oneOf(c.OriginProtocolPolicy, "http-only", "https-only", "match-viewer") {
			return config.Origin{}, invalidArgument("Origin %q: OriginProtocolPolicy %q is not valid: http-only, match-viewer or https-only.",
				clip(o.ID, 64), clip(c.OriginProtocolPolicy, 40))
		}
	case s3 != nil:
		if bucket, region, ok := config.S3BucketDomain(o.DomainName); ok {
			// A bucket: an s3 origin (anonymous reads unless an origin access control signs).
			co.Kind, co.DomainName, co.Bucket, co.Region = config.KindS3, "", bucket, region
		} else {
			co.HTTPPort, co.HTTPSPort, co.OriginProtocolPolicy = config.DefaultHTTPPort, config.DefaultHTTPSPort, "match-viewer"
		}
		if s3.OriginReadTimeout != nil {
			if co.OriginReadTimeout, aerr = seconds(o.ID, "OriginReadTimeout", *s3.OriginReadTimeout, maxOriginReadTimeout); aerr != nil {
				return config.Origin{}, aerr
			}
		}
	default:
		return config.Origin{}, invalidArgument("Origin %q: one of S3OriginConfig and CustomOriginConfig is required (edge serves no VPC origins).",
			clip(o.ID, 64))
	}
	co.OriginShield = r.originShield(o.OriginShield)
	return r.originAccess(o, co)
}

// originShield converts an origin's OriginShield
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginShield.html): enabled
// in a region that [fleet] origin_shields maps to a shield edge, it is served through that
// edge with [fleet] shield_secret; otherwise it is kept to be shown, and not served.
func (r refs) originShield(x *xmlOriginShield) *config.OriginShield {
	if x == nil || !x.Enabled && x.OriginShieldRegion == "" {
		return nil
	}
	sh := &config.OriginShield{Region: x.OriginShieldRegion}
	if addr, ok := r.base.Fleet.OriginShields[x.OriginShieldRegion]; ok && x.Enabled {
		sh.Enabled, sh.Address, sh.Secret = true, addr, r.base.Fleet.ShieldSecret
	}
	return sh
}

// fnLookup tells what a behavior's function association names: whether a function called name
// exists, whether it comes from the configuration file, and whether it has a LIVE stage.
type fnLookup func(name string) (exists, fromConfig, live bool)

// fnARNPrefix is the ARN of a function without its name (fnARN).
const fnARNPrefix = "arn:aws:cloudfront::" + accountID + ":function/"

// behavior converts one cache behavior; targets holds the ids of the distribution's origins and
// origin groups.
func (r refs) behavior(b *xmlBehavior, where string, targets map[string]bool) (config.Behavior, *apiError) {
	cb := config.Behavior{
		PathPattern: b.PathPattern, TargetOriginID: b.TargetOriginID, ViewerProtocolPolicy: b.ViewerProtocolPolicy,
		SmoothStreaming: b.SmoothStreaming, Compress: b.Compress,
	}
	switch {
	case b.TargetOriginID == "":
		return cb, invalidArgument("The parameter TargetOriginId is required (%s).", where)
	case !targets[b.TargetOriginID]:
		return cb, errorf(http.StatusNotFound, CodeNoSuchOrigin,
			"One or more of your origins or origin groups do not exist: TargetOriginId %q of %s names no origin or origin group of this distribution.",
			clip(b.TargetOriginID, 128), where)
	case b.ViewerProtocolPolicy == "":
		return cb, invalidArgument("The parameter ViewerProtocolPolicy is required (%s).", where)
	}
	if b.AllowedMethods != nil {
		am := xmlStrItems{Items: b.AllowedMethods.Items}
		cb.AllowedMethods = am.values()
		cb.CachedMethods = b.AllowedMethods.CachedMethods.values()
	}
	if b.TrustedSigners.Enabled {
		return cb, invalidArgument("TrustedSigners (AWS account key pairs) are not supported by edge: use TrustedKeyGroups (%s).", where)
	}
	if b.TrustedKeyGroups.Enabled {
		ids := b.TrustedKeyGroups.values()
		if len(ids) == 0 {
			return cb, invalidArgument("TrustedKeyGroups is enabled but lists no key group (%s).", where)
		}
		for _, id := range ids {
			if !r.hasKeyGroup(id) {
				return cb, errorf(http.StatusBadRequest, CodeTrustedKeyGroupDoesNotExist,
					"The specified key group does not exist: %q (%s): create it (CreateKeyGroup) or add a [[key_group]] to edge's configuration.",
					clip(id, 128), where)
			}
		}
		for i, id := range ids {
			ids[i] = r.keyGroupID(id)
		}
		cb.TrustedKeyGroups = ids
	}
	if b.FunctionAssociations.Items != nil {
		for _, a := range b.FunctionAssociations.Items.Assoc {
			fa, aerr := toFunctionAssociation(a, where, r.fns)
			if aerr != nil {
				return cb, aerr
			}
			cb.FunctionAssociations = append(cb.FunctionAssociations, fa)
		}
	}
	if id := b.CachePolicyID; id != "" {
		name, ok := policyName(kindCache, r.base, r.res, id)
		if !ok {
			return cb, errorf(http.StatusNotFound, CodeNoSuchCachePolicy, "The cache policy does not exist: %q (%s).", clip(id, 64), where)
		}
		cb.CachePolicy = name
	}
	if id := b.OriginRequestPolicyID; id != "" {
		name, ok := policyName(kindOriginRequest, r.base, r.res, id)
		if !ok {
			return cb, errorf(http.StatusNotFound, CodeNoSuchOriginRequestPolicy, "The origin request policy does not exist: %q (%s).", clip(id, 64), where)
		}
		cb.OriginRequestPolicy = name
	}
	if id := b.ResponseHeadersPolicyID; id != "" {
		name, ok := policyName(kindResponseHeaders, r.base, r.res, id)
		if !ok {
			return cb, errorf(http.StatusNotFound, CodeNoSuchResponseHeadersPolicy, "The response headers policy does not exist: %q (%s).", clip(id, 64), where)
		}
		cb.ResponseHeadersPolicy = name
	}
	if b.CachePolicyID != "" {
		return cb, nil
	}
	cb.MinTTL, cb.DefaultTTL, cb.MaxTTL = copyInt64(b.MinTTL), copyInt64(b.DefaultTTL), copyInt64(b.MaxTTL)
	if fv := b.ForwardedValues; fv != nil {
		cb.ForwardedValues = &config.ForwardedValues{
			QueryString:          fv.QueryString,
			QueryStringCacheKeys: fv.QueryStringCacheKeys.values(),
			Headers:              fv.Headers.values(),
			Cookies:              config.Cookies{Forward: fv.Cookies.Forward, WhitelistedNames: fv.Cookies.WhitelistedNames.values()},
		}
	}
	return cb, nil
}

// toFunctionAssociation resolves a FunctionAssociation: a viewer event and the ARN of a
// function of the configuration, or of one created through the API and published (its LIVE
// stage is what runs, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/associate-function.html).
func toFunctionAssociation(a xmlFnAssoc, where string, fns fnLookup) (config.FunctionAssociation, *apiError) {
	bad := func(format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, CodeInvalidFunctionAssociation, format, args...)
	}
	if a.EventType != config.EventViewerRequest && a.EventType != config.EventViewerResponse {
		return config.FunctionAssociation{}, bad("The function association of %s has EventType %q: CloudFront Functions run at viewer-request or viewer-response.",
			where, clip(a.EventType, 40))
	}
	name, ok := strings.CutPrefix(a.FunctionARN, fnARNPrefix)
	if !ok || name == "" {
		return config.FunctionAssociation{}, bad("FunctionARN %q (%s) is not the ARN of a function (%sNAME).", clip(a.FunctionARN, 200), where, fnARNPrefix)
	}
	exists, fromConfig, live := fns(name)
	switch {
	case !exists:
		return config.FunctionAssociation{}, bad("The function %q (%s) does not exist.", clip(name, 64), where)
	case !fromConfig && !live:
		return config.FunctionAssociation{}, bad("The function %q (%s) has no LIVE stage: publish it first (PublishFunction).", name, where)
	}
	return config.FunctionAssociation{EventType: a.EventType, Function: name}, nil
}

// hasKeyGroup reports whether id names a key group of the configuration file or of the API.
func (r refs) hasKeyGroup(id string) bool {
	for _, g := range r.base.KeyGroups {
		if g.ID == id {
			return true
		}
	}
	return r.res != nil && findID(r.res.groups, id) != nil
}

// keyGroupID returns id as the key group it names spells it (the ids of API key groups
// compare without regard to case).
func (r refs) keyGroupID(id string) string {
	if r.res != nil {
		if g := findID(r.res.groups, id); g != nil {
			return g.id
		}
	}
	return id
}

func copyInt64(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
