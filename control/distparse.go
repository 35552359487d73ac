package control

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cfedge/edge/config"
)

// Reading a DistributionConfig sent to CreateDistribution, CreateDistributionWithTags or
// UpdateDistribution, and filling in what AWS fills in
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateDistribution.html).

// Error codes of the distribution operations (the Errors sections of API_CreateDistribution.html,
// API_UpdateDistribution.html, API_DeleteDistribution.html and API_TagResource.html; statuses
// from the same pages).
const (
	CodeMalformedInput                     = "MalformedInput"                     // 400
	CodeDistributionAlreadyExists          = "DistributionAlreadyExists"          // 409
	CodeCNAMEAlreadyExists                 = "CNAMEAlreadyExists"                 // 409
	CodeNoSuchOrigin                       = "NoSuchOrigin"                       // 404
	CodeNoSuchCachePolicy                  = "NoSuchCachePolicy"                  // 404
	CodeNoSuchOriginRequestPolicy          = "NoSuchOriginRequestPolicy"          // 404
	CodeNoSuchResponseHeadersPolicy        = "NoSuchResponseHeadersPolicy"        // 404
	CodeInvalidTTLOrder                    = "InvalidTTLOrder"                    // 400
	CodeIllegalUpdate                      = "IllegalUpdate"                      // 400
	CodeDistributionNotDisabled            = "DistributionNotDisabled"            // 409
	CodeTrustedKeyGroupDoesNotExist        = "TrustedKeyGroupDoesNotExist"        // 400
	CodeInvalidFunctionAssociation         = "InvalidFunctionAssociation"         // 400
	CodeTooManyDistributions               = "TooManyDistributions"               // 400
	CodeInvalidTagging                     = "InvalidTagging"                     // 400
	CodeNoSuchResource                     = "NoSuchResource"                     // 404
	CodeFunctionInUse                      = "FunctionInUse"                      // 409
	CodeTooManyDistributionCNAMEs          = "TooManyDistributionCNAMEs"          // 400
	CodeTooManyOrigins                     = "TooManyOrigins"                     // 400
	CodeTooManyOriginGroupsPerDistribution = "TooManyOriginGroupsPerDistribution" // 400
	CodeTooManyCacheBehaviors              = "TooManyCacheBehaviors"              // 400
)

func malformed(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, CodeMalformedInput, format, args...)
}

// scanned is what scanDoc learnt of a document besides its well-formedness.
type scanned struct {
	root string
	// top holds the names of the elements directly inside DistributionConfig: required
	// members and defaults that differ from the zero value (IsIPV6Enabled) depend on presence.
	top map[string]bool
}

// maxDepth bounds how deeply scanDoc lets elements nest. The deepest elements of the documents
// the API reads are about 10 deep: DistributionConfigWithTags.DistributionConfig.CacheBehaviors.
// Items.CacheBehavior.ForwardedValues.Cookies.WhitelistedNames.Items.Name
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfigWithTags.html,
// API_CacheBehavior.html, API_ForwardedValues.html, API_CookiePreference.html); 64 leaves a
// wide margin for newer members while keeping what a hostile body can make the parser hold
// small.
const maxDepth = 64

