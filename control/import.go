package control

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/cfedge/edge/config"
)

// Import turns what `aws cloudfront get-distribution-config` (or get-distribution) prints into
// a [[distribution]] of the configuration file: the JSON is the same DistributionConfig the API
// takes as XML (botocore writes each list as {"Quantity": n, "Items": [...]}), so it is turned
// into that XML and read by the very code CreateDistribution uses, defaults and checks
// included; then it is the model the file and the API share (config.Distribution).
// https://docs.aws.amazon.com/cli/latest/reference/cloudfront/get-distribution-config.html

// ImportResult is one imported distribution and what the import could not carry.
type ImportResult struct {
	Distribution config.Distribution
	// Dropped lists settings of the document that the file does not model (logging, a
	// certificate, geo restrictions, Lambda@Edge …) and that a GetDistributionConfig of the
	// imported distribution therefore shows with their defaults.
	Dropped []string
}

// listMembers names the element of each item of a list, by the list's element: what botocore
// knows from the service model and JSON does not say.
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html
var listMembers = map[string]string{
	"Aliases": "CNAME", "Origins": "Origin", "CustomHeaders": "OriginCustomHeader",
	"OriginSslProtocols": "SslProtocol", "OriginGroups": "OriginGroup", "StatusCodes": "StatusCode",
	"Members": "OriginGroupMember", "AllowedMethods": "Method", "CachedMethods": "Method",
	"CacheBehaviors": "CacheBehavior", "CustomErrorResponses": "CustomErrorResponse",
	"GeoRestriction": "Location", "TrustedSigners": "AwsAccountNumber", "TrustedKeyGroups": "KeyGroup",
	"LambdaFunctionAssociations": "LambdaFunctionAssociation", "FunctionAssociations": "FunctionAssociation",
	"Headers": "Name", "WhitelistedNames": "Name", "QueryStringCacheKeys": "Name",
}

// anyAccountFunction is a function ARN of any account: imported ones name the functions of
// this edge's account (the function itself is a [[function]] of the file).
var anyAccountFunction = regexp.MustCompile(`^arn:aws:cloudfront::[0-9]{12}:function/`)

// Import reads one distribution from doc (JSON). id is the distribution's id in the file: when
// empty, the document's own (get-distribution prints it), else a new one. base is the
// configuration the distribution will live in: the policies and key groups it names must be
// managed ones or be defined there.
func Import(doc []byte, id string, base *config.Config) (*ImportResult, error) {
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("import: not a JSON object: %w", err)
	}
	cfg, docID, domain := top, "", ""
	if d, ok := top["Distribution"].(map[string]any); ok {
		docID, _ = d["Id"].(string)
		domain, _ = d["DomainName"].(string)
		cfg, _ = d["DistributionConfig"].(map[string]any)
	} else if c, ok := top["DistributionConfig"].(map[string]any); ok {
		cfg = c
	}
	if cfg == nil || cfg["Origins"] == nil {
		return nil, fmt.Errorf("import: no DistributionConfig with Origins in the document (expected the output of aws cloudfront get-distribution-config)")
	}
	var body bytes.Buffer
	body.WriteString(`<DistributionConfig xmlns="` + Namespace + `">`)
	if err := writeXML(&body, "", cfg); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	body.WriteString(`</DistributionConfig>`)
	x, _, aerr := parseDistConfig(body.Bytes(), false)
	if aerr != nil {
		return nil, fmt.Errorf("import: %s: %s", aerr.code, aerr.message)
	}
	if id == "" {
		id = docID
	}
	if id == "" {
		id = newDistID(&view{})
	}
	if base == nil {
		base = &config.Config{}
	}
	anyFunction := func(string) (bool, bool, bool) { return true, true, true }
	d, aerr := toModel(base, id, domain, &x, anyFunction)
	if aerr != nil {
		return nil, fmt.Errorf("import: %s: %s", aerr.code, aerr.message)
	}
	return &ImportResult{Distribution: d, Dropped: dropped(&x)}, nil
}

