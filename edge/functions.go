package edge

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/function"
	"github.com/cfedge/edge/origin"
	"github.com/valyala/fasthttp"
)

// CloudFront Functions at the viewer events
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-functions.html):
// a viewer-request function runs after the behavior is chosen and the viewer admitted, before the
// cache; what it returns changes the request (and so the cache key and the origin request), or
// answers the viewer at once. A viewer-response function runs on the answer before it is sent.

var (
	xFunctionGenerated = []byte("FunctionGeneratedResponse from cloudfront")
	xFunctionExecution = []byte("FunctionExecutionError from cloudfront")
	xFunctionInvalid   = []byte("FunctionValidationError from cloudfront")
)

// compileFunctions compiles every function of c once, each with its key value store.
func compileFunctions(c *config.Config, now time.Time) (map[string]*function.Function, error) {
	out := make(map[string]*function.Function, len(c.Functions))
	for i, fc := range c.Functions {
		opts := function.Options{Runtime: fc.Runtime}
		if st, ok := c.KeyValueStoreByName(fc.KeyValueStoreName()); ok {
			data := make([]function.KeyValue, len(st.Data))
			for j, kv := range st.Data {
				data[j] = function.KeyValue{Key: kv.Key, Value: kv.Value}
			}
			opts.KVS = function.NewMemoryStore(data, now)
		}
		f, err := function.Compile(fc.Name, fc.Code, opts)
		if err != nil {
			return nil, fmt.Errorf("edge: %s: %w", c.FunctionCodePath(i), err)
		}
		out[fc.Name] = f
	}
	return out, nil
}

// viewerRequestFunction runs the behavior's viewer-request function, if it has one. It reports
// whether the function answered the viewer (a generated response, or CloudFront's error when the
// function failed); otherwise the request goes on as the function changed it.
func (s *Server) viewerRequestFunction(x *exchange) bool {
	name := x.beh.ViewerRequestFunction
	if name == "" {
		return false
	}
	ev := s.requestEvent(x, function.ViewerRequest)
	res, err := x.snap.functions[name].Run(context.Background(), ev)
	if err == nil && res.Origin != nil && res.Response == nil {
		err = s.applyOrigin(x, res.Origin)
	}
	if err != nil {
		s.functionFailed(x, name, err)
		return true
	}
	for _, l := range res.Logs {
		s.log.Info("function log", "function", name, "dist", x.dist.id, "line", l)
	}
	if res.Response != nil {
		s.writeFunctionResponse(x, res.Response)
		x.xcache, x.detail = xFunctionGenerated, "FunctionGeneratedResponse"
		return true
	}
	s.applyRequest(x, ev, res.Request)
	return false
}

// applyOrigin carries out what the function's origin helpers asked for
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html):
// another origin of the distribution (selectRequestOriginById, with its hostHeader), or a
// failover pair of them (createRequestOriginGroup). The choice is not part of the cache key, as
// on CloudFront; or the behavior's origin changed as cf.updateRequestOrigin describes
// (updatedOrigin).
func (s *Server) applyOrigin(x *exchange, ch *function.OriginChange) error {
	d := x.dist
	switch ch.Kind {
	case function.OriginSelect:
		f, ok := d.origins[ch.SelectID]
		if !ok {
			return fmt.Errorf("%w: selectRequestOriginById(%q): no such origin in distribution %s", function.ErrExecution, ch.SelectID, d.id)
		}
		x.origin, x.originID, x.originHost = f, ch.SelectID, ch.HostHeader
		return nil
	case function.OriginGroup:
		p, ok1 := d.origins[ch.Group[0]]
		q, ok2 := d.origins[ch.Group[1]]
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: createRequestOriginGroup(%q, %q): no such origin in distribution %s", function.ErrExecution, ch.Group[0], ch.Group[1], d.id)
		}
		id := ch.Group[0] + "+" + ch.Group[1]
		x.origin, x.originID = origin.NewGroup(id, p, q, ch.FailoverCodes, origin.Options{Logger: s.log}), id
		return nil
	}
	f, id, err := s.updatedOrigin(x, ch)
	if err != nil {
		return err
	}
	x.origin, x.originID, x.originHost = f, id, ch.HostHeader
	return nil
}

// viewerResponseFunction runs the behavior's viewer-response function on the answer, unless the
// answer is an error (CloudFront does not run it for a status of 400 or more).
func (s *Server) viewerResponseFunction(x *exchange) {
	if x.beh == nil || x.beh.ViewerResponseFunction == "" || x.ctx.Response.StatusCode() >= 400 {
		return
	}
	name := x.beh.ViewerResponseFunction
	ev := s.requestEvent(x, function.ViewerResponse)
	resp := &x.ctx.Response
	ev.Response = &function.Response{StatusCode: resp.StatusCode(), StatusDescription: statusText(resp.StatusCode())}
	for k, v := range resp.Header.All() {
		name := strings.ToLower(string(k))
		if name == "set-cookie" {
			continue
		}
		ev.Response.Headers = addField(ev.Response.Headers, name, string(v), "")
	}
	for _, v := range resp.Header.PeekAll("Set-Cookie") {
		n, val, attrs := splitSetCookie(v)
		ev.Response.Cookies = addField(ev.Response.Cookies, n, val, attrs)
	}
	res, err := x.snap.functions[name].Run(context.Background(), ev)
	if err != nil {
		s.functionFailed(x, name, err)
		return
	}
	if res.Response == nil {
		return
	}
	s.applyResponse(x, ev.Response, res.Response)
}

