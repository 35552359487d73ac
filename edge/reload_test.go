package edge

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

func parseConfig(t testing.TB, toml string, originPort int) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(strings.ReplaceAll(toml, "{{ORIGIN_PORT}}", fmt.Sprint(originPort))), t.Name()+".toml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// TestReload: a reload applies to the next request; an invalid configuration is refused and
// the one in service stays; a disabled distribution answers no one; a distribution added by a
// reload answers on its domain name at once.
func TestReload(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/x", 200, map[string]string{"Cache-Control": "max-age=3600"}, "x")
	e := startEdge(t, baseConfig(""), o.port())
	if r, _ := e.get(t, "/x"); r.StatusCode != 200 {
		t.Fatalf("before: %d", r.StatusCode)
	}

	bad := parseConfig(t, baseConfig(""), o.port())
	bad.Distributions[0].DefaultBehavior.TargetOriginID = "nowhere"
	if err := e.srv.Reload(bad); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("Reload of an invalid config: %v", err)
	}
	if r, _ := e.get(t, "/x"); r.StatusCode != 200 || xcache(r) != "Hit from cloudfront" {
		t.Fatalf("after a refused reload: %d %q", r.StatusCode, xcache(r))
	}

	added := baseConfig("") + `
[[distribution]]
id = "EADDED"
domain_name = "dadded00000001.cloudfront.net"
[[distribution.origin]]
id = "web"
kind = "http"
domain_name = "127.0.0.1"
http_port = {{ORIGIN_PORT}}
[distribution.default_behavior]
target_origin_id = "web"
`
	if err := e.srv.Reload(parseConfig(t, added, o.port())); err != nil {
		t.Fatal(err)
	}
	if r, body := e.do(t, "GET", "/x", map[string]string{"Host": "dadded00000001.cloudfront.net"}); r.StatusCode != 200 || body != "x" {
		t.Fatalf("the added distribution: %d %q", r.StatusCode, body)
	}
	if r, _ := e.get(t, "/x"); xcache(r) != "Hit from cloudfront" {
		t.Fatalf("the unchanged distribution after the reload: %q, want a hit", xcache(r))
	}

	off := parseConfig(t, added, o.port())
	f := false
	off.Distributions[1].Enabled = &f
	if err := e.srv.Reload(off); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.do(t, "GET", "/x", map[string]string{"Host": "dadded00000001.cloudfront.net"}); r.StatusCode == 200 {
		t.Fatalf("a disabled distribution answered %d", r.StatusCode)
	}
}

// TestReloadFinishesInFlight: a request that started before a reload finishes on the
// configuration it started with, even when the reload removes its distribution.
func TestReloadFinishesInFlight(t *testing.T) {
	o := newTestOrigin(t)
	release := make(chan struct{})
	started := make(chan struct{})
	o.handle("/slow", func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "slow")
	})
	e := startEdge(t, baseConfig(""), o.port())
	done := make(chan string, 1)
	go func() {
		r, body := e.get(t, "/slow")
		done <- fmt.Sprint(r.StatusCode, " ", body)
	}()
	<-started
	other := parseConfig(t, strings.Replace(baseConfig(""), "dtest0000000001.cloudfront.net", "dother00000001.cloudfront.net", 1), o.port())
	other.Distributions[0].ID = "EOTHER"
	if err := e.srv.Reload(other); err != nil {
		t.Fatal(err)
	}
	close(release)
	if got := <-done; got != "200 slow" {
		t.Fatalf("in-flight request across the reload: %s", got)
	}
	if r, _ := e.get(t, "/slow"); r.StatusCode == 200 {
		t.Fatalf("the removed distribution still answers: %d", r.StatusCode)
	}
}

// reloadBudgetConfig is dists distributions of behaviors behaviors each.
func reloadBudgetConfig(dists, behaviors int) string {
	var b strings.Builder
	b.WriteString("[api]\nauth = \"none\"\n")
	for d := range dists {
		fmt.Fprintf(&b, "[[distribution]]\nid = \"EBUDGET%04d\"\naliases = [\"site%d.example.test\"]\n", d, d)
		b.WriteString("[[distribution.origin]]\nid = \"web\"\nkind = \"http\"\ndomain_name = \"127.0.0.1\"\nhttp_port = 8080\n")
		for i := range behaviors - 1 {
			fmt.Fprintf(&b, "[[distribution.behavior]]\npath_pattern = \"/p%d/*.jpg\"\ntarget_origin_id = \"web\"\ncache_policy = \"CachingOptimized\"\n", i)
		}
		b.WriteString("[distribution.default_behavior]\ntarget_origin_id = \"web\"\n")
	}
	return b.String()
}

// BenchmarkReload: a reload of 100 distributions of 25 behaviors each (the control-plane
// budget: under 100 ms). go test -run '^$' -bench BenchmarkReload -benchmem ./edge/
func BenchmarkReload(b *testing.B) {
	cfg := parseConfig(b, reloadBudgetConfig(100, 25), 0)
	e := startEdge(b, baseConfig(""), 8080)
	b.ReportAllocs()
	var worst time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := e.srv.Reload(cfg); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}
