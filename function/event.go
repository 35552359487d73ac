package function

// The event object, version 1.0
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
type Event struct {
	Version  string // "1.0" (the default when empty)
	Context  Context
	Viewer   Viewer
	Request  Request
	Response *Response // viewer-response only
}

// Event types (Context.EventType).
const (
	ViewerRequest  = "viewer-request"
	ViewerResponse = "viewer-response"
)

// Context is event.context.
type Context struct {
	DistributionDomainName, DistributionID, EventType, RequestID string
}

// Viewer is event.viewer.
type Viewer struct{ IP string }

// Request is event.request, and the request a viewer-request function goes on with.
type Request struct {
	Method, URI string
	// QueryString: name → value(s), names as sent (query names are case-sensitive), values
	// as received (not percent-decoded).
	QueryString Fields
	// RawQueryString is set, on output only, when the function assigned a string to
	// request.querystring (AWS's own examples do); it is then forwarded verbatim and
	// QueryString is nil.
	RawQueryString string
	// Headers: lower-case names, without Cookie. The disallowed headers of
	// cloudfront-function-restrictions.html are hidden from the function and passed through.
	Headers Fields
	Cookies Fields
	// Changed is set on output only: the parts the function changed. A part it left alone is
	// the input's, shared with it.
	Changed Parts
}

// Parts names parts of a request.
type Parts uint8

// Parts of a request.
const (
	PartURI Parts = 1 << iota
	PartQuery
	PartHeaders
	PartCookies
)

// Response is event.response, a response a viewer-request function generated, or the
// response a viewer-response function returned.
type Response struct {
	StatusCode        int
	StatusDescription string
	Headers           Fields // lower-case names, without Set-Cookie
	Cookies           Fields // response cookies carry attributes
	Body              *Body  // set when a function sets one
}

// Body is a body a function sets: {data, encoding "text"|"base64"}. An empty Data removes the
// body.
type Body struct{ Data, Encoding string }

// Fields is an ordered list, so that output is deterministic. Names are unique.
type Fields []Field

// Field is one header, cookie or query parameter with one or several values (multiValue).
type Field struct {
	Name   string
	Values []FieldValue
}

// FieldValue is one value; Attributes is for response cookies (the text after the first ';'
// of Set-Cookie).
type FieldValue struct{ Value, Attributes string }

// Get returns the first value of name, and whether it is there.
func (fs Fields) Get(name string) (string, bool) {
	for i := range fs {
		if fs[i].Name == name {
			if len(fs[i].Values) == 0 {
				return "", true
			}
			return fs[i].Values[0].Value, true
		}
	}
	return "", false
}

func (fs Fields) index(name string) int {
	for i := range fs {
		if fs[i].Name == name {
			return i
		}
	}
	return -1
}

// Result is what a function produced.
type Result struct {
	Request  *Request      // the request to go on with (viewer-request); nil when a response was returned
	Response *Response     // a generated response (viewer-request) or the response to send (viewer-response)
	Origin   *OriginChange // what the origin helpers recorded (viewer-request only), nil if none
	Logs     []string      // console.log lines, cut at MaxLogBytes
	// ComputeUtilization is the share of the compute budget used, 1–100.
	ComputeUtilization int
}

// OriginChange is what cf.updateRequestOrigin, cf.selectRequestOriginById or
// cf.createRequestOriginGroup recorded; when a function calls several, the last call wins.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html
type OriginChange struct {
	Kind string // OriginUpdate, OriginSelect or OriginGroup

	// OriginUpdate: fields left zero are inherited from the behavior's origin.
	DomainName string
	OriginPath string
	// CustomHeaders replaces the origin's custom headers when HasCustomHeaders ({} clears them).
	CustomHeaders      Fields
	HasCustomHeaders   bool
	ConnectionAttempts int // 1–3
	Timeouts           OriginTimeouts
	OriginShield       *OriginShield
	OriginAccess       *OriginAccessControl
	CustomOrigin       *CustomOriginConfig

	// OriginUpdate and OriginSelect.
	HostHeader              string
	SNI                     string
	AllowedCertificateNames []string

	// OriginSelect: the id of an origin of the distribution.
	SelectID string

	// OriginGroup: primary and secondary origin ids, the failover status codes, and
	// selectionCriteria ("default" or "media-quality-score").
	Group             [2]string
	FailoverCodes     []int
	SelectionCriteria string
}

// Kinds of OriginChange.
const (
	OriginUpdate = "update"
	OriginSelect = "select"
	OriginGroup  = "group"
)

// OriginTimeouts are in seconds; 0 inherits.
type OriginTimeouts struct {
	ReadTimeout, ResponseCompletionTimeout, KeepAliveTimeout, ConnectionTimeout int
}

// OriginShield is updateRequestOrigin's originShield.
type OriginShield struct {
	Enabled bool
	Region  string
}

// OriginAccessControl is updateRequestOrigin's originAccessControlConfig.
type OriginAccessControl struct {
	Enabled                                      bool
	SigningBehavior, SigningProtocol, OriginType string
}

// CustomOriginConfig is updateRequestOrigin's customOriginConfig.
type CustomOriginConfig struct {
	Port          int
	Protocol      string // "http" or "https"
	SSLProtocols  []string
	IPAddressType string
}
