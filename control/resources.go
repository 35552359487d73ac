package control

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// The resources a distribution names besides origins and functions: cache, origin request and
// response headers policies (policies.go), public keys and key groups (keygroups.go), and
// origin access controls (oac.go). Each kind has the same life: Create (201, Location, ETag),
// Get and GetConfig (ETag), Update and Delete with If-Match, List with Marker and MaxItems.
// What the API created lives in a resources value held by the view, next to the
// distributions, so that one atomic load sees a distribution and what it names together; a
// change builds the next resources, converts the API's distributions again against it (a
// policy, key group or origin access control they use may have changed), and goes through
// commit like a distribution change: the merged configuration checked and applied, the state
// written, then shown. The managed policies and the configuration file's policies, public
// keys and key groups are listed too, read-only (view.fixed).

// resources is a set of policies, public keys, key groups and origin access controls, each
// list oldest first. It is immutable once in a view: a change makes a new one (clone).
type resources struct {
	policies [numPolicyKinds][]*policy
	keys     []*publicKey
	groups   []*keyGroup
	oacs     []*oac
}

// clone returns a copy of r whose lists may be changed without touching r (the items are
// shared: they are immutable too).
func (r *resources) clone() *resources {
	n := &resources{keys: slices.Clone(r.keys), groups: slices.Clone(r.groups), oacs: slices.Clone(r.oacs)}
	for k := range r.policies {
		n.policies[k] = slices.Clone(r.policies[k])
	}
	return n
}

// empty reports whether r holds nothing.
func (r *resources) empty() bool {
	for _, ps := range r.policies {
		if len(ps) > 0 {
			return false
		}
	}
	return len(r.keys) == 0 && len(r.groups) == 0 && len(r.oacs) == 0
}

// identified is an item of a resources list.
type identified interface{ ident() string }

// findID returns the item of xs whose id is id (compared without regard to case, as policy ids
// are UUIDs that clients may write in either case), or the zero value.
func findID[T identified](xs []T, id string) T {
	for _, x := range xs {
		if strings.EqualFold(x.ident(), id) {
			return x
		}
	}
	var zero T
	return zero
}

// replaceID returns xs with x in place of the item with x's id, or appended when there is none.
func replaceID[T identified](xs []T, x T) []T {
	out := slices.Clone(xs)
	for i, y := range out {
		if y.ident() == x.ident() {
			out[i] = x
			return out
		}
	}
	return append(out, x)
}

// deleteID returns xs without the item whose id is id.
func deleteID[T identified](xs []T, id string) []T {
	return slices.DeleteFunc(slices.Clone(xs), func(x T) bool { return x.ident() == id })
}

// withResources returns a copy of v whose API resources are res, with every distribution
// created through the API converted again against them and the whole checked (finish). A
// distribution that cannot take the change is an error naming it, with the code of what went
// wrong.
func (v *view) withResources(res *resources, fns map[string]*fnEntry) (*view, *apiError) {
	n := &view{base: v.base, res: res, fixed: v.fixed, byID: make(map[string]*dist, len(v.byID))}
	var fresh []*dist
	for _, d := range v.order {
		if d.api != nil {
			conf := d.conf
			model, aerr := (refs{base: v.base, res: res, fns: lookupIn(fns)}).model(d.id, d.domain, &conf)
			if aerr != nil {
				return nil, &apiError{status: aerr.status, code: aerr.code,
					message: fmt.Sprintf("Distribution %s cannot take this change: %s", d.id, aerr.message)}
			}
			api := *d.api
			api.model = model
			d = &dist{id: d.id, domain: d.domain, conf: d.conf, etag: d.etag, recs: d.recs, api: &api}
			fresh = append(fresh, d)
		}
		n.order = append(n.order, d)
		n.byID[d.id] = d
	}
	if aerr := finish(n, fns, fresh...); aerr != nil {
		return nil, aerr
	}
	return n, nil
}

// commitResources puts res into service as the API's resources. When served is set (the change
// may change what the edge serves: a policy, a key group, an origin access control in use), the
// API's distributions are converted again against res and the whole goes through commit;
// otherwise (a public key, an origin access control no origin uses yet) only the state is
// written, and the edge keeps its configuration. The caller holds wmu.
func (s *Server) commitResources(cur *view, res *resources, served bool) *apiError {
	fns := s.fns.snapshot()
	if !served {
		next := cur.with(nil, "")
		next.res, next.merged = res, cur.merged
		if err := s.save(next, fns); err != nil {
			s.log.Error("control API: the state could not be saved; the change is undone", "err", err)
			return saveError(err)
		}
		s.cur.Store(next)
		return nil
	}
	next, aerr := cur.withResources(res, fns)
	if aerr != nil {
		return aerr
	}
	return s.commit(next, fns)
}

