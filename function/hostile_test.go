package function

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// runErr compiles code and runs it once on ev.
func runErr(t *testing.T, code string, ev *Event) (*Result, error) {
	t.Helper()
	f := mustCompile(t, code, Options{})
	return f.Run(context.Background(), ev)
}

// TestHostileFunctionCookieNameInjection: a request cookie name the function writes must be a
// token (RFC 6265 §4.1.1): CR/LF in it would become a header line of the origin request (edge
// builds Cookie from name=value). It is refused like a CR/LF value is.
func TestHostileFunctionCookieNameInjection(t *testing.T) {
	for _, code := range []string{
		`function handler(e){ e.request.cookies['a\r\nX-Injected: 1'] = {value: 'v'}; return e.request }`,
		`function handler(e){ e.request.cookies['a\nb'] = {value: 'v'}; return e.request }`,
		`function handler(e){ e.request.cookies['a\u0000b'] = {value: 'v'}; return e.request }`,
	} {
		if _, err := runErr(t, code, typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%s: err %v, want ErrInvalidOutput (CR/LF/NUL in a cookie name)", code, err)
		}
	}
}

// TestHostileFunctionSetCookieNameInjection: the same for a response cookie name (a generated
// response and a viewer-response): it becomes "Set-Cookie: <name>=<value>" on the wire.
func TestHostileFunctionSetCookieNameInjection(t *testing.T) {
	gen := `function handler(e){ return {statusCode: 200, cookies: {'a=b\r\nX-Evil: 1\r\nY': {value: 'v'}}} }`
	if _, err := runErr(t, gen, typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("generated: err %v, want ErrInvalidOutput", err)
	}
	vr := `function handler(e){ e.response.cookies['x\r\nX-Evil: 1\r\nY'] = {value: 'v'}; return e.response }`
	if _, err := runErr(t, vr, responseEvent()); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("viewer-response: err %v, want ErrInvalidOutput", err)
	}
}

// TestHostileFunctionQueryValueControlChars: "A written query string must not contain spaces,
// control characters or #" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/writing-function-code.html),
// in the object form (querystring.x = {value}, names and multiValue entries) as in the string
// form.
func TestHostileFunctionQueryValueControlChars(t *testing.T) {
	for _, code := range []string{
		`function handler(e){ e.request.querystring.x = {value: 'a\r\nX-Injected: 1'}; return e.request }`,
		`function handler(e){ e.request.querystring.x = {value: 'a b HTTP/1.1'}; return e.request }`,
		`function handler(e){ e.request.querystring.x = {value: 'a#frag'}; return e.request }`,
		`function handler(e){ e.request.querystring['a b\r\n'] = {value: '1'}; return e.request }`,
		`function handler(e){ e.request.querystring.page.multiValue = [{value: 'x\ny'}]; return e.request }`,
	} {
		if _, err := runErr(t, code, typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%s: err %v, want ErrInvalidOutput", code, err)
		}
	}
	// The string form is refused (pins the rule the object form should share).
	if _, err := runErr(t, `function handler(e){ e.request.querystring = 'x=a\r\nb'; return e.request }`, typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("string form: %v", err)
	}
}

// TestHostileFunctionProtoKeyFromViewer: a viewer's query parameter, header or cookie named
// __proto__ must reach the function as an ordinary own key (as JSON.parse of the event would
// make it), not replace the prototype of the field object.
func TestHostileFunctionProtoKeyFromViewer(t *testing.T) {
	ev := typicalEvent()
	ev.Request.QueryString = Fields{f1("__proto__", "polluted")}
	ev.Request.Headers = append(ev.Request.Headers, f1("__proto__", "h"))
	ev.Request.Cookies = Fields{f1("__proto__", "c")}
	f := mustCompile(t, `function handler(e){
		var q = e.request.querystring, h = e.request.headers, c = e.request.cookies;
		var inherited = [];
		for (var k in q) inherited.push(k);
		return {statusCode: 200, body: JSON.stringify({
			qkeys: Object.keys(q), qproto: Object.getPrototypeOf(q) === Object.prototype,
			qvalue: typeof q.value, forin: inherited,
			hproto: Object.getPrototypeOf(h) === Object.prototype, hown: Object.prototype.hasOwnProperty.call(h, '__proto__'),
			cown: Object.prototype.hasOwnProperty.call(c, '__proto__')})};
	}`, Options{})
	r := run(t, f, ev)
	want := `{"qkeys":["__proto__"],"qproto":true,"qvalue":"undefined","forin":["__proto__"],"hproto":true,"hown":true,"cown":true}`
	if r.Response.Body.Data != want {
		t.Errorf("function saw %s\nwant        %s", r.Response.Body.Data, want)
	}
}

