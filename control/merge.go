package control

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cfedge/edge/config"
)

// Applier puts a whole configuration into service: the edge's distributions, policies,
// key groups and functions. It refuses one it can't serve and keeps the old one.
type Applier interface {
	Apply(c *config.Config) error
}

// Distribution statuses (Distribution.Status,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Distribution.html).
const (
	StatusDeployed       = "Deployed"
	statusDistInProgress = "InProgress"
)

// view is one immutable state of the distributions the API shows: readers load it with one
// atomic load and never wait; writers (under Server.wmu) build the next one and store it once
// the edge runs it and the state file holds it.
type view struct {
	base   *config.Config   // the configuration file, as loaded (or reloaded)
	merged *config.Config   // base + what the API created (mergeConfig): what the edge serves
	byID   map[string]*dist // every distribution
	order  []*dist          // the file's, in file order, then the API's, oldest first
	res    *resources       // the policies, public keys, key groups and origin access controls the API created
	fixed  *resources       // the managed policies, and the policies, public keys and key groups of base
}

// refs resolves the references of a DistributionConfig in v, with the functions fns.
func (v *view) refs(fns map[string]*fnEntry) refs {
	return refs{base: v.base, res: v.res, fns: lookupIn(fns)}
}

// dist is one distribution as the API sees it. It never changes once in a view (a change
// makes a new dist), except recs, which Server.mu guards.
type dist struct {
	id     string
	domain string
	rules  *rules
	conf   xmlDistConfig // filled, as GetDistributionConfig returns it
	etag   string
	recs   *records
	api    *apiDist // nil for a distribution of the configuration file
}

// apiDist is what a distribution created through the API has besides its config.
type apiDist struct {
	model    config.Distribution // conf as the edge serves it (toModel)
	created  time.Time
	modified time.Time // LastModifiedTime
	deployed time.Time // Status reads Deployed from then on
	tags     []xmlTag
}

// status is the distribution's Status at now.
func (d *dist) status(now time.Time) string {
	if d.api != nil && now.Before(d.api.deployed) {
		return statusDistInProgress
	}
	return StatusDeployed
}

// with returns a copy of v with d added (or put in place of the distribution with its id),
// without d's id when d is nil and del is set.
func (v *view) with(d *dist, del string) *view {
	n := &view{base: v.base, res: v.res, fixed: v.fixed, byID: make(map[string]*dist, len(v.byID)+1)}
	replaced := false
	for _, x := range v.order {
		switch {
		case x.id == del:
			continue
		case d != nil && x.id == d.id:
			x, replaced = d, true
		}
		n.order = append(n.order, x)
		n.byID[x.id] = x
	}
	if d != nil && !replaced {
		n.order = append(n.order, d)
		n.byID[d.id] = d
	}
	return n
}

// apiDists returns the distributions created through the API, oldest first.
func (v *view) apiDists() []*dist {
	var out []*dist
	for _, d := range v.order {
		if d.api != nil {
			out = append(out, d)
		}
	}
	return out
}

// mergeConfig returns base with the API's distributions appended; appended to base's
// functions, the functions created through the API that they use, as their LIVE stage; and
// appended to base's policies and key groups, every policy and key group of res (policies under
// their ids, apiPolicyName; key groups with their keys' PEM, keyGroup.model). The result shares
// base's values; nothing in it is modified afterwards.
func mergeConfig(base *config.Config, res *resources, dists []*dist, fns map[string]*fnEntry) *config.Config {
	m := *base
	m.Distributions = slices.Clip(slices.Clone(base.Distributions))
	m.Functions = slices.Clip(slices.Clone(base.Functions))
	m.CachePolicies = slices.Clip(slices.Clone(base.CachePolicies))
	for _, p := range res.policies[kindCache] {
		m.CachePolicies = append(m.CachePolicies, p.cache.model(apiPolicyName(p.id)))
	}
	m.OriginRequestPolicies = slices.Clip(slices.Clone(base.OriginRequestPolicies))
	for _, p := range res.policies[kindOriginRequest] {
		m.OriginRequestPolicies = append(m.OriginRequestPolicies, p.orp.model(apiPolicyName(p.id)))
	}
	m.ResponseHeadersPolicies = slices.Clip(slices.Clone(base.ResponseHeadersPolicies))
	for _, p := range res.policies[kindResponseHeaders] {
		m.ResponseHeadersPolicies = append(m.ResponseHeadersPolicies, p.rhp.model(apiPolicyName(p.id)))
	}
	m.KeyGroups = slices.Clip(slices.Clone(base.KeyGroups))
	for _, g := range res.groups {
		m.KeyGroups = append(m.KeyGroups, g.model(base, res))
	}
	used := map[string]bool{}
	for _, d := range dists {
		if d.api == nil {
			continue
		}
		m.Distributions = append(m.Distributions, d.api.model)
		for _, b := range append([]config.Behavior{d.api.model.DefaultBehavior}, d.api.model.Behaviors...) {
			for _, a := range b.FunctionAssociations {
				if e := fns[a.Function]; e != nil && !e.fromConfig && e.live != nil {
					used[a.Function] = true
				}
			}
		}
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		live := fns[n].live
		f := config.Function{Name: n, Runtime: live.runtime, Comment: live.comment, InlineCode: string(live.code),
			Code: live.code}
		if live.kvs != "" {
			f.KeyValueStores = config.NameList{live.kvs}
		}
		m.Functions = append(m.Functions, f)
	}
	return &m
}

