package control

import (
	"encoding/xml"
)

// CloudFront's DistributionConfig as XML
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html),
// one Go type per XML type. The same types carry a request body (parseDistConfig reads it, by
// element name and in any order), the stored document with AWS's defaults filled in (fill) and
// every response (elements in the model's order). Optional scalars whose absence must be told
// from a zero value are pointers; lists are CloudFront's {Quantity, Items} wrappers. Elements
// newer than these types are kept verbatim in Extra (at the top level, in origins, custom
// origin configs and cache behaviors) and echoed after the known ones; unknown elements deeper
// down are dropped.

// xmlDistConfig is DistributionConfig.
type xmlDistConfig struct {
	XMLName                      xml.Name        `xml:"DistributionConfig"`
	Xmlns                        string          `xml:"xmlns,attr,omitempty"`
	CallerReference              string          `xml:"CallerReference"`
	Aliases                      xmlStrItems     `xml:"Aliases"` // <CNAME>
	DefaultRootObject            string          `xml:"DefaultRootObject"`
	Origins                      xmlOrigins      `xml:"Origins"`
	OriginGroups                 xmlOriginGroups `xml:"OriginGroups"`
	DefaultCacheBehavior         xmlBehavior     `xml:"DefaultCacheBehavior"`
	CacheBehaviors               xmlBehaviors    `xml:"CacheBehaviors"`
	CustomErrorResponses         xmlCustomErrors `xml:"CustomErrorResponses"`
	Comment                      string          `xml:"Comment"`
	Logging                      xmlLogging      `xml:"Logging"`
	PriceClass                   string          `xml:"PriceClass"`
	Enabled                      bool            `xml:"Enabled"`
	ViewerCertificate            xmlViewerCert   `xml:"ViewerCertificate"`
	Restrictions                 xmlRestrictions `xml:"Restrictions"`
	WebACLID                     string          `xml:"WebACLId"`
	HTTPVersion                  string          `xml:"HttpVersion"`
	IsIPV6Enabled                bool            `xml:"IsIPV6Enabled"`
	ContinuousDeploymentPolicyID *string         `xml:"ContinuousDeploymentPolicyId"`
	Staging                      bool            `xml:"Staging"`
	Extra                        []xmlAny        `xml:",any"`
}

// xmlAny is an element these types do not know, kept as it came (its name without the
// namespace, which its parent's default namespace supplies again on output).
type xmlAny struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

// xmlStrItems is CloudFront's {Quantity, Items{<name>…}} list of strings; the element name of
// the items is chosen per use (see strItems).
type xmlStrItems struct {
	Quantity int          `xml:"Quantity"`
	Items    *xmlItemList `xml:"Items,omitempty"`
}

// xmlItemList holds the items of a list of strings, whatever their element name.
type xmlItemList struct {
	Items []xmlNamed `xml:",any"`
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

// values returns the items' text, in order.
func (l *xmlStrItems) values() []string {
	if l == nil || l.Items == nil {
		return nil
	}
	out := make([]string, len(l.Items.Items))
	for i, it := range l.Items.Items {
		out[i] = it.Value
	}
	return out
}

// norm rewrites l as strItems(name, its values): Quantity is the count, an empty list has no
// Items, and the items carry name without a namespace.
func (l *xmlStrItems) norm(name string) { *l = strItems(name, l.values()) }

type xmlOrigins struct {
	Quantity int `xml:"Quantity"`
	Items    struct {
		Origin []xmlOrigin `xml:"Origin"`
	} `xml:"Items"`
}

// xmlOrigin is Origin.
type xmlOrigin struct {
	ID                        string           `xml:"Id"`
	DomainName                string           `xml:"DomainName"`
	OriginPath                string           `xml:"OriginPath"`
	CustomHeaders             xmlCustomHeaders `xml:"CustomHeaders"`
	S3OriginConfig            *xmlS3Config     `xml:"S3OriginConfig"`
	CustomOriginConfig        *xmlCustomConfig `xml:"CustomOriginConfig"`
	ConnectionAttempts        int              `xml:"ConnectionAttempts"`
	ConnectionTimeout         int64            `xml:"ConnectionTimeout"`
	ResponseCompletionTimeout *int64           `xml:"ResponseCompletionTimeout"`
	OriginShield              *xmlOriginShield `xml:"OriginShield"`
	OriginAccessControlID     string           `xml:"OriginAccessControlId"`
	Extra                     []xmlAny         `xml:",any"`
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

// xmlS3Config is S3OriginConfig.
type xmlS3Config struct {
	OriginAccessIdentity string `xml:"OriginAccessIdentity"`
	OriginReadTimeout    *int64 `xml:"OriginReadTimeout"`
}

// xmlCustomConfig is CustomOriginConfig.
type xmlCustomConfig struct {
	HTTPPort               int         `xml:"HTTPPort"`
	HTTPSPort              int         `xml:"HTTPSPort"`
	OriginProtocolPolicy   string      `xml:"OriginProtocolPolicy"`
	OriginSslProtocols     xmlStrItems `xml:"OriginSslProtocols"` // <SslProtocol>
	OriginReadTimeout      int64       `xml:"OriginReadTimeout"`
	OriginKeepaliveTimeout int64       `xml:"OriginKeepaliveTimeout"`
	IPAddressType          string      `xml:"IpAddressType,omitempty"`
	Extra                  []xmlAny    `xml:",any"`
}

type xmlOriginShield struct {
	Enabled            bool   `xml:"Enabled"`
	OriginShieldRegion string `xml:"OriginShieldRegion,omitempty"`
}

type xmlOriginGroups struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Group []xmlOriginGroup `xml:"OriginGroup"`
	} `xml:"Items,omitempty"`
}