// TestHostileFunctionProtoKeyRoundTrip: a viewer's ?__proto__=x&a=1 passes through a function
// that rebuilds the query from its keys (a common normalisation): the parameter must not turn
// into ?value=... nor fail the function. A copy made with own properties keeps it; a copy made
// by assignment (out[k] = q[k]) sets out's prototype for k = "__proto__", as JavaScript does, so
// out has no such field and it is dropped (only own properties are read back).
func TestHostileFunctionProtoKeyRoundTrip(t *testing.T) {
	for _, c := range []struct{ copy, want string }{
		{`out[k] = q[k];`, "a=1"},
		{`Object.defineProperty(out, k, {value: q[k], enumerable: true, writable: true, configurable: true});`, "__proto__=x,a=1"},
	} {
		ev := typicalEvent()
		ev.Request.QueryString = Fields{f1("__proto__", "x"), f1("a", "1")}
		f := mustCompile(t, `function handler(e){
			var q = e.request.querystring, out = {};
			for (var k in q) { `+c.copy+` }
			e.request.querystring = out;
			return e.request;
		}`, Options{})
		r := run(t, f, ev)
		names := []string{}
		for _, fl := range r.Request.QueryString {
			names = append(names, fl.Name+"="+fl.Values[0].Value)
		}
		if got := strings.Join(names, ","); got != c.want {
			t.Errorf("%s: query after the copy loop: %q, want %q", c.copy, got, c.want)
		}
	}
}

// TestHostileFunctionProtoQueryBreaksStripFunction (named for the bug it pins): the most common
// normalisation function, "drop every query parameter" (request.querystring = {}), must not
// fail when a viewer adds ?__proto__=1: the read-back looks the input's names up on the new
// object as own properties only (({})['__proto__'] is Object.prototype, not a field).
func TestHostileFunctionProtoQueryBreaksStripFunction(t *testing.T) {
	ev := typicalEvent()
	ev.Request.QueryString = Fields{f1("__proto__", "1"), f1("a", "1")}
	r, err := runErr(t, `function handler(e){ e.request.querystring = {}; return e.request }`, ev)
	if err != nil {
		t.Fatalf("a viewer's ?__proto__=1 fails the function: %v", err)
	}
	if len(r.Request.QueryString) != 0 {
		t.Errorf("query after stripping: %+v", r.Request.QueryString)
	}
	ev = typicalEvent()
	ev.Request.Cookies = Fields{f1("__proto__", "1")}
	if _, err := runErr(t, `function handler(e){ e.request.cookies = {}; return e.request }`, ev); err != nil {
		t.Errorf("a viewer's cookie __proto__ fails a cookie-stripping function: %v", err)
	}
}

