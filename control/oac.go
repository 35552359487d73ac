package control

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// Origin access controls
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateOriginAccessControl.html,
// API_GetOriginAccessControl.html, API_GetOriginAccessControlConfig.html,
// API_UpdateOriginAccessControl.html, API_DeleteOriginAccessControl.html,
// API_ListOriginAccessControls.html): what makes CloudFront sign its requests to an origin with
// SigV4 ("Restrict access to an Amazon S3 origin",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
// An origin names one by OriginAccessControlId; an unknown id is InvalidOriginAccessControl,
// the code CreateDistribution and UpdateDistribution have for it (NoSuchOriginAccessControl
// belongs to the OAC operations themselves and is not among theirs).
//
// For an origin access control of type s3, the origin's DomainName must be a bucket's REST
// endpoint (config.S3BucketDomain; InvalidDomainNameForOriginAccessControl otherwise). The S3 origins
// of API distributions are s3 origins of the configuration the edge serves (originAccess): with
// access sigv4 when their origin access control's signing behavior is always or no-override
// (signed with the credentials of the environment, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY), anonymous otherwise ("never" turns signing off), on AWS or, with
// api.s3_endpoint, on that S3-compatible endpoint. edge signs every request under no-override
// too: a viewer's own Authorization reaches an origin only when a policy forwards it. Origin
// access controls of the other types (mediastore, lambda, mediapackagev2) are kept and
// echoed; edge does not sign for those services.

const pathOAC = apiRoot + "origin-access-control"

// Origin access control error codes (the Errors sections of the pages above and of
// API_CreateDistribution.html).
const (
	CodeOriginAccessControlAlreadyExists        = "OriginAccessControlAlreadyExists"        // 409
	CodeOriginAccessControlInUse                = "OriginAccessControlInUse"                // 409
	CodeNoSuchOriginAccessControl               = "NoSuchOriginAccessControl"               // 404
	CodeTooManyOriginAccessControls             = "TooManyOriginAccessControls"             // 400
	CodeInvalidOriginAccessControl              = "InvalidOriginAccessControl"              // 400
	CodeIllegalOriginAccessConfiguration        = "IllegalOriginAccessConfiguration"        // 400
	CodeInvalidDomainNameForOriginAccessControl = "InvalidDomainNameForOriginAccessControl" // 400
)

// MaxOACs is CloudFront's quota of origin access controls per account (cloudfront-limits.html,
// "Origin access controls per AWS account").
const MaxOACs = 100

// maxOACName is the longest Name (OriginAccessControlConfig).
const maxOACName = 64

