package function

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// vmState is one pooled goja runtime with the function loaded, and the state of the
// invocation it is running.
type vmState struct {
	f       *Function
	vm      *goja.Runtime
	factory goja.Callable
	require goja.Value
	global  *goja.Object
	buffer  goja.Value // the Buffer constructor (2.0)
	parse   goja.Callable
	timer   *time.Timer
	// run is the current run's clocks (see checkBudget), replaced whole for each run so that a
	// check still finishing from the previous run reads that run's.
	clock atomic.Pointer[runClock]

	// Per invocation.
	nowMs     goja.Value
	eventType string
	origin    *OriginChange
	logs      []string
	logBytes  int
	kvs       KeyValueStore

	// The event's field objects are built when first read (record.go).
	untouched *goja.Object // what an unread field object reads as while the result is read back
	// Object.prototype (frozen by prelude.js), the names of its properties, and its
	// hasOwnProperty: what own needs to read a field object's own properties only.
	objectProto *goja.Object
	protoNames  map[string]bool
	hasOwn      goja.Callable
	// The size budget of the result being read back (see spend).
	outLeft   int
	outRaised bool
	outReq    *Request  // the input request, when a request is read back
	outResp   *Response // the input response, when a response is read back
	// The module and exports given to code that never names them (nor arguments): only the
	// factory's own return statement reads them.
	noModule, noExports goja.Value
	reading             bool          // the result is being read back
	ev                  *Event        // the run's event
	er                  *eventRecords // its records
	recs                *eventRecords // the records, kept from run to run

	rxCache      map[string]*rxEntry  // the patterns the runtime knows (regexp_run.go)
	rxCacheBytes int                  // the bytes of their sources and translations
	rxCompiled   int                  // the instructions of those compiled
	rxProto      *goja.Object         // RegExp.prototype
	rx           rxBuiltins           // goja's own
	rxFail       goja.Callable        // prelude.js's fail, which throws its RangeError
	rxCosts      map[*goja.Object]int // costOf's answers, for the run
}

var errInterrupted = errors.New("interrupted")

var promiseType = reflect.TypeOf((*goja.Promise)(nil))

func (f *Function) newState() (*vmState, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(512)
	s := &vmState{f: f, vm: vm}
	pp, err := prelude()
	if err != nil {
		return nil, err
	}
	pv, err := vm.RunProgram(pp)
	if err != nil {
		return nil, err
	}
	pf, _ := goja.AssertFunction(pv)
	if err := s.takeRegexpBuiltins(); err != nil {
		return nil, err
	}
	mods := vm.NewObject()
	console := vm.NewObject()
	_ = console.Set("log", s.consoleLog)
	_ = mods.Set("console", console)
	_ = mods.Set("crypto", s.cryptoModule())
	if f.v2 {
		_ = mods.Set("cloudfront", s.cloudfrontModule())
	}
	out, err := pf(goja.Undefined(), s.goHelpers(), vm.ToValue(f.v2), mods)
	if err != nil {
		return nil, err
	}
	o := out.ToObject(vm)
	s.require = o.Get("require")
	s.buffer = o.Get("Buffer")
	s.parse, _ = goja.AssertFunction(o.Get("parse"))
	s.rxProto, _ = o.Get("regexpProto").(*goja.Object)
	s.rxFail, _ = goja.AssertFunction(o.Get("fail"))
	s.objectProto, _ = o.Get("proto").(*goja.Object)
	if s.objectProto == nil {
		return nil, errors.New("prelude: Object.prototype missing")
	}
	s.hasOwn, _ = goja.AssertFunction(s.objectProto.Get("hasOwnProperty"))
	if s.hasOwn == nil {
		return nil, errors.New("prelude: Object.prototype.hasOwnProperty missing")
	}
	names := s.objectProto.GetOwnPropertyNames()
	s.protoNames = make(map[string]bool, len(names))
	for _, n := range names {
		s.protoNames[n] = true
	}
	s.global = vm.GlobalObject()
	fv, err := vm.RunProgram(f.prog)
	if err != nil {
		return nil, err
	}
	s.factory, _ = goja.AssertFunction(fv)
	s.nowMs = vm.ToValue(0)
	// The sentinel an unread field object reads as during the read-back is one object per
	// runtime: frozen and without a prototype, so that a getter run by the read-back can't
	// leave a value on it for the next viewer's run.
	u, err := vm.RunString("Object.freeze(Object.create(null))")
	if err != nil {
		return nil, err
	}
	s.untouched = u.ToObject(vm)
	if !f.usesModule {
		e := vm.NewObject()
		m := vm.NewObject()
		_ = m.Set("exports", e)
		s.noModule, s.noExports = m, e
	}
	s.timer = time.AfterFunc(time.Hour, s.checkBudget)
	s.timer.Stop()
	return s, nil
}