// TestHostileFunctionStateLeakViaUntouched: while the result is read back, an unread field
// object reads as one object shared by every run of the pooled runtime; a getter on the
// returned object must not be able to stash a value there in one viewer's run and read it in
// the next. The sentinel refuses writes: a run that writes to it may fail with an execution
// error (the plain write), or go on when the function catches the TypeError (the other
// variants, which keep the runtime in the pool); no later run sees the value.
func TestHostileFunctionStateLeakViaUntouched(t *testing.T) {
	for _, write := range []string{
		`u.stash = secret;`,
		`try { u.stash = secret; } catch (x) {}`,
		`try { Object.defineProperty(u, 'stash', {value: secret, enumerable: true}); } catch (x) {}`,
		`try { Object.setPrototypeOf(u, {stash: secret}); } catch (x) {}`,
		`try { u.__proto__ = {stash: secret}; } catch (x) {}`,
	} {
		f := mustCompile(t, `function handler(e){
			var req = e.request;
			var secret = req.uri;
			return {
				method: req.method, uri: req.uri, querystring: req.querystring, cookies: req.cookies,
				get headers() {
					var u = e.response === undefined ? req.headers : undefined; // unread: the shared object
					var prev;
					if (u) {
						var p = Object.getPrototypeOf(u);
						prev = u.stash !== undefined ? u.stash : (p ? p.stash : undefined);
						`+write+`
					}
					var h = {};
					h['host'] = {value: 'www.example.com'};
					h['user-agent'] = {value: 'Mozilla/5.0'};
					h['x-prev'] = {value: String(prev)};
					return h;
				},
			};
		}`, Options{})
		ev1 := typicalEvent()
		ev1.Request.URI = "/viewer-one-secret"
		ev1.Request.Headers = Fields{f1("host", "www.example.com"), f1("user-agent", "Mozilla/5.0")}
		if _, err := f.Run(context.Background(), ev1); err != nil && !errors.Is(err, ErrExecution) {
			t.Fatalf("%s: run 1: %v, want success or an execution error", write, err)
		} else if err != nil && strings.HasPrefix(write, "try") {
			t.Fatalf("%s: run 1: %v (the write's TypeError is caught)", write, err)
		}
		for i := 0; i < 3; i++ {
			ev2 := typicalEvent()
			ev2.Request.URI = "/viewer-two"
			ev2.Request.Headers = Fields{f1("host", "www.example.com"), f1("user-agent", "Mozilla/5.0")}
			r, err := f.Run(context.Background(), ev2)
			if err != nil && !errors.Is(err, ErrExecution) {
				t.Fatalf("%s: run %d: %v", write, i+2, err)
			}
			if err != nil {
				continue
			}
			if v, _ := r.Request.Headers.Get("x-prev"); v != "undefined" {
				t.Fatalf("%s: run %d saw %q left by an earlier run (state leaks between viewers)", write, i+2, v)
			}
		}
	}
}

// TestHostileFunctionHugeOutput: a function's output is bounded: 1,024 values of a 64 KiB
// string cost the function 16 KiB (one string, many references) but are 64 MiB of headers.
// CloudFront caps a request (headers and query, no body) at 20,480 bytes
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html, "Maximum length of a request").
func TestHostileFunctionHugeOutput(t *testing.T) {
	for _, code := range []string{
		`function handler(e){ var s = 'x'.repeat(1 << 16), mv = [];
			for (var i = 0; i < 1024; i++) mv.push({value: s});
			e.request.headers['x-big'] = {value: s, multiValue: mv}; return e.request }`,
		`function handler(e){ var s = 'x'.repeat(1 << 16), h = {};
			for (var i = 0; i < 64; i++) h['x-' + i] = {value: s};
			return {statusCode: 200, headers: h} }`,
		`function handler(e){ var s = 'x'.repeat(1 << 16);
			for (var i = 0; i < 64; i++) e.request.cookies['c' + i] = {value: s}; return e.request }`,
	} {
		start := time.Now()
		r, err := runErr(t, code, typicalEvent())
		total := 0
		if r != nil {
			var fs []Fields
			if r.Request != nil {
				fs = append(fs, r.Request.Headers, r.Request.Cookies)
			}
			if r.Response != nil {
				fs = append(fs, r.Response.Headers)
			}
			for _, f := range fs {
				total += fieldsLen(f)
			}
		}
		if !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%.60s...: err %v, output %d KiB of fields in %v; want ErrInvalidOutput", code, err, total>>10, time.Since(start))
		}
	}
}

// TestHostileFunctionStatusCodes pins the status range and integer rule.
func TestHostileFunctionStatusCodes(t *testing.T) {
	for _, sc := range []string{"199", "600", "0", "-200", "200.5", "NaN", "Infinity", "'200'", "{valueOf(){return 200}}", "1e21", "4294967496"} {
		code := `function handler(e){ return {statusCode: ` + sc + `} }`
		if _, err := runErr(t, code, typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("statusCode %s: err %v, want ErrInvalidOutput", sc, err)
		}
		vr := `function handler(e){ e.response.statusCode = ` + sc + `; return e.response }`
		if _, err := runErr(t, vr, responseEvent()); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("viewer-response statusCode %s: err %v, want ErrInvalidOutput", sc, err)
		}
	}
	for _, sc := range []string{"200", "599", "302.0"} {
		if _, err := runErr(t, `function handler(e){ return {statusCode: `+sc+`} }`, typicalEvent()); err != nil {
			t.Errorf("statusCode %s: %v", sc, err)
		}
	}
}