// functionFailed answers a request whose function failed as CloudFront does: 503 for a throw, a
// timeout or a compile error (FunctionExecutionError), 502 for an output it can't use
// (FunctionValidationError), with a log line naming the cause.
func (s *Server) functionFailed(x *exchange, name string, err error) {
	status, xc, detail := fasthttp.StatusServiceUnavailable, xFunctionExecution, "FunctionExecutionError"
	if errors.Is(err, function.ErrInvalidOutput) {
		status, xc, detail = fasthttp.StatusBadGateway, xFunctionInvalid, "FunctionValidationError"
	}
	s.log.Warn("function failed", "function", name, "dist", x.dist.id, "status", status, "err", err)
	s.cfError(x, status, msgFunction)
	x.xcache, x.detail = xc, detail
}

// requestEvent builds the event object for x's request.
func (s *Server) requestEvent(x *exchange, eventType string) *function.Event {
	ctx := x.ctx
	rh := &ctx.Request.Header
	ev := &function.Event{
		Version: "1.0",
		Context: function.Context{DistributionDomainName: x.dist.domain, DistributionID: x.dist.id, EventType: eventType, RequestID: string(x.id[:])},
		Viewer:  function.Viewer{IP: ctx.RemoteIP().String()},
		Request: function.Request{Method: string(ctx.Method()), URI: string(x.originPath)},
	}
	for k, v := range rh.All() {
		name := strings.ToLower(string(k))
		if name == "cookie" {
			for _, c := range bytes.Split(v, []byte(";")) {
				if n, val, ok := bytes.Cut(bytes.TrimSpace(c), []byte("=")); ok || len(n) > 0 {
					ev.Request.Cookies = addField(ev.Request.Cookies, string(n), string(val), "")
				}
			}
			continue
		}
		ev.Request.Headers = addField(ev.Request.Headers, name, string(v), "")
	}
	for _, pair := range bytes.Split(ctx.URI().QueryString(), []byte("&")) {
		if len(pair) == 0 {
			continue
		}
		n, v, _ := bytes.Cut(pair, []byte("="))
		ev.Request.QueryString = addField(ev.Request.QueryString, string(n), string(v), "")
	}
	return ev
}

// applyRequest carries what a viewer-request function returned into the request: its uri (the
// path the cache key holds and the origin receives), its query string, headers and cookies.
func (s *Server) applyRequest(x *exchange, in *function.Event, out *function.Request) {
	if out == nil {
		return
	}
	rh := &x.ctx.Request.Header
	if out.Changed&function.PartURI != 0 {
		x.pbuf = append(x.pbuf[:0], out.URI...)
		x.path, x.originPath = x.pbuf, x.pbuf
	}
	if out.Changed&function.PartQuery != 0 {
		q := out.RawQueryString
		if out.RawQueryString == "" {
			var b []byte
			for _, f := range out.QueryString {
				for _, v := range f.Values {
					if len(b) > 0 {
						b = append(b, '&')
					}
					b = append(b, f.Name...)
					if v.Value != "" {
						b = append(append(b, '='), v.Value...)
					}
				}
			}
			q = string(b)
		}
		x.ctx.URI().SetQueryString(q)
	}
	if out.Changed&(function.PartHeaders|function.PartCookies) == 0 {
		return
	}
	if out.Changed&function.PartHeaders != 0 {
		for _, f := range in.Request.Headers {
			if _, ok := out.Headers.Get(f.Name); !ok {
				rh.Del(f.Name)
			}
		}
		for _, f := range out.Headers {
			if sameField(in.Request.Headers, f) {
				continue
			}
			rh.Del(f.Name)
			for _, v := range f.Values {
				rh.Add(f.Name, v.Value)
			}
		}
	}
	if out.Changed&function.PartCookies != 0 {
		var cookie []byte
		for _, f := range out.Cookies {
			for _, v := range f.Values {
				if len(cookie) > 0 {
					cookie = append(cookie, "; "...)
				}
				cookie = append(append(append(cookie, f.Name...), '='), v.Value...)
			}
		}
		rh.Del("Cookie")
		if len(cookie) > 0 {
			rh.SetBytesV("Cookie", cookie)
		}
	}
	// The headers changed: the facts read from the raw block no longer hold.
	x.facts = headerFacts{conditional: true, connection: true, origin: true, pragma: true, cloudfront: true}
}

