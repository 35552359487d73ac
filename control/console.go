package control

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/config"
)

// Read-only views of what the API holds, for the console (package console): plain values,
// copied from the state in service, that name everything a distribution serves with but hold
// no secret — no origin credentials, no custom header values, no shield secret, no function
// code.

// DistributionView is one distribution as the console shows it.
type DistributionView struct {
	ID         string
	DomainName string
	Aliases    []string
	Comment    string
	Enabled    bool
	// Status is the API's Status: Deployed, or InProgress for a while after a change.
	Status string
	// FromAPI is true for a distribution created through the API, false for one of the
	// configuration file.
	FromAPI           bool
	DefaultRootObject string
	HTTPVersion       string
	Origins           []OriginView
	OriginGroups      []OriginGroupView
	// Behaviors are in match order: the ordered behaviors, then the default behavior.
	Behaviors []BehaviorView
}

// OriginView is one origin of a distribution, without its secrets.
type OriginView struct {
	ID   string
	Kind string // http, s3 or dir
	// Target is where requests go: "domain:port" (http), "bucket (region) at endpoint" (s3),
	// or the folder (dir). An S3 endpoint is shown without user information or query.
	Target     string
	OriginPath string
	// ProtocolPolicy is an http origin's origin_protocol_policy.
	ProtocolPolicy string
	// Access is an s3 origin's access: "anonymous" or "sigv4"; its keys are never shown.
	Access string
	// CustomHeaders are the names of the headers added to origin requests; their values, often
	// shared secrets, are never shown.
	CustomHeaders []string
	// Shield is the Origin Shield edge's address, "" when there is none; its secret is never
	// shown.
	Shield string
}

// OriginGroupView is one origin group (failover).
type OriginGroupView struct {
	ID                  string
	Members             []string
	FailoverStatusCodes []int
}

// BehaviorView is one cache behavior as the edge runs it.
type BehaviorView struct {
	// Index is the behavior's position in the distribution's list; -1 for the default behavior.
	Index int
	// PathPattern is "" for the default behavior.
	PathPattern          string
	TargetOriginID       string
	ViewerProtocolPolicy string
	AllowedMethods       string // as in an Allow header: "GET, HEAD"
	CachedMethods        string
	// CachePolicy, OriginRequestPolicy and ResponseHeadersPolicy are zero (Name "") when the
	// behavior names none.
	CachePolicy           PolicyView
	OriginRequestPolicy   PolicyView
	ResponseHeadersPolicy PolicyView
	// MinTTL, DefaultTTL and MaxTTL are the TTLs in effect (the cache policy's, or the legacy
	// settings'); CachingDisabled when nothing may be cached.
	MinTTL, DefaultTTL, MaxTTL time.Duration
	CachingDisabled            bool
	// Legacy describes the legacy forwarded values when the behavior has no cache policy.
	Legacy           string
	Compress         bool
	SmoothStreaming  bool
	Functions        []FunctionView
	TrustedKeyGroups []string
}

// PolicyView names a policy and says what it does in a few words.
type PolicyView struct {
	Name    string
	ID      string
	Managed bool
	Summary string
}

// FunctionView is one function association.
type FunctionView struct {
	EventType string // viewer-request or viewer-response
	Name      string
}

// InvalidationView is one invalidation batch.
type InvalidationView struct {
	ID              string
	CallerReference string
	Status          string // InProgress or Completed
	Created         time.Time
	// Paths are the batch's paths, in request order; PathCount how many there are (Paths may
	// hold fewer: see Server.InvalidationViews).
	Paths     []string
	PathCount int
	// Pending names the fleet's edges that have not applied it yet.
	Pending []string
}

// DistributionViews returns every distribution the API holds (the configuration file's in file
// order, then those created through the API, oldest first), read from the state in service.
func (s *Server) DistributionViews() []DistributionView {
	v := s.cur.Load()
	now := s.now()
	out := make([]DistributionView, 0, len(v.order))
	for _, d := range v.order {
		dc := v.merged.Distribution(d.id)
		if dc == nil {
			continue
		}
		out = append(out, distributionView(v, d, dc, now))
	}
	return out
}

func distributionView(v *view, d *dist, dc *config.Distribution, now time.Time) DistributionView {
	dv := DistributionView{ID: d.id, DomainName: d.domain, Aliases: append([]string(nil), dc.Aliases...),
		Comment: dc.Comment, Enabled: dc.Enabled == nil || *dc.Enabled, Status: d.status(now), FromAPI: d.api != nil,
		DefaultRootObject: dc.DefaultRootObject, HTTPVersion: dc.HTTPVersion}
	for _, o := range dc.Origins {
		dv.Origins = append(dv.Origins, originView(o))
	}
	for _, g := range dc.OriginGroups {
		dv.OriginGroups = append(dv.OriginGroups, OriginGroupView{ID: g.ID, Members: append([]string(nil), g.Members...),
			FailoverStatusCodes: append([]int(nil), g.FailoverStatusCodes...)})
	}
	table, err := behavior.Compile(v.merged, dc)
	for i := range len(dc.Behaviors) + 1 {
		bc, index := &dc.DefaultBehavior, -1
		if i < len(dc.Behaviors) {
			bc, index = &dc.Behaviors[i], i
		}
		var b *behavior.Behavior
		if err == nil {
			b = table.Behaviors()[i]
		}
		dv.Behaviors = append(dv.Behaviors, behaviorView(v, index, bc, b))
	}
	return dv
}

