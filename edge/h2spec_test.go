package edge

import (
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// h2specBinary finds h2spec: EDGE_H2SPEC, scripts/test-deps.sh's install, or PATH.
func h2specBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EDGE_H2SPEC"); p != "" {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, ".cache", "edge", "bin", "h2spec"); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath("h2spec")
	if err != nil {
		t.Fatal("h2spec not found: run scripts/test-deps.sh (make test does), or set EDGE_H2SPEC")
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// junitReport is the part of h2spec's JUnit report the test reads.
type junitReport struct {
	Suites []struct {
		Package string `xml:"package,attr"`
		Cases   []struct {
			Name    string    `xml:"classname,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestH2Spec runs h2spec (every case, strict mode included) against the TLS listener: nothing
// fails.
func TestH2Spec(t *testing.T) {
	bin := h2specBinary(t)
	o := newTestOrigin(t)
	o.static("/a.txt", 200, map[string]string{"Cache-Control": "max-age=600"}, "h2spec")
	e := startEdge(t, mustReplace(t, baseConfig(""), "[distribution.default_behavior]\ntarget_origin_id = \"web\"\n",
		"[distribution.default_behavior]\ntarget_origin_id = \"web\"\nallowed_methods = [\"GET\", \"HEAD\", \"OPTIONS\", \"PUT\", \"POST\", \"PATCH\", \"DELETE\"]\n"), o.port())
	_, addr := tlsEdge(t, e)
	host, port, _ := net.SplitHostPort(addr)
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	cmd := exec.Command(bin, "-h", host, "-p", port, "-t", "-k", "-S", "--timeout", "3", "-P", "/a.txt", "-j", report)
	out, _ := cmd.CombinedOutput() // exits non-zero when anything fails: the report says what
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("h2spec wrote no report: %v\n%s", err, out)
	}
	var rep junitReport
	if err := xml.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	total, skipped := 0, 0
	var failed []string
	for _, s := range rep.Suites {
		for i, c := range s.Cases {
			total++
			id := s.Package + "/" + strconv.Itoa(i+1)
			switch {
			case c.Skipped != nil:
				skipped++
			case c.Failure != nil || c.Error != nil:
				failed = append(failed, id)
				t.Errorf("h2spec %s failed: %s", id, c.Name)
			}
		}
	}
	if total < 140 || skipped > 0 {
		t.Fatalf("h2spec ran %d cases, %d skipped:\n%s", total, skipped, out)
	}
	t.Logf("h2spec strict: %d cases, %d failed %v", total, len(failed), failed)
}