// scanDoc checks that body is one well-formed XML element (MalformedInput otherwise), nested at
// most maxDepth deep, in which no element has two children of the same name except the items
// of an <Items> list (a member is single in every CloudFront document; lists are always
// {Quantity, Items} or, without Quantity, Items: MalformedInput otherwise), and that every
// {Quantity, Items} list in it, at any depth, has as many items as its Quantity says
// (InconsistentQuantities otherwise; a list without Items has none). Element names are compared
// without their namespace. Its memory is linear in the size of body: a frame per open element,
// whose dotted path is built only to report an error.
func scanDoc(body []byte) (scanned, *apiError) {
	type frame struct {
		name     string
		children int             // direct child elements
		seen     map[string]bool // names of the direct children, except under Items
		quantity string          // text of a direct <Quantity> child
		hasQ     bool
		items    int // children of a direct <Items> child
		text     strings.Builder
	}
	sc := scanned{top: map[string]bool{}}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []*frame
	// path is the dotted path of stack's elements, then of names ("A.B.C").
	path := func(names ...string) string {
		parts := make([]string, 0, len(stack)+len(names))
		for _, f := range stack {
			parts = append(parts, f.name)
		}
		return strings.Join(append(parts, names...), ".")
	}
	done := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sc, malformed("The request body is not well-formed XML: %v.", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if done {
				return sc, malformed("The request body holds more than one root element (%s after %s).", t.Name.Local, sc.root)
			}
			if len(stack) >= maxDepth {
				return sc, malformed("The request body nests elements more than %d deep.", maxDepth)
			}
			f := &frame{name: t.Name.Local}
			if n := len(stack); n > 0 {
				p := stack[n-1]
				p.children++
				if p.name != "Items" {
					if p.seen[t.Name.Local] {
						return sc, malformed("%s is given more than once.", clip(path(t.Name.Local), 200))
					}
					if p.seen == nil {
						p.seen = map[string]bool{}
					}
					p.seen[t.Name.Local] = true
				}
				if p.name == "DistributionConfig" {
					sc.top[t.Name.Local] = true
				}
			} else {
				sc.root = t.Name.Local
			}
			stack = append(stack, f)
		case xml.CharData:
			if n := len(stack); n > 0 {
				stack[n-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return sc, malformed("The request body holds text outside its root element.")
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.hasQ {
				q, err := strconv.Atoi(strings.TrimSpace(f.quantity))
				if err != nil {
					return sc, malformed("%s.Quantity %q is not an integer.", path(f.name), clip(f.quantity, 32))
				}
				if q != f.items {
					where := path(f.name)
					return sc, errorf(http.StatusBadRequest, CodeInconsistentQuantities,
						"The value of %s.Quantity (%d) and the size of %s.Items (%d) do not match.", where, q, where, f.items)
				}
			}
			if len(stack) == 0 {
				done = true
				continue
			}
			p := stack[len(stack)-1]
			switch f.name {
			case "Quantity":
				p.quantity, p.hasQ = f.text.String(), true
			case "Items":
				p.items = f.children
			}
		}
	}
	if !done {
		return sc, malformed("The request body is empty or not XML.")
	}
	return sc, nil
}

// parseDistConfig reads a DistributionConfig request body (or, withTags, a
// DistributionConfigWithTags) and returns it filled in as AWS fills it, with the tags. Errors:
// MissingBody, MalformedInput, InconsistentQuantities, and InvalidArgument for a missing required
// member or a value outside its enumeration. References (origins, policies, functions, key
// groups) are checked later, by toModel.
func parseDistConfig(body []byte, withTags bool) (xmlDistConfig, []xmlTag, *apiError) {
	root := "DistributionConfig"
	if withTags {
		root = "DistributionConfigWithTags"
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return xmlDistConfig{}, nil, errorf(http.StatusBadRequest, CodeMissingBody,
			"This operation requires a body: a %s document.", root)
	}
	sc, aerr := scanDoc(body)
	if aerr != nil {
		return xmlDistConfig{}, nil, aerr
	}
	if sc.root != root {
		return xmlDistConfig{}, nil, malformed("The request body is a %s document; this operation takes a %s.", clip(sc.root, 64), root)
	}
	var x xmlDistConfig
	var tags []xmlTag
	if withTags {
		var w xmlDistConfigWithTags
		if err := xml.Unmarshal(body, &w); err != nil {
			return xmlDistConfig{}, nil, malformed("The request body could not be read: %v.", err)
		}
		x, tags = w.DistributionConfig, w.Tags.Items.Tag
	} else if err := xml.Unmarshal(body, &x); err != nil {
		return xmlDistConfig{}, nil, malformed("The request body could not be read: %v.", err)
	}
	for _, name := range []string{"CallerReference", "Origins", "DefaultCacheBehavior", "Comment", "Enabled"} {
		if !sc.top[name] {
			return xmlDistConfig{}, nil, invalidArgument("The parameter %s is required.", name)
		}
	}
	x.fill(sc.top)
	if aerr := x.checkValues(); aerr != nil {
		return xmlDistConfig{}, nil, aerr
	}
	return x, tags, nil
}

// Defaults AWS fills in: the defaults of
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html,
// API_Origin.html, API_CustomOriginConfig.html and API_DefaultCacheBehavior.html, and what the
// example responses of https://docs.aws.amazon.com/cli/latest/reference/cloudfront/create-distribution.html
// show. OriginSslProtocols has no documented default; TLSv1.2 is the console's.
const (
	defaultPriceClass      = "PriceClass_All"
	defaultHTTPVersion     = "http2"
	defaultMinProtocol     = "TLSv1"
	defaultRestrictionType = "none"
	defaultSslProtocol     = "TLSv1.2"
)

// fill completes x as CloudFront stores it: every list wrapper present (Quantity 0 without
// Items when empty), defaults for what was left out, legacy TTLs filled by CloudFront's rules,
// the default certificate's forced values, and logging blanked when off. top names the
// elements the request had directly inside DistributionConfig (nil: take x as complete).
// fill is idempotent, so a filled document sent back fills to itself.
func (x *xmlDistConfig) fill(top map[string]bool) {
	x.XMLName, x.Xmlns = xml.Name{Local: "DistributionConfig"}, ""
	x.Aliases.norm("CNAME")
	x.Origins.Quantity = len(x.Origins.Items.Origin)
	for i := range x.Origins.Items.Origin {
		x.Origins.Items.Origin[i].fill()
	}
	x.OriginGroups.fill()
	x.DefaultCacheBehavior.fill()
	if x.CacheBehaviors.Items != nil && len(x.CacheBehaviors.Items.Behavior) == 0 {
		x.CacheBehaviors.Items = nil
	}
	x.CacheBehaviors.Quantity = 0
	if x.CacheBehaviors.Items != nil {
		x.CacheBehaviors.Quantity = len(x.CacheBehaviors.Items.Behavior)
		for i := range x.CacheBehaviors.Items.Behavior {
			x.CacheBehaviors.Items.Behavior[i].fill()
		}
	}
	if x.CustomErrorResponses.Items != nil && len(x.CustomErrorResponses.Items.Response) == 0 {
		x.CustomErrorResponses.Items = nil
	}
	x.CustomErrorResponses.Quantity = 0
	if x.CustomErrorResponses.Items != nil {
		x.CustomErrorResponses.Quantity = len(x.CustomErrorResponses.Items.Response)
	}
	if !x.Logging.Enabled {
		x.Logging.Bucket, x.Logging.Prefix = "", ""
	}
	x.PriceClass = orStr(x.PriceClass, defaultPriceClass)
	x.ViewerCertificate.fill()
	r := &x.Restrictions.GeoRestriction
	r.RestrictionType = orStr(r.RestrictionType, defaultRestrictionType)
	loc := xmlStrItems{Items: r.Items}
	loc.norm("Location")
	r.Quantity, r.Items = loc.Quantity, loc.Items
	x.HTTPVersion = orStr(x.HTTPVersion, defaultHTTPVersion)
	if top != nil && !top["IsIPV6Enabled"] {
		x.IsIPV6Enabled = true
	}
	normExtra(x.Extra)
}

func normExtra(xs []xmlAny) {
	for i := range xs {
		xs[i].XMLName.Space = ""
	}
}

func (o *xmlOrigin) fill() {
	if o.CustomHeaders.Items != nil && len(o.CustomHeaders.Items.Header) == 0 {
		o.CustomHeaders.Items = nil
	}
	o.CustomHeaders.Quantity = 0
	if o.CustomHeaders.Items != nil {
		o.CustomHeaders.Quantity = len(o.CustomHeaders.Items.Header)
	}
	if c := o.CustomOriginConfig; c != nil {
		c.OriginSslProtocols.norm("SslProtocol")
		if c.OriginSslProtocols.Quantity == 0 {
			c.OriginSslProtocols = strItems("SslProtocol", []string{defaultSslProtocol})
		}
		c.OriginReadTimeout = orInt64(c.OriginReadTimeout, int64(config.DefaultOriginReadTimeout.D().Seconds()))
		c.OriginKeepaliveTimeout = orInt64(c.OriginKeepaliveTimeout, int64(config.DefaultOriginKeepaliveTimeout.D().Seconds()))
		normExtra(c.Extra)
	}
	o.ConnectionAttempts = orInt(o.ConnectionAttempts, config.DefaultConnectionAttempts)
	o.ConnectionTimeout = orInt64(o.ConnectionTimeout, int64(config.DefaultConnectionTimeout.D().Seconds()))
	if o.OriginShield == nil {
		o.OriginShield = &xmlOriginShield{}
	}
	normExtra(o.Extra)
}

func (g *xmlOriginGroups) fill() {
	if g.Items != nil && len(g.Items.Group) == 0 {
		g.Items = nil
	}
	g.Quantity = 0
	if g.Items == nil {
		return
	}
	g.Quantity = len(g.Items.Group)
	for i := range g.Items.Group {
		og := &g.Items.Group[i]
		og.FailoverCriteria.StatusCodes.norm("StatusCode")
		og.Members.Quantity = len(og.Members.Items.Member)
	}
}

func (b *xmlBehavior) fill() {
	b.TrustedSigners.norm("AwsAccountNumber")
	b.TrustedKeyGroups.norm("KeyGroup")
	defMethods := []string{"HEAD", "GET"} // CloudFront's order in its responses
	if b.AllowedMethods == nil {
		b.AllowedMethods = &xmlAllowedMethods{}
	}
	am := b.AllowedMethods
	allowed := xmlStrItems{Items: am.Items}
	if allowed.norm("Method"); allowed.Quantity == 0 {
		allowed = strItems("Method", defMethods)
	}
	am.Quantity, am.Items = allowed.Quantity, allowed.Items
	if am.CachedMethods == nil {
		am.CachedMethods = &xmlStrItems{}
	}
	if am.CachedMethods.norm("Method"); am.CachedMethods.Quantity == 0 {
		*am.CachedMethods = strItems("Method", defMethods)
	}
	if b.LambdaFunctionAssociations.Items != nil && len(b.LambdaFunctionAssociations.Items.Assoc) == 0 {
		b.LambdaFunctionAssociations.Items = nil
	}
	b.LambdaFunctionAssociations.Quantity = 0
	if b.LambdaFunctionAssociations.Items != nil {
		b.LambdaFunctionAssociations.Quantity = len(b.LambdaFunctionAssociations.Items.Assoc)
	}
	if b.FunctionAssociations.Items != nil && len(b.FunctionAssociations.Items.Assoc) == 0 {
		b.FunctionAssociations.Items = nil
	}
	b.FunctionAssociations.Quantity = 0
	if b.FunctionAssociations.Items != nil {
		b.FunctionAssociations.Quantity = len(b.FunctionAssociations.Items.Assoc)
	}
	if b.GrpcConfig == nil {
		b.GrpcConfig = &xmlEnabled{}
	}
	normExtra(b.Extra)
	if b.CachePolicyID != "" {
		return // policy mode: legacy fields, if any, are refused by checkValues
	}
	if fv := b.ForwardedValues; fv != nil {
		if fv.Cookies.WhitelistedNames != nil {
			fv.Cookies.WhitelistedNames.norm("Name")
		}
		fv.Headers.norm("Name")
		fv.QueryStringCacheKeys.norm("Name")
	}
	minV, defV, maxV := config.LegacyTTLs(b.MinTTL, b.DefaultTTL, b.MaxTTL)
	b.MinTTL, b.DefaultTTL, b.MaxTTL = &minV, &defV, &maxV
}

// norm is xmlStrItems.norm for the Items of a trusted list; Enabled is kept as sent.
func (t *xmlTrusted) norm(name string) {
	l := xmlStrItems{Items: t.Items}
	l.norm(name)
	t.Quantity, t.Items = l.Quantity, l.Items
}

// fill applies CloudFront's certificate rules (API_ViewerCertificate.html): the default
// certificate forces MinimumProtocolVersion TLSv1 and CertificateSource cloudfront; an ACM or
// IAM certificate is echoed with the deprecated Certificate and CertificateSource, which are
// also accepted as input (clients send back what they got).
func (v *xmlViewerCert) fill() {
	switch {
	case v.ACMCertificateArn == "" && v.IAMCertificateID == "" && v.CertificateSource == "acm" && v.Certificate != "":
		v.ACMCertificateArn = v.Certificate
	case v.ACMCertificateArn == "" && v.IAMCertificateID == "" && v.CertificateSource == "iam" && v.Certificate != "":
		v.IAMCertificateID = v.Certificate
	}
	switch {
	case v.ACMCertificateArn != "":
		v.CloudFrontDefaultCertificate, v.IAMCertificateID = false, ""
		v.Certificate, v.CertificateSource = v.ACMCertificateArn, "acm"
		v.MinimumProtocolVersion = orStr(v.MinimumProtocolVersion, defaultMinProtocol)
	case v.IAMCertificateID != "":
		v.CloudFrontDefaultCertificate = false
		v.Certificate, v.CertificateSource = v.IAMCertificateID, "iam"
		v.MinimumProtocolVersion = orStr(v.MinimumProtocolVersion, defaultMinProtocol)
	default:
		*v = xmlViewerCert{CloudFrontDefaultCertificate: true, MinimumProtocolVersion: defaultMinProtocol,
			CertificateSource: "cloudfront"}
	}
}

// maxComment is the longest Comment CloudFront takes, in characters
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html,
// Comment: "The comment cannot be longer than 128 characters"); comments are counted in
// characters (utf8.RuneCountInString) throughout the package, as names and paths are.
const maxComment = 128

// checkQuotas refuses a filled document that goes over a per-distribution quota (config.Max*,
// whose validation refuses the same configurations later, with a generic InvalidArgument) with
// the quota's own code (400,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateDistribution.html#API_CreateDistribution_Errors).
func (x *xmlDistConfig) checkQuotas() *apiError {
	tooMany := func(code, format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, code, format, args...)
	}
	groups := 0
	if x.OriginGroups.Items != nil {
		groups = len(x.OriginGroups.Items.Group)
	}
	behaviors := 0
	if x.CacheBehaviors.Items != nil {
		behaviors = len(x.CacheBehaviors.Items.Behavior)
	}
	switch {
	case x.Aliases.Quantity > config.MaxAliases:
		return tooMany(CodeTooManyDistributionCNAMEs,
			"Your request contains more CNAMEs than are allowed per distribution: %d, at most %d.", x.Aliases.Quantity, config.MaxAliases)
	case len(x.Origins.Items.Origin) > config.MaxOrigins:
		return tooMany(CodeTooManyOrigins,
			"You cannot create more origins for the distribution: %d, at most %d.", len(x.Origins.Items.Origin), config.MaxOrigins)
	case groups > config.MaxOriginGroups:
		return tooMany(CodeTooManyOriginGroupsPerDistribution,
			"Processing your request would cause you to exceed the maximum number of origin groups allowed: %d, at most %d.",
			groups, config.MaxOriginGroups)
	case behaviors > config.MaxBehaviors:
		return tooMany(CodeTooManyCacheBehaviors,
			"You cannot create more cache behaviors for the distribution: %d, at most %d.", behaviors, config.MaxBehaviors)
	}
	return nil
}