func originView(o config.Origin) OriginView {
	ov := OriginView{ID: o.ID, Kind: o.Kind, OriginPath: o.OriginPath, ProtocolPolicy: o.OriginProtocolPolicy}
	switch o.Kind {
	case config.KindS3:
		ov.Target = o.Bucket
		if o.Region != "" {
			ov.Target += " (" + o.Region + ")"
		}
		if ep := bareURL(o.Endpoint); ep != "" {
			ov.Target += " at " + ep
		}
		ov.Access = o.Access
		if ov.Access == "" {
			ov.Access = "anonymous"
		}
	case config.KindDir:
		ov.Target = o.Path
	default:
		ov.Target = o.DomainName
		if o.HTTPPort != 0 {
			ov.Target = fmt.Sprintf("%s:%d", o.DomainName, o.HTTPPort)
		}
	}
	for _, h := range o.CustomHeaders {
		ov.CustomHeaders = append(ov.CustomHeaders, h.Name)
	}
	if o.OriginShield != nil && o.OriginShield.Enabled {
		ov.Shield = o.OriginShield.Address
	}
	return ov
}

// bareURL is u without user information, query or fragment ("" for ""); a value that doesn't
// parse is shown as its scheme and host only, or not at all.
func bareURL(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: p.Path}).String()
}

func behaviorView(v *view, index int, bc *config.Behavior, b *behavior.Behavior) BehaviorView {
	bv := BehaviorView{Index: index, PathPattern: bc.PathPattern, TargetOriginID: bc.TargetOriginID,
		ViewerProtocolPolicy: bc.ViewerProtocolPolicy, Compress: bc.Compress, SmoothStreaming: bc.SmoothStreaming,
		TrustedKeyGroups: append([]string(nil), bc.TrustedKeyGroups...)}
	if index < 0 {
		bv.PathPattern = ""
	}
	if bv.ViewerProtocolPolicy == "" {
		bv.ViewerProtocolPolicy = "allow-all"
	}
	if b != nil {
		bv.AllowedMethods, bv.CachedMethods = b.Allowed.String(), b.Cached.String()
		bv.MinTTL, bv.DefaultTTL, bv.MaxTTL = b.TTL.Min, b.TTL.Default, b.TTL.Max
		bv.CachingDisabled = b.NoCache
	}
	if bc.CachePolicy != "" {
		bv.CachePolicy = cachePolicyView(v, bc.CachePolicy)
	} else {
		bv.Legacy = legacySummary(bc.ForwardedValues)
	}
	if bc.OriginRequestPolicy != "" {
		bv.OriginRequestPolicy = originRequestPolicyView(v, bc.OriginRequestPolicy)
	}
	if bc.ResponseHeadersPolicy != "" {
		bv.ResponseHeadersPolicy = responseHeadersPolicyView(v, bc.ResponseHeadersPolicy)
	}
	for _, fa := range bc.FunctionAssociations {
		bv.Functions = append(bv.Functions, FunctionView{EventType: fa.EventType, Name: fa.Function})
	}
	return bv
}

// apiPolicy returns the policy of kind k created through the API that the merged configuration
// holds under name, or nil.
func apiPolicy(v *view, k policyKind, name string) *policy {
	if v.res == nil {
		return nil
	}
	for _, p := range v.res.policies[k] {
		if apiPolicyName(p.id) == name {
			return p
		}
	}
	return nil
}

// policyHead is what every policy view starts with: the policy's name and id as the API shows
// them (an API policy's own, else the id derived from the name), and whether it is managed.
func policyHead(v *view, k policyKind, name string) PolicyView {
	idOf := [numPolicyKinds]func(*config.Config, string) string{kindCache: cachePolicyID,
		kindOriginRequest: originRequestPolicyID, kindResponseHeaders: responseHeadersPolicyID}[k]
	pv := PolicyView{Name: name, ID: idOf(v.merged, name)}
	if p := apiPolicy(v, k, name); p != nil {
		pv.Name, pv.ID = p.name(), p.id
	}
	_, pv.Managed = policyName(k, &config.Config{}, nil, pv.ID) // managed ones only
	return pv
}