func (s *vmState) begin(ev *Event, start time.Time) {
	s.nowMs = s.vm.ToValue(start.UnixMilli())
	s.eventType = ev.Context.EventType
	s.kvs = s.f.opts.KVS
}

func (s *vmState) end() {
	s.origin = nil
	s.logs = nil
	s.logBytes = 0
	s.kvs = nil
	s.reading = false
	s.outReq, s.outResp = nil, nil
	s.ev, s.er = nil, nil
	clear(s.rxCosts)
}

// run returns clean=false when the runtime must not be reused.
func (s *vmState) run(ev *Event) (*Result, error, bool) {
	vm := s.vm
	event := s.buildEvent(ev)
	var module, exports, gthis goja.Value = s.noModule, s.noExports, goja.Undefined()
	if s.f.usesGlobal {
		gthis = vm.CreateObject(s.global)
	}
	if s.f.usesModule {
		m, e := vm.NewObject(), vm.NewObject()
		_ = m.Set("exports", e)
		module, exports = m, e
	}
	hv, err := s.factory(goja.Undefined(), s.require, module, exports, gthis)
	if err != nil {
		return nil, s.jsError(err), !isInterrupt(err)
	}
	h, ok := goja.AssertFunction(hv)
	if !ok {
		return nil, fmt.Errorf("%w: handler is not defined", ErrExecution), true
	}
	rv, err := h(goja.Undefined(), event)
	if err != nil {
		return nil, s.jsError(err), !isInterrupt(err)
	}
	// An async handler returns a promise. There are no timers and KVS reads resolve at once,
	// so once the job queue has drained (goja drains it when the outermost call returns) the
	// promise is settled or never will be.
	if o, ok := rv.(*goja.Object); ok && o.ExportType() == promiseType {
		if p, ok := o.Export().(*goja.Promise); ok {
			switch p.State() {
			case goja.PromiseStateFulfilled:
				rv = p.Result()
			case goja.PromiseStateRejected:
				return nil, fmt.Errorf("%w: %s", ErrExecution, describe(p.Result())), true
			default:
				return nil, fmt.Errorf("%w: the handler's promise never settled", ErrExecution), true
			}
		}
	}
	res, err := s.readResult(ev, rv)
	return res, err, true
}

func isInterrupt(err error) bool {
	var ie *goja.InterruptedError
	return errors.As(err, &ie)
}

func (s *vmState) jsError(err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return fmt.Errorf("%w (%s)", ErrTimeout, s.f.budget)
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return fmt.Errorf("%w: %s", ErrExecution, safeDescribe(ex.Value()))
	}
	var se *goja.StackOverflowError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: maximum call stack size exceeded", ErrExecution)
	}
	return fmt.Errorf("%w: %v", ErrExecution, err)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// safeDescribe is describe for a value thrown by the code: reading its name and message may run
// the code's getters, which the budget can interrupt once the run is over; then the value is
// described by its kind only.
func safeDescribe(v goja.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = "uncaught exception"
		}
	}()
	return firstLine(describe(v))
}

// maxMultiValues bounds the values of one header, cookie or query parameter a function returns.
const maxMultiValues = 1024

func describe(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	if o, ok := v.(*goja.Object); ok {
		if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
			n := o.Get("name")
			if n != nil && !goja.IsUndefined(n) {
				return n.String() + ": " + m.String()
			}
			return m.String()
		}
	}
	return v.String()
}

// --- building the event object ---

