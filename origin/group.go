package origin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
)

// Group is an origin group (CloudFront DG, "Optimize high availability with origin
// failover"): every request goes to the primary first; a GET, HEAD or OPTIONS whose primary
// answer has a failover status, or fails with an *Error (connect, DNS, timeout, TLS, …), is
// sent to the secondary, whose answer or error is returned as is. There is no stickiness.
// Safe for concurrent use when its members are.
type Group struct {
	id                 string
	primary, secondary Fetcher
	codes              []int
	log                *slog.Logger
}

var _ Fetcher = (*Group)(nil)

// NewGroup builds a group. failoverCodes are the statuses that trigger failover (CloudFront
// allows a subset of 400, 403, 404, 416, 500, 502, 503, 504; config validation enforces
// that). The group does not own its members: Close leaves them open.
func NewGroup(id string, primary, secondary Fetcher, failoverCodes []int, opts Options) *Group {
	return &Group{
		id:        id,
		primary:   primary,
		secondary: secondary,
		codes:     slices.Clone(failoverCodes),
		log:       opts.logger(),
	}
}

// ID returns the group's id.
func (g *Group) ID() string { return g.id }

// Close does nothing: members are shared with the distribution's origins and closed by
// whoever built them.
func (g *Group) Close() error { return nil }

// Fetch sends req to the primary, and to the secondary when the primary's answer calls for
// failover (the primary's body is closed first). Each failover is logged at Info with the
// group, the primary, the reason, the method and the path.
//
// A req.BodyStream is sent once: when the primary read any of it (an OPTIONS with a body),
// the primary's answer or error is final, with no failover. Informational responses of both
// members reach req.OnInformational, the primary's first.
func (g *Group) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if g.primary == nil || g.secondary == nil {
		return nil, fmt.Errorf("origin group %q: needs a primary and a secondary", g.id)
	}
	if req == nil {
		return nil, fmt.Errorf("origin group %q: nil request", g.id)
	}
	if err := checkBody(g.id, req); err != nil {
		return nil, fmt.Errorf("origin group: %w", err)
	}
	if !failoverMethod(req.Method) {
		return g.primary.Fetch(ctx, req)
	}
	first := req
	var up *upload
	if req.BodyStream != nil {
		// Watch the stream to know whether the primary consumed any of it.
		up = newUpload(req.BodyStream, -1)
		defer up.detach()
		r := *req
		r.BodyStream = up
		first = &r
	}
	resp, err := g.primary.Fetch(ctx, first)
	if up != nil && up.touched() {
		return resp, err
	}
	var reason string
	switch {
	case err == nil && !slices.Contains(g.codes, resp.Status):
		return resp, nil
	case err == nil:
		_ = resp.Body.Close()
		reason = strconv.Itoa(resp.Status)
	default:
		var oe *Error
		if !errors.As(err, &oe) || ctx.Err() != nil {
			return nil, err
		}
		reason = oe.Kind.String()
	}
	g.log.Info("origin group failover", "group", g.id, "primary", fetcherID(g.primary),
		"reason", reason, "method", req.Method, "path", req.Path)
	return g.secondary.Fetch(ctx, req)
}

// failoverMethod reports whether CloudFront fails over for a method: GET, HEAD, OPTIONS.
func failoverMethod(m string) bool {
	return m == "" || m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// fetcherID names a member for the log: its ID() when it has one.
func fetcherID(f Fetcher) string {
	if idf, ok := f.(interface{ ID() string }); ok {
		return idf.ID()
	}
	return fmt.Sprintf("%T", f)
}