// TestHostileFunctionBadReturns: non-objects, throws of non-Errors, promises that never settle,
// deep recursion, eval and Function all end as errors, never a panic or a hang.
func TestHostileFunctionBadReturns(t *testing.T) {
	cases := map[string]error{
		`function handler(e){ return 42 }`:                                                                            ErrInvalidOutput,
		`function handler(e){ return 'x' }`:                                                                           ErrInvalidOutput,
		`function handler(e){ return null }`:                                                                          ErrInvalidOutput,
		`function handler(e){ }`:                                                                                      ErrInvalidOutput,
		`function handler(e){ return Symbol('x') }`:                                                                   ErrInvalidOutput,
		`function handler(e){ throw null }`:                                                                           ErrExecution,
		`function handler(e){ throw undefined }`:                                                                      ErrExecution,
		`function handler(e){ throw Symbol('s') }`:                                                                    ErrExecution,
		`function handler(e){ throw {toString(){ throw new Error('x') }} }`:                                           ErrExecution,
		`function handler(e){ throw {get name(){ throw 1 }, message: 'm'} }`:                                          ErrExecution,
		`async function handler(e){ await new Promise(function(){}); return e.request }`:                              ErrExecution,
		`async function handler(e){ throw {get message(){ throw 1 }} }`:                                               ErrExecution,
		`async function handler(e){ throw {get message(){ for(;;){} }} }`:                                             ErrExecution,
		`async function handler(e){ return Promise.reject(Symbol('r')) }`:                                             ErrExecution,
		`function handler(e){ function r(n){ return r(n+1)+1 } return r(0) }`:                                         ErrExecution,
		`function handler(e){ var a = []; a[0] = a; return JSON.stringify(a) }`:                                       ErrExecution,
		`function handler(e){ return eval('1') }`:                                                                     ErrExecution,
		`function handler(e){ return (function(){}).constructor('return this')() }`:                                   ErrExecution,
		`function handler(e){ return (async function(){}).constructor('return 1')() }`:                                ErrExecution,
		`function handler(e){ return (function*(){}).constructor('yield 1')() }`:                                      ErrExecution,
		`function handler(e){ return setTimeout(function(){}, 1) }`:                                                   ErrExecution,
		`function handler(e){ var m = ['f', 's'].join(''); return require(m).readFileSync('/etc/passwd') }`:           ErrExecution,
		`function handler(e){ return process.env }`:                                                                   ErrExecution,
		`function handler(e){ return new Proxy({}, {get: function(){ for(;;){} }}) }`:                                 ErrExecution,
		`function handler(e){ return {get statusCode(){ for(;;){} }} }`:                                               ErrExecution,
		`function handler(e){ return {statusCode: 200, headers: new Proxy({}, {ownKeys: function(){ for(;;){} }})} }`: ErrExecution,
		`function handler(e){ var o = {statusCode: 200}; o.headers = {a: o}; return o }`:                              ErrInvalidOutput,
	}
	for code, want := range cases {
		f := mustCompile(t, code, Options{Compute: 20 * time.Millisecond})
		start := time.Now()
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic %v", code, p)
				}
			}()
			_, err = f.Run(context.Background(), typicalEvent())
		}()
		if !errors.Is(err, want) {
			t.Errorf("%s: err %v, want %v", code, err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", code, d)
		}
	}
}