// hidden reports whether a header is kept from functions: the disallowed headers of
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html
// (also cookie / set-cookie, which live in cookies).
func hidden(name string) bool {
	switch name {
	case "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
		"proxy-connection", "trailer", "upgrade", "x-accel-buffering", "x-accel-charset",
		"x-accel-limit-rate", "x-accel-redirect", "x-amzn-auth", "x-amzn-cf-billing",
		"x-amzn-cf-id", "x-amzn-cf-xff", "x-amzn-errortype", "x-amzn-fle-profile",
		"x-amzn-header-count", "x-amzn-header-order", "x-amzn-lambda-integration-tag",
		"x-amzn-requestid", "x-cache", "x-forwarded-proto", "x-real-ip",
		"cookie", "set-cookie":
		return true
	}
	return strings.HasPrefix(name, "x-amz-cf-") || strings.HasPrefix(name, "x-edge-")
}

// readOnlyRequest and readOnlyResponse: "read-only" headers (add, edit or delete → 502).
func readOnlyRequest(name string) bool {
	switch name {
	case "cdn-loop", "content-length", "host", "transfer-encoding", "via":
		return true
	}
	return false
}

func readOnlyResponse(name string) bool { return name == "via" || name == "warning" }

// buildEvent makes the event object; its parts are made when first read (record.go).
func (s *vmState) buildEvent(ev *Event) *goja.Object {
	vm := s.vm
	version := ev.Version
	if version == "" {
		version = "1.0"
	}
	s.ev = ev
	s.er = s.records()
	e := &s.er.event
	e.add("version", vm.ToValue(version))
	e.addLazy("context", nil, lazyValue{kind: lazyContext})
	e.addLazy("viewer", nil, lazyValue{kind: lazyViewer})
	r := &s.er.request
	r.add("method", vm.ToValue(ev.Request.Method))
	r.add("uri", vm.ToValue(ev.Request.URI))
	r.addFields("querystring", ev.Request.QueryString, false, false)
	r.addFields("headers", ev.Request.Headers, false, true)
	r.addFields("cookies", ev.Request.Cookies, false, false)
	e.add("request", vm.NewDynamicObject(r))
	if ev.Response != nil {
		p := &s.er.response
		p.add("statusCode", vm.ToValue(ev.Response.StatusCode))
		p.add("statusDescription", vm.ToValue(ev.Response.StatusDescription))
		p.addFields("headers", ev.Response.Headers, false, true)
		p.addFields("cookies", ev.Response.Cookies, true, false)
		e.add("response", vm.NewDynamicObject(p))
	}
	return vm.NewDynamicObject(e)
}

func (s *vmState) fieldsObject(fs Fields, attrs, headers bool) *goja.Object {
	vm := s.vm
	o := vm.NewObject()
	for i := range fs {
		f := &fs[i]
		if headers && hidden(f.Name) {
			continue
		}
		// An own data property, as JSON.parse of the event would make. Set is that for a name
		// Object.prototype lacks; for one it has, Set would run its setter (a viewer's field
		// named __proto__ would replace the object's prototype) or fail on its frozen
		// property (hasOwnProperty), so the property is defined (which costs an allocation
		// more).
		if s.protoNames[f.Name] {
			_ = o.DefineDataProperty(f.Name, s.valueObject(f.Values, attrs), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
		} else {
			_ = o.Set(f.Name, s.valueObject(f.Values, attrs))
		}
	}
	return o
}

func (s *vmState) valueObject(vals []FieldValue, attrs bool) *goja.Object {
	vm := s.vm
	one := func(v FieldValue) *goja.Object {
		o := vm.NewObject()
		_ = o.Set("value", v.Value)
		if attrs {
			_ = o.Set("attributes", v.Attributes)
		}
		return o
	}
	var first FieldValue
	if len(vals) > 0 {
		first = vals[0]
	}
	o := one(first)
	if len(vals) > 1 {
		mv := make([]any, len(vals))
		for i, v := range vals {
			mv[i] = one(v)
		}
		_ = o.Set("multiValue", vm.NewArray(mv...))
	}
	return o
}

// --- reading the result back ---

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOutput}, a...)...)
}

func readOnly(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrReadOnly}, a...)...)
}

func present(v goja.Value) bool { return v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) }

