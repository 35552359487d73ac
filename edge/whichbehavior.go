package edge

import (
	"github.com/valyala/fasthttp"
)

// BehaviorMatch says which cache behavior answers a request, as the viewer pipeline decides it.
type BehaviorMatch struct {
	// Distribution is the id of the distribution that answers.
	Distribution string
	// Index is the behavior's position in the distribution's list of behaviors; -1 for the
	// default behavior.
	Index int
	// PathPattern is the behavior's path pattern; "" for the default behavior.
	PathPattern string
	// TargetOriginID is the origin or origin group the behavior sends requests to.
	TargetOriginID string
	// Path is the path the behavior was chosen by: the request's path percent-decoded, with its
	// dot segments resolved, or the default root object for "/".
	Path string
}

// MatchBehavior reports which behavior of distribution dist answers a request for uri (a path
// with an optional query string, as in a request line), using the matcher and the
// configuration in service: the path is normalised as a viewer's is, the default root object
// applies, and the first behavior whose pattern matches wins. ok is false when no distribution
// with that id is in service (unknown or disabled). It is for people asking (the console), not
// for the request path: it allocates.
func (s *Server) MatchBehavior(dist, uri string) (m BehaviorMatch, ok bool) {
	sn := s.snap.Load()
	for _, d := range sn.dists {
		if d.id == dist {
			return s.matchIn(sn, d, uri), true
		}
	}
	return BehaviorMatch{}, false
}

// MatchHost is MatchBehavior for the distribution a viewer's Host header selects (a domain
// name or alias, exact first, then a wildcard alias; the port is ignored). ok is false when no
// distribution in service answers host.
func (s *Server) MatchHost(host, uri string) (m BehaviorMatch, ok bool) {
	sn := s.snap.Load()
	d := s.findHost([]byte(host), &exchange{snap: sn})
	if d == nil {
		return BehaviorMatch{}, false
	}
	return s.matchIn(sn, d, uri), true
}

// matchIn runs admit's path steps (setPaths, then the table) for a GET of uri on d.
func (s *Server) matchIn(sn *snapshot, d *distribution, uri string) BehaviorMatch {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI(uri)
	x := &exchange{ctx: &ctx, snap: sn, dist: d}
	s.setPaths(x)
	b := d.table.Match(x.path)
	return BehaviorMatch{Distribution: d.id, Index: b.Index, PathPattern: b.PathPattern,
		TargetOriginID: b.TargetOriginID, Path: string(x.path)}
}
