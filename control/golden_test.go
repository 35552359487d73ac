package control

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// indentXML re-indents an XML document for a readable golden file.
func indentXML(t *testing.T, doc []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	dec := xml.NewDecoder(bytes.NewReader(doc))
	enc := xml.NewEncoder(&out)
	enc.Indent("", "  ")
	for {
		tok, err := dec.RawToken()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) == 0 {
			continue
		}
		if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// TestDistributionConfigGolden pins the DistributionConfig documents built from
// testdata/edge.toml (and so their ETags).
func TestDistributionConfigGolden(t *testing.T) {
	h := newHarness(t, nil, nil)
	for _, id := range []string{distMain, distSmooth} {
		c := h.srv.cur.Load().byID[id].conf
		c.Xmlns = Namespace
		doc := marshalDoc(c)
		if got := configETag(doc); got != h.srv.cur.Load().byID[id].etag {
			t.Errorf("%s: ETag %q is not the hash of the served document (%q)", id, h.srv.cur.Load().byID[id].etag, got)
		}
		checkGolden(t, "distribution-config-"+id+".xml", indentXML(t, doc))
	}
}