func (s *vmState) readResult(ev *Event, rv goja.Value) (*Result, error) {
	o, ok := rv.(*goja.Object)
	if !ok || o == nil {
		return nil, invalid("the handler returned %s, not a request or response object", describe(rv))
	}
	res := &Result{}
	s.reading = true
	defer func() { s.reading = false }()
	s.outLeft, s.outRaised, s.outReq, s.outResp = maxOutputBytes, false, nil, nil
	if ev.Context.EventType == ViewerResponse {
		if !present(o.Get("statusCode")) {
			return nil, invalid("a viewer-response function must return a response")
		}
		orig := ev.Response
		if orig == nil {
			orig = &Response{}
		}
		s.outResp = orig
		resp, err := s.readResponse(o, orig, true)
		if err != nil {
			return nil, err
		}
		res.Response = resp
		return res, nil
	}
	if present(o.Get("statusCode")) {
		resp, err := s.readResponse(o, &Response{}, false)
		if err != nil {
			return nil, err
		}
		res.Response = resp
		return res, nil
	}
	s.outReq = &ev.Request
	req, err := s.readRequest(o, &ev.Request)
	if err != nil {
		return nil, err
	}
	res.Request = req
	res.Origin = s.origin
	return res, nil
}

func (s *vmState) readRequest(o *goja.Object, orig *Request) (*Request, error) {
	req := &Request{}
	m := o.Get("method")
	if !present(m) || m.String() != orig.Method {
		return nil, readOnly("request.method is read-only")
	}
	req.Method = orig.Method
	u := o.Get("uri")
	if !present(u) {
		return nil, invalid("request.uri is missing")
	}
	req.URI = u.String()
	if req.URI != orig.URI {
		if !strings.HasPrefix(req.URI, "/") {
			return nil, invalid("request.uri %q does not start with /", req.URI)
		}
		if !validQuery(req.URI) {
			return nil, invalid("request.uri holds a space, control character or #")
		}
	}
	var err error
	var changed bool
	q := o.Get("querystring")
	if present(q) && !isObject(q) {
		if gs, ok := q.(goja.String); ok && !s.fits(gs.Length()) {
			return nil, s.tooBig("querystring")
		}
		req.RawQueryString = q.String()
		if !validQuery(req.RawQueryString) {
			return nil, invalid("request.querystring holds a space, control character or #")
		}
		req.RawQueryString = strings.TrimPrefix(req.RawQueryString, "?")
		if err := s.spend(len(req.RawQueryString), "querystring"); err != nil {
			return nil, err
		}
		req.Changed |= PartQuery
	} else if req.QueryString, changed, err = s.readFields(q, orig.QueryString, kindQuery); err != nil {
		return nil, err
	} else if changed {
		req.Changed |= PartQuery
	}
	if n := len(req.URI) + len(req.RawQueryString) + fieldsLen(req.QueryString); n >= 8192 {
		return nil, invalid("URI and query string are %d characters; the limit is 8,191", n)
	}
	if req.Headers, changed, err = s.readFields(o.Get("headers"), orig.Headers, kindRequestHeader); err != nil {
		return nil, err
	} else if changed {
		req.Changed |= PartHeaders
	}
	if req.Cookies, changed, err = s.readFields(o.Get("cookies"), orig.Cookies, kindCookie); err != nil {
		return nil, err
	} else if changed {
		req.Changed |= PartCookies
	}
	if req.URI != orig.URI {
		req.Changed |= PartURI
	}
	return req, nil
}

// fieldsLen is the size of fields as the output bound counts it (see spend): per value, the
// name, the value, the attributes and two bytes of separators.
func fieldsLen(fs Fields) int {
	n := 0
	for _, f := range fs {
		n += valuesLen(f.Name, f.Values)
	}
	return n
}

func valuesLen(name string, vals []FieldValue) int {
	n := 0
	for _, v := range vals {
		n += len(name) + len(v.Value) + len(v.Attributes) + 2
	}
	return n
}

// maxOutputBytes bounds what a function returns: a request's query string, headers and cookies,
// or a response's headers and cookies. CloudFront's "Maximum length of a request, including
// headers and query strings, but not including the body content: 20,480 bytes"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html,
// "General quotas"); the same bound is applied to a response's headers and cookies.
const maxOutputBytes = 20480

