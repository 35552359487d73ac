package control

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

func TestScanDoc(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		code string // "" when the document passes
		msg  string
	}{
		{"empty list without Items", `<A><L><Quantity>0</Quantity></L></A>`, "", ""},
		{"self-closed Items", `<A><L><Quantity>0</Quantity><Items/></L></A>`, "", ""},
		{"Items before Quantity", `<A><L><Items><X/><X/></Items><Quantity> 2 </Quantity></L></A>`, "", ""},
		{"nested lists", `<A><M><Quantity>1</Quantity><Items><X/></Items><C><Quantity>2</Quantity><Items><Y/><Y/></Items></C></M></A>`, "", ""},
		{"too few items", `<A><L><Quantity>2</Quantity><Items><X/></Items></L></A>`, CodeInconsistentQuantities, "A.L.Quantity (2)"},
		{"items without Quantity count", `<A><L><Quantity>0</Quantity><Items><X/></Items></L></A>`, CodeInconsistentQuantities, "(1)"},
		{"deep mismatch", `<A><B><C><L><Quantity>1</Quantity></L></C></B></A>`, CodeInconsistentQuantities, "A.B.C.L"},
		{"Quantity not a number", `<A><L><Quantity>two</Quantity></L></A>`, CodeMalformedInput, "not an integer"},
		{"not XML", `{"json": true}`, CodeMalformedInput, "text outside"},
		{"unclosed", `<A><B></A>`, CodeMalformedInput, "well-formed"},
		{"two roots", `<A/><B/>`, CodeMalformedInput, "more than one root"},
		{"trailing text", `<A/>junk`, CodeMalformedInput, "text outside"},
		{"member twice", `<A><B><C/><C/></B></A>`, CodeMalformedInput, "A.B.C is given more than once"},
		{"member twice, in another namespace", `<A xmlns:x="urn:x"><B/><x:B/></A>`, CodeMalformedInput, "A.B is given more than once"},
		{"list items repeat", `<A><L><Quantity>2</Quantity><Items><X/><X/></Items></L></A>`, "", ""},
		{"same name under other parents", `<A><B><C/></B><D><C/></D></A>`, "", ""},
		{"nested maxDepth deep", strings.Repeat("<a>", maxDepth) + strings.Repeat("</a>", maxDepth), "", ""},
		{"nested deeper than maxDepth", strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1), CodeMalformedInput, "more than 64 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, aerr := scanDoc([]byte(tt.doc))
			switch {
			case tt.code == "" && aerr != nil:
				t.Errorf("scanDoc = %v, want nil", aerr)
			case tt.code != "" && (aerr == nil || aerr.code != tt.code || !strings.Contains(aerr.message, tt.msg)):
				t.Errorf("scanDoc = %v, want %s with %q", aerr, tt.code, tt.msg)
			}
		})
	}
}

func TestViewerCertificateFill(t *testing.T) {
	def := xmlViewerCert{CloudFrontDefaultCertificate: true, MinimumProtocolVersion: "TLSv1", CertificateSource: "cloudfront"}
	arn := "arn:aws:acm:us-east-1:123456789012:certificate/abc"
	tests := []struct {
		name string
		in   xmlViewerCert
		want xmlViewerCert
	}{
		{"absent", xmlViewerCert{}, def},
		{"default forces TLSv1", xmlViewerCert{CloudFrontDefaultCertificate: true, MinimumProtocolVersion: "TLSv1.2_2021", SSLSupportMethod: "sni-only"}, def},
		{"acm", xmlViewerCert{ACMCertificateArn: arn, SSLSupportMethod: "sni-only", MinimumProtocolVersion: "TLSv1.2_2021"},
			xmlViewerCert{ACMCertificateArn: arn, SSLSupportMethod: "sni-only", MinimumProtocolVersion: "TLSv1.2_2021", Certificate: arn, CertificateSource: "acm"}},
		{"acm by the deprecated pair", xmlViewerCert{Certificate: arn, CertificateSource: "acm", SSLSupportMethod: "vip"},
			xmlViewerCert{ACMCertificateArn: arn, SSLSupportMethod: "vip", MinimumProtocolVersion: "TLSv1", Certificate: arn, CertificateSource: "acm"}},
		{"iam", xmlViewerCert{IAMCertificateID: "ASCAEXAMPLE", SSLSupportMethod: "sni-only"},
			xmlViewerCert{IAMCertificateID: "ASCAEXAMPLE", SSLSupportMethod: "sni-only", MinimumProtocolVersion: "TLSv1", Certificate: "ASCAEXAMPLE", CertificateSource: "iam"}},
	}
	for _, tt := range tests {
		got := tt.in
		got.fill()
		if got != tt.want {
			t.Errorf("%s: fill = %+v, want %+v", tt.name, got, tt.want)
		}
		again := got
		if again.fill(); again != got {
			t.Errorf("%s: fill is not idempotent: %+v then %+v", tt.name, got, again)
		}
	}
}

