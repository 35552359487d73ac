package control

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// Cache, origin request and response headers policies as API resources
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateCachePolicy.html,
// API_GetCachePolicy.html, API_GetCachePolicyConfig.html, API_UpdateCachePolicy.html,
// API_DeleteCachePolicy.html, API_ListCachePolicies.html, and the same six pages for
// OriginRequestPolicy and ResponseHeadersPolicy). The three kinds share one set of handlers,
// parameterised by policyKinds. Three sources show in the API:
//
//   - CloudFront's managed policies, with their AWS ids and API names ("Managed-…",
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html,
//     using-managed-origin-request-policies.html, using-managed-response-headers-policies.html):
//     Type managed, immutable (IllegalUpdate, IllegalDelete);
//   - the configuration file's [[cache_policy]], [[origin_request_policy]] and
//     [[response_headers_policy]]: Type custom, their ids derived from their names
//     (policyids.go), read-only (IllegalUpdate, IllegalDelete: change the file and reload);
//   - the policies created through the API: Type custom, random UUIDs, changed and deleted
//     with If-Match, kept in api.state_dir. The configuration the edge serves holds each under
//     its id (policyids.go), so a distribution created through the API may name it by
//     CachePolicyId (…) at once, and a change re-applies the configuration.
//
// A Name is unique among the policies of a kind ({Kind}AlreadyExists); deleting a policy that a
// behavior of a distribution names is {Kind}InUse. Ids compare without regard to case.

// policyKind is one of the three policy kinds.
type policyKind int

const (
	kindCache policyKind = iota
	kindOriginRequest
	kindResponseHeaders
	numPolicyKinds
)

// Policy error codes (the Errors sections of the pages above; statuses from the same pages).
const (
	CodeCachePolicyAlreadyExists           = "CachePolicyAlreadyExists"           // 409
	CodeCachePolicyInUse                   = "CachePolicyInUse"                   // 409
	CodeTooManyCachePolicies               = "TooManyCachePolicies"               // 400
	CodeOriginRequestPolicyAlreadyExists   = "OriginRequestPolicyAlreadyExists"   // 409
	CodeOriginRequestPolicyInUse           = "OriginRequestPolicyInUse"           // 409
	CodeTooManyOriginRequestPolicies       = "TooManyOriginRequestPolicies"       // 400
	CodeResponseHeadersPolicyAlreadyExists = "ResponseHeadersPolicyAlreadyExists" // 409
	CodeResponseHeadersPolicyInUse         = "ResponseHeadersPolicyInUse"         // 409
	CodeTooManyResponseHeadersPolicies     = "TooManyResponseHeadersPolicies"     // 400
	CodeIllegalDelete                      = "IllegalDelete"                      // 400
)

// MaxPolicies is CloudFront's quota of custom policies of each kind per account ("General
// quotas on policies",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies),
// the configuration file's included; a Create beyond it is TooMany{Kind}Policies.
const MaxPolicies = 20

// policyKindInfo describes a policy kind: its path, its XML element names and its error codes.
type policyKindInfo struct {
	path    string // path segment: "cache-policy"
	typ     string // element name of the policy: "CachePolicy" ({typ}Config, {typ}List, {typ}Summary)
	what    string // in messages: "cache policy"
	exists  string // {Kind}AlreadyExists
	inUse   string // {Kind}InUse
	noSuch  string // NoSuch{Kind}
	tooMany string // TooMany{Kind}Policies
	parse   func(body []byte) (*policy, *apiError)
	usedBy  func(b *config.Behavior) string // the policy name a behavior gives for this kind
}