// fits reports whether n more bytes of output fit the bound. The bound is maxOutputBytes, or the
// size of the input's own query string, headers and cookies when that is larger (an origin's
// response headers may be: a function returning them unchanged is not at fault); the input is
// measured only the first time the output goes over maxOutputBytes.
func (s *vmState) fits(n int) bool {
	if n <= s.outLeft {
		return true
	}
	if !s.outRaised {
		s.outRaised = true
		in := 0
		if r := s.outReq; r != nil {
			in = fieldsLen(r.QueryString) + len(r.RawQueryString) + fieldsLen(r.Headers) + fieldsLen(r.Cookies)
		}
		if r := s.outResp; r != nil {
			in = fieldsLen(r.Headers) + fieldsLen(r.Cookies)
		}
		if in > maxOutputBytes {
			s.outLeft += in - maxOutputBytes
		}
	}
	return n <= s.outLeft
}

// spend counts n bytes of output read back in where (see fits).
func (s *vmState) spend(n int, where string) error {
	if !s.fits(n) {
		return s.tooBig(where)
	}
	s.outLeft -= n
	return nil
}

func (s *vmState) tooBig(where string) error {
	return invalid("the output is over %d bytes of query string, headers and cookies (at %s)", maxOutputBytes, where)
}

func isObject(v goja.Value) bool {
	_, ok := v.(*goja.Object)
	return ok
}

func (s *vmState) readResponse(o *goja.Object, orig *Response, viewerResponse bool) (*Response, error) {
	resp := &Response{}
	sc := o.Get("statusCode")
	code, ok := intValue(sc)
	if !ok || code < 200 || code > 599 {
		return nil, invalid("statusCode %s is not an integer from 200 to 599", describe(sc))
	}
	resp.StatusCode = code
	if d := o.Get("statusDescription"); present(d) {
		resp.StatusDescription = d.String()
		if strings.ContainsAny(resp.StatusDescription, "\r\n\x00") {
			return nil, invalid("statusDescription holds a control character")
		}
	}
	kind := kindGeneratedHeader
	if viewerResponse {
		kind = kindResponseHeader
	}
	var err error
	if resp.Headers, _, err = s.readFields(o.Get("headers"), orig.Headers, kind); err != nil {
		return nil, err
	}
	if resp.Cookies, _, err = s.readFields(o.Get("cookies"), orig.Cookies, kindSetCookie); err != nil {
		return nil, err
	}
	if b := o.Get("body"); present(b) {
		body := &Body{Encoding: "text"}
		if bo, ok := b.(*goja.Object); ok {
			d := bo.Get("data")
			if present(d) {
				body.Data = d.String()
			}
			if e := bo.Get("encoding"); present(e) {
				body.Encoding = e.String()
			}
		} else {
			body.Data = b.String()
		}
		switch body.Encoding {
		case "text":
		case "base64":
			if _, err := decodeStrictBase64(body.Data); err != nil {
				return nil, invalid("body.data is not valid base64")
			}
		default:
			return nil, invalid("body.encoding %q is neither text nor base64", body.Encoding)
		}
		if len(body.Data) > MaxBodySize {
			return nil, invalid("body is %d bytes; the limit is %d", len(body.Data), MaxBodySize)
		}
		resp.Body = body
	}
	return resp, nil
}

// intValue reads an integer from a number (an object is not one: exporting it could build
// anything the code made).
func intValue(v goja.Value) (int, bool) {
	if !present(v) || isObject(v) {
		return 0, false
	}
	switch x := v.Export().(type) {
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return int(x), true
		}
	}
	return 0, false
}

type fieldKind int

const (
	kindQuery fieldKind = iota
	kindRequestHeader
	kindResponseHeader
	kindGeneratedHeader
	kindCookie
	kindSetCookie
)

func (k fieldKind) header() bool {
	return k == kindRequestHeader || k == kindResponseHeader || k == kindGeneratedHeader
}

func (k fieldKind) where() string {
	switch k {
	case kindQuery:
		return "querystring"
	case kindCookie, kindSetCookie:
		return "cookies"
	}
	return "headers"
}

