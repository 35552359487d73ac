package control

import (
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
)

// createInvalidation is CreateInvalidation: validate the batch, refuse Smooth media, honour
// CallerReference idempotency and the in-progress limits, then write the paths into the cache's
// registry and answer 201 with Location.
func (s *Server) createInvalidation(ctx *fasthttp.RequestCtx, distID string, now time.Time) *apiError {
	d, aerr := s.lookup(distID)
	if aerr != nil {
		return aerr
	}
	b, aerr := parseBatch(ctx.Request.Body())
	if aerr != nil {
		return aerr
	}
	pl, aerr := d.rules.planBatch(b.paths)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := d.recs.byRef[b.callerRef]; old != nil {
		if !samePaths(old.pathList(), b.paths) {
			return errorf(http.StatusBadRequest, CodeInvalidationBatchAlreadyExists,
				"An invalidation batch with CallerReference %q and different paths already exists (%s).",
				clip(b.callerRef, 128), old.id)
		}
		st, _ := s.invStatus(d, old, now)
		s.created(ctx, d, old, st)
		return nil
	}
	exact, wild, _ := d.recs.inProgress(now)
	if aerr := tooMany(&b, exact, wild); aerr != nil {
		return aerr
	}
	v := newInvalidation(newInvalidationID(d.recs.byID), &b, now, now.Add(s.delay))
	if err := s.publish(d, v); err != nil {
		return fleetUnavailable(err)
	}
	s.apply(d, pl, now)
	d.recs.add(v, now, s.keepCompleted, s.keepBytes)
	s.watchCompletion(d, v)
	s.log.Info("invalidation created", "distribution", d.id, "id", v.id, "paths", v.count,
		"wildcards", v.wildcards, "smooth_excluded", len(pl.except))
	s.created(ctx, d, v, StatusInProgress)
	return nil
}

// apply writes a planned batch into the registry. Wildcards that may cover Smooth media carry
// the exclusion when the Invalidator supports it; otherwise they are recorded plainly (which
// also refetches the Smooth media under them) and a warning says so.
func (s *Server) apply(d *dist, pl plan, at time.Time) {
	plain := pl.plain
	if len(pl.except) > 0 {
		if s.smooth != nil {
			s.smooth.InvalidateExcept(d.id, pl.except, d.rules.smoothMedia, at)
		} else {
			s.log.Warn("control API: the cache cannot exclude Smooth media from wildcard invalidations; "+
				"they are invalidated too", "distribution", d.id, "paths", pl.except)
			plain = append(plain, pl.except...)
		}
	}
	if len(plain) > 0 {
		s.inv.Invalidate(d.id, plain, at)
	}
}

// exemptSmooth gives the Invalidator, when it supports exclusions, each distribution's Smooth
// media predicate afresh: a tier that keeps records across restarts (the disk tier journals
// them, but not the predicate) needs it again at start and when a distribution's rules change.
func (s *Server) exemptSmooth(v *view) {
	if s.smooth == nil {
		return
	}
	for _, d := range v.order {
		if d.rules != nil {
			s.smooth.InvalidateExcept(d.id, nil, d.rules.smoothMedia, time.Time{})
		}
	}
}

// created answers 201 with the invalidation and its Location (on this API listener).
func (s *Server) created(ctx *fasthttp.RequestCtx, d *dist, v *invalidation, status string) {
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	ctx.Response.Header.Set("Location", scheme+"://"+string(ctx.Host())+apiPrefix+"/"+d.id+"/invalidation/"+v.id)
	reply(ctx, http.StatusCreated, renderInvalidation(v, status))
}

// getInvalidation is GetInvalidation.
func (s *Server) getInvalidation(ctx *fasthttp.RequestCtx, distID, id string, now time.Time) *apiError {
	d, aerr := s.lookup(distID)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	v := d.recs.byID[id]
	s.mu.Unlock()
	if v == nil {
		return errorf(http.StatusNotFound, CodeNoSuchInvalidation,
			"The specified invalidation does not exist: %q in distribution %q.", clip(id, 64), d.id)
	}
	st, pending := s.invStatus(d, v, now)
	fleetHeaders(&ctx.Response.Header, v, pending)
	reply(ctx, http.StatusOK, renderInvalidation(v, st))
	return nil
}

