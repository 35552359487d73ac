package edge

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/function"
	"github.com/cfedge/edge/origin"
)

// snapshot is one configuration in service: the distributions by host and the compiled
// functions. It is immutable once published. A request loads the current one once (one atomic
// load, in exchange.reset) and uses it from start to end, so a reload never changes a request
// half-way; a reload publishes a new snapshot for the requests that start after it.
type snapshot struct {
	dists  []*distribution
	byHost map[string]*distribution
	// wildcards is set when some alias is a wildcard ("*.example.com").
	wildcards bool
	// functions are the compiled CloudFront Functions, by name.
	functions map[string]*function.Function
}

// buildSnapshot compiles c into a snapshot. Origins whose settings are unchanged from prev's
// distribution of the same id are reused (their connections and state go on); prev may be nil.
// It reports the origins of prev that the new snapshot no longer uses.
func (s *Server) buildSnapshot(c *config.Config, prev *snapshot) (*snapshot, []origin.Fetcher, error) {
	functions, err := compileFunctions(c, s.now())
	if err != nil {
		return nil, nil, err
	}
	sn := &snapshot{byHost: make(map[string]*distribution), functions: functions}
	old := map[string]*distribution{}
	if prev != nil {
		for _, d := range prev.dists {
			old[d.id] = d
		}
	}
	kept := map[origin.Fetcher]bool{}
	for i := range c.Distributions {
		dc := &c.Distributions[i]
		if dc.Enabled != nil && !*dc.Enabled {
			continue // a disabled distribution serves no one
		}
		d, err := newDistribution(s, c, dc, old[dc.ID])
		if err != nil {
			return nil, nil, err
		}
		for _, f := range d.origins {
			kept[f] = true
		}
		if s.metrics != nil {
			d.metrics = s.metrics.forDist(d.id)
		}
		sn.dists = append(sn.dists, d)
		for _, h := range append([]string{d.domain}, dc.Aliases...) {
			sn.byHost[strings.ToLower(h)] = d
			sn.wildcards = sn.wildcards || strings.HasPrefix(h, "*.")
		}
	}
	var unused []origin.Fetcher
	if prev != nil {
		for _, d := range prev.dists {
			for id, f := range d.origins {
				if _, group := d.groups[id]; !group && !kept[f] {
					unused = append(unused, f)
				}
			}
		}
	}
	return sn, unused, nil
}

// Reload puts c into service for the requests that start from now on; requests in flight
// finish on the configuration they started with. c is validated first; a configuration that
// fails validation or can't be built is refused with the reason, and the one in service stays.
// Cache entries are kept: an entry is keyed by its behavior's fingerprint (keyPrefix), so the
// objects of behaviors whose settings did not change are hits again at once, and those of a
// changed behavior are fetched anew. Origins whose settings did not change are reused; the
// others are closed once requests in flight can no longer use them (after retireAfter).
// Server settings ([server], [cache]) are read by New only.
func (s *Server) Reload(c *config.Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("edge: reload: %w", err)
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	prev := s.snap.Load()
	sn, unused, err := s.buildSnapshot(c, prev)
	if err != nil {
		return fmt.Errorf("edge: reload: %w", err)
	}
	s.snap.Store(sn)
	if len(unused) > 0 {
		time.AfterFunc(s.retireAfter, func() { closeFetchers(unused) })
	}
	return nil
}

// closeFetchers releases origins' resources (idle connections, open folders).
func closeFetchers(fs []origin.Fetcher) {
	for _, f := range fs {
		if c, ok := f.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}
}

// reuseOrigin returns old's fetcher for an origin whose settings are the same, else nil.
func reuseOrigin(old *distribution, oc config.Origin) origin.Fetcher {
	if old == nil {
		return nil
	}
	if prev, ok := old.originConfs[oc.ID]; ok && reflect.DeepEqual(prev, oc) {
		return old.origins[oc.ID]
	}
	return nil
}

// behaviorFingerprint is a short hash of everything that decides what a behavior stores under a key:
// its own settings, the origins it can reach (its target, or a group's members), the policies
// it names (their settings, not just their names), the functions attached to it (their code and
// key value store), and the distribution's settings that shape stored answers (the root object
// and the custom error responses). Equal settings give equal fingerprints from one process to
// the next, so a reload keeps the entries of unchanged behaviors.
func behaviorFingerprint(c *config.Config, dc *config.Distribution, bc *config.Behavior) []byte {
	in := struct {
		Behavior     *config.Behavior
		Origins      []config.Origin
		Groups       []config.OriginGroup
		Policies     []any
		Functions    []config.Function
		Stores       []config.KeyValueStore
		RootObject   string
		ErrorAnswers []config.CustomErrorResponse
	}{Behavior: bc, RootObject: dc.DefaultRootObject, ErrorAnswers: dc.CustomErrorResponses}
	target := []string{bc.TargetOriginID}
	for _, g := range dc.OriginGroups {
		if g.ID == bc.TargetOriginID {
			in.Groups = append(in.Groups, g)
			target = g.Members
		}
	}
	for _, o := range dc.Origins {
		for _, t := range target {
			if o.ID == t {
				in.Origins = append(in.Origins, o)
			}
		}
	}
	for _, p := range c.CachePolicies {
		if p.Name == bc.CachePolicy {
			in.Policies = append(in.Policies, p)
		}
	}
	for _, p := range c.OriginRequestPolicies {
		if p.Name == bc.OriginRequestPolicy {
			in.Policies = append(in.Policies, p)
		}
	}
	for _, p := range c.ResponseHeadersPolicies {
		if p.Name == bc.ResponseHeadersPolicy {
			in.Policies = append(in.Policies, p)
		}
	}
	for _, fa := range bc.FunctionAssociations {
		for _, f := range c.Functions {
			if f.Name == fa.Function {
				in.Functions = append(in.Functions, f)
				for _, st := range c.KeyValueStores {
					if st.Name == f.KeyValueStoreName() {
						in.Stores = append(in.Stores, st)
					}
				}
			}
		}
	}
	b, err := json.Marshal(in)
	if err != nil { // config types are plain data; this can't happen, but never share a key
		b = fmt.Appendf(nil, "%p", bc)
	}
	sum := sha256.Sum256(b)
	return sum[:8]
}