// readFields reads a headers, cookies or querystring object back. For a field that was in the
// input, a changed multiValue wins; otherwise a changed value replaces the first value only; an
// untouched field keeps its input values (shared with the input). changed reports whether the
// result differs from orig; a field object the function never read is orig itself. Only the
// object's own properties are fields: ({})['__proto__'] or ({}).toString is not a field.
// What is read back is counted against the output bound (spend) as it is read.
func (s *vmState) readFields(v goja.Value, orig Fields, kind fieldKind) (_ Fields, changed bool, _ error) {
	if o, ok := v.(*goja.Object); ok && o == s.untouched {
		if err := s.spend(fieldsLen(orig), kind.where()); err != nil {
			return nil, false, err
		}
		return orig, false, nil
	}
	var obj *goja.Object
	if present(v) {
		o, ok := v.(*goja.Object)
		if !ok {
			return nil, false, invalid("%s is not an object", kind.where())
		}
		obj = o
	}
	out := make(Fields, 0, len(orig)+2)
	seen := 0
	// Input fields, in input order.
	for i := range orig {
		of := &orig[i]
		if kind.header() && hidden(of.Name) {
			if of.Name != "cookie" && of.Name != "set-cookie" {
				if err := s.spend(valuesLen(of.Name, of.Values), kind.where()); err != nil {
					return nil, false, err
				}
				out = append(out, *of) // passed through, never seen
			}
			continue
		}
		var ev goja.Value
		if obj != nil {
			ev = s.own(obj, of.Name)
		}
		if !present(ev) {
			if err := checkReadOnly(kind, of.Name); err != nil {
				return nil, false, err
			}
			changed = true
			continue
		}
		seen++
		vals, vchanged, err := s.readValues(ev, of.Values, kind, of.Name)
		if err != nil {
			return nil, false, err
		}
		if vchanged {
			if err := checkReadOnly(kind, of.Name); err != nil {
				return nil, false, err
			}
			changed = true
		}
		if err := s.spend(valuesLen(of.Name, vals), kind.where()); err != nil {
			return nil, false, err
		}
		out = append(out, Field{Name: of.Name, Values: vals})
	}
	if obj == nil {
		return out, changed, nil
	}
	// Added fields, in the order the function added them.
	keys := obj.Keys()
	if len(keys) == seen {
		return out, changed, nil // every key was an input field
	}
	for _, k := range keys {
		name := k
		if kind.header() {
			name = strings.ToLower(k)
		}
		if i := orig.index(name); i >= 0 || orig.index(k) >= 0 {
			if kind.header() && i >= 0 && hidden(name) && name != "cookie" && name != "set-cookie" {
				return nil, false, readOnly("header %s is disallowed", name)
			}
			continue
		}
		if err := checkName(kind, k); err != nil {
			return nil, false, err
		}
		ev := s.own(obj, k)
		if !present(ev) {
			continue
		}
		if kind.header() {
			if hidden(name) {
				if name == "cookie" || name == "set-cookie" {
					return nil, false, invalid("%s goes in cookies, not headers", name)
				}
				return nil, false, readOnly("header %s is disallowed", name)
			}
			if err := checkReadOnly(kind, name); err != nil {
				return nil, false, err
			}
		}
		vals, _, err := s.readValues(ev, nil, kind, name)
		if err != nil {
			return nil, false, err
		}
		if out.index(name) >= 0 {
			continue // the same name twice in different case: the first wins
		}
		if err := s.spend(valuesLen(name, vals), kind.where()); err != nil {
			return nil, false, err
		}
		out = append(out, Field{Name: name, Values: vals})
		changed = true
	}
	return out, changed, nil
}

// own returns o's own property name, nil if o has none: an inherited property (Object.prototype's
// __proto__, toString, constructor, ...) is not a field. On an ordinary object whose prototype is
// Object.prototype (frozen by prelude.js) or null, a name Object.prototype lacks can only be
// own, and Get reads it; otherwise hasOwnProperty decides. Like Get, it panics with the
// exception a getter or a proxy trap throws.
func (s *vmState) own(o *goja.Object, name string) goja.Value {
	if p := o.Prototype(); p == nil || (p == s.objectProto && !s.protoNames[name]) {
		return o.Get(name)
	}
	has, err := s.hasOwn(o, s.vm.ToValue(name))
	if err != nil {
		panic(fmt.Errorf("reading %s back: %w", name, err))
	}
	if !has.ToBoolean() {
		return nil
	}
	return o.Get(name)
}

