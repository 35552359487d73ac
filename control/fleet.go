package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cfedge/edge/fleet"
)

// A fleet ([fleet] in the configuration, package fleet): the API of every edge is the fleet's.
// An invalidation accepted here is published before it is answered, and applied on every edge
// (here too) from the stream; GetInvalidation reads Completed once api.invalidation_delay has
// passed and every live edge has applied it, or once [fleet] invalidation_timeout has passed,
// the edges that had not then named in the log. A change of what the API made (distributions,
// policies, functions, key groups, public keys, origin access controls, tags) is written to
// the fleet's state, compare-and-set on the state this edge last took, before it is answered;
// the other edges take it from there. While the fleet is unreachable these calls fail with 503
// ServiceUnavailable and nothing changes; reads go on.

// Fleet is the fleet this API belongs to (*fleet.Node).
type Fleet interface {
	// PublishInvalidation hands inv to every edge; an error means it was not published.
	PublishInvalidation(ctx context.Context, inv *fleet.Invalidation) error
	// Pending returns the live edges that have not applied the invalidation yet, nil once all
	// have or the fleet's time limit has passed since created.
	Pending(dist, id string, created time.Time) []string
	// Missing returns the live edges that have not applied the invalidation, whatever its age.
	Missing(dist, id string) []string
	// InvalidationTimeout is the time limit Pending applies.
	InvalidationTimeout() time.Duration
	// SyncState writes this edge's whole API state after a change (fleet.ErrConflict,
	// fleet.ErrUnavailable).
	SyncState(ctx context.Context, records map[string][]byte) error
}

// fleetPendingHeader names, on GetInvalidation, the edges an invalidation still waits for;
// fleetMissingHeader, those it stopped waiting for at the time limit.
const (
	fleetPendingHeader = "X-Edge-Fleet-Pending"
	fleetMissingHeader = "X-Edge-Fleet-Missing"
)

// fleetUnavailable is the answer to a change while the fleet can't take it.
func fleetUnavailable(err error) *apiError {
	return errorf(http.StatusServiceUnavailable, CodeServiceUnavailable,
		"The fleet is unavailable, so nothing was changed: %v. Try again when this edge is connected to its NATS server.", err)
}

// saveError is the answer to a change whose state could not be saved.
func saveError(err error) *apiError {
	switch {
	case errors.Is(err, fleet.ErrConflict):
		return errorf(http.StatusPreconditionFailed, CodePreconditionFailed,
			"The resource was changed meanwhile on another edge of the fleet (%v); read it again and retry.", err)
	case errors.Is(err, fleet.ErrUnavailable):
		return fleetUnavailable(err)
	}
	return errorf(http.StatusServiceUnavailable, CodeServiceUnavailable, "The change could not be saved: %v.", err)
}

// invStatus is v's status, with the edges it waits for while the fleet holds it InProgress.
func (s *Server) invStatus(d *dist, v *invalidation, now time.Time) (string, []string) {
	if now.Before(v.done) {
		return StatusInProgress, nil
	}
	if s.fleet == nil || v.fleetDone.Load() {
		return StatusCompleted, nil
	}
	if p := s.fleet.Pending(d.id, v.id, v.created); len(p) > 0 {
		return StatusInProgress, p
	}
	s.fleetCompleted(d, v)
	return StatusCompleted, nil
}

// fleetCompleted marks v Completed for good, and when the time limit, not the last
// acknowledgement, completed it, logs the edges that had not applied it.
func (s *Server) fleetCompleted(d *dist, v *invalidation) {
	if !v.fleetDone.CompareAndSwap(false, true) {
		return
	}
	if time.Since(v.created) < s.fleet.InvalidationTimeout() {
		return
	}
	if missing := s.fleet.Missing(d.id, v.id); len(missing) > 0 {
		v.missing.Store(&missing)
		s.log.Warn("invalidation completed at the fleet's time limit without every edge's acknowledgement",
			"distribution", d.id, "id", v.id, "missing", missing, "timeout", s.fleet.InvalidationTimeout())
	}
}

// fleetHeaders names, on GetInvalidation, the edges v waits for or stopped waiting for.
func fleetHeaders(h interface{ Set(k, v string) }, v *invalidation, pending []string) {
	if len(pending) > 0 {
		h.Set(fleetPendingHeader, strings.Join(pending, ", "))
	} else if m := v.missing.Load(); m != nil {
		h.Set(fleetMissingHeader, strings.Join(*m, ", "))
	}
}