var policyKinds = [numPolicyKinds]policyKindInfo{
	kindCache: {path: "cache-policy", typ: "CachePolicy", what: "cache policy",
		exists: CodeCachePolicyAlreadyExists, inUse: CodeCachePolicyInUse, noSuch: CodeNoSuchCachePolicy,
		tooMany: CodeTooManyCachePolicies,
		parse: func(body []byte) (*policy, *apiError) {
			x, aerr := parseCachePolicyConfig(body)
			if aerr != nil {
				return nil, aerr
			}
			return &policy{kind: kindCache, cache: x}, nil
		},
		usedBy: func(b *config.Behavior) string { return b.CachePolicy }},
	kindOriginRequest: {path: "origin-request-policy", typ: "OriginRequestPolicy", what: "origin request policy",
		exists: CodeOriginRequestPolicyAlreadyExists, inUse: CodeOriginRequestPolicyInUse,
		noSuch: CodeNoSuchOriginRequestPolicy, tooMany: CodeTooManyOriginRequestPolicies,
		parse: func(body []byte) (*policy, *apiError) {
			x, aerr := parseORPConfig(body)
			if aerr != nil {
				return nil, aerr
			}
			return &policy{kind: kindOriginRequest, orp: x}, nil
		},
		usedBy: func(b *config.Behavior) string { return b.OriginRequestPolicy }},
	kindResponseHeaders: {path: "response-headers-policy", typ: "ResponseHeadersPolicy", what: "response headers policy",
		exists: CodeResponseHeadersPolicyAlreadyExists, inUse: CodeResponseHeadersPolicyInUse,
		noSuch: CodeNoSuchResponseHeadersPolicy, tooMany: CodeTooManyResponseHeadersPolicies,
		parse: func(body []byte) (*policy, *apiError) {
			x, aerr := parseRHPConfig(body)
			if aerr != nil {
				return nil, aerr
			}
			return &policy{kind: kindResponseHeaders, rhp: x}, nil
		},
		usedBy: func(b *config.Behavior) string { return b.ResponseHeadersPolicy }},
}

// policy is one policy as the API shows it; exactly one of cache, orp and rhp is set, filled.
// It never changes once in a view.
type policy struct {
	kind    policyKind
	managed bool
	// fileName is the name the configuration knows a managed policy (its console name) or a
	// policy of the configuration file by; "" for a policy created through the API, which the
	// merged configuration holds under its id.
	fileName string
	id       string
	etag     string
	modified time.Time
	cache    *xmlCachePolicyConfig
	orp      *xmlORPConfig
	rhp      *xmlRHPConfig
}

func (p *policy) ident() string { return p.id }

// fromAPI reports whether p was created through the API.
func (p *policy) fromAPI() bool { return !p.managed && p.fileName == "" }

// name is p's API Name.
func (p *policy) name() string {
	switch p.kind {
	case kindCache:
		return p.cache.Name
	case kindOriginRequest:
		return p.orp.Name
	}
	return p.rhp.Name
}

// configDoc returns p's config for marshalling: a copy, carrying the namespace when it is the
// response's root.
func (p *policy) configDoc(root bool) any {
	ns := ""
	if root {
		ns = Namespace
	}
	switch p.kind {
	case kindCache:
		c := *p.cache
		c.Xmlns = ns
		return &c
	case kindOriginRequest:
		c := *p.orp
		c.Xmlns = ns
		return &c
	}
	c := *p.rhp
	c.Xmlns = ns
	return &c
}

// typ is the policy's Type in lists: managed or custom.
func (p *policy) typ() string {
	if p.managed {
		return "managed"
	}
	return "custom"
}

// xmlPolicyDoc is CachePolicy, OriginRequestPolicy and ResponseHeadersPolicy: the element name
// is set per kind, Config is the kind's config.
type xmlPolicyDoc struct {
	XMLName          xml.Name
	Xmlns            string `xml:"xmlns,attr,omitempty"`
	ID               string `xml:"Id"`
	LastModifiedTime string `xml:"LastModifiedTime"`
	Config           any
}

// xmlPolicyList is CachePolicyList (OriginRequestPolicyList, ResponseHeadersPolicyList): no
// Marker and no IsTruncated, unlike the other lists.
type xmlPolicyList struct {
	XMLName    xml.Name
	Xmlns      string `xml:"xmlns,attr"`
	NextMarker string `xml:"NextMarker,omitempty"`
	MaxItems   int    `xml:"MaxItems"`
	Quantity   int    `xml:"Quantity"`
	Items      *struct {
		Summary []xmlPolicySummary
	} `xml:"Items,omitempty"`
}