// checkName checks the name of a field the function added. A header name is a field-name, a
// token (RFC 9110 §5.1); a cookie name is a token too (RFC 6265 §4.1.1 cookie-name, in the
// tchar of RFC 9110 §5.6.2); a query parameter name follows the rule for a written query string:
// no spaces, control characters or # (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/writing-function-code.html).
func checkName(kind fieldKind, name string) error {
	switch {
	case kind == kindQuery:
		if !validQuery(name) {
			return invalid("query parameter name %q holds a space, control character or #", name)
		}
	case kind.header():
		if !validToken(name) {
			return invalid("header name %q is not a token", name)
		}
	default:
		if !validToken(name) {
			return invalid("cookie name %q is not a token", name)
		}
	}
	return nil
}

func checkReadOnly(kind fieldKind, name string) error {
	switch {
	case kind == kindRequestHeader && readOnlyRequest(name),
		kind == kindResponseHeader && readOnlyResponse(name):
		return readOnly("header %s is read-only", name)
	}
	return nil
}

// readValues reads one field's value object back (see readFields). The values it reads count
// against the output bound as they are read, so that a huge multiValue stops at the bound; the
// caller spends what it keeps.
func (s *vmState) readValues(v goja.Value, orig []FieldValue, kind fieldKind, name string) ([]FieldValue, bool, error) {
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, false, invalid("%s.%s is not an object with a value", kind.where(), name)
	}
	attrs := kind == kindSetCookie
	if mv := o.Get("multiValue"); present(mv) {
		mo, ok := mv.(*goja.Object)
		if !ok {
			return nil, false, invalid("%s.%s.multiValue is not an array", kind.where(), name)
		}
		n, ok := intValue(mo.Get("length"))
		if !ok || n < 0 || n > maxMultiValues {
			return nil, false, invalid("%s.%s.multiValue holds more than %d values", kind.where(), name, maxMultiValues)
		}
		vals := make([]FieldValue, 0, n)
		pending := 0
		for i := 0; i < n; i++ {
			fv, err := s.readOne(mo.Get(itoa(i)), attrs, kind, name, pending)
			if err != nil {
				return nil, false, err
			}
			pending += len(name) + len(fv.Value) + len(fv.Attributes) + 2
			vals = append(vals, fv)
		}
		// An empty multiValue falls back to value; an unchanged one defers to value.
		if len(vals) > 0 && !slices.Equal(vals, orig) {
			if kind == kindQuery {
				for i, fv := range vals {
					if (i >= len(orig) || fv != orig[i]) && !validQuery(fv.Value) {
						return nil, false, badQueryValue(name)
					}
				}
			}
			return vals, true, nil
		}
	}
	first, err := s.readOne(o, attrs, kind, name, 0)
	if err != nil {
		return nil, false, err
	}
	if len(orig) > 0 && first == orig[0] {
		return orig, false, nil
	}
	if kind == kindQuery && !validQuery(first.Value) {
		return nil, false, badQueryValue(name)
	}
	if len(orig) == 0 {
		return []FieldValue{first}, true, nil
	}
	vals := make([]FieldValue, len(orig))
	copy(vals, orig)
	vals[0] = first
	return vals, true, nil
}

func badQueryValue(name string) error {
	return invalid("querystring.%s: a written value holds a space, control character or #", name)
}