// publish hands an accepted invalidation to the fleet; the caller holds mu, so that this edge's
// own copy, arriving from the stream, finds it recorded.
func (s *Server) publish(d *dist, v *invalidation) error {
	if s.fleet == nil {
		return nil
	}
	return s.fleet.PublishInvalidation(context.Background(), &fleet.Invalidation{Distribution: d.id, ID: v.id,
		CallerReference: v.callerRef, Paths: v.pathList(), Created: v.created})
}

// watchCompletion logs, at the fleet's time limit, an invalidation some edges never applied.
func (s *Server) watchCompletion(d *dist, v *invalidation) {
	if s.fleet == nil {
		return
	}
	time.AfterFunc(max(s.fleet.InvalidationTimeout(), time.Until(v.done)), func() { s.invStatus(d, v, s.now()) })
}

// ApplyInvalidation implements fleet.Handler: an invalidation from the fleet (made on any edge)
// is written into this edge's cache and records, unless they have it. An unknown distribution
// is logged and skipped (this edge caches nothing of it). The batch is checked as a request's
// is (badBatch) and planned by this edge's rules; when either refuses it, it is logged and an
// error wrapping fleet.ErrRejected is returned, so that the fleet does not count this edge as
// having applied it (the message is not delivered again; GetInvalidation names this edge until
// the fleet's time limit).
func (s *Server) ApplyInvalidation(inv *fleet.Invalidation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.cur.Load().byID[inv.Distribution]
	if d == nil {
		s.log.Warn("fleet: invalidation for a distribution this edge does not have", "distribution", clip(inv.Distribution, 64),
			"id", clip(inv.ID, 64))
		return nil
	}
	if d.recs.byID[inv.ID] != nil {
		return nil
	}
	b := batch{callerRef: inv.CallerReference, paths: inv.Paths}
	if bad := badBatch(&b); bad != "" {
		s.log.Warn("fleet: cannot apply an invalid invalidation", "distribution", d.id, "id", clip(inv.ID, 64), "why", bad)
		return fmt.Errorf("%w: invalidation %s of distribution %s is not valid: %s", fleet.ErrRejected, clip(inv.ID, 64), d.id, bad)
	}
	pl, aerr := d.rules.planBatch(b.paths)
	if aerr != nil {
		s.log.Warn("fleet: cannot apply an invalidation this edge's rules refuse", "distribution", d.id, "id", inv.ID, "why", aerr.message)
		return fmt.Errorf("%w: invalidation %s of distribution %s is refused by this edge's rules: %s", fleet.ErrRejected, inv.ID, d.id, aerr.message)
	}
	now := s.now()
	created := inv.Created
	if created.IsZero() || created.After(now) {
		created = now
	}
	// The cache drops what it stored before now (not before created): an object this edge
	// fetched between created and now, with a clock behind the other edge's, is refetched too.
	s.apply(d, pl, now)
	v := newInvalidation(inv.ID, &b, created, created.Add(s.delay))
	d.recs.add(v, now, s.keepCompleted, s.keepBytes)
	s.log.Info("invalidation applied from the fleet", "distribution", d.id, "id", v.id, "paths", v.count, "from", inv.Node)
	return nil
}

// badBatch checks a batch from the fleet as parseBatch checks a request's; "" when it is good.
func badBatch(b *batch) string {
	switch {
	case len(b.paths) == 0 || len(b.paths) > MaxBatchPaths:
		return fmt.Sprintf("%d paths", len(b.paths))
	}
	if why := checkCallerRef(b.callerRef); why != "" {
		return "caller reference " + why
	}
	for _, p := range b.paths {
		if why := checkPath(p); why != "" {
			return why
		}
	}
	return ""
}

// Record keys of the fleet's state, by kind: "<kind>.<id or name>".
const (
	recDistribution = "distribution"
	recFunction     = "function"
	recPublicKey    = "public-key"
	recKeyGroup     = "key-group"
	recOAC          = "origin-access-control"
)

var recPolicy = [numPolicyKinds]string{kindCache: "cache-policy", kindOriginRequest: "origin-request-policy",
	kindResponseHeaders: "response-headers-policy"}

// recordsOf renders a state as the fleet's records: one per thing, its state file entry as JSON.
func recordsOf(doc *stateDoc) map[string][]byte {
	out := map[string][]byte{}
	put := func(kind, id string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain structs of strings, times and bytes
		}
		out[kind+"."+id] = b
	}
	for _, d := range doc.Distributions {
		put(recDistribution, d.ID, d)
	}
	for _, f := range doc.Functions {
		put(recFunction, f.Name, f)
	}
	for k := range numPolicyKinds {
		for _, r := range *doc.policyList(k) {
			put(recPolicy[k], r.ID, r)
		}
	}
	for _, r := range doc.PublicKeys {
		put(recPublicKey, r.ID, r)
	}
	for _, r := range doc.KeyGroups {
		put(recKeyGroup, r.ID, r)
	}
	for _, r := range doc.OriginAccessControls {
		put(recOAC, r.ID, r)
	}
	return out
}