// lookupIn is the fnLookup of a set of functions.
func lookupIn(fns map[string]*fnEntry) fnLookup {
	return func(name string) (exists, fromConfig, live bool) {
		e := fns[name]
		if e == nil {
			return false, false, false
		}
		return true, e.fromConfig, e.live != nil
	}
}

// finish completes next: its merged configuration (with fns), checked as a whole by config
// validation, and the behavior tables of the API distributions in fresh (their rules need the
// merged configuration). Problems are InvalidArgument naming the distribution or the policy or
// key group.
func finish(next *view, fns map[string]*fnEntry, fresh ...*dist) *apiError {
	next.merged = mergeConfig(next.base, next.res, next.order, fns)
	if len(next.merged.Distributions) == len(next.base.Distributions) && next.res.empty() {
		return nil // the configuration file alone, validated when it was loaded
	}
	if err := next.merged.Validate(); err != nil {
		return invalidArgument("The configuration cannot be served: %s", describeConfigErrors(next, err))
	}
	for _, d := range fresh {
		r, err := newRules(next.merged, &d.api.model)
		if err != nil {
			return invalidArgument("The configuration cannot be served: %v.", err)
		}
		d.rules = r
	}
	return nil
}

// describeConfigErrors renders config validation errors of a merged configuration, with the
// TOML paths of API distributions ("distribution[3].behavior[0].path_pattern") written with
// their ids ("distribution EXXXX: behavior[0].path_pattern"): behavior[i] is CacheBehaviors
// item i, default_behavior the DefaultCacheBehavior, origin[i] Origins item i. The paths of the
// API's policies and key groups are written the same way ("cache policy <id>: headers.names[0]").
func describeConfigErrors(v *view, err error) string {
	var es config.Errors
	if !errors.As(err, &es) {
		return err.Error()
	}
	// The tables the API appended to, with what the API calls their items and their ids.
	appended := map[string]struct {
		what string
		from int
		id   func(i int) string
	}{
		"distribution": {"distribution", len(v.base.Distributions), func(i int) string { return v.merged.Distributions[i].ID }},
		"cache_policy": {"cache policy", len(v.base.CachePolicies), func(i int) string { return v.merged.CachePolicies[i].Name }},
		"origin_request_policy": {"origin request policy", len(v.base.OriginRequestPolicies),
			func(i int) string { return v.merged.OriginRequestPolicies[i].Name }},
		"response_headers_policy": {"response headers policy", len(v.base.ResponseHeadersPolicies),
			func(i int) string { return v.merged.ResponseHeadersPolicies[i].Name }},
		"key_group": {"key group", len(v.base.KeyGroups), func(i int) string { return v.merged.KeyGroups[i].ID }},
	}
	var msgs []string
	for _, e := range es {
		path := e.Path
		if m := tablePathRE.FindStringSubmatch(path); m != nil {
			i, _ := strconv.Atoi(m[2])
			if t, ok := appended[m[1]]; ok && i >= t.from {
				path = t.what + " " + t.id(i) + strings.Replace(m[3], ".", ": ", 1)
			}
		}
		msgs = append(msgs, config.FieldError{Path: path, Msg: e.Msg}.Error())
	}
	return listSome(msgs, 10) + "."
}