// listInvalidations is ListInvalidations: newest first, Marker (the id after which the page
// starts) and MaxItems paging; NextMarker is the id of the page's last item.
func (s *Server) listInvalidations(ctx *fasthttp.RequestCtx, distID string, now time.Time) *apiError {
	d, aerr := s.lookup(distID)
	if aerr != nil {
		return aerr
	}
	args := ctx.QueryArgs()
	max, aerr := parseMaxItems(args.Peek("MaxItems"))
	if aerr != nil {
		return aerr
	}
	marker := string(args.Peek("Marker"))
	s.mu.Lock()
	items, truncated, aerr := d.recs.page(marker, max)
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	x := xmlInvalidationList{Xmlns: Namespace, Marker: marker, MaxItems: max, IsTruncated: truncated, Quantity: len(items)}
	if len(items) > 0 {
		x.Items = &struct {
			Summary []xmlInvalidationSummary `xml:"InvalidationSummary"`
		}{}
		for _, v := range items {
			st, _ := s.invStatus(d, v, now)
			x.Items.Summary = append(x.Items.Summary, xmlInvalidationSummary{
				ID: v.id, CreateTime: v.created.UTC().Format(timeLayout), Status: st})
		}
		if truncated {
			x.NextMarker = items[len(items)-1].id
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}

// getDistribution is GetDistribution: the distribution with its ETag.
func (s *Server) getDistribution(ctx *fasthttp.RequestCtx, distID string, now time.Time) *apiError {
	v := s.cur.Load()
	d := v.byID[distID]
	if d == nil {
		return noSuchDistribution(clip(distID, 64))
	}
	ctx.Response.Header.Set("ETag", d.etag)
	reply(ctx, http.StatusOK, s.distributionDoc(v, d, now, d.status(now)))
	return nil
}

// distributionDoc renders d as a Distribution document with the given Status.
func (s *Server) distributionDoc(v *view, d *dist, now time.Time, status string) []byte {
	s.mu.Lock()
	_, _, batches := d.recs.inProgress(now)
	s.mu.Unlock()
	conf := d.conf
	x := xmlDistribution{
		Xmlns:                         Namespace,
		ID:                            d.id,
		ARN:                           distARN(d.id),
		Status:                        status,
		LastModifiedTime:              s.lastModified(d).UTC().Format(timeLayout),
		InProgressInvalidationBatches: batches,
		DomainName:                    d.domain,
		ActiveTrustedKeyGroups:        activeKeyGroups(v.merged, &conf),
		DistributionConfig:            &conf,
		AliasICPRecordals:             aliasRecordals(&conf),
	}
	return marshalDoc(x)
}

// lastModified is d's LastModifiedTime: when the API last changed it, or when the server
// started for a distribution of the configuration file.
func (s *Server) lastModified(d *dist) time.Time {
	if d.api != nil {
		return d.api.modified
	}
	return s.start
}

// getDistributionConfig is GetDistributionConfig.
func (s *Server) getDistributionConfig(ctx *fasthttp.RequestCtx, distID string) *apiError {
	d, aerr := s.lookup(distID)
	if aerr != nil {
		return aerr
	}
	conf := d.conf
	conf.Xmlns = Namespace
	ctx.Response.Header.Set("ETag", d.etag)
	reply(ctx, http.StatusOK, marshalDoc(conf))
	return nil
}

// listDistributions is ListDistributions: the configuration file's distributions in file
// order, then those created through the API, oldest first, with Marker/MaxItems paging
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDistributions.html).
func (s *Server) listDistributions(ctx *fasthttp.RequestCtx, now time.Time) *apiError {
	args := ctx.QueryArgs()
	max, aerr := parseMaxItems(args.Peek("MaxItems"))
	if aerr != nil {
		return aerr
	}
	marker := string(args.Peek("Marker"))
	order := s.cur.Load().order
	start := 0
	if marker != "" {
		start = -1
		for i, d := range order {
			if d.id == marker {
				start = i + 1
			}
		}
		if start < 0 {
			return invalidArgument("Marker %q is not a distribution id.", clip(marker, 64))
		}
	}
	end := min(start+max, len(order))
	x := xmlDistList{Xmlns: Namespace, Marker: marker, MaxItems: max, IsTruncated: end < len(order), Quantity: end - start}
	if end > start {
		x.Items = &struct {
			Summary []xmlDistSummary `xml:"DistributionSummary"`
		}{}
		for _, d := range order[start:end] {
			c := &d.conf
			x.Items.Summary = append(x.Items.Summary, xmlDistSummary{
				ID: d.id, ARN: distARN(d.id), ETag: d.etag, Status: d.status(now),
				LastModifiedTime: s.lastModified(d).UTC().Format(timeLayout), DomainName: d.domain,
				Aliases: c.Aliases, Origins: c.Origins, OriginGroups: c.OriginGroups,
				DefaultCacheBehavior: c.DefaultCacheBehavior, CacheBehaviors: c.CacheBehaviors,
				CustomErrorResponses: c.CustomErrorResponses, Comment: c.Comment, PriceClass: c.PriceClass,
				Enabled: c.Enabled, ViewerCertificate: c.ViewerCertificate, Restrictions: c.Restrictions,
				WebACLID: c.WebACLID, HTTPVersion: c.HTTPVersion, IsIPV6Enabled: c.IsIPV6Enabled, Staging: c.Staging,
			})
		}
		if x.IsTruncated {
			x.NextMarker = order[end-1].id
		}
	}
	reply(ctx, http.StatusOK, marshalDoc(x))
	return nil
}