// xmlOACConfig is OriginAccessControlConfig.
type xmlOACConfig struct {
	XMLName         xml.Name `xml:"OriginAccessControlConfig"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Name            string   `xml:"Name"`
	Description     string   `xml:"Description"`
	SigningProtocol string   `xml:"SigningProtocol"`
	SigningBehavior string   `xml:"SigningBehavior"`
	OriginType      string   `xml:"OriginAccessControlOriginType"`
}

// xmlOAC is OriginAccessControl: no timestamp and no ARN.
type xmlOAC struct {
	XMLName                   xml.Name      `xml:"OriginAccessControl"`
	Xmlns                     string        `xml:"xmlns,attr,omitempty"`
	ID                        string        `xml:"Id"`
	OriginAccessControlConfig *xmlOACConfig `xml:"OriginAccessControlConfig"`
}

// xmlOACList is OriginAccessControlList, which, unlike the policy and key lists, has Marker and
// IsTruncated.
type xmlOACList struct {
	XMLName     xml.Name `xml:"OriginAccessControlList"`
	Xmlns       string   `xml:"xmlns,attr"`
	Marker      string   `xml:"Marker"`
	NextMarker  string   `xml:"NextMarker,omitempty"`
	MaxItems    int      `xml:"MaxItems"`
	IsTruncated bool     `xml:"IsTruncated"`
	Quantity    int      `xml:"Quantity"`
	Items       *struct {
		Summary []xmlOACSummary `xml:"OriginAccessControlSummary"`
	} `xml:"Items,omitempty"`
}

// xmlOACSummary is OriginAccessControlSummary: every field is required, Description "" included.
type xmlOACSummary struct {
	ID              string `xml:"Id"`
	Description     string `xml:"Description"`
	Name            string `xml:"Name"`
	SigningProtocol string `xml:"SigningProtocol"`
	SigningBehavior string `xml:"SigningBehavior"`
	OriginType      string `xml:"OriginAccessControlOriginType"`
}

// oac is an origin access control created through the API. It never changes once in a view.
type oac struct {
	id   string
	etag string
	conf *xmlOACConfig
}

func (o *oac) ident() string { return o.id }

func (o *oac) doc() xmlOAC {
	c := *o.conf
	return xmlOAC{ID: o.id, OriginAccessControlConfig: &c}
}

// signs reports whether the edge signs requests to the origins that use o: a SigV4 origin
// access control for S3 whose signing behavior is always or no-override.
func (o *oac) signs() bool {
	return o.conf.OriginType == "s3" && o.conf.SigningBehavior != "never"
}

// parseOACConfig reads and checks an OriginAccessControlConfig: a Name of at most 64
// characters, SigningProtocol sigv4, SigningBehavior always, never or no-override, and an
// origin type of s3, mediastore, lambda or mediapackagev2.
func parseOACConfig(body []byte) (*xmlOACConfig, *apiError) {
	x := &xmlOACConfig{}
	if aerr := parseConfigDoc(body, "OriginAccessControlConfig", x); aerr != nil {
		return nil, aerr
	}
	x.XMLName, x.Xmlns = xml.Name{Local: "OriginAccessControlConfig"}, ""
	if aerr := required("", member{"Name", x.Name != ""}, member{"SigningProtocol", x.SigningProtocol != ""},
		member{"SigningBehavior", x.SigningBehavior != ""}, member{"OriginAccessControlOriginType", x.OriginType != ""}); aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("origin access control", x.Name, maxOACName); aerr != nil {
		return nil, aerr
	}
	switch {
	case x.SigningProtocol != "sigv4":
		return nil, invalidArgument("The parameter SigningProtocol %q is not valid: sigv4.", clip(x.SigningProtocol, 40))
	case !oneOf(x.SigningBehavior, "always", "never", "no-override"):
		return nil, invalidArgument("The parameter SigningBehavior %q is not valid: always, never or no-override.", clip(x.SigningBehavior, 40))
	case !oneOf(x.OriginType, "s3", "mediastore", "lambda", "mediapackagev2"):
		return nil, invalidArgument("The parameter OriginAccessControlOriginType %q is not valid: s3, mediastore, lambda or mediapackagev2.",
			clip(x.OriginType, 40))
	}
	return x, nil
}

func (v *view) findOAC(id string) (*oac, *apiError) {
	if o := findID(v.res.oacs, id); o != nil {
		return o, nil
	}
	return nil, errorf(http.StatusNotFound, CodeNoSuchOriginAccessControl, "The origin access control does not exist: %q.", clip(id, 64))
}

// oacNameTaken returns OriginAccessControlAlreadyExists when an origin access control other
// than except is called name.
func (v *view) oacNameTaken(name, except string) *apiError {
	for _, o := range v.res.oacs {
		if o.id != except && o.conf.Name == name {
			return errorf(http.StatusConflict, CodeOriginAccessControlAlreadyExists,
				"An origin access control named %q already exists (%s).", clip(name, 64), o.id)
		}
	}
	return nil
}

// oacUsers returns the ids of the distributions with an origin that uses the origin access
// control id.
func (v *view) oacUsers(id string) []string {
	var out []string
	for _, d := range v.apiDists() {
		for _, o := range d.conf.Origins.Items.Origin {
			if strings.EqualFold(o.OriginAccessControlID, id) {
				out = append(out, d.id)
				break
			}
		}
	}
	return out
}

// newOACID returns an id shaped like CloudFront's ("E" and 13 characters from A–Z and 0–9)
// that no origin access control of v has.
func newOACID(v *view) string {
	for {
		id := "E" + randomChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13)
		if findID(v.res.oacs, id) == nil {
			return id
		}
	}
}

// createOAC is CreateOriginAccessControl: 201 with the origin access control, Location and ETag.
func (s *Server) createOAC(ctx *fasthttp.RequestCtx, _ time.Time) *apiError {
	x, aerr := parseOACConfig(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	if aerr := cur.oacNameTaken(x.Name, ""); aerr != nil {
		return aerr
	}
	if len(cur.res.oacs) >= MaxOACs {
		return errorf(http.StatusBadRequest, CodeTooManyOriginAccessControls,
			"There are already %d origin access controls, the most allowed.", len(cur.res.oacs))
	}
	o := &oac{id: newOACID(cur), etag: randomETag(), conf: x}
	res := cur.res.clone()
	res.oacs = append(res.oacs, o)
	if aerr := s.commitResources(cur, res, false); aerr != nil { // no origin uses it yet
		return aerr
	}
	s.log.Info("origin access control created", "id", o.id, "name", clip(x.Name, 64), "signing", x.SigningBehavior)
	location(ctx, pathOAC+"/"+o.id)
	replyETag(ctx, http.StatusCreated, o.etag, marshalDoc(withNS(o.doc())))
	return nil
}

// getOAC is GetOriginAccessControl.
func (s *Server) getOAC(ctx *fasthttp.RequestCtx, id string) *apiError {
	o, aerr := s.cur.Load().findOAC(id)
	if aerr != nil {
		return aerr
	}
	replyETag(ctx, http.StatusOK, o.etag, marshalDoc(withNS(o.doc())))
	return nil
}

// getOACConfig is GetOriginAccessControlConfig.
func (s *Server) getOACConfig(ctx *fasthttp.RequestCtx, id string) *apiError {
	o, aerr := s.cur.Load().findOAC(id)
	if aerr != nil {
		return aerr
	}
	c := *o.conf
	c.Xmlns = Namespace
	replyETag(ctx, http.StatusOK, o.etag, marshalDoc(c))
	return nil
}

// updateOAC is UpdateOriginAccessControl: PUT …/{Id}/config with If-Match. The origins that use
// it are converted again (an origin may go from signed to unsigned); a change one of them cannot
// take (an origin type that no longer fits its domain) is IllegalUpdate.
func (s *Server) updateOAC(ctx *fasthttp.RequestCtx, id string, _ time.Time) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	old, aerr := cur.findOAC(id)
	if aerr != nil {
		return aerr
	}
	if aerr := ifMatchETag(ctx, old.etag, "origin access control"); aerr != nil {
		return aerr
	}
	x, aerr := parseOACConfig(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	if aerr := cur.oacNameTaken(x.Name, old.id); aerr != nil {
		return aerr
	}
	o := &oac{id: old.id, etag: randomETag(), conf: x}
	res := cur.res.clone()
	res.oacs = replaceID(res.oacs, o)
	if aerr := s.commitResources(cur, res, len(cur.oacUsers(o.id)) > 0); aerr != nil {
		if aerr.code != CodeServiceUnavailable && aerr.code != CodeInvalidArgument {
			aerr = errorf(http.StatusBadRequest, CodeIllegalUpdate, "%s", aerr.message)
		}
		return aerr
	}
	s.log.Info("origin access control updated", "id", o.id, "signing", x.SigningBehavior)
	replyETag(ctx, http.StatusOK, o.etag, marshalDoc(withNS(o.doc())))
	return nil
}

// deleteOAC is DeleteOriginAccessControl: 204 with If-Match, for one no origin uses
// (OriginAccessControlInUse otherwise).
func (s *Server) deleteOAC(ctx *fasthttp.RequestCtx, id string) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	o, aerr := cur.findOAC(id)
	if aerr != nil {
		return aerr
	}
	if aerr := ifMatchETag(ctx, o.etag, "origin access control"); aerr != nil {
		return aerr
	}
	if users := cur.oacUsers(o.id); len(users) > 0 {
		return errorf(http.StatusConflict, CodeOriginAccessControlInUse,
			"Cannot delete the origin access control %s: an origin of distribution %s uses it.", o.id, strings.Join(users, ", "))
	}
	res := cur.res.clone()
	res.oacs = deleteID(res.oacs, o.id)
	if aerr := s.commitResources(cur, res, false); aerr != nil {
		return aerr
	}
	s.log.Info("origin access control deleted", "id", o.id)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// listOACs is ListOriginAccessControls, oldest first.
func (s *Server) listOACs(ctx *fasthttp.RequestCtx) *apiError {
	oacs := s.cur.Load().res.oacs
	ids := make([]string, len(oacs))
	for i, o := range oacs {
		ids[i] = o.id
	}
	start, end, marker, maxItems, aerr := listPage(ctx, ids)
	if aerr != nil {
		return aerr
	}
	x := xmlOACList{Xmlns: Namespace, Marker: marker, MaxItems: maxItems, IsTruncated: end < len(oacs), Quantity: end - start}
	if end > start {
		x.Items = &struct {
			Summary []xmlOACSummary `xml:"OriginAccessControlSummary"`
		}{}
		for _, o := range oacs[start:end] {
			c := o.conf
			x.Items.Summary = append(x.Items.Summary, xmlOACSummary{ID: o.id, Description: c.Description, Name: c.Name,
				SigningProtocol: c.SigningProtocol, SigningBehavior: c.SigningBehavior, OriginType: c.OriginType})
		}
		if x.IsTruncated {
			x.NextMarker = oacs[end-1].id
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}

// originAccess applies an origin's OriginAccessControlId and api.s3_endpoint to co, the origin
// as r.origin converted it. The id must name an origin access control of r.res
// (InvalidOriginAccessControl), not together with an origin access identity
// (IllegalOriginAccessConfiguration); one of type s3 wants the REST endpoint of a bucket as the
// DomainName (InvalidDomainNameForOriginAccessControl), and makes the origin an s3 origin
// whatever its config type. An s3 origin reads its bucket on api.s3_endpoint when that is set
// (else on AWS), with access sigv4 when its origin access control signs (oac.signs) and
// anonymous otherwise. Without r.res (toModel) co is returned as it is.
func (r refs) originAccess(o *xmlOrigin, co config.Origin) (config.Origin, *apiError) {
	if r.res == nil {
		return co, nil
	}
	var ac *oac
	if id := o.OriginAccessControlID; id != "" {
		if ac = findID(r.res.oacs, id); ac == nil {
			return config.Origin{}, errorf(http.StatusBadRequest, CodeInvalidOriginAccessControl,
				"The origin access control is not valid: origin %q names %q, which is not the id of an origin access control "+
					"(CreateOriginAccessControl).", clip(o.ID, 64), clip(id, 64))
		}
		if o.S3OriginConfig != nil && o.S3OriginConfig.OriginAccessIdentity != "" {
			return config.Origin{}, errorf(http.StatusBadRequest, CodeIllegalOriginAccessConfiguration,
				"Origin %q cannot use both an origin access control (%s) and an origin access identity: "+
					"set S3OriginConfig.OriginAccessIdentity to \"\".", clip(o.ID, 64), ac.id)
		}
	}
	if ac != nil && ac.conf.OriginType == "s3" {
		bucket, region, ok := config.S3BucketDomain(o.DomainName)
		if !ok {
			return config.Origin{}, errorf(http.StatusBadRequest, CodeInvalidDomainNameForOriginAccessControl,
				"Origin %q: the origin access control %s is for Amazon S3, but %q is not the REST endpoint of a bucket "+
					"(BUCKET.s3.REGION.amazonaws.com).", clip(o.ID, 64), ac.id, clip(o.DomainName, 253))
		}
		co.Kind, co.DomainName, co.Bucket, co.Region = config.KindS3, "", bucket, region
		co.HTTPPort, co.HTTPSPort, co.OriginProtocolPolicy = 0, 0, ""
	}
	if co.Kind != config.KindS3 {
		return co, nil
	}
	co.Endpoint, co.Access = r.base.API.S3Endpoint, "anonymous"
	if ac != nil && ac.signs() {
		co.Access = "sigv4"
	}
	return co, nil
}