// writeFunctionResponse answers with a response a viewer-request function generated.
func (s *Server) writeFunctionResponse(x *exchange, r *function.Response) {
	resp := &x.ctx.Response
	resp.Reset()
	resp.Header.DisableNormalizing()
	x.dated, x.prepared, x.corsDone = false, false, false
	resp.SetStatusCode(r.StatusCode)
	if r.StatusDescription != "" {
		resp.Header.SetStatusMessage([]byte(r.StatusDescription))
	}
	setFunctionFields(&resp.Header, r)
	if err := setFunctionBody(resp, r.Body); err != nil {
		s.functionFailed(x, x.beh.ViewerRequestFunction, fmt.Errorf("%w: %v", function.ErrInvalidOutput, err))
	}
}

// applyResponse carries what a viewer-response function returned into the answer.
func (s *Server) applyResponse(x *exchange, in, out *function.Response) {
	resp := &x.ctx.Response
	if out.StatusCode != 0 && out.StatusCode != in.StatusCode {
		resp.SetStatusCode(out.StatusCode)
	}
	if out.StatusDescription != "" && out.StatusDescription != in.StatusDescription {
		resp.Header.SetStatusMessage([]byte(out.StatusDescription))
	}
	// The response's names are canonical and compared exactly (normalising is off for it).
	for _, f := range in.Headers {
		if _, ok := out.Headers.Get(f.Name); !ok {
			resp.Header.Del(http.CanonicalHeaderKey(f.Name))
		}
	}
	changed := &function.Response{Cookies: out.Cookies}
	for _, f := range out.Headers {
		if sameField(in.Headers, f) {
			continue
		}
		resp.Header.Del(http.CanonicalHeaderKey(f.Name))
		if f.Name == "date" && len(f.Values) > 0 {
			setDate(&resp.Header, []byte(f.Values[0].Value)) // fasthttp's Date is its own: see setDate
			continue
		}
		changed.Headers = append(changed.Headers, f)
	}
	resp.Header.Del("Set-Cookie")
	setFunctionFields(&resp.Header, changed)
	if out.Body != nil {
		if err := setFunctionBody(resp, out.Body); err != nil {
			s.functionFailed(x, x.beh.ViewerResponseFunction, fmt.Errorf("%w: %v", function.ErrInvalidOutput, err))
		}
	}
}

// sameField reports whether fs holds f with the same values.
func sameField(fs function.Fields, f function.Field) bool {
	for _, g := range fs {
		if g.Name != f.Name {
			continue
		}
		if len(g.Values) != len(f.Values) {
			return false
		}
		for i := range g.Values {
			if g.Values[i] != f.Values[i] {
				return false
			}
		}
		return true
	}
	return false
}

// setFunctionFields adds a function response's headers and cookies.
func setFunctionFields(h *fasthttp.ResponseHeader, r *function.Response) {
	for _, f := range r.Headers {
		name := http.CanonicalHeaderKey(f.Name)
		for _, v := range f.Values {
			h.Add(name, v.Value)
		}
	}
	for _, f := range r.Cookies {
		for _, v := range f.Values {
			c := f.Name + "=" + v.Value
			if v.Attributes != "" {
				c += "; " + v.Attributes
			}
			h.Add("Set-Cookie", c)
		}
	}
}

// setFunctionBody sets a function's body: text as is, base64 decoded.
func setFunctionBody(resp *fasthttp.Response, b *function.Body) error {
	if b == nil {
		return nil
	}
	if b.Encoding == "base64" {
		data, err := base64.StdEncoding.DecodeString(b.Data)
		if err != nil {
			return fmt.Errorf("body: %v", err)
		}
		resp.SetBody(data)
		return nil
	}
	resp.SetBodyString(b.Data)
	return nil
}

// addField appends a value to the field of that name, or a new field.
func addField(fs function.Fields, name, value, attrs string) function.Fields {
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Values = append(fs[i].Values, function.FieldValue{Value: value, Attributes: attrs})
			return fs
		}
	}
	return append(fs, function.Field{Name: name, Values: []function.FieldValue{{Value: value, Attributes: attrs}}})
}

// splitSetCookie splits a Set-Cookie value into the cookie's name, value and attributes.
func splitSetCookie(v []byte) (name, value, attrs string) {
	pair, rest, _ := bytes.Cut(v, []byte(";"))
	n, val, _ := bytes.Cut(pair, []byte("="))
	return string(bytes.TrimSpace(n)), string(bytes.TrimSpace(val)), string(bytes.TrimSpace(rest))
}

// statusText is a status's reason phrase for the event object.
func statusText(code int) string {
	if t := fasthttp.StatusMessage(code); t != "Unknown Status Code" {
		return t
	}
	return strconv.Itoa(code)
}