// xmlOriginGroup is OriginGroup.
type xmlOriginGroup struct {
	ID               string `xml:"Id"`
	FailoverCriteria struct {
		StatusCodes xmlStrItems `xml:"StatusCodes"` // <StatusCode>
	} `xml:"FailoverCriteria"`
	Members struct {
		Quantity int `xml:"Quantity"`
		Items    struct {
			Member []xmlGroupMember `xml:"OriginGroupMember"`
		} `xml:"Items"`
	} `xml:"Members"`
	SelectionCriteria string `xml:"SelectionCriteria,omitempty"`
}

type xmlGroupMember struct {
	OriginID string `xml:"OriginId"`
}

type xmlBehaviors struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Behavior []xmlBehavior `xml:"CacheBehavior"`
	} `xml:"Items,omitempty"`
}

// xmlBehavior is DefaultCacheBehavior and CacheBehavior (which adds PathPattern).
type xmlBehavior struct {
	PathPattern                string              `xml:"PathPattern,omitempty"`
	TargetOriginID             string              `xml:"TargetOriginId"`
	TrustedSigners             xmlTrusted          `xml:"TrustedSigners"`   // <AwsAccountNumber>
	TrustedKeyGroups           xmlTrusted          `xml:"TrustedKeyGroups"` // <KeyGroup>
	ViewerProtocolPolicy       string              `xml:"ViewerProtocolPolicy"`
	AllowedMethods             *xmlAllowedMethods  `xml:"AllowedMethods"`
	SmoothStreaming            bool                `xml:"SmoothStreaming"`
	Compress                   bool                `xml:"Compress"`
	LambdaFunctionAssociations xmlLambdaAssocs     `xml:"LambdaFunctionAssociations"`
	FunctionAssociations       xmlFnAssocs         `xml:"FunctionAssociations"`
	FieldLevelEncryptionID     string              `xml:"FieldLevelEncryptionId"`
	RealtimeLogConfigArn       string              `xml:"RealtimeLogConfigArn,omitempty"`
	CachePolicyID              string              `xml:"CachePolicyId,omitempty"`
	OriginRequestPolicyID      string              `xml:"OriginRequestPolicyId,omitempty"`
	ResponseHeadersPolicyID    string              `xml:"ResponseHeadersPolicyId,omitempty"`
	GrpcConfig                 *xmlEnabled         `xml:"GrpcConfig"`
	ForwardedValues            *xmlForwardedValues `xml:"ForwardedValues"`
	MinTTL                     *int64              `xml:"MinTTL"`
	DefaultTTL                 *int64              `xml:"DefaultTTL"`
	MaxTTL                     *int64              `xml:"MaxTTL"`
	Extra                      []xmlAny            `xml:",any"`
}

// xmlTrusted is TrustedSigners and TrustedKeyGroups.
type xmlTrusted struct {
	Enabled  bool         `xml:"Enabled"`
	Quantity int          `xml:"Quantity"`
	Items    *xmlItemList `xml:"Items,omitempty"`
}