// readOne reads one {value[, attributes]} object. pending is the output of the field read so
// far: a string that cannot fit the bound with it is refused before it is converted.
func (s *vmState) readOne(v goja.Value, attrs bool, kind fieldKind, name string, pending int) (FieldValue, error) {
	o, ok := v.(*goja.Object)
	if !ok {
		return FieldValue{}, invalid("%s.%s: a value is not an object", kind.where(), name)
	}
	val := o.Get("value")
	if !present(val) || isObject(val) {
		return FieldValue{}, invalid("%s.%s.value is missing or not a string", kind.where(), name)
	}
	// A string's UTF-8 form has at least as many bytes as its UTF-16 form has units.
	pending += len(name) + 2
	if gs, ok := val.(goja.String); ok && !s.fits(pending+gs.Length()) {
		return FieldValue{}, s.tooBig(kind.where())
	}
	fv := FieldValue{Value: val.String()}
	pending += len(fv.Value)
	if attrs {
		if a := o.Get("attributes"); present(a) {
			if gs, ok := a.(goja.String); ok && !s.fits(pending+gs.Length()) {
				return FieldValue{}, s.tooBig(kind.where())
			}
			fv.Attributes = a.String()
			pending += len(fv.Attributes)
		}
	}
	if !s.fits(pending) {
		return FieldValue{}, s.tooBig(kind.where())
	}
	if kind != kindQuery && (strings.ContainsAny(fv.Value, "\r\n\x00") || strings.ContainsAny(fv.Attributes, "\r\n\x00")) {
		return FieldValue{}, invalid("%s.%s holds CR, LF or NUL", kind.where(), name)
	}
	return fv, nil
}

// validQuery reports whether a written query string (or a name or value in it, or a URI) is
// free of spaces, control characters and #: "must not contain spaces, control characters or
// the fragment identifier (#)"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/writing-function-code.html).
// Bytes from 0x80 up are parts of UTF-8 sequences, never these ASCII characters.
func validQuery(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// validToken reports whether s is a token (RFC 9110 §5.6.2: one or more tchar).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

var smallInts = func() (a [16]string) {
	for i := range a {
		a[i] = fmt.Sprint(i)
	}
	return
}()

func itoa(i int) string {
	if i < len(smallInts) {
		return smallInts[i]
	}
	return fmt.Sprint(i)
}

// checkBudget runs when a share of the run's budget has passed on the wall clock. The budget is
// CPU time of the thread running the function (a loaded machine must not fail a function that
// was merely waiting for a core). A first attempt is timed on the wall clock alone (see Run):
// at the budget it is interrupted, to be run again on the CPU clock. Reading a thread's CPU
// clock is a system call, so a run is not timed at its start: the first check comes after a
// quarter of the budget in wall time, counts that quarter as used (the most it can have used),
// and from then on the thread's CPU clock decides; the check comes back when the rest could
// have been used. Past the budget, where no thread clock can be read, or after a wall time of
// maxWallBudgets budgets, the run is interrupted.
func (s *vmState) checkBudget() {
	budget := s.f.budget
	rc := s.clock.Load()
	if rc == nil || time.Since(rc.started) >= maxWallBudgets*budget {
		s.vm.Interrupt(errInterrupted)
		return
	}
	if rc.tid <= 0 { // the budget is wall time
		if left := budget - time.Since(rc.started); left > 0 {
			s.timer.Reset(left)
			return
		}
		if rc.tid == wallOnly {
			rc.wallOut.Store(true)
		}
		s.vm.Interrupt(errInterrupted)
		return
	}
	now := threadCPU(rc.tid)
	if now < 0 {
		s.vm.Interrupt(errInterrupted)
		return
	}
	if rc.cpu0 < 0 { // the first check: count the first window as fully used
		rc.cpu0 = now - int64(budget/firstCheck)
	}
	used := now - rc.cpu0
	if used >= int64(budget) {
		s.vm.Interrupt(errInterrupted)
		return
	}
	s.timer.Reset(budget - time.Duration(used))
}

// firstCheck: on the CPU clock, the first budget check comes after budget/firstCheck of wall
// time.
const firstCheck = 4

// maxWallBudgets bounds a run's wall time, in budgets, whatever CPU it got.
const maxWallBudgets = 200

// wallOnly is runClock.tid on a first attempt, timed on the wall clock alone.
const wallOnly = -1

// runClock is where one run started: its thread (wallOnly on a first attempt, 0 where no
// thread clock can be read), the wall clock, and that thread's CPU clock (-1 until the first
// budget check reads it; only checkBudget, whose calls follow one another, uses it). wallOut
// records that a first attempt ran out of wall time.
type runClock struct {
	tid     int
	cpu0    int64
	started time.Time
	wallOut atomic.Bool
}
