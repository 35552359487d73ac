package console

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/fleet"
)

// pageBudget is the most a console page's first load may weigh: its HTML, the files it names
// and the first /live.json its script asks for.
const pageBudget = 200 << 10

// largeConsole is a console over a large edge: dists distributions of 25 behaviors (CloudFront's
// default quota) with 5 minutes of busy traffic each, 100 invalidations of 20 long paths per
// distribution, 10 fleet nodes and full largest and hottest lists.
func largeConsole(t testing.TB, dists int) *Console {
	t.Helper()
	ctl := &fakeControl{invs: map[string][]control.InvalidationView{}}
	for i := range dists {
		d := control.DistributionView{ID: fmt.Sprintf("E%013d", i), DomainName: fmt.Sprintf("d%013d.cloudfront.net", i),
			Aliases: []string{fmt.Sprintf("www%d.example.com", i), fmt.Sprintf("cdn%d.example.com", i)}, Enabled: true,
			Status: "Deployed", Comment: "a distribution of the budget test, with a comment of some length"}
		for o := range 3 {
			d.Origins = append(d.Origins, control.OriginView{ID: fmt.Sprintf("origin-%d", o), Kind: "http",
				Target: "origin.example.com:443", ProtocolPolicy: "https-only", CustomHeaders: []string{"X-Origin-Verify"}})
		}
		for b := range 25 {
			idx := b
			if b == 24 {
				idx = -1
			}
			d.Behaviors = append(d.Behaviors, control.BehaviorView{Index: idx, PathPattern: fmt.Sprintf("/section-%d/*.jpg", b),
				TargetOriginID: "origin-1", ViewerProtocolPolicy: "redirect-to-https", AllowedMethods: "GET, HEAD, OPTIONS",
				CachedMethods: "GET, HEAD", CachePolicy: control.PolicyView{Name: "CachingOptimized", Managed: true,
					Summary: "key: headers none, cookies none, query strings none; normalises Accept-Encoding: gzip, br"},
				OriginRequestPolicy:   control.PolicyView{Name: "CORS-S3Origin", Managed: true, Summary: "forwards headers whitelist (origin, access-control-request-headers, access-control-request-method), cookies none, query strings none"},
				ResponseHeadersPolicy: control.PolicyView{Name: "CORS-and-SecurityHeadersPolicy", Managed: true, Summary: "CORS; security headers"},
				MinTTL:                time.Second, DefaultTTL: 24 * time.Hour, MaxTTL: 365 * 24 * time.Hour,
				Functions: []control.FunctionView{{EventType: "viewer-request", Name: "rewrite-index"}}, Compress: true})
		}
		ctl.dists = append(ctl.dists, d)
		for v := range 100 {
			inv := control.InvalidationView{ID: fmt.Sprintf("I%013d", v), CallerReference: fmt.Sprintf("deploy-%d-%d", i, v),
				Status: "Completed", Created: time.Unix(1.7e9, 0), PathCount: 20}
			for p := range 20 {
				inv.Paths = append(inv.Paths, fmt.Sprintf("/assets/build-%d/chunks/vendor.%08x.js", v, p))
			}
			ctl.invs[d.ID] = append(ctl.invs[d.ID], inv)
		}
	}
	cch := &fakeCache{stats: cache.Stats{Bytes: 400 << 20, MaxBytes: 512 << 20}, disk: &cache.DiskStats{}}
	for i := range 10 {
		o := cache.Object{Dist: ctl.dists[0].ID, Path: fmt.Sprintf("/videos/presentation-%d/video_%d.ismv", i, i), Size: 60 << 20,
			Memory: true, Disk: true, Rate: 1234.5, Hits: 123456789}
		cch.largest, cch.hot = append(cch.largest, o), append(cch.hot, o)
	}
	var nodes []fleet.NodeStatus
	for i := range 10 {
		nodes = append(nodes, fleet.NodeStatus{Name: fmt.Sprintf("edge-%02d", i), Live: true, LastSeen: time.Now(),
			Info: map[string]string{"viewer": "10.0.0.1:8080", "api": "10.0.0.1:8081", "pop": "FRA56-C1"}})
	}
	reg := prometheus.NewRegistry()
	m := newEdgeMetrics(reg)
	c, err := New(Config{API: config.API{Auth: "sigv4"}, Control: ctl, Matcher: fakeMatcher{}, Cache: cch, Metrics: reg,
		Fleet: fakeFleet{nodes: nodes}})
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	t0 := time.Unix(1.7e9, 0)
	for s := range ringSize + 1 {
		for _, d := range ctl.dists {
			for _, r := range results {
				m.requests.WithLabelValues(d.ID, r, "HTTP/1.1").Add(float64(rnd.IntN(5000)))
			}
			m.bytes.WithLabelValues(d.ID).Add(float64(rnd.IntN(1 << 30)))
			for range 20 {
				m.duration.WithLabelValues(d.ID).Observe(rnd.Float64() / 10)
			}
		}
		c.traffic.sample(t0.Add(time.Duration(s) * time.Second))
	}
	return c
}

// firstLoad is what a browser fetches for a console page on an empty cache: the page, the
// files it names, and the first /live.json when the page runs the script (asking for the
// points of the graphs it has, as static/console.js does).
func firstLoad(t *testing.T, c *Console, uri string) (total int, parts map[string]int) {
	t.Helper()
	parts = map[string]int{}
	resp := do(c, loopbackAddr, "GET", uri, nil)
	if resp.StatusCode() != 200 {
		t.Fatalf("GET %s: %d", uri, resp.StatusCode())
	}
	page := string(resp.Body())
	parts[uri] = len(page)
	for _, m := range regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		if _, seen := parts[m[1]]; !seen {
			parts[m[1]] = len(do(c, loopbackAddr, "GET", m[1], nil).Body())
		}
	}
	if strings.Contains(page, `src="/static/console.js"`) {
		var ids []string
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`data-graph="([^|"]+)\|`).FindAllStringSubmatch(page, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				ids = append(ids, m[1])
			}
		}
		var dists []string
		for _, m := range regexp.MustCompile(`data-live="([^|"]+)\|`).FindAllStringSubmatch(page, -1) {
			if !seen["live "+m[1]] && m[1] != "cache" && m[1] != "disk" {
				seen["live "+m[1]] = true
				dists = append(dists, m[1])
			}
		}
		live := "/live.json?since=0&dists=" + strings.Join(dists, ",") + "&graphs=" + strings.Join(ids, ",")
		parts["/live.json"] = len(do(c, loopbackAddr, "GET", live, nil).Body())
	}
	for _, n := range parts {
		total += n
	}
	return total, parts
}

// TestPageBudget: every page's first load is at most 200 KB, on the default configuration's
// scale and on a large edge.
func TestPageBudget(t *testing.T) {
	for _, dists := range []int{1, 40, 100} {
		c := largeConsole(t, dists)
		id := c.ctl.DistributionViews()[0].ID
		for _, uri := range []string{"/", "/distributions/" + id + "?path=/section-3/a.jpg", "/traffic", "/traffic?dist=" + id,
			"/cache", "/invalidations", "/invalidations?dist=" + id, "/fleet"} {
			total, parts := firstLoad(t, c, uri)
			t.Logf("%d distributions, %s: %.1f KB %v", dists, uri, float64(total)/1024, parts)
			if total > pageBudget {
				t.Errorf("%d distributions, %s: the first load is %d bytes, over %d", dists, uri, total, pageBudget)
			}
			if _, ok := parts["/static/console.css"]; !ok {
				t.Errorf("%s names no stylesheet", uri)
			}
		}
	}
}