type xmlEnabled struct {
	Enabled bool `xml:"Enabled"`
}

// xmlAllowedMethods is AllowedMethods, with CachedMethods nested in it.
type xmlAllowedMethods struct {
	Quantity      int          `xml:"Quantity"`
	Items         *xmlItemList `xml:"Items"`
	CachedMethods *xmlStrItems `xml:"CachedMethods"` // <Method>
}

type xmlLambdaAssocs struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Assoc []xmlLambdaAssoc `xml:"LambdaFunctionAssociation"`
	} `xml:"Items,omitempty"`
}

type xmlLambdaAssoc struct {
	LambdaFunctionARN string `xml:"LambdaFunctionARN"`
	EventType         string `xml:"EventType"`
	IncludeBody       *bool  `xml:"IncludeBody"`
}

type xmlFnAssocs struct {
	Quantity int `xml:"Quantity"`
	Items    *struct {
		Assoc []xmlFnAssoc `xml:"FunctionAssociation"`
	} `xml:"Items,omitempty"`
}

type xmlFnAssoc struct {
	FunctionARN string `xml:"FunctionARN"`
	EventType   string `xml:"EventType"`
}

// xmlForwardedValues is ForwardedValues, the legacy cache settings.
type xmlForwardedValues struct {
	QueryString bool `xml:"QueryString"`
	Cookies     struct {
		Forward          string       `xml:"Forward"`
		WhitelistedNames *xmlStrItems `xml:"WhitelistedNames"` // <Name>
	} `xml:"Cookies"`
	Headers              xmlStrItems `xml:"Headers"`              // <Name>
	QueryStringCacheKeys xmlStrItems `xml:"QueryStringCacheKeys"` // <Name>
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
	ErrorCachingMinTTL *int64 `xml:"ErrorCachingMinTTL"`
}

type xmlLogging struct {
	Enabled        bool   `xml:"Enabled"`
	IncludeCookies bool   `xml:"IncludeCookies"`
	Bucket         string `xml:"Bucket"`
	Prefix         string `xml:"Prefix"`
}

// xmlViewerCert is ViewerCertificate, with the deprecated Certificate and CertificateSource
// that CloudFront still returns (and clients send back).
type xmlViewerCert struct {
	CloudFrontDefaultCertificate bool   `xml:"CloudFrontDefaultCertificate"`
	IAMCertificateID             string `xml:"IAMCertificateId,omitempty"`
	ACMCertificateArn            string `xml:"ACMCertificateArn,omitempty"`
	SSLSupportMethod             string `xml:"SSLSupportMethod,omitempty"`
	MinimumProtocolVersion       string `xml:"MinimumProtocolVersion,omitempty"`
	Certificate                  string `xml:"Certificate,omitempty"`
	CertificateSource            string `xml:"CertificateSource,omitempty"`
}

type xmlRestrictions struct {
	GeoRestriction struct {
		RestrictionType string       `xml:"RestrictionType"`
		Quantity        int          `xml:"Quantity"`
		Items           *xmlItemList `xml:"Items,omitempty"` // <Location>
	} `xml:"GeoRestriction"`
}

// xmlDistConfigWithTags is the body of CreateDistributionWithTags
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfigWithTags.html).
type xmlDistConfigWithTags struct {
	XMLName            xml.Name      `xml:"DistributionConfigWithTags"`
	DistributionConfig xmlDistConfig `xml:"DistributionConfig"`
	Tags               xmlTags       `xml:"Tags"`
}

// xmlTags is Tags: Items without a Quantity
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Tags.html).
type xmlTags struct {
	XMLName xml.Name `xml:"Tags"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Items   struct {
		Tag []xmlTag `xml:"Tag"`
	} `xml:"Items"`
}

type xmlTag struct {
	Key   string  `xml:"Key"`
	Value *string `xml:"Value"`
}

// xmlTagKeys is TagKeys, the body of UntagResource.
type xmlTagKeys struct {
	XMLName xml.Name `xml:"TagKeys"`
	Items   struct {
		Key []string `xml:"Key"`
	} `xml:"Items"`
}

// values returns the ids in the list, in order.
func (t *xmlTrusted) values() []string {
	l := xmlStrItems{Items: t.Items}
	return l.values()
}