func cachePolicyView(v *view, name string) PolicyView {
	pv := policyHead(v, kindCache, name)
	if cp, ok := v.merged.CachePolicyByName(name); ok {
		pv.Summary = fmt.Sprintf("key: headers %s, cookies %s, query strings %s", describeSelector(cp.Headers), describeSelector(cp.Cookies),
			describeSelector(cp.QueryStrings))
		var enc []string
		if cp.EnableAcceptEncodingGzip {
			enc = append(enc, "gzip")
		}
		if cp.EnableAcceptEncodingBrotli {
			enc = append(enc, "br")
		}
		if len(enc) > 0 {
			pv.Summary += "; normalises Accept-Encoding: " + strings.Join(enc, ", ")
		}
	}
	return pv
}

func originRequestPolicyView(v *view, name string) PolicyView {
	pv := policyHead(v, kindOriginRequest, name)
	if orp, ok := v.merged.OriginRequestPolicyByName(name); ok {
		pv.Summary = fmt.Sprintf("forwards headers %s, cookies %s, query strings %s", describeSelector(orp.Headers),
			describeSelector(orp.Cookies), describeSelector(orp.QueryStrings))
	}
	return pv
}

func responseHeadersPolicyView(v *view, name string) PolicyView {
	pv := policyHead(v, kindResponseHeaders, name)
	rhp, ok := v.merged.ResponseHeadersPolicyByName(name)
	if !ok {
		return pv
	}
	var parts []string
	if rhp.CorsConfig != nil {
		parts = append(parts, "CORS")
	}
	if rhp.SecurityHeadersConfig != nil {
		parts = append(parts, "security headers")
	}
	if len(rhp.CustomHeadersConfig) > 0 {
		var names []string
		for _, h := range rhp.CustomHeadersConfig {
			names = append(names, h.Header)
		}
		parts = append(parts, "adds "+strings.Join(names, ", "))
	}
	if len(rhp.RemoveHeadersConfig) > 0 {
		var names []string
		for _, h := range rhp.RemoveHeadersConfig {
			names = append(names, h.Header)
		}
		parts = append(parts, "removes "+strings.Join(names, ", "))
	}
	if rhp.ServerTimingHeadersConfig != nil && rhp.ServerTimingHeadersConfig.Enabled {
		parts = append(parts, "Server-Timing")
	}
	pv.Summary = strings.Join(parts, "; ")
	return pv
}

// describeSelector says what a policy's header, cookie or query string selector takes.
func describeSelector(p config.ParamSelector) string {
	b := p.Behavior
	if b == "" {
		b = "none"
	}
	if len(p.Names) > 0 {
		return b + " (" + strings.Join(p.Names, ", ") + ")"
	}
	return b
}

// legacySummary describes a behavior's legacy forwarded values.
func legacySummary(fv *config.ForwardedValues) string {
	if fv == nil {
		return "legacy settings: no query strings, headers or cookies in the key"
	}
	q := "no query strings"
	if fv.QueryString {
		q = "query strings"
		if len(fv.QueryStringCacheKeys) > 0 {
			q += " (" + strings.Join(fv.QueryStringCacheKeys, ", ") + ")"
		}
	}
	h := "no headers"
	if len(fv.Headers) > 0 {
		h = "headers " + strings.Join(fv.Headers, ", ")
	}
	c := "cookies " + fv.Cookies.Forward
	if fv.Cookies.Forward == "" {
		c = "no cookies"
	}
	if len(fv.Cookies.WhitelistedNames) > 0 {
		c += " (" + strings.Join(fv.Cookies.WhitelistedNames, ", ") + ")"
	}
	return "legacy settings: " + q + ", " + h + ", " + c
}

// InvalidationViews returns distribution dist's invalidations, newest first, at most max of
// them (all when max <= 0), each with at most maxPaths of its paths (all when maxPaths <= 0);
// ok is false for an unknown distribution. Statuses are read as GetInvalidation reads them.
func (s *Server) InvalidationViews(dist string, max, maxPaths int) (views []InvalidationView, ok bool) {
	d := s.cur.Load().byID[dist]
	if d == nil {
		return nil, false
	}
	s.mu.Lock()
	list := d.recs.list
	if max > 0 && len(list) > max {
		list = list[len(list)-max:]
	}
	items := make([]*invalidation, len(list))
	for i, v := range list {
		items[len(list)-1-i] = v
	}
	s.mu.Unlock()
	now := s.now()
	views = make([]InvalidationView, 0, len(items))
	for _, v := range items {
		st, pending := s.invStatus(d, v, now)
		paths := v.pathList()
		if maxPaths > 0 && len(paths) > maxPaths {
			paths = paths[:maxPaths]
		}
		views = append(views, InvalidationView{ID: v.id, CallerReference: v.callerRef, Status: st, Created: v.created,
			Paths: paths, PathCount: v.count, Pending: pending})
	}
	return views, true
}
