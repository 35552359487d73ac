package control

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
)

// The distribution write operations
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateDistribution.html,
// API_CreateDistributionWithTags.html, API_UpdateDistribution.html, API_DeleteDistribution.html).
// Each one runs under wmu: the request is checked, the next view built and validated as a
// whole, the edge given the merged configuration (commit), the state written, and only then
// does the change show in the API. Distributions of the configuration file are read-only here.

// MaxDistributions is CloudFront's default quota of distributions per account
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-web-distributions),
// those of the configuration file included; CreateDistribution beyond it is
// TooManyDistributions.
const MaxDistributions = 500

// createDistribution is CreateDistribution and, withTags, CreateDistributionWithTags: 201 with
// Location, ETag and the Distribution, InProgress. A CallerReference already used answers the
// distribution it made when the config is the same (the older documented rule), and
// DistributionAlreadyExists otherwise.
func (s *Server) createDistribution(ctx *fasthttp.RequestCtx, withTags bool, now time.Time) *apiError {
	conf, tags, aerr := parseDistConfig(ctx.Request.Body(), withTags)
	if aerr != nil {
		return aerr
	}
	if tags, aerr = applyTags(nil, tags, nil); aerr != nil {
		return aerr
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	for _, old := range cur.order {
		if old.conf.CallerReference != conf.CallerReference {
			continue
		}
		if string(marshalDoc(old.conf)) != string(marshalDoc(conf)) {
			return errorf(http.StatusConflict, CodeDistributionAlreadyExists,
				"The caller reference that you are using to create a distribution is associated with another distribution (%s), with a different configuration.", old.id)
		}
		// The original response again (an SDK retrying a create whose answer it lost must
		// see what the first attempt got: InProgress).
		s.replyDistribution(ctx, cur, old, now, http.StatusCreated, statusDistInProgress)
		return nil
	}
	if len(cur.order) >= s.maxDists {
		return errorf(http.StatusBadRequest, CodeTooManyDistributions,
			"Processing your request would cause you to exceed the maximum number of distributions allowed (%d).", s.maxDists)
	}
	fns := s.fns.snapshot()
	id, domain := newDistID(cur), newDomainName(cur)
	model, aerr := cur.refs(fns).model(id, domain, &conf)
	if aerr != nil {
		return aerr
	}
	if aerr := cnameTaken(cur, &model); aerr != nil {
		return aerr
	}
	d := &dist{id: id, domain: domain, conf: conf, etag: randomETag(), recs: newRecords(), api: &apiDist{
		model: model, created: now, modified: now, deployed: now.Add(s.deployDelay), tags: tags}}
	next := cur.with(d, "")
	if aerr := finish(next, fns, d); aerr != nil {
		return aerr
	}
	if aerr := s.commit(next, fns); aerr != nil {
		return aerr
	}
	s.log.Info("distribution created", "distribution", id, "domain", domain, "aliases", model.Aliases,
		"caller_reference", clip(conf.CallerReference, 128))
	s.replyDistribution(ctx, next, d, now, http.StatusCreated, statusDistInProgress)
	return nil
}

// replyDistribution answers with d as a Distribution, its ETag and, for 201, its Location.
func (s *Server) replyDistribution(ctx *fasthttp.RequestCtx, v *view, d *dist, now time.Time, status int, distStatus string) {
	if status == http.StatusCreated {
		scheme := "http"
		if ctx.IsTLS() {
			scheme = "https"
		}
		ctx.Response.Header.Set("Location", scheme+"://"+string(ctx.Host())+apiPrefix+"/"+d.id)
	}
	ctx.Response.Header.Set("ETag", d.etag)
	reply(ctx, status, s.distributionDoc(v, d, now, distStatus))
}

// updateDistribution is UpdateDistribution: the whole config is replaced (what is left out
// takes its default again), with If-Match; 200 with the new ETag, InProgress.
func (s *Server) updateDistribution(ctx *fasthttp.RequestCtx, id string, now time.Time) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	d, aerr := s.writable(cur, id, "UpdateDistribution")
	if aerr != nil {
		return aerr
	}
	if aerr := distIfMatch(ctx, d.etag); aerr != nil {
		return aerr
	}
	conf, _, aerr := parseDistConfig(ctx.Request.Body(), false)
	if aerr != nil {
		return aerr
	}
	if conf.CallerReference != d.conf.CallerReference {
		return errorf(http.StatusBadRequest, CodeIllegalUpdate,
			"Origin and CallerReference cannot be updated: the CallerReference of %s is %q.", id, clip(d.conf.CallerReference, 128))
	}
	fns := s.fns.snapshot()
	model, aerr := cur.refs(fns).model(id, d.domain, &conf)
	if aerr != nil {
		return aerr
	}
	if aerr := cnameTaken(cur, &model); aerr != nil {
		return aerr
	}
	api := *d.api
	api.model, api.modified, api.deployed = model, now, now.Add(s.deployDelay)
	nd := &dist{id: id, domain: d.domain, conf: conf, etag: randomETag(), recs: d.recs, api: &api}
	next := cur.with(nd, "")
	if aerr := finish(next, fns, nd); aerr != nil {
		return aerr
	}
	if aerr := s.commit(next, fns); aerr != nil {
		return aerr
	}
	s.log.Info("distribution updated", "distribution", id, "enabled", conf.Enabled)
	s.replyDistribution(ctx, next, nd, now, http.StatusOK, statusDistInProgress)
	return nil
}