// checkValues refuses values outside the enumerations of the API (InvalidArgument), legacy
// settings on a behavior in policy mode (InvalidArgument, with CloudFront's texts), legacy
// TTLs out of order (InvalidTTLOrder) and lists over a quota (checkQuotas). It runs on a
// filled document.
func (x *xmlDistConfig) checkValues() *apiError {
	if aerr := x.checkQuotas(); aerr != nil {
		return aerr
	}
	switch {
	case x.CallerReference == "":
		return invalidArgument("The parameter CallerReference must not be empty.")
	case utf8.RuneCountInString(x.Comment) > maxComment:
		return invalidArgument("The parameter Comment is longer than %d characters.", maxComment)
	case !oneOf(x.PriceClass, "PriceClass_100", "PriceClass_200", "PriceClass_All", "None"):
		return invalidArgument("The parameter PriceClass %q is not valid: PriceClass_100, PriceClass_200, PriceClass_All or None.", clip(x.PriceClass, 40))
	case !oneOf(x.HTTPVersion, "http1.1", "http2", "http3", "http2and3"):
		return invalidArgument("The parameter HttpVersion %q is not valid: http1.1, http2, http3 or http2and3.", clip(x.HTTPVersion, 40))
	case !oneOf(x.Restrictions.GeoRestriction.RestrictionType, "none", "blacklist", "whitelist"):
		return invalidArgument("The parameter RestrictionType %q is not valid: none, blacklist or whitelist.",
			clip(x.Restrictions.GeoRestriction.RestrictionType, 40))
	case x.Staging:
		return invalidArgument("Staging distributions (continuous deployment) are not supported by edge.")
	}
	if x.Origins.Quantity == 0 {
		return invalidArgument("The parameter Origins must hold at least one origin.")
	}
	if aerr := x.DefaultCacheBehavior.checkValues("DefaultCacheBehavior"); aerr != nil {
		return aerr
	}
	if x.CacheBehaviors.Items != nil {
		for i := range x.CacheBehaviors.Items.Behavior {
			b := &x.CacheBehaviors.Items.Behavior[i]
			if b.PathPattern == "" {
				return invalidArgument("The parameter PathPattern is required (CacheBehaviors.Items[%d]).", i)
			}
			if aerr := b.checkValues(fmt.Sprintf("CacheBehavior %q", b.PathPattern)); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

func (b *xmlBehavior) checkValues(where string) *apiError {
	if b.CachePolicyID != "" {
		switch {
		case b.ForwardedValues != nil:
			return invalidArgument("The parameter ForwardedValues cannot be used when a cache policy is associated to the cache behavior (%s).", where)
		case b.MinTTL != nil:
			return invalidArgument("The parameter MinTTL cannot be used when a cache policy is associated to the cache behavior (%s).", where)
		case b.DefaultTTL != nil:
			return invalidArgument("The parameter DefaultTTL cannot be used when a cache policy is associated to the cache behavior (%s).", where)
		case b.MaxTTL != nil:
			return invalidArgument("The parameter MaxTTL cannot be used when a cache policy is associated to the cache behavior (%s).", where)
		}
		return nil
	}
	if b.ForwardedValues == nil {
		return invalidArgument("The parameter ForwardedValues is required when no cache policy is associated to the cache behavior (%s).", where)
	}
	if *b.MinTTL < 0 || !(*b.MinTTL <= *b.DefaultTTL && *b.DefaultTTL <= *b.MaxTTL) {
		return errorf(http.StatusBadRequest, CodeInvalidTTLOrder,
			"MinTTL, MaxTTL and DefaultTTL should follow order MinTTL less than or equal to DefaultTTL less than or equal to MaxTTL (%s: %d, %d, %d).",
			where, *b.MinTTL, *b.DefaultTTL, *b.MaxTTL)
	}
	return nil
}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func orInt64(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}
