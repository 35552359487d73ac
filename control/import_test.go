package control

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

var updateImport = flag.Bool("update-import", false, "rewrite control/testdata/import/*.toml")

// TestImport: the JSON aws cloudfront get-distribution-config prints becomes the [[distribution]]
// in testdata/import/cli-example.toml (golden), which the configuration loader accepts as it is.
func TestImport(t *testing.T) {
	doc, err := os.ReadFile("testdata/import/cli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(doc, "EIMPORTED", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Distribution
	if d.CallerReference != "cli-example" || d.PriceClass != "PriceClass_100" || d.HTTPVersion != "http2and3" ||
		len(d.Origins) != 1 || d.Origins[0].Kind != config.KindS3 || d.Origins[0].Bucket != "awsexamplebucket" ||
		d.DefaultBehavior.CachePolicy != "CachingOptimized" || d.DefaultBehavior.FunctionAssociations[0].Function != "spa" {
		t.Fatalf("imported: %+v", d)
	}
	out, err := MarshalDistributionTOML(d)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "import", "cli-example.toml")
	if *updateImport {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(want) {
		t.Errorf("TOML differs from %s (go test ./control -run TestImport -update-import):\n%s", golden, out)
	}
	// The output joins a configuration file as it is.
	file := "[api]\nauth = \"none\"\n[[function]]\nname = \"spa\"\ncode = \"function handler(e) { return e.request }\"\n" + string(out)
	if _, err := config.Parse([]byte(file), "imported.toml"); err != nil {
		t.Fatalf("the imported distribution does not load: %v", err)
	}
}

// TestImportRefused: documents that are not a distribution config, lists the import does not
// know, and configs the API would refuse are errors naming why.
func TestImportRefused(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`[]`, "not a JSON object"},
		{`{"ETag": "X"}`, "no DistributionConfig"},
		{`{"DistributionConfig": {"Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "a.example", "Mystery": {"Quantity": 1, "Items": [1]}}]}}}`, "does not know"},
		{`{"DistributionConfig": {"Origins": {"Quantity": 2, "Items": [{"Id": "o", "DomainName": "a.example"}]}}}`, "InconsistentQuantities"},
		{`{"DistributionConfig": {"Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "a.example", "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
			"DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all", "CachePolicyId": "11111111-2222-3333-4444-555555555555"}, "Comment": "", "Enabled": true, "CallerReference": "c"}}`, "NoSuchCachePolicy"},
		{`{"DistributionConfig": {"Origins": {"Quantity": 1, "Items": [{"Id": "o", "Bad Name": 1}]}}}`, "not an element name"},
	} {
		_, err := Import([]byte(c.doc), "", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.doc, err, c.want)
		}
	}
}

// FuzzImport: hostile JSON never panics, and what imports marshals to TOML that parses.
func FuzzImport(f *testing.F) {
	doc, _ := os.ReadFile("testdata/import/cli-example.json")
	f.Add(doc)
	f.Add([]byte(`{"DistributionConfig": {"Origins": {"Quantity": 0}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := Import(doc, "EFUZZ", nil)
		if err != nil {
			return
		}
		if _, err := MarshalDistributionTOML(res.Distribution); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}