// tablePathRE splits a TOML path into its table, index and the rest ("distribution", "3",
// ".behavior[0].path_pattern").
var tablePathRE = regexp.MustCompile(`^([a-z_]+)\[([0-9]+)\](.*)$`)

// claims returns the hosts (domain names and aliases, lower case) of the distributions in ds,
// each with the id of its distribution.
func claims(ds []config.Distribution) map[string]string {
	out := map[string]string{}
	for _, d := range ds {
		domain := d.DomainName
		if domain == "" {
			domain = config.DomainNameFor(d.ID)
		}
		out[strings.ToLower(domain)] = d.ID
		for _, a := range d.Aliases {
			out[strings.ToLower(a)] = d.ID
		}
	}
	return out
}

// cnameTaken returns CNAMEAlreadyExists when an alias of d is a domain name or alias of
// another distribution of v (of the file or the API).
func cnameTaken(v *view, d *config.Distribution) *apiError {
	var others []config.Distribution
	others = append(others, v.base.Distributions...)
	for _, x := range v.apiDists() {
		if x.id != d.ID {
			others = append(others, x.api.model)
		}
	}
	taken := claims(others)
	for _, a := range d.Aliases {
		if owner, ok := taken[strings.ToLower(a)]; ok {
			return errorf(http.StatusConflict, CodeCNAMEAlreadyExists,
				"One or more of the CNAMEs you provided are already associated with a different resource: %q belongs to distribution %s.", a, owner)
		}
	}
	return nil
}

// commit puts next into service: the Applier runs next.merged, then the state file takes next
// and fns, then next becomes what the API shows. When the Applier refuses, nothing changes
// (InvalidArgument with its reason); when the state cannot be written, the edge goes back to
// the current configuration and the request fails (ServiceUnavailable). The caller holds wmu.
func (s *Server) commit(next *view, fns map[string]*fnEntry) *apiError {
	cur := s.cur.Load()
	if s.applier != nil {
		if err := s.applier.Apply(next.merged); err != nil {
			return invalidArgument("The edge refused the configuration: %v", err)
		}
	}
	if err := s.save(next, fns); err != nil {
		s.log.Error("control API: the state could not be saved; the change is undone", "err", err)
		if s.applier != nil {
			if rerr := s.applier.Apply(cur.merged); rerr != nil {
				s.log.Error("control API: the edge could not go back to the previous configuration", "err", rerr)
			}
		}
		return saveError(err)
	}
	s.cur.Store(next)
	s.exemptSmooth(next)
	return nil
}

// Config returns the configuration the edge serves: the configuration file's with the
// distributions created through the API (and the API functions they use) appended. It must
// not be modified.
func (s *Server) Config() *config.Config { return s.cur.Load().merged }