// behaviors returns the behaviors of the distributions created through the API, with the id of
// their distribution: what a policy or key group in use is looked up in (the configuration
// file's distributions cannot name what the API created).
func (v *view) behaviors(yield func(distID string, b *config.Behavior) bool) {
	for _, d := range v.apiDists() {
		m := &d.api.model
		if !yield(d.id, &m.DefaultBehavior) {
			return
		}
		for i := range m.Behaviors {
			if !yield(d.id, &m.Behaviors[i]) {
				return
			}
		}
	}
}

// users returns the ids of the API distributions with a behavior for which uses is true, once
// each, in order.
func (v *view) users(uses func(b *config.Behavior) bool) []string {
	var out []string
	for id, b := range v.behaviors {
		if uses(b) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// ifMatchETag checks If-Match against etag, the current ETag of the resource what names:
// missing or not shaped like this API's ETags is InvalidIfMatchVersion (400), another ETag
// PreconditionFailed (412)
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateCachePolicy.html and the
// other Update and Delete pages).
func ifMatchETag(ctx *fasthttp.RequestCtx, etag, what string) *apiError {
	got := strings.TrimSpace(string(ctx.Request.Header.Peek("If-Match")))
	switch {
	case got == etag:
		return nil
	case got == "":
		return errorf(http.StatusBadRequest, CodeInvalidIfMatchVersion,
			"The If-Match version is missing: send the %s's ETag (from its Get or GetConfig operation).", what)
	case !etagRE.MatchString(got):
		return errorf(http.StatusBadRequest, CodeInvalidIfMatchVersion, "The If-Match version %q is not valid.", clip(got, 64))
	}
	return errorf(http.StatusPreconditionFailed, CodePreconditionFailed,
		"The precondition given in one or more of the request header fields evaluated to false: If-Match %q is not the %s's current ETag.",
		clip(got, 64), what)
}

// readOnly is the error for a change to a resource of the configuration file, which the API
// shows but does not change (as for its distributions).
func readOnly(code, op, what, id string) *apiError {
	return errorf(http.StatusBadRequest, code,
		"%s: %s %s is defined in edge's configuration file and is read-only through the API; "+
			"change it in the file and reload the edge (SIGHUP).", op, what, id)
}

// location sets the Location of a created resource: this listener, then path.
func location(ctx *fasthttp.RequestCtx, path string) {
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	ctx.Response.Header.Set("Location", scheme+"://"+string(ctx.Host())+path)
}

// replyETag answers with status, body and the ETag header.
func replyETag(ctx *fasthttp.RequestCtx, status int, etag string, body []byte) {
	ctx.Response.Header.Set("ETag", etag)
	reply(ctx, status, body)
}

// listPage reads Marker and MaxItems and returns the page of ids they select: the items after
// the one whose id is Marker (from the start without one), at most MaxItems (100 when absent,
// as for the other lists), whether more follow, and the marker sent. An unknown Marker is
// InvalidArgument.
func listPage(ctx *fasthttp.RequestCtx, ids []string) (start, end int, marker string, maxItems int, aerr *apiError) {
	args := ctx.QueryArgs()
	maxItems, aerr = parseMaxItems(args.Peek("MaxItems"))
	if aerr != nil {
		return 0, 0, "", 0, aerr
	}
	marker = string(args.Peek("Marker"))
	if marker != "" {
		start = -1
		for i, id := range ids {
			if strings.EqualFold(id, marker) {
				start = i + 1
			}
		}
		if start < 0 {
			return 0, 0, "", 0, invalidArgument("Marker %q is not the id of an item of this list.", clip(marker, 64))
		}
	}
	return start, min(start+maxItems, len(ids)), marker, maxItems, nil
}

// splitPath splits the raw path after a resource kind's prefix into its decoded segments (see
// splitSegments); ok is false when the prefix is followed by something other than "/" (another
// kind whose name starts alike), and aerr is set when a segment is not validly encoded.
func splitPath(rest string) (parts []string, ok bool, aerr *apiError) {
	if rest != "" && rest[0] != '/' {
		return nil, false, nil
	}
	parts, aerr = splitSegments(rest)
	return parts, true, aerr
}

// resourceOps are a resource kind's handlers; a nil one is an operation the kind lacks.
type resourceOps struct {
	create    func(ctx *fasthttp.RequestCtx, now time.Time) *apiError
	list      func(ctx *fasthttp.RequestCtx) *apiError
	get       func(ctx *fasthttp.RequestCtx, id string) *apiError
	getConfig func(ctx *fasthttp.RequestCtx, id string) *apiError
	update    func(ctx *fasthttp.RequestCtx, id string, now time.Time) *apiError
	delete    func(ctx *fasthttp.RequestCtx, id string) *apiError
	// updateOnConfig: Update is PUT …/{Id}/config (public keys, origin access controls) rather
	// than PUT …/{Id} (policies, key groups).
	updateOnConfig bool
}

// routeResource dispatches the operations of one resource kind; parts is the path after the
// kind's prefix.
func routeResource(ctx *fasthttp.RequestCtx, ops resourceOps, parts []string, now time.Time) *apiError {
	get, post, put, del := ctx.IsGet(), ctx.IsPost(), ctx.IsPut(), ctx.IsDelete()
	switch {
	case len(parts) == 0 && post:
		return ops.create(ctx, now)
	case len(parts) == 0 && get:
		return ops.list(ctx)
	case len(parts) == 1 && get:
		return ops.get(ctx, parts[0])
	case len(parts) == 1 && del:
		return ops.delete(ctx, parts[0])
	case len(parts) == 1 && put && !ops.updateOnConfig:
		return ops.update(ctx, parts[0], now)
	case len(parts) == 2 && parts[1] == "config" && get:
		return ops.getConfig(ctx, parts[0])
	case len(parts) == 2 && parts[1] == "config" && put && ops.updateOnConfig:
		return ops.update(ctx, parts[0], now)
	}
	return unsupported(ctx)
}

// resourceRoutes maps each resource kind's path prefix to its handlers.
func (s *Server) resourceRoutes() map[string]resourceOps {
	routes := map[string]resourceOps{
		pathPublicKey: {create: s.createPublicKey, list: s.listPublicKeys, get: s.getPublicKey, getConfig: s.getPublicKeyConfig,
			update: s.updatePublicKey, delete: s.deletePublicKey, updateOnConfig: true},
		pathKeyGroup: {create: s.createKeyGroup, list: s.listKeyGroups, get: s.getKeyGroup, getConfig: s.getKeyGroupConfig,
			update: s.updateKeyGroup, delete: s.deleteKeyGroup},
		pathOAC: {create: s.createOAC, list: s.listOACs, get: s.getOAC, getConfig: s.getOACConfig,
			update: s.updateOAC, delete: s.deleteOAC, updateOnConfig: true},
	}
	for k := range numPolicyKinds {
		routes[apiRoot+policyKinds[k].path] = s.policyOps(k)
	}
	return routes
}

// apiRoot starts every path of API 2020-05-31.
const apiRoot = "/2020-05-31/"

// checkName refuses an empty name or one longer than maxLen characters (InvalidArgument), for
// the Name of a policy, public key, key group or origin access control.
func checkName(what, name string, maxLen int) *apiError {
	switch {
	case strings.TrimSpace(name) == "":
		return invalidArgument("The parameter Name is required: the %s needs a name.", what)
	case utf8.RuneCountInString(name) > maxLen:
		return invalidArgument("The parameter Name is longer than %d characters.", maxLen)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return invalidArgument("The parameter Name must not hold control characters.")
	}
	return nil
}

// checkConflicts refuses API resources (res, from the state) that the configuration file's
// (fixed) also claim: a policy, public key or key group name or id both use, or an API key
// group whose public key is gone. It is run at start and on every reload; where names the
// state.
func checkConflicts(fixed, res *resources, where string) error {
	for k := range numPolicyKinds {
		info := &policyKinds[k]
		for _, p := range res.policies[k] {
			for _, f := range fixed.policies[k] {
				if f.name() == p.name() || strings.EqualFold(f.fileName, p.id) {
					return fmt.Errorf("%w: %s %q is defined in the configuration file and also created through the API (%s, id %s); "+
						"rename or remove one", ErrConfig, info.what, f.fileName, where, p.id)
				}
			}
		}
	}
	for _, k := range res.keys {
		if f := findID(fixed.keys, k.id); f != nil {
			return fmt.Errorf("%w: public key %s is in a key group of the configuration file and also created through the API (%s); "+
				"remove it from one of them", ErrConfig, k.id, where)
		}
	}
	for _, g := range res.groups {
		for _, f := range fixed.groups {
			if strings.EqualFold(f.id, g.id) || f.conf.Name == g.conf.Name {
				return fmt.Errorf("%w: key group %q is defined in the configuration file and also created through the API (%s, id %s); "+
					"rename or remove one", ErrConfig, f.id, where, g.id)
			}
		}
		for _, kid := range g.conf.keyIDs() {
			if findID(res.keys, kid) == nil && findID(fixed.keys, kid) == nil {
				return fmt.Errorf("%w: key group %s (created through the API, %s) holds public key %s, which neither the API nor the "+
					"configuration file has any more", ErrConfig, g.id, where, kid)
			}
		}
	}
	return nil
}
