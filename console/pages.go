package console

import (
	"bytes"
	"embed"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/edge"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the compiled templates, by page name: each page is a template file beside
// templates/layout.html.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, p := range []string{"distributions", "distribution", "traffic", "cache", "invalidations", "fleet", "notfound"} {
		m[p] = template.Must(template.New("layout.html").Funcs(templateFuncs()).
			ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	return m
}()

// Limits on what a page lists.
const (
	maxInvalidations = 100 // of one distribution, newest first (CloudFront's console shows 100 too)
	maxPathsShown    = 20  // per invalidation
	// On the page of every distribution's invalidations: how many, and paths of each.
	maxInvalidationsAll = 50
	maxPathsAll         = 5
	maxLargest          = 10
	maxInput            = 8192 // characters of a path typed into a form (CloudFront's URL limit)
	maxGraphs           = 4    // distributions whose graphs /traffic draws
)

// pageData is what every page's template gets.
type pageData struct {
	Page string // the page's name, for the navigation
	Now  time.Time
	// Live is true on pages whose numbers static/console.js updates from /live.json, and Seq
	// the newest point the page was rendered with.
	Live bool
	Seq  uint64
	Body any
}

// page renders a page with status 200.
func (c *Console) page(ctx *fasthttp.RequestCtx, name string, body any) {
	c.render(ctx, fasthttp.StatusOK, name, body)
}

func (c *Console) render(ctx *fasthttp.RequestCtx, status int, name string, body any) {
	_, _, _, seq, _ := c.traffic.cacheFigures()
	d := pageData{Page: name, Now: c.now(), Live: name == "traffic" || name == "distributions" || name == "cache" ||
		name == "distribution", Seq: seq, Body: body}
	var b bytes.Buffer
	if err := pages[name].Execute(&b, d); err != nil {
		c.log.Error("console: rendering a page", "page", name, "err", err)
		c.plain(ctx, fasthttp.StatusInternalServerError, "The page could not be rendered.")
		return
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(b.Bytes())
}

func (c *Console) notFound(ctx *fasthttp.RequestCtx, msg string) {
	c.render(ctx, fasthttp.StatusNotFound, "notfound", msg)
}

// figuresView is one distribution's traffic as a page shows it: the last second's rates
// (NaN where there was nothing to measure) and the totals since start.
type figuresView struct {
	ID       string
	Has      bool // the metrics know the distribution
	Results  []resultView
	RPS      float64 // every result, last second
	Bytes    float64 // body bytes per second, last second
	HitRatio float64 // last second
	// HitRatioAll is the hit ratio since start: (Hit + RefreshHit) / (Hit + RefreshHit + Miss).
	HitRatioAll float64
	P50, P99    float64 // seconds
	Requests    float64 // every result since start
	BytesAll    float64 // body bytes since start
}

// resultView is one result's rate in the last second and its total since start.
type resultView struct {
	Name        string
	Rate, Total float64
}

func (c *Console) figuresOf(id string) figuresView {
	f := c.traffic.figures(id, math.MaxUint64)
	v := figuresView{ID: id, Has: f.has, Bytes: f.now.bytes, HitRatio: f.now.hitRatio, P50: f.now.p50, P99: f.now.p99,
		BytesAll: f.totals.bytes}
	for i, r := range results {
		v.Results = append(v.Results, resultView{Name: r, Rate: f.now.rps[i], Total: f.totals.requests[i]})
		v.Requests += f.totals.requests[i]
		v.RPS += f.now.rps[i]
	}
	v.HitRatioAll = hitRatio(f.totals.requests)
	return v
}

// distRow is a distribution in the list, with its traffic now.
type distRow struct {
	control.DistributionView
	Fig  figuresView
	Href string
}

// matchView is the answer of the "which behavior?" forms.
type matchView struct {
	edge.BehaviorMatch
	Domain string
	Href   string // the distribution's page, with the path
}

type distributionsBody struct {
	Dists      []distRow
	Host, Path string // the form's values, as typed (the path without its signature)
	Asked      bool
	Match      *matchView
}

func (c *Console) distributionsPage(ctx *fasthttp.RequestCtx) distributionsBody {
	var b distributionsBody
	views := c.ctl.DistributionViews()
	for _, d := range views {
		row := distRow{DistributionView: d, Fig: c.figuresOf(d.ID), Href: "/distributions/" + url.PathEscape(d.ID)}
		b.Dists = append(b.Dists, row)
	}
	args := ctx.QueryArgs()
	if !args.Has("host") && !args.Has("path") {
		return b
	}
	b.Asked = true
	b.Host = clip(strings.TrimSpace(string(args.Peek("host"))), 255)
	path := formPath(args.Peek("path"))
	b.Path = redactURL(path)
	if m, ok := c.match.MatchHost(b.Host, path); ok {
		mv := &matchView{BehaviorMatch: m, Href: "/distributions/" + url.PathEscape(m.Distribution) + "?path=" + url.QueryEscape(b.Path)}
		for _, d := range views {
			if d.ID == m.Distribution {
				mv.Domain = d.DomainName
			}
		}
		mv.Path = redactURL(mv.Path)
		b.Match = mv
	}
	return b
}

// formPath is a path typed into a form: trimmed, starting with "/", at most maxInput bytes,
// without control characters.
func formPath(v []byte) string {
	p := strings.TrimSpace(string(v))
	p = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return clip(p, maxInput)
}

type distributionBody struct {
	D     control.DistributionView
	Fig   figuresView
	Path  string // the form's path, as typed (without its signature)
	Asked bool
	Match *edge.BehaviorMatch
	// Served is false when the edge serves no distribution with this id (disabled).
	Served bool
}

func (c *Console) distributionPage(ctx *fasthttp.RequestCtx, id string) {
	var d *control.DistributionView
	for _, v := range c.ctl.DistributionViews() {
		if v.ID == id {
			d = &v
			break
		}
	}
	if d == nil {
		c.notFound(ctx, "There is no distribution "+clip(id, 64)+".")
		return
	}
	b := distributionBody{D: *d, Fig: c.figuresOf(d.ID), Served: true}
	if args := ctx.QueryArgs(); args.Has("path") {
		b.Asked = true
		path := formPath(args.Peek("path"))
		b.Path = redactURL(path)
		m, ok := c.match.MatchBehavior(d.ID, path)
		if ok {
			m.Path = redactURL(m.Path)
			b.Match = &m
		}
		b.Served = ok
	}
	c.page(ctx, "distribution", b)
}

type trafficBody struct {
	Dists []trafficDist
	// Only is the distribution ?dist= asks for, "" for all.
	Only string
	// Rest is true when some distributions have no graphs on the page.
	Rest bool
}

type trafficDist struct {
	control.DistributionView
	Fig figuresView
	// Graphs is true for the distributions whose graphs the page draws: the first maxGraphs,
	// or the one asked for; the others link to their own traffic page. It bounds the page's
	// weight (each graph's 5 minutes of points come with it).
	Graphs bool
}

func (c *Console) trafficPage(ctx *fasthttp.RequestCtx) trafficBody {
	var b trafficBody
	only := string(ctx.QueryArgs().Peek("dist"))
	for _, d := range c.ctl.DistributionViews() {
		if only != "" && d.ID != only {
			continue
		}
		graphs := len(b.Dists) < maxGraphs
		b.Rest = b.Rest || !graphs
		b.Dists = append(b.Dists, trafficDist{DistributionView: d, Fig: c.figuresOf(d.ID), Graphs: graphs})
	}
	if only != "" && len(b.Dists) == 1 {
		b.Only = only
	}
	return b
}

type cacheBody struct {
	Stats       cache.Stats
	UsedPct     float64
	Disk        *cache.DiskStats
	DiskUsedPct float64
	Largest     []cache.Object
	Hot         []cache.Object
	HotSampling int
	Sampled     time.Time
}

func (c *Console) cachePage() cacheBody {
	stats, disk, hot, _, at := c.traffic.cacheFigures()
	if at.IsZero() { // not sampled yet (the console was not started)
		stats, hot = c.cache.Stats(), c.cache.Hot(hotShown)
		if c.cache.HasDisk() {
			d := c.cache.DiskStats()
			disk = &d
		}
	}
	b := cacheBody{Stats: stats, Disk: disk, Largest: c.cache.Largest(maxLargest), Hot: hot,
		HotSampling: cache.HotSampling, Sampled: at}
	if stats.MaxBytes > 0 {
		b.UsedPct = float64(stats.Bytes) / float64(stats.MaxBytes)
	}
	if disk != nil && disk.MaxBytes > 0 {
		b.DiskUsedPct = float64(disk.Bytes) / float64(disk.MaxBytes)
	}
	// Largest and Hot name cached objects by their decoded paths, which hold no query (a '?' or
	// '#' in one was sent encoded, as part of the name): shown whole, not through redactURL,
	// which would cut "/index.html#10GB.bin" to another object's path.
	return b
}

type invalidationsBody struct {
	// Only is the distribution ?dist= asks for, "" for all; Max and MaxPaths are how many
	// invalidations the page lists, and how many paths of each.
	Only          string
	Max, MaxPaths int
	List          []invalidationRow
	Dists         []control.DistributionView // the links to each distribution's list
}

// invalidationRow is an invalidation with its distribution.
type invalidationRow struct {
	Dist string
	control.InvalidationView
}

// invalidationsPage lists the newest invalidations: of one distribution (?dist=), or of every
// distribution together, which bounds the page however many distributions there are.
func (c *Console) invalidationsPage(ctx *fasthttp.RequestCtx) invalidationsBody {
	b := invalidationsBody{Only: string(ctx.QueryArgs().Peek("dist")), Max: maxInvalidationsAll, MaxPaths: maxPathsAll}
	if b.Only != "" {
		b.Max, b.MaxPaths = maxInvalidations, maxPathsShown
	}
	for _, d := range c.ctl.DistributionViews() {
		b.Dists = append(b.Dists, d)
		if b.Only != "" && d.ID != b.Only {
			continue
		}
		list, _ := c.ctl.InvalidationViews(d.ID, b.Max, b.MaxPaths)
		for _, v := range list {
			b.List = append(b.List, invalidationRow{Dist: d.ID, InvalidationView: v})
		}
	}
	slices.SortStableFunc(b.List, func(x, y invalidationRow) int { return y.Created.Compare(x.Created) })
	b.List = b.List[:min(len(b.List), b.Max)]
	for i := range b.List {
		for j := range b.List[i].Paths {
			b.List[i].Paths[j] = redactURL(b.List[i].Paths[j])
		}
	}
	return b
}

type fleetBody struct {
	InFleet bool
	Nodes   []nodeView
}

type nodeView struct {
	Name     string
	Live     bool
	LastSeen time.Time
	Info     []infoItem
}

type infoItem struct{ Name, Value string }

func (c *Console) fleetPage() fleetBody {
	if c.fleet == nil {
		return fleetBody{}
	}
	b := fleetBody{InFleet: true}
	for _, n := range c.fleet.Nodes() {
		nv := nodeView{Name: n.Name, Live: n.Live, LastSeen: n.LastSeen}
		for k, v := range n.Info {
			if secretName(k) {
				v = "(hidden)"
			}
			nv.Info = append(nv.Info, infoItem{Name: k, Value: redactURL(v)})
		}
		slices.SortFunc(nv.Info, func(a, b infoItem) int { return strings.Compare(a.Name, b.Name) })
		b.Nodes = append(b.Nodes, nv)
	}
	return b
}