// Reload makes toml the configuration file's content (after SIGHUP): it is merged with what
// the API created, checked (an id, alias or function name that both claim is an error, as is a
// merged configuration that does not validate, for example when an API distribution uses a
// policy the file no longer has), handed to the Applier, and then becomes the base of every
// later change. On error nothing changes. The distributions of the file keep their
// invalidations when their id stays. [api] settings (keys, delays, state_dir) are read at
// start only.
func (s *Server) Reload(toml *config.Config) error {
	if toml == nil {
		return fmt.Errorf("%w: Reload: config is nil", ErrConfig)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	fs := s.fns
	fs.mu.Lock()
	apiFns := map[string]*fnEntry{}
	for n, e := range fs.byName {
		if !e.fromConfig {
			apiFns[n] = e
		}
	}
	fs.mu.Unlock()
	nf, err := newFunctions(toml, s.start)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for n, e := range apiFns {
		if nf.byName[n] != nil {
			return fmt.Errorf("%w: function %q is defined in the configuration file and was also created through the API; "+
				"rename or remove one", ErrConfig, n)
		}
		for _, v := range []*fnVersion{e.dev, e.live} {
			if v != nil && v.kvs != "" && nf.kvs[v.kvs] == nil {
				return fmt.Errorf("%w: function %q (created through the API) uses key value store %q, which the configuration file no longer has",
					ErrConfig, n, v.kvs)
			}
		}
		nf.byName[n] = e
	}
	next, err := s.buildView(toml, cur, cur.apiDists(), cur.res, nf.byName)
	if err != nil {
		return err
	}
	if s.applier != nil {
		if err := s.applier.Apply(next.merged); err != nil {
			return fmt.Errorf("control: the edge refused the reloaded configuration: %w", err)
		}
	}
	fs.mu.Lock()
	fs.byName, fs.kvs, fs.kvsARN = nf.byName, nf.kvs, nf.kvsARN
	fs.mu.Unlock()
	s.cur.Store(next)
	s.exemptSmooth(next)
	s.log.Info("control API: configuration reloaded", "distributions", len(next.order), "from_api", len(next.order)-len(toml.Distributions))
	return nil
}

// buildView makes the view of base (the configuration file), the API distributions in apis and
// the API's policies, public keys, key groups and origin access controls in res: the file's
// distributions rendered (keeping the invalidation records prev has under their ids), the
// managed policies and the file's policies, public keys and key groups made ready to show
// (fixed), the API's distributions converted again against base and res, conflicts between the
// file and the API refused with an error naming both, and the whole checked. It is used at start
// and by Reload.
func (s *Server) buildView(base *config.Config, prev *view, apis []*dist, res *resources, fns map[string]*fnEntry) (*view, error) {
	fixed := &resources{}
	for k := range numPolicyKinds {
		fixed.policies[k] = fixedPolicies(k, base, s.start)
	}
	fixed.keys, fixed.groups = fixedKeys(base, s.start)
	if err := checkConflicts(fixed, res, s.stateWhere()); err != nil {
		return nil, err
	}
	v := &view{base: base, byID: map[string]*dist{}, res: res, fixed: fixed}
	for i := range base.Distributions {
		cd := &base.Distributions[i]
		if cd.ID == "" {
			return nil, fmt.Errorf("%w: distribution[%d]: id is empty", ErrConfig, i)
		}
		if _, dup := v.byID[cd.ID]; dup {
			return nil, fmt.Errorf("%w: distribution[%d]: duplicate id %q", ErrConfig, i, cd.ID)
		}
		d := &dist{id: cd.ID, domain: cd.DomainName, conf: buildDistConfig(base, cd), recs: newRecords()}
		if d.domain == "" {
			d.domain = config.DomainNameFor(cd.ID)
		}
		if prev != nil && prev.byID[cd.ID] != nil && prev.byID[cd.ID].api == nil {
			d.recs = prev.byID[cd.ID].recs
		}
		c := d.conf
		c.Xmlns = Namespace
		d.etag = configETag(marshalDoc(c))
		v.byID[d.id] = d
		v.order = append(v.order, d)
	}
	fileHosts := claims(base.Distributions)
	var fresh []*dist
	for _, old := range apis {
		if _, dup := v.byID[old.id]; dup {
			return nil, fmt.Errorf("%w: distribution %s is defined in the configuration file and also in the API's state (%s); "+
				"remove it from one of them", ErrConfig, old.id, s.stateWhere())
		}
		conf := old.conf
		model, aerr := v.refs(fns).model(old.id, old.domain, &conf)
		if aerr != nil {
			return nil, fmt.Errorf("%w: distribution %s (created through the API): %s", ErrConfig, old.id, aerr.message)
		}
		for _, h := range append([]string{old.domain}, model.Aliases...) {
			if owner, ok := fileHosts[strings.ToLower(h)]; ok {
				return nil, fmt.Errorf("%w: %q is a name of distribution %s of the configuration file and of distribution %s created "+
					"through the API (%s); remove it from one of them", ErrConfig, h, owner, old.id, s.stateWhere())
			}
		}
		api := *old.api
		api.model = model
		d := &dist{id: old.id, domain: old.domain, conf: old.conf, etag: old.etag, recs: old.recs, api: &api}
		v.byID[d.id] = d
		v.order = append(v.order, d)
		fresh = append(fresh, d)
	}
	if aerr := finish(v, fns, fresh...); aerr != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfig, aerr.message)
	}
	for i := range base.Distributions {
		r, err := newRules(v.merged, &base.Distributions[i])
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		v.order[i].rules = r
	}
	return v, nil
}

// stateWhere names where the API's state lives, for messages.
func (s *Server) stateWhere() string {
	if s.state == nil {
		return "in memory"
	}
	return s.state.path()
}