// xmlPolicySummary is CachePolicySummary (…): the Type and the policy.
type xmlPolicySummary struct {
	XMLName xml.Name
	Type    string       `xml:"Type"`
	Policy  xmlPolicyDoc // named by its XMLName: CachePolicy, …
}

// doc renders p as its kind's policy element (the response's root when root is set).
func (p *policy) doc(root bool) xmlPolicyDoc {
	x := xmlPolicyDoc{XMLName: xml.Name{Local: policyKinds[p.kind].typ}, ID: p.id,
		LastModifiedTime: p.modified.UTC().Format(timeLayout), Config: p.configDoc(false)}
	if root {
		x.Xmlns = Namespace
	}
	return x
}

// docETag is the ETag of a policy or key group the API does not change (managed or of the
// configuration file): a digest of its config, stable across restarts.
func docETag(v any) string { return configETag(marshalDoc(v)) }

// fixedPolicies returns the managed policies of kind k and those of the configuration file
// base, in that order, as the API shows them; start is their LastModifiedTime.
func fixedPolicies(k policyKind, base *config.Config, start time.Time) []*policy {
	var out []*policy
	add := func(p *policy) {
		p.kind, p.modified = k, start
		p.etag = docETag(p.configDoc(false))
		out = append(out, p)
	}
	switch k {
	case kindCache:
		for _, m := range config.ManagedCachePolicies() {
			add(&policy{managed: true, fileName: m.ShortName, id: m.ID, cache: cachePolicyXML(m.Policy, m.Policy.Name)})
		}
		for _, p := range base.CachePolicies {
			add(&policy{fileName: p.Name, id: nameUUID(kindCachePolicy + p.Name), cache: cachePolicyXML(p, p.Name)})
		}
	case kindOriginRequest:
		for _, m := range config.ManagedOriginRequestPolicies() {
			add(&policy{managed: true, fileName: m.ShortName, id: m.ID, orp: orpXML(m.Policy, m.Policy.Name)})
		}
		for _, p := range base.OriginRequestPolicies {
			add(&policy{fileName: p.Name, id: nameUUID(kindOriginRequestPolicy + p.Name), orp: orpXML(p, p.Name)})
		}
	case kindResponseHeaders:
		for _, m := range config.ManagedResponseHeadersPolicies() {
			add(&policy{managed: true, fileName: m.ShortName, id: m.ID, rhp: rhpXML(m.Policy, m.Policy.Name)})
		}
		for _, p := range base.ResponseHeadersPolicies {
			add(&policy{fileName: p.Name, id: nameUUID(kindResponseHeadersPolicy + p.Name), rhp: rhpXML(p, p.Name)})
		}
	}
	return out
}

// allPolicies returns every policy of kind k that v shows: managed, the file's, the API's.
func (v *view) allPolicies(k policyKind) []*policy {
	out := make([]*policy, 0, len(v.fixed.policies[k])+len(v.res.policies[k]))
	return append(append(out, v.fixed.policies[k]...), v.res.policies[k]...)
}

// findPolicy returns the policy of kind k with id, NoSuch{Kind} when there is none.
func (v *view) findPolicy(k policyKind, id string) (*policy, *apiError) {
	if p := findID(v.allPolicies(k), id); p != nil {
		return p, nil
	}
	return nil, errorf(http.StatusNotFound, policyKinds[k].noSuch, "The %s does not exist: %q.", policyKinds[k].what, clip(id, 64))
}

