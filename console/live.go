package console

import (
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// live answers /live.json: the figures the pages show, for static/console.js to poll every
// second. ?dists= (ids, comma separated) limits the distributions to those named (the page's),
// the graphs' points are only those of the distributions ?graphs= names (the others' "points"
// are empty), and ?since=N (the newest point the client has,
// "seq" of its previous answer) limits them to the newer ones; without it they are the whole
// ring (5 minutes).
//
//	{"seq": 42, "sampled": 1733480000500, "results": ["Hit", ...],
//	 "distributions": [{"id": "E…", "requests": 10, "bytes": 1234,
//	   "totals": {"Hit": 7, "Miss": 3, ...},
//	   "now": {"rps": {"Hit": 1.0, ...}, "bytes": 10, "hitRatio": 0.7, "p50": 0.0004, "p99": 0.002},
//	   "points": {"rps": {"Hit": [...], ...}, "bytes": [...], "hitRatio": [...], "p50": [...], "p99": [...]}}],
//	 "cache": {"bytes": 1, "maxBytes": 2, "evictions": 0, "hits": 7, "misses": 3, "sets": 3, "rejected": 0,
//	   "disk": null or {"bytes": 1, "maxBytes": 2, "objects": 1, "hits": 0, "misses": 0, "evictions": 0}}}
//
// sampled is when the figures were gathered (Unix milliseconds). Rates are per second,
// latencies in seconds, ratios in [0, 1]; null where there was nothing to measure. Points are
// one per second or so, oldest first.
func (c *Console) live(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	since, _ := strconv.ParseUint(string(args.Peek("since")), 10, 64)
	graphs := map[string]bool{}
	for _, id := range strings.Split(string(args.Peek("graphs")), ",") {
		if id != "" && len(graphs) < maxGraphs {
			graphs[id] = true
		}
	}
	stats, disk, _, seq, at := c.traffic.cacheFigures()
	b := make([]byte, 0, 8<<10)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"sampled":`...)
	b = strconv.AppendInt(b, at.UnixMilli(), 10)
	b = append(b, `,"results":[`...)
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, r)
	}
	b = append(b, `],"distributions":[`...)
	var only map[string]bool // ?dists=: the distributions the page shows, nil for all
	if args.Has("dists") {
		only = map[string]bool{}
		for _, id := range strings.Split(string(args.Peek("dists")), ",") {
			only[id] = true
		}
	}
	n := 0
	for _, d := range c.ctl.DistributionViews() {
		if only != nil && !only[d.ID] {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		after := uint64(math.MaxUint64) // no points
		if graphs[d.ID] {
			after = since
		}
		b = appendDist(b, c.traffic.figures(d.ID, after))
	}
	b = append(b, `],"cache":{"bytes":`...)
	b = strconv.AppendInt(b, stats.Bytes, 10)
	b = append(b, `,"maxBytes":`...)
	b = strconv.AppendInt(b, stats.MaxBytes, 10)
	b = append(b, `,"evictions":`...)
	b = strconv.AppendInt(b, stats.Evictions, 10)
	b = append(b, `,"hits":`...)
	b = strconv.AppendInt(b, stats.Hits, 10)
	b = append(b, `,"misses":`...)
	b = strconv.AppendInt(b, stats.Misses, 10)
	b = append(b, `,"sets":`...)
	b = strconv.AppendInt(b, stats.Sets, 10)
	b = append(b, `,"rejected":`...)
	b = strconv.AppendInt(b, stats.Rejected, 10)
	b = append(b, `,"disk":`...)
	if disk == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"bytes":`...)
		b = strconv.AppendInt(b, disk.Bytes, 10)
		b = append(b, `,"maxBytes":`...)
		b = strconv.AppendInt(b, disk.MaxBytes, 10)
		b = append(b, `,"objects":`...)
		b = strconv.AppendInt(b, disk.Objects, 10)
		b = append(b, `,"hits":`...)
		b = strconv.AppendInt(b, disk.Hits, 10)
		b = append(b, `,"misses":`...)
		b = strconv.AppendInt(b, disk.Misses, 10)
		b = append(b, `,"evictions":`...)
		b = strconv.AppendInt(b, disk.Evictions, 10)
		b = append(b, '}')
	}
	b = append(b, "}}"...)
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(b)
}

func appendDist(b []byte, f distFigures) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendQuote(b, f.id)
	var all float64
	for _, v := range f.totals.requests {
		all += v
	}
	b = append(b, `,"requests":`...)
	b = num(b, all)
	b = append(b, `,"bytes":`...)
	b = num(b, f.totals.bytes)
	b = append(b, `,"totals":{`...)
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, r)
		b = append(b, ':')
		b = num(b, f.totals.requests[i])
	}
	b = append(b, `},"now":{"rps":{`...)
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, r)
		b = append(b, ':')
		b = num(b, f.now.rps[i])
	}
	b = append(b, `},"bytes":`...)
	b = num(b, f.now.bytes)
	b = append(b, `,"hitRatio":`...)
	b = num(b, f.now.hitRatio)
	b = append(b, `,"p50":`...)
	b = num(b, f.now.p50)
	b = append(b, `,"p99":`...)
	b = num(b, f.now.p99)
	b = append(b, `},"points":{"rps":{`...)
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, r)
		b = append(b, ':')
		b = series(b, f.points, func(p *point) float64 { return p.rps[i] })
	}
	b = append(b, `},"bytes":`...)
	b = series(b, f.points, func(p *point) float64 { return p.bytes })
	b = append(b, `,"hitRatio":`...)
	b = series(b, f.points, func(p *point) float64 { return p.hitRatio })
	b = append(b, `,"p50":`...)
	b = series(b, f.points, func(p *point) float64 { return p.p50 })
	b = append(b, `,"p99":`...)
	b = series(b, f.points, func(p *point) float64 { return p.p99 })
	return append(b, "}}"...)
}

// series appends one figure of every point as a JSON array.
func series(b []byte, pts []point, v func(*point) float64) []byte {
	b = append(b, '[')
	for i := range pts {
		if i > 0 {
			b = append(b, ',')
		}
		b = num(b, v(&pts[i]))
	}
	return append(b, ']')
}

// num appends v in JSON, with 4 significant digits at most (null for NaN or infinities).
func num(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return append(b, "null"...)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', 4, 64)
}