// deleteDistribution is DeleteDistribution: 204, for a distribution that is disabled and
// Deployed (DistributionNotDisabled otherwise), with If-Match. Its invalidations and tags go
// with it.
func (s *Server) deleteDistribution(ctx *fasthttp.RequestCtx, id string, now time.Time) *apiError {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	d, aerr := s.writable(cur, id, "DeleteDistribution")
	if aerr != nil {
		return aerr
	}
	if aerr := distIfMatch(ctx, d.etag); aerr != nil {
		return aerr
	}
	if d.conf.Enabled || d.status(now) != StatusDeployed {
		return errorf(http.StatusConflict, CodeDistributionNotDisabled,
			"The distribution you are trying to delete has not been disabled: disable it (UpdateDistribution with Enabled false) "+
				"and wait until its Status is Deployed (enabled: %t, status: %s).", d.conf.Enabled, d.status(now))
	}
	fns := s.fns.snapshot()
	next := cur.with(nil, id)
	if aerr := finish(next, fns); aerr != nil {
		return aerr
	}
	if aerr := s.commit(next, fns); aerr != nil {
		return aerr
	}
	s.log.Info("distribution deleted", "distribution", id)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// writable returns the distribution id names when the API may change it: NoSuchDistribution
// when there is none, IllegalUpdate for one of the configuration file.
func (s *Server) writable(v *view, id, op string) (*dist, *apiError) {
	d := v.byID[id]
	if d == nil {
		return nil, noSuchDistribution(clip(id, 64))
	}
	if d.api == nil {
		return nil, errorf(http.StatusBadRequest, CodeIllegalUpdate,
			"%s: distribution %s is defined in edge's configuration file and is read-only through the API; "+
				"change it in the file and reload the edge (SIGHUP).", op, id)
	}
	return d, nil
}

// distIfMatch checks If-Match against a distribution's ETag: missing or not shaped like an
// ETag is InvalidIfMatchVersion (400), another ETag PreconditionFailed (412).
func distIfMatch(ctx *fasthttp.RequestCtx, etag string) *apiError {
	return ifMatchETag(ctx, etag, "distribution")
}

// newDistID returns an id shaped like CloudFront's, "E" and 13 characters from A–Z and 0–9,
// that no distribution of v has.
func newDistID(v *view) string {
	for {
		id := "E" + randomChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13)
		if v.byID[id] == nil {
			return id
		}
	}
}

// newDomainName returns a domain name shaped like CloudFront's, "d", 13 characters from a–z
// and 0–9 and ".cloudfront.net", that no distribution of v uses.
func newDomainName(v *view) string {
	taken := claims(v.merged.Distributions)
	for {
		name := "d" + randomChars("abcdefghijklmnopqrstuvwxyz0123456789", 13) + ".cloudfront.net"
		if _, dup := taken[name]; !dup {
			return name
		}
	}
}

// randomChars returns n characters of alphabet (36 of them) drawn from crypto/rand without
// modulo bias.
func randomChars(alphabet string, n int) string {
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:]) // never fails (Go ≥ 1.24)
		for _, c := range buf {
			if c < 252 && len(out) < n { // 252 = 7·36
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}
