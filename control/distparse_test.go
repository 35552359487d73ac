package control

import (
	"bytes"
	"os"
	"strings"
	"testing"
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