// TestHostileFunctionGlobalsDoNotLeak: what one run does to built-ins is gone (or refused) in
// the next run of the same pooled runtime.
func TestHostileFunctionGlobalsDoNotLeak(t *testing.T) {
	f := mustCompile(t, `function handler(e){
		var out = [];
		function tryit(name, fn) { try { fn(); } catch (x) { } }
		out.push(typeof Array.prototype.leak, typeof JSON.leak, typeof String.prototype.trim.leak,
			String(Math.leak), typeof RegExp.prototype.leak, String(Symbol.for('leak').description),
			typeof Promise.prototype.leak, typeof Buffer.leak, typeof globalThis.leak);
		tryit('a', function(){ Array.prototype.leak = 1; });
		tryit('b', function(){ JSON.leak = 1; });
		tryit('c', function(){ String.prototype.trim.leak = 1; });
		tryit('d', function(){ Math.leak = 1; });
		tryit('e', function(){ Object.defineProperty(RegExp.prototype, 'leak', {value: 1}); });
		tryit('f', function(){ Promise.prototype.leak = 1; });
		tryit('g', function(){ Buffer.leak = 1; });
		tryit('h', function(){ globalThis.leak = 1; });
		tryit('i', function(){ Object.setPrototypeOf(Array.prototype, {leak: 1}); });
		tryit('j', function(){ (function(){ return this; })().leak = 1; });
		tryit('k', function(){ Object.getPrototypeOf(function*(){}()).leak = 1; });
		tryit('l', function(){ Object.getPrototypeOf([][Symbol.iterator]()).leak = 1; });
		out.push(typeof Object.getPrototypeOf([][Symbol.iterator]()).leak);
		return {statusCode: 200, body: out.join(',')};
	}`, Options{})
	want := "undefined,undefined,undefined,undefined,undefined,leak,undefined,undefined,undefined,undefined"
	for i := 0; i < 4; i++ {
		r := run(t, f, typicalEvent())
		if r.Response.Body.Data != want {
			t.Fatalf("run %d: %s, want %s", i, r.Response.Body.Data, want)
		}
	}
}

// TestFunctionOutputBoundIsExact pins the output bound: a returned request's query string,
// headers and cookies, or a returned response's headers and cookies, may hold 20,480 bytes as
// fieldsLen counts them (name, value, attributes and 2 bytes per value), not one more
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html,
// "Maximum length of a request ... 20,480 bytes").
func TestFunctionOutputBoundIsExact(t *testing.T) {
	ev := typicalEvent()
	in := fieldsLen(ev.Request.QueryString) + fieldsLen(ev.Request.Headers) + fieldsLen(ev.Request.Cookies)
	// Adding header x-big with a value of n bytes costs len("x-big") + n + 2.
	fill := maxOutputBytes - in - len("x-big") - 2
	for _, c := range []struct {
		n  int
		ok bool
	}{{fill, true}, {fill + 1, false}} {
		code := `function handler(e){ e.request.headers['x-big'] = {value: 'x'.repeat(` + itoa(c.n) + `)}; return e.request }`
		r, err := runErr(t, code, typicalEvent())
		if c.ok && err != nil {
			t.Errorf("request of exactly %d bytes: %v", maxOutputBytes, err)
		}
		if c.ok && err == nil {
			if got := fieldsLen(r.Request.QueryString) + fieldsLen(r.Request.Headers) + fieldsLen(r.Request.Cookies); got != maxOutputBytes {
				t.Errorf("request output is %d bytes, want %d", got, maxOutputBytes)
			}
		}
		if !c.ok && !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("request of %d bytes: err %v, want ErrInvalidOutput", maxOutputBytes+1, err)
		}
		// A generated response: one header of name "h" costs 1 + n + 2.
		gen := `function handler(e){ return {statusCode: 200, headers: {h: {value: 'x'.repeat(` + itoa(maxOutputBytes-3+c.n-fill) + `)}}} }`
		if _, err := runErr(t, gen, typicalEvent()); c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidOutput)) {
			t.Errorf("generated response, ok=%v: %v", c.ok, err)
		}
		// A string form query counts its length (it replaces the input's query): a header
		// fills all but 100 bytes, and the query takes 100 (or 101).
		filler := maxOutputBytes - fieldsLen(ev.Request.Headers) - fieldsLen(ev.Request.Cookies) - len("x-big") - 2 - 100
		qs := `function handler(e){ e.request.headers['x-big'] = {value: 'x'.repeat(` + itoa(filler) + `)};
			e.request.querystring = 'q=' + 'x'.repeat(` + itoa(98+c.n-fill) + `); return e.request }`
		if _, err := runErr(t, qs, typicalEvent()); c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidOutput)) {
			t.Errorf("string query, ok=%v: %v", c.ok, err)
		}
	}
	// Query string (object form), cookies and a multiValue count too; attributes count.
	for _, code := range []string{
		`function handler(e){ e.request.querystring.big = {value: 'x'.repeat(20480)}; return e.request }`,
		`function handler(e){ e.request.querystring.tag.multiValue.push({value: 'x'.repeat(20480)}); return e.request }`,
		`function handler(e){ e.request.cookies.big = {value: 'x'.repeat(20480)}; return e.request }`,
		`function handler(e){ return {statusCode: 200, cookies: {c: {value: 'v', attributes: 'x'.repeat(20480)}}} }`,
		`function handler(e){ var v = '\u00e9'.repeat(8000); return {statusCode: 200, headers: {h: {value: v}, g: {value: v}}} }`,
	} {
		if _, err := runErr(t, code, typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%s: err %v, want ErrInvalidOutput", code, err)
		}
	}
}