// TestFillIsFixedPoint: the filled documents of the golden files parse and fill to themselves,
// so a config sent back as it was read is stored unchanged.
func TestFillIsFixedPoint(t *testing.T) {
	for _, name := range []string{"dist-full-config.xml", "dist-minimal-config.xml", "distribution-config-EDFDVBD6EXAMPLE.xml"} {
		doc, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		x, _, aerr := parseDistConfig(doc, false)
		if aerr != nil {
			t.Fatalf("%s: %v", name, aerr)
		}
		x.Xmlns = Namespace
		if got := indentXML(t, marshalDoc(x)); !bytes.Equal(got, doc) {
			t.Errorf("%s does not parse and fill to itself:\n%s", name, got)
		}
	}
}

func TestCheckQuotas(t *testing.T) {
	cnames := func(n int) xmlStrItems {
		var vs []string
		for i := range n {
			vs = append(vs, fmt.Sprintf("a%d.example.com", i))
		}
		return strItems("CNAME", vs)
	}
	behaviors := func(n int) *struct {
		Behavior []xmlBehavior `xml:"CacheBehavior"`
	} {
		return &struct {
			Behavior []xmlBehavior `xml:"CacheBehavior"`
		}{Behavior: make([]xmlBehavior, n)}
	}
	tests := []struct {
		name string
		mut  func(x *xmlDistConfig)
		code string // "" when within the quotas
	}{
		{"at every quota", func(x *xmlDistConfig) {
			x.Aliases = cnames(config.MaxAliases)
			x.Origins.Items.Origin = make([]xmlOrigin, config.MaxOrigins)
			x.OriginGroups.Items = &struct {
				Group []xmlOriginGroup `xml:"OriginGroup"`
			}{Group: make([]xmlOriginGroup, config.MaxOriginGroups)}
			x.CacheBehaviors.Items = behaviors(config.MaxBehaviors)
		}, ""},
		{"CNAMEs", func(x *xmlDistConfig) { x.Aliases = cnames(config.MaxAliases + 1) }, CodeTooManyDistributionCNAMEs},
		{"origins", func(x *xmlDistConfig) { x.Origins.Items.Origin = make([]xmlOrigin, config.MaxOrigins+1) }, CodeTooManyOrigins},
		{"origin groups", func(x *xmlDistConfig) {
			x.OriginGroups.Items = &struct {
				Group []xmlOriginGroup `xml:"OriginGroup"`
			}{Group: make([]xmlOriginGroup, config.MaxOriginGroups+1)}
		}, CodeTooManyOriginGroupsPerDistribution},
		{"cache behaviors", func(x *xmlDistConfig) {
			x.CacheBehaviors.Items = behaviors(config.MaxBehaviors + 1)
		}, CodeTooManyCacheBehaviors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var x xmlDistConfig
			tt.mut(&x)
			aerr := x.checkQuotas()
			switch {
			case tt.code == "" && aerr != nil:
				t.Errorf("checkQuotas = %v, want nil", aerr)
			case tt.code != "" && (aerr == nil || aerr.code != tt.code || aerr.status != http.StatusBadRequest):
				t.Errorf("checkQuotas = %v, want 400 %s", aerr, tt.code)
			}
		})
	}
}

// FuzzParseDistConfig feeds the distribution config parser one body: never a panic, an error
// is an API error with a 4xx status, and what the API would echo for a config that parses
// parses again to the same document (fill is a fixed point).
func FuzzParseDistConfig(f *testing.F) {
	doc, err := os.ReadFile("testdata/dist-minimal-config.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	f.Add([]byte(`<DistributionConfig><Origins><Quantity>1</Quantity></Origins><Origins/></DistributionConfig>`))
	f.Add([]byte(`<DistributionConfig><Comment>x</Comment><CallerReference>r</CallerReference></DistributionConfig>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 64<<10 {
			return
		}
		x, _, aerr := parseDistConfig(body, false)
		if aerr != nil {
			if aerr.status < 400 || aerr.status > 499 {
				t.Fatalf("status %d (%s)", aerr.status, aerr.code)
			}
			return
		}
		x.Xmlns = Namespace
		echo := marshalDoc(x)
		y, _, aerr := parseDistConfig(echo, false)
		if aerr != nil {
			t.Fatalf("the echo of a parsed config does not parse: %v\n%s", aerr, echo)
		}
		y.Xmlns = Namespace
		if again := marshalDoc(y); !bytes.Equal(again, echo) {
			t.Fatalf("the echo changes when parsed again:\n%s\n%s", echo, again)
		}
	})
}