// policyOps returns the handlers of kind k.
func (s *Server) policyOps(k policyKind) resourceOps {
	return resourceOps{
		create:    func(ctx *fasthttp.RequestCtx, now time.Time) *apiError { return s.createPolicy(ctx, k, now) },
		list:      func(ctx *fasthttp.RequestCtx) *apiError { return s.listPolicies(ctx, k) },
		get:       func(ctx *fasthttp.RequestCtx, id string) *apiError { return s.getPolicy(ctx, k, id, false) },
		getConfig: func(ctx *fasthttp.RequestCtx, id string) *apiError { return s.getPolicy(ctx, k, id, true) },
		update: func(ctx *fasthttp.RequestCtx, id string, now time.Time) *apiError {
			return s.updatePolicy(ctx, k, id, now)
		},
		delete: func(ctx *fasthttp.RequestCtx, id string) *apiError { return s.deletePolicy(ctx, k, id) },
	}
}

// nameTaken returns {Kind}AlreadyExists when a policy of kind k other than except is called
// name.
func (v *view) nameTaken(k policyKind, name, except string) *apiError {
	for _, p := range v.allPolicies(k) {
		if p.id != except && p.name() == name {
			return errorf(http.StatusConflict, policyKinds[k].exists,
				"A %s with this name already exists: %q is policy %s. Choose another name, or change that policy with Update.",
				policyKinds[k].what, clip(name, 128), p.id)
		}
	}
	return nil
}

// newPolicyID returns a random UUID (version 4) that no policy of v has.
func newPolicyID(v *view) string {
	for {
		id := newRequestID()
		taken := false
		for k := range numPolicyKinds {
			if findID(v.allPolicies(k), id) != nil {
				taken = true
			}
		}
		if !taken {
			return id
		}
	}
}