// TestFunctionOutputBoundKeepsLargeInput: a function is not at fault for the size of what it
// was given: an origin response whose headers are over 20,480 bytes passes a viewer-response
// function that returns it unchanged, or changes it without growing it past the input's size;
// growing it past that is refused.
func TestFunctionOutputBoundKeepsLargeInput(t *testing.T) {
	big := func() *Event {
		ev := responseEvent()
		ev.Response.Headers = append(ev.Response.Headers, f1("x-origin-big", strings.Repeat("o", 30000)))
		return ev
	}
	for code, ok := range map[string]bool{
		`function handler(e){ return e.response }`:                                                                                      true,
		`function handler(e){ e.response.headers['x-a'] = {value: '1'}; return e.response }`:                                            false,
		`function handler(e){ e.response.headers['content-type'] = {value: 'text/json'}; return e.response }`:                           true,
		`function handler(e){ delete e.response.headers['content-type']; e.response.headers['x-a'] = {value: '1'}; return e.response }`: true,
		`function handler(e){ delete e.response.headers['content-type']; return e.response }`:                                           true,
		`function handler(e){ e.response.headers['x-a'] = {value: 'x'.repeat(20480)}; return e.response }`:                              false,
	} {
		_, err := runErr(t, code, big())
		if ok && err != nil {
			t.Errorf("%s: %v", code, err)
		}
		if !ok && !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%s: err %v, want ErrInvalidOutput", code, err)
		}
	}
}

// TestFunctionFieldNamesFromObjectPrototype: a viewer's field named like a property of
// Object.prototype is an ordinary own field, and a function that drops or keeps the fields
// does not trip over the inherited property.
func TestFunctionFieldNamesFromObjectPrototype(t *testing.T) {
	names := []string{"__proto__", "toString", "constructor", "hasOwnProperty", "valueOf", "isPrototypeOf"}
	ev := func() *Event {
		ev := typicalEvent()
		ev.Request.QueryString, ev.Request.Cookies = nil, nil
		for _, n := range names {
			ev.Request.QueryString = append(ev.Request.QueryString, f1(n, "q"+n))
			ev.Request.Headers = append(ev.Request.Headers, f1(strings.ToLower(n), "h"+n))
			ev.Request.Cookies = append(ev.Request.Cookies, f1(n, "c"+n))
		}
		return ev
	}
	r := run(t, mustCompile(t, `function handler(e){
		var q = e.request.querystring, out = [];
		for (var k in q) out.push(k + '=' + q[k].value + ':' + Object.prototype.hasOwnProperty.call(q, k));
		return {statusCode: 200, body: out.join('&')};
	}`, Options{}), ev())
	var want []string
	for _, n := range names {
		want = append(want, n+"=q"+n+":true")
	}
	if got := r.Response.Body.Data; got != strings.Join(want, "&") {
		t.Errorf("function saw %s\nwant         %s", got, strings.Join(want, "&"))
	}
	// Read and returned unchanged: every field comes back.
	r = run(t, mustCompile(t, `function handler(e){ var r = e.request; r.querystring; r.headers; r.cookies; return r }`, Options{}), ev())
	if r.Request.Changed != 0 || len(r.Request.QueryString) != len(names) || len(r.Request.Cookies) != len(names) {
		t.Errorf("unchanged: changed %v, query %+v, cookies %+v", r.Request.Changed, r.Request.QueryString, r.Request.Cookies)
	}
	// Dropped: nothing comes back, and nothing fails.
	r = run(t, mustCompile(t, `function handler(e){ e.request.querystring = {}; e.request.cookies = {}; return e.request }`, Options{}), ev())
	if len(r.Request.QueryString) != 0 || len(r.Request.Cookies) != 0 {
		t.Errorf("dropped: query %+v, cookies %+v", r.Request.QueryString, r.Request.Cookies)
	}
	// Object.create(null) holds no inherited names either.
	r = run(t, mustCompile(t, `function handler(e){ e.request.querystring = Object.create(null); return e.request }`, Options{}), ev())
	if len(r.Request.QueryString) != 0 {
		t.Errorf("null-prototype query: %+v", r.Request.QueryString)
	}
}