// writeXML writes v, the JSON value of element name (the children only when name is ""), as
// the API's XML.
func writeXML(b *bytes.Buffer, name string, v any) error {
	open := func() {
		if name != "" {
			b.WriteString("<" + name + ">")
		}
	}
	closeTag := func() {
		if name != "" {
			b.WriteString("</" + name + ">")
		}
	}
	switch t := v.(type) {
	case map[string]any:
		open()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the API reads elements in any order
		for _, k := range keys {
			if !validElement(k) {
				return fmt.Errorf("%q is not an element name", k)
			}
			if k == "Items" {
				if items, ok := t[k].([]any); ok {
					if err := writeItems(b, name, items); err != nil {
						return err
					}
					continue
				}
			}
			if err := writeXML(b, k, t[k]); err != nil {
				return err
			}
		}
		closeTag()
	case []any:
		return fmt.Errorf("%s: a list outside Items", name)
	case string:
		if name == "FunctionARN" {
			t = anyAccountFunction.ReplaceAllString(t, fnARNPrefix)
		}
		open()
		if err := xml.EscapeText(b, []byte(t)); err != nil {
			return err
		}
		closeTag()
	case json.Number:
		open()
		b.WriteString(t.String())
		closeTag()
	case bool:
		open()
		fmt.Fprint(b, t)
		closeTag()
	case nil:
		open()
		closeTag()
	default:
		return fmt.Errorf("%s: unexpected %T", name, v)
	}
	return nil
}

// writeItems writes a list's Items, each item in its member element.
func writeItems(b *bytes.Buffer, list string, items []any) error {
	member, ok := listMembers[list]
	if !ok {
		return fmt.Errorf("%s: a list this import does not know", list)
	}
	b.WriteString("<Items>")
	for _, it := range items {
		if err := writeXML(b, member, it); err != nil {
			return err
		}
	}
	b.WriteString("</Items>")
	return nil
}

func validElement(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// dropped names the settings of x that differ from their defaults and that the file does not
// model.
func dropped(x *xmlDistConfig) []string {
	var out []string
	if x.Logging.Enabled {
		out = append(out, "Logging (standard logs to "+x.Logging.Bucket+"): the edge writes its own access log ([logging] access_log)")
	}
	if !x.ViewerCertificate.CloudFrontDefaultCertificate {
		out = append(out, "ViewerCertificate: the edge's TLS listener has its own ([server] tls_cert_file)")
	}
	if x.Restrictions.GeoRestriction.RestrictionType != "none" {
		out = append(out, "Restrictions (geo restriction "+x.Restrictions.GeoRestriction.RestrictionType+")")
	}
	behaviors := []*xmlBehavior{&x.DefaultCacheBehavior}
	if x.CacheBehaviors.Items != nil {
		for i := range x.CacheBehaviors.Items.Behavior {
			behaviors = append(behaviors, &x.CacheBehaviors.Items.Behavior[i])
		}
	}
	for _, b := range behaviors {
		if b.LambdaFunctionAssociations.Quantity > 0 {
			out = append(out, "LambdaFunctionAssociations of "+orStr(b.PathPattern, "the default behavior")+": Lambda@Edge does not run here")
		}
	}
	return out
}

// MarshalDistributionTOML writes d as a [[distribution]] table of the configuration file, with
// the settings at their zero value left out.
func MarshalDistributionTOML(d config.Distribution) ([]byte, error) {
	var b bytes.Buffer
	doc := struct {
		Distributions []config.Distribution `toml:"distribution"`
	}{[]config.Distribution{d}}
	if err := toml.NewEncoder(&b).Encode(doc); err != nil {
		return nil, fmt.Errorf("import: toml: %w", err)
	}
	return []byte(strings.TrimLeft(b.String(), "\n")), nil
}