// createPolicy is Create{Kind}: 201 with the policy, Location and ETag.
func (s *Server) createPolicy(ctx *fasthttp.RequestCtx, k policyKind, now time.Time) *apiError {
	info := &policyKinds[k]
	p, aerr := info.parse(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	if aerr := cur.nameTaken(k, p.name(), ""); aerr != nil {
		return aerr
	}
	custom := 0
	for _, q := range cur.allPolicies(k) {
		if !q.managed {
			custom++
		}
	}
	if custom >= MaxPolicies {
		return errorf(http.StatusBadRequest, info.tooMany,
			"There are already %d custom %s objects (those of edge's configuration file included), the most allowed.", custom, info.what)
	}
	p.id, p.etag, p.modified = newPolicyID(cur), randomETag(), now
	res := cur.res.clone()
	res.policies[k] = append(res.policies[k], p)
	if aerr := s.commitResources(cur, res, true); aerr != nil {
		return aerr
	}
	s.log.Info(info.what+" created", "id", p.id, "name", clip(p.name(), 128))
	location(ctx, apiRoot+info.path+"/"+p.id)
	replyETag(ctx, http.StatusCreated, p.etag, marshalDoc(p.doc(true)))
	return nil
}

// getPolicy is Get{Kind} (the policy) and, with onlyConfig, Get{Kind}Config (its config).
func (s *Server) getPolicy(ctx *fasthttp.RequestCtx, k policyKind, id string, onlyConfig bool) *apiError {
	p, aerr := s.cur.Load().findPolicy(k, id)
	if aerr != nil {
		return aerr
	}
	if onlyConfig {
		replyETag(ctx, http.StatusOK, p.etag, marshalDoc(p.configDoc(true)))
	} else {
		replyETag(ctx, http.StatusOK, p.etag, marshalDoc(p.doc(true)))
	}
	return nil
}

// updatePolicy is Update{Kind}: PUT …/{Id} with If-Match; the whole config is replaced (what is
// left out takes its default again); 200 with the policy and its new ETag. The distributions
// that use it are served with the new policy at once (their cached objects are fetched anew:
// the behavior changed).
func (s *Server) updatePolicy(ctx *fasthttp.RequestCtx, k policyKind, id string, now time.Time) *apiError {
	info := &policyKinds[k]
	op := "Update" + info.typ
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	old, aerr := cur.findPolicy(k, id)
	if aerr != nil {
		return aerr
	}
	switch {
	case old.managed:
		return errorf(http.StatusBadRequest, CodeIllegalUpdate, "%s: %s is a managed %s; managed policies cannot be changed.", op, old.id, info.what)
	case !old.fromAPI():
		return readOnly(CodeIllegalUpdate, op, info.what, old.id)
	}
	if aerr := ifMatchETag(ctx, old.etag, info.what); aerr != nil {
		return aerr
	}
	p, aerr := info.parse(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	if aerr := cur.nameTaken(k, p.name(), old.id); aerr != nil {
		return aerr
	}
	p.id, p.etag, p.modified = old.id, randomETag(), now
	res := cur.res.clone()
	res.policies[k] = replaceID(res.policies[k], p)
	if aerr := s.commitResources(cur, res, true); aerr != nil {
		return aerr
	}
	s.log.Info(info.what+" updated", "id", p.id, "name", clip(p.name(), 128))
	replyETag(ctx, http.StatusOK, p.etag, marshalDoc(p.doc(true)))
	return nil
}

// deletePolicy is Delete{Kind}: 204, with If-Match, for a policy no behavior names
// ({Kind}InUse otherwise); managed policies and those of the configuration file are
// IllegalDelete.
func (s *Server) deletePolicy(ctx *fasthttp.RequestCtx, k policyKind, id string) *apiError {
	info := &policyKinds[k]
	op := "Delete" + info.typ
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	p, aerr := cur.findPolicy(k, id)
	if aerr != nil {
		return aerr
	}
	switch {
	case p.managed:
		return errorf(http.StatusBadRequest, CodeIllegalDelete, "%s: %s is a managed %s; managed policies cannot be deleted.", op, p.id, info.what)
	case !p.fromAPI():
		return readOnly(CodeIllegalDelete, op, info.what, p.id)
	}
	if aerr := ifMatchETag(ctx, p.etag, info.what); aerr != nil {
		return aerr
	}
	if users := cur.users(func(b *config.Behavior) bool { return info.usedBy(b) == apiPolicyName(p.id) }); len(users) > 0 {
		return errorf(http.StatusConflict, info.inUse,
			"Cannot delete this %s because it is attached to one or more cache behaviors: distribution %s.", info.what, strings.Join(users, ", "))
	}
	res := cur.res.clone()
	res.policies[k] = deleteID(res.policies[k], p.id)
	if aerr := s.commitResources(cur, res, true); aerr != nil {
		return aerr
	}
	s.log.Info(info.what+" deleted", "id", p.id)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// listPolicies is List{Kind}s: with ?Type=managed the managed policies, with custom those of
// the configuration file and of the API (oldest first), and both without Type; Marker is the id
// after which the page starts, NextMarker the page's last id when more follow.
func (s *Server) listPolicies(ctx *fasthttp.RequestCtx, k policyKind) *apiError {
	info := &policyKinds[k]
	typ := string(ctx.QueryArgs().Peek("Type"))
	if !oneOf(typ, "", "managed", "custom") {
		return invalidArgument("The parameter Type %q is not valid: managed or custom.", clip(typ, 32))
	}
	var items []*policy
	for _, p := range s.cur.Load().allPolicies(k) {
		if typ == "" || typ == p.typ() {
			items = append(items, p)
		}
	}
	ids := make([]string, len(items))
	for i, p := range items {
		ids[i] = p.id
	}
	start, end, _, maxItems, aerr := listPage(ctx, ids)
	if aerr != nil {
		return aerr
	}
	x := xmlPolicyList{XMLName: xml.Name{Local: info.typ + "List"}, Xmlns: Namespace, MaxItems: maxItems, Quantity: end - start}
	if end > start {
		x.Items = &struct{ Summary []xmlPolicySummary }{}
		for _, p := range items[start:end] {
			x.Items.Summary = append(x.Items.Summary, xmlPolicySummary{XMLName: xml.Name{Local: info.typ + "Summary"},
				Type: p.typ(), Policy: p.doc(false)})
		}
		if end < len(items) {
			x.NextMarker = items[end-1].id
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}