// TestFunctionWrittenNamesAndValues: what a function writes into a header, cookie or query
// parameter is refused when it could not be sent as written (invalid output), and accepted
// when it can.
func TestFunctionWrittenNamesAndValues(t *testing.T) {
	for code, ok := range map[string]bool{
		`function handler(e){ e.request.headers['x ok'] = {value: '1'}; return e.request }`:                          false,
		`function handler(e){ e.request.headers['x:a'] = {value: '1'}; return e.request }`:                           false,
		`function handler(e){ e.request.headers['x-a'] = {value: 'a\r\nX-Injected: 1'}; return e.request }`:          false,
		`function handler(e){ e.request.headers['x-a'] = {value: 'a\u0000'}; return e.request }`:                     false,
		`function handler(e){ e.request.headers['x-a'] = {value: 'a, b; c=d'}; return e.request }`:                   true,
		`function handler(e){ e.request.cookies['a;b'] = {value: '1'}; return e.request }`:                           false,
		`function handler(e){ e.request.cookies['a=b'] = {value: '1'}; return e.request }`:                           false,
		`function handler(e){ e.request.cookies[''] = {value: '1'}; return e.request }`:                              false,
		`function handler(e){ e.request.cookies['a b'] = {value: '1'}; return e.request }`:                           false,
		`function handler(e){ e.request.cookies["__Host-id_1.x!#$%&'*+^|~"] = {value: '1'}; return e.request }`:      true,
		`function handler(e){ e.request.cookies.session = {value: 'a\r\nb'}; return e.request }`:                     false,
		`function handler(e){ return {statusCode: 200, cookies: {'a;b': {value: 'v'}}} }`:                            false,
		`function handler(e){ return {statusCode: 200, cookies: {id: {value: 'v', attributes: 'Path=/\r\nX: 1'}}} }`: false,
		`function handler(e){ return {statusCode: 200, cookies: {id: {value: 'v', attributes: 'Path=/; Secure'}}} }`: true,
		`function handler(e){ e.request.querystring.x = {value: 'a%20b%23c'}; return e.request }`:                    true,
		`function handler(e){ e.request.querystring['caf\u00e9'] = {value: '\u00e9t\u00e9'}; return e.request }`:     true,
		`function handler(e){ e.request.querystring.x = {value: 'a\u007f'}; return e.request }`:                      false,
		`function handler(e){ e.request.querystring.x = {value: 'a\tb'}; return e.request }`:                         false,
		`function handler(e){ e.request.querystring['a#b'] = {value: '1'}; return e.request }`:                       false,
		`function handler(e){ e.request.querystring.tag = {value: 'a b'}; return e.request }`:                        false,
		`function handler(e){ e.request.querystring.tag.multiValue[1] = {value: 'a b'}; return e.request }`:          false,
		`function handler(e){ e.request.querystring.tag.multiValue[1] = {value: 'ab'}; return e.request }`:           true,
	} {
		_, err := runErr(t, code, typicalEvent())
		if ok && err != nil {
			t.Errorf("%s: %v", code, err)
		}
		if !ok && !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%s: err %v, want ErrInvalidOutput", code, err)
		}
	}
	// A value the viewer sent is passed on as received, even one the rule would refuse if a
	// function wrote it: only written values are checked.
	ev := typicalEvent()
	ev.Request.QueryString = Fields{f1("raw", "a\x01b")}
	if _, err := runErr(t, `function handler(e){ e.request.querystring.x = {value: '1'}; return e.request }`, ev); err != nil {
		t.Errorf("a viewer's value refused: %v", err)
	}
}