// stateFromRecords reads the fleet's records back into a state, checked as a state file is.
func stateFromRecords(recs map[string][]byte) (*stateDoc, error) {
	doc := &stateDoc{Version: stateVersion, Distributions: []stateDist{}, Functions: []stateFunction{}}
	resList := map[string]*[]stateResource{recPublicKey: &doc.PublicKeys, recKeyGroup: &doc.KeyGroups,
		recOAC: &doc.OriginAccessControls}
	for k := range numPolicyKinds {
		resList[recPolicy[k]] = doc.policyList(k)
	}
	for _, key := range slices.Sorted(maps.Keys(recs)) {
		kind, id, ok := strings.Cut(key, ".")
		if !ok {
			return nil, fmt.Errorf("record %q: not a state record", key)
		}
		dec := json.NewDecoder(bytes.NewReader(recs[key]))
		dec.DisallowUnknownFields()
		var got string
		var err error
		switch kind {
		case recDistribution:
			var d stateDist
			err, got = dec.Decode(&d), d.ID
			doc.Distributions = append(doc.Distributions, d)
		case recFunction:
			var f stateFunction
			err, got = dec.Decode(&f), f.Name
			doc.Functions = append(doc.Functions, f)
		default:
			l := resList[kind]
			if l == nil {
				return nil, fmt.Errorf("record %q: unknown kind %q", key, kind)
			}
			var r stateResource
			err, got = dec.Decode(&r), r.ID
			*l = append(*l, r)
		}
		if err != nil {
			return nil, fmt.Errorf("record %q: %w", key, err)
		}
		if got != id {
			return nil, fmt.Errorf("record %q holds %q", key, got)
		}
	}
	slices.SortStableFunc(doc.Distributions, func(a, b stateDist) int { return a.Created.Compare(b.Created) })
	for _, l := range resList {
		slices.SortStableFunc(*l, func(a, b stateResource) int { return a.Time.Compare(b.Time) })
	}
	// The state file's own checks (ids, names, ETags, duplicates).
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return decodeState(data)
}

// StateRecords implements fleet.Handler: this edge's API state as the fleet's records.
func (s *Server) StateRecords() map[string][]byte {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return recordsOf(stateOf(s.cur.Load(), s.fns.snapshot()))
}

// AdoptState implements fleet.Handler: the fleet's API state (changed by another edge) becomes
// this edge's, merged with this edge's configuration file like a state file at start, applied,
// and saved in api.state_dir; the invalidation records of the distributions that stay are kept.
// On error nothing changes.
func (s *Server) AdoptState(recs map[string][]byte, adopted func()) error {
	doc, err := stateFromRecords(recs)
	if err != nil {
		return fmt.Errorf("control: the fleet's state: %w", err)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	fs := s.fns
	fs.mu.Lock()
	nf := &functions{byName: map[string]*fnEntry{}, kvs: fs.kvs, kvsARN: fs.kvsARN}
	for n, e := range fs.byName {
		if e.fromConfig {
			nf.byName[n] = e
		}
	}
	fs.mu.Unlock()
	if maps.EqualFunc(recordsOf(stateOf(cur, s.fns.snapshot())), recs, bytes.Equal) {
		adopted()
		return nil
	}
	apis, res, err := s.restore(doc, nf)
	if err != nil {
		return fmt.Errorf("control: the fleet's state: %w", err)
	}
	for _, d := range apis {
		if old := cur.byID[d.id]; old != nil && old.api != nil {
			d.recs = old.recs
		}
	}
	next, err := s.buildView(cur.base, cur, apis, res, nf.byName)
	if err != nil {
		return err
	}
	if s.applier != nil {
		if err := s.applier.Apply(next.merged); err != nil {
			return fmt.Errorf("control: the edge refused the fleet's configuration: %w", err)
		}
	}
	if s.state != nil {
		if err := s.state.write(doc); err != nil {
			s.log.Error("control API: the fleet's state could not be saved in api.state_dir; it is served all the same", "err", err)
		}
	}
	fs.mu.Lock()
	fs.byName = nf.byName
	fs.mu.Unlock()
	s.cur.Store(next)
	s.exemptSmooth(next)
	adopted()
	s.log.Info("control API: took the fleet's state", "distributions", len(next.order)-len(cur.base.Distributions),
		"functions", len(doc.Functions))
	return nil
}
