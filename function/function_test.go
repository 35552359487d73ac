package function

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func vals(v ...string) []FieldValue {
	out := make([]FieldValue, len(v))
	for i, s := range v {
		out[i] = FieldValue{Value: s}
	}
	return out
}

func f1(name string, v ...string) Field { return Field{Name: name, Values: vals(v...)} }

func typicalEvent() *Event {
	return &Event{
		Version: "1.0",
		Context: Context{DistributionDomainName: "d111111abcdef8.cloudfront.net", DistributionID: "EDFDVBD6EXAMPLE",
			EventType: ViewerRequest, RequestID: "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},
		Viewer: Viewer{IP: "198.51.100.11"},
		Request: Request{
			Method: "GET", URI: "/blog/",
			QueryString: Fields{f1("page", "2"), f1("tag", "go", "cdn")},
			Headers: Fields{f1("host", "www.example.com"), f1("user-agent", "Mozilla/5.0"),
				f1("accept", "text/html, application/xhtml+xml"), f1("accept-language", "en-US,en;q=0.5"),
				f1("accept-encoding", "gzip, br"), f1("cache-control", "no-cache"),
				f1("sec-fetch-mode", "navigate"), f1("cloudfront-viewer-country", "DE")},
			Cookies: Fields{f1("session", "abc123"), f1("theme", "dark")},
		},
	}
}

// mustCompile compiles code for a test. Unless the test sets a compute budget (the tests of the
// limit do), it gets a generous one: the default is wall time, and a loaded test machine must not
// turn a behaviour test into a timeout.
func mustCompile(t testing.TB, code string, opts Options) *Function {
	t.Helper()
	if opts.Compute == 0 {
		opts.Compute = time.Second
	}
	f, err := Compile("test", []byte(code), opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return f
}

func run(t testing.TB, f *Function, ev *Event) *Result {
	t.Helper()
	r, err := f.Run(context.Background(), ev)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

const indexRewrite = `
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri.endsWith('/')) {
        request.uri += 'index.html';
    } else if (!uri.includes('.')) {
        request.uri += '/index.html';
    }
    return request;
}`

func TestIndexRewrite(t *testing.T) {
	f := mustCompile(t, indexRewrite, Options{})
	ev := typicalEvent()
	r := run(t, f, ev)
	if r.Request == nil || r.Response != nil {
		t.Fatalf("want a request, got %+v", r)
	}
	if r.Request.URI != "/blog/index.html" {
		t.Errorf("uri %q", r.Request.URI)
	}
	if !reflect.DeepEqual(r.Request.Headers, ev.Request.Headers) || !reflect.DeepEqual(r.Request.Cookies, ev.Request.Cookies) ||
		!reflect.DeepEqual(r.Request.QueryString, ev.Request.QueryString) {
		t.Errorf("fields changed:\n%+v", r.Request)
	}
	if ev.Request.URI != "/blog/" {
		t.Error("input event modified")
	}
	if r.ComputeUtilization < 1 || r.ComputeUtilization > 100 {
		t.Errorf("utilization %d", r.ComputeUtilization)
	}
}

// TestEventObject checks what the function sees, field by field.
func TestEventObject(t *testing.T) {
	f := mustCompile(t, `
function handler(event) {
    var r = event.request;
    return { statusCode: 200, body: JSON.stringify({
        version: event.version, ctx: event.context, ip: event.viewer.ip,
        method: r.method, uri: r.uri, host: r.headers['host'].value,
        tag: r.querystring.tag, page: r.querystring['page'].value,
        session: r.cookies.session.value, hasCookieHeader: 'cookie' in r.headers,
        hasConnection: 'connection' in r.headers, hasResponse: 'response' in event }) };
}`, Options{})
	ev := typicalEvent()
	ev.Request.Headers = append(ev.Request.Headers, f1("connection", "keep-alive"))
	r := run(t, f, ev)
	want := `{"version":"1.0","ctx":{"distributionDomainName":"d111111abcdef8.cloudfront.net","distributionId":"EDFDVBD6EXAMPLE","eventType":"viewer-request","requestId":"4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},"ip":"198.51.100.11","method":"GET","uri":"/blog/","host":"www.example.com","tag":{"value":"go","multiValue":[{"value":"go"},{"value":"cdn"}]},"page":"2","session":"abc123","hasCookieHeader":false,"hasConnection":false,"hasResponse":false}`
	if r.Response == nil || r.Response.Body == nil || r.Response.Body.Data != want {
		t.Fatalf("got %+v\nwant %s", r.Response.Body, want)
	}
}

func TestRequestOut(t *testing.T) {
	cases := []struct {
		name, code string
		check      func(t *testing.T, r *Request)
		err        error
	}{
		{"add header", `function handler(e){ e.request.headers['x-custom'] = {value: 'v'}; return e.request }`,
			func(t *testing.T, r *Request) {
				if v, _ := r.Headers.Get("x-custom"); v != "v" || r.Headers[len(r.Headers)-1].Name != "x-custom" {
					t.Errorf("%+v", r.Headers)
				}
			}, nil},
		{"uppercase name lowered", `function handler(e){ e.request.headers['X-Up'] = {value: 'v'}; return e.request }`,
			func(t *testing.T, r *Request) {
				if _, ok := r.Headers.Get("x-up"); !ok {
					t.Errorf("%+v", r.Headers)
				}
			}, nil},
		{"delete header", `function handler(e){ delete e.request.headers['cache-control']; return e.request }`,
			func(t *testing.T, r *Request) {
				if _, ok := r.Headers.Get("cache-control"); ok || len(r.Headers) != 8 {
					t.Errorf("%+v", r.Headers)
				}
			}, nil},
		{"value replaces first only", `function handler(e){ e.request.querystring.tag.value = 'rust'; return e.request }`,
			func(t *testing.T, r *Request) {
				i := r.QueryString.index("tag")
				if !reflect.DeepEqual(r.QueryString[i].Values, vals("rust", "cdn")) {
					t.Errorf("%+v", r.QueryString[i])
				}
			}, nil},
		{"multiValue wins", `function handler(e){ var q = e.request.querystring.tag; q.value = 'ignored'; q.multiValue = [{value:'a'},{value:'b'},{value:'c'}]; return e.request }`,
			func(t *testing.T, r *Request) {
				i := r.QueryString.index("tag")
				if !reflect.DeepEqual(r.QueryString[i].Values, vals("a", "b", "c")) {
					t.Errorf("%+v", r.QueryString[i])
				}
			}, nil},
		{"querystring as string", `function handler(e){ e.request.querystring = 'b=2&a=1'; return e.request }`,
			func(t *testing.T, r *Request) {
				if r.RawQueryString != "b=2&a=1" || r.QueryString != nil {
					t.Errorf("%+v", r)
				}
			}, nil},
		{"cookie added", `function handler(e){ e.request.cookies.ab = {value: 'B'}; return e.request }`,
			func(t *testing.T, r *Request) {
				if v, _ := r.Cookies.Get("ab"); v != "B" || len(r.Cookies) != 3 {
					t.Errorf("%+v", r.Cookies)
				}
			}, nil},
		{"hidden header passes through", `function handler(e){ return e.request }`, func(t *testing.T, r *Request) {}, nil},
		{"change host", `function handler(e){ e.request.headers.host.value = 'evil'; return e.request }`, nil, ErrReadOnly},
		{"delete host", `function handler(e){ delete e.request.headers.host; return e.request }`, nil, ErrReadOnly},
		{"add via", `function handler(e){ e.request.headers.via = {value: '1.1 x'}; return e.request }`, nil, ErrReadOnly},
		{"add disallowed", `function handler(e){ e.request.headers['x-amz-cf-id'] = {value: 'x'}; return e.request }`, nil, ErrReadOnly},
		{"add connection", `function handler(e){ e.request.headers['connection'] = {value: 'close'}; return e.request }`, nil, ErrReadOnly},
		{"method", `function handler(e){ e.request.method = 'POST'; return e.request }`, nil, ErrReadOnly},
		{"bad uri", `function handler(e){ e.request.uri = 'index.html'; return e.request }`, nil, ErrInvalidOutput},
		{"uri too long", `function handler(e){ e.request.uri = '/' + 'a'.repeat(9000); return e.request }`, nil, ErrInvalidOutput},
		{"return nothing", `function handler(e){ }`, nil, ErrInvalidOutput},
		{"return string", `function handler(e){ return 'x' }`, nil, ErrInvalidOutput},
		{"header without value", `function handler(e){ e.request.headers.x = 'plain'; return e.request }`, nil, ErrInvalidOutput},
		{"header CRLF", `function handler(e){ e.request.headers.x = {value: 'a\r\nb: c'}; return e.request }`, nil, ErrInvalidOutput},
		{"bad status", `function handler(e){ return {statusCode: '302'} }`, nil, ErrInvalidOutput},
		{"throws", `function handler(e){ throw new Error('boom') }`, nil, ErrExecution},
		{"no handler", `function notHandler(e){ return e.request }`, nil, ErrExecution},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := mustCompile(t, tc.code, Options{})
			ev := typicalEvent()
			ev.Request.Headers = append(ev.Request.Headers, f1("x-amz-cf-id", "abc"))
			r, err := f.Run(context.Background(), ev)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := r.Request.Headers.Get("x-amz-cf-id"); !ok || v != "abc" {
				t.Errorf("hidden header lost: %+v", r.Request.Headers)
			}
			tc.check(t, r.Request)
		})
	}
}

func TestGeneratedResponse(t *testing.T) {
	f := mustCompile(t, `
function handler(event) {
    var request = event.request;
    if (request.headers['cloudfront-viewer-country'].value === 'DE') {
        return {
            statusCode: 302, statusDescription: 'Found',
            headers: { 'location': { value: 'https://example.de' + request.uri }, 'cache-control': {value: 'max-age=3600'} },
            cookies: { 'visited': { value: '1', attributes: 'Path=/; Secure' } },
        };
    }
    return request;
}`, Options{})
	r := run(t, f, typicalEvent())
	want := &Response{StatusCode: 302, StatusDescription: "Found",
		Headers: Fields{f1("location", "https://example.de/blog/"), f1("cache-control", "max-age=3600")},
		Cookies: Fields{{Name: "visited", Values: []FieldValue{{Value: "1", Attributes: "Path=/; Secure"}}}}}
	if r.Request != nil || !reflect.DeepEqual(r.Response, want) {
		t.Fatalf("got %+v", r.Response)
	}
	f = mustCompile(t, `function handler(e){ return {statusCode: 200, body: {data: 'aGVsbG8=', encoding: 'base64'}} }`, Options{})
	if r := run(t, f, typicalEvent()); r.Response.Body.Data != "aGVsbG8=" || r.Response.Body.Encoding != "base64" {
		t.Fatalf("%+v", r.Response.Body)
	}
	f = mustCompile(t, `function handler(e){ return {statusCode: 200, body: {data: '!!', encoding: 'base64'}} }`, Options{})
	if _, err := f.Run(context.Background(), typicalEvent()); !errors.Is(err, ErrInvalidOutput) {
		t.Fatal(err)
	}
}

func responseEvent() *Event {
	ev := typicalEvent()
	ev.Context.EventType = ViewerResponse
	ev.Response = &Response{StatusCode: 200, StatusDescription: "OK",
		Headers: Fields{f1("content-type", "text/html"), f1("via", "1.1 abc.cloudfront.net (CloudFront)"), f1("x-cache", "Hit from cloudfront")},
		Cookies: Fields{{Name: "id", Values: []FieldValue{{Value: "a", Attributes: "Path=/"}, {Value: "b", Attributes: "Secure"}}}}}
	return ev
}

func TestViewerResponse(t *testing.T) {
	f := mustCompile(t, `
async function handler(event) {
    var response = event.response;
    var headers = response.headers;
    headers['strict-transport-security'] = { value: 'max-age=63072000; includeSubdomains; preload' };
    headers['x-content-type-options'] = { value: 'nosniff' };
    response.cookies.id.multiValue.push({value: 'c', attributes: 'HttpOnly'});
    if (event.request.uri === '/blog/') { response.statusCode = 404; response.statusDescription = 'Not Found'; }
    return response;
}`, Options{})
	ev := responseEvent()
	r := run(t, f, ev)
	want := &Response{StatusCode: 404, StatusDescription: "Not Found",
		Headers: Fields{f1("content-type", "text/html"), f1("via", "1.1 abc.cloudfront.net (CloudFront)"), f1("x-cache", "Hit from cloudfront"),
			f1("strict-transport-security", "max-age=63072000; includeSubdomains; preload"), f1("x-content-type-options", "nosniff")},
		Cookies: Fields{{Name: "id", Values: []FieldValue{{Value: "a", Attributes: "Path=/"}, {Value: "b", Attributes: "Secure"}, {Value: "c", Attributes: "HttpOnly"}}}}}
	if r.Request != nil || !reflect.DeepEqual(r.Response, want) {
		t.Fatalf("got %+v", r.Response)
	}
	for code, wantErr := range map[string]error{
		`function handler(e){ e.response.headers.via.value = 'x'; return e.response }`:                                             ErrReadOnly,
		`function handler(e){ e.response.headers.warning = {value: '199'}; return e.response }`:                                    ErrReadOnly,
		`function handler(e){ e.response.headers['content-length'] = {value: '5'}; return e.response }`:                            nil,
		`function handler(e){ return e.request }`:                                                                                  ErrInvalidOutput,
		`import cf from 'cloudfront'; function handler(e){ cf.updateRequestOrigin({domainName: 'x.example'}); return e.response }`: ErrExecution,
	} {
		f := mustCompile(t, code, Options{})
		_, err := f.Run(context.Background(), responseEvent())
		if !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
			t.Errorf("%s: err %v, want %v", code, err, wantErr)
		}
	}
}

type memKVS map[string]string

func (m memKVS) Get(k string) ([]byte, bool) { v, ok := m[k]; return []byte(v), ok }
func (m memKVS) Meta() KVSMeta {
	return KVSMeta{CreationTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), LastUpdatedTime: time.Date(2024, 2, 2, 3, 4, 5, 0, time.UTC), KeyCount: len(m)}
}

func TestKVS(t *testing.T) {
	code := `
import cf from 'cloudfront';
const kvsHandle = cf.kvs();
async function handler(event) {
    const request = event.request;
    let target = request.uri;
    try {
        target = await kvsHandle.get(request.uri);
    } catch (err) {
        console.log(request.uri + ' | ' + err);
    }
    const cfg = await kvsHandle.get('config', {format: 'json'});
    const raw = await kvsHandle.get('config', {format: 'bytes'});
    const m = await kvsHandle.meta();
    request.headers['x-cfg'] = {value: cfg.mode + ' ' + raw.length + ' ' + (await kvsHandle.exists('nope')) + ' ' + m.keyCount + ' ' + m.creationDateTime};
    request.uri = target;
    return request;
}`
	f := mustCompile(t, code, Options{KVS: memKVS{"/old": "/new", "config": `{"mode":"on"}`}})
	ev := typicalEvent()
	ev.Request.URI = "/old"
	r := run(t, f, ev)
	if r.Request.URI != "/new" {
		t.Errorf("uri %q", r.Request.URI)
	}
	if v, _ := r.Request.Headers.Get("x-cfg"); v != "on 13 false 2 2024-01-02T03:04:05Z" {
		t.Errorf("x-cfg %q", v)
	}
	ev.Request.URI = "/missing"
	r = run(t, f, ev)
	if r.Request.URI != "/missing" || len(r.Logs) != 1 || !strings.Contains(r.Logs[0], "KeyNotFound") {
		t.Errorf("%q %q", r.Request.URI, r.Logs)
	}
	// No store associated: cf.kvs() throws.
	f = mustCompile(t, code, Options{})
	if _, err := f.Run(context.Background(), typicalEvent()); !errors.Is(err, ErrExecution) {
		t.Errorf("err %v", err)
	}
}

func TestOriginHelpers(t *testing.T) {
	cases := []struct {
		code string
		want *OriginChange
	}{
		{`cf.updateRequestOrigin({domainName: 'eu.example.com', originPath: '/v2', customHeaders: {'x-key': 'k'},
		   timeouts: {readTimeout: 30, connectionTimeout: 5}, connectionAttempts: 2, originShield: {enabled: true, region: 'eu-west-1'}})`,
			&OriginChange{Kind: OriginUpdate, DomainName: "eu.example.com", OriginPath: "/v2", HasCustomHeaders: true,
				CustomHeaders: Fields{f1("x-key", "k")}, ConnectionAttempts: 2, Timeouts: OriginTimeouts{ReadTimeout: 30, ConnectionTimeout: 5},
				OriginShield: &OriginShield{Enabled: true, Region: "eu-west-1"}}},
		{`cf.selectRequestOriginById('origin-2', {hostHeader: 'b.example.com'})`,
			&OriginChange{Kind: OriginSelect, SelectID: "origin-2", HostHeader: "b.example.com"}},
		{`cf.createRequestOriginGroup({originIds: ['a', 'b'], failoverCriteria: [500, 502]})`,
			&OriginChange{Kind: OriginGroup, Group: [2]string{"a", "b"}, FailoverCodes: []int{500, 502}, SelectionCriteria: "default"}},
		{`cf.createRequestOriginGroup({originIds: [{originId: 'a'}, {originId: 'b'}], failoverCriteria: {statusCodes: [503]}, selectionCriteria: 'media-quality-score'})`,
			&OriginChange{Kind: OriginGroup, Group: [2]string{"a", "b"}, FailoverCodes: []int{503}, SelectionCriteria: "media-quality-score"}},
		{`cf.updateRequestOrigin({domainName: 'a:80'})`, nil},
		{`cf.updateRequestOrigin({connectionAttempts: 9})`, nil},
	}
	for _, tc := range cases {
		f := mustCompile(t, "import cf from 'cloudfront';\nfunction handler(event) {\n"+tc.code+";\nreturn event.request; }", Options{})
		r, err := f.Run(context.Background(), typicalEvent())
		if tc.want == nil {
			if !errors.Is(err, ErrExecution) {
				t.Errorf("%s: err %v", tc.code, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.code, err)
		}
		if !reflect.DeepEqual(r.Origin, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.code, r.Origin, tc.want)
		}
	}
	// No origin change recorded → nil; the state does not leak into the next run.
	f := mustCompile(t, "import cf from 'cloudfront';\nfunction handler(e) { if (e.request.uri === '/a') cf.selectRequestOriginById('x'); return e.request; }", Options{})
	ev := typicalEvent()
	ev.Request.URI = "/a"
	if r := run(t, f, ev); r.Origin == nil {
		t.Error("origin not recorded")
	}
	if r := run(t, f, typicalEvent()); r.Origin != nil {
		t.Error("origin leaked")
	}
}

func TestModules(t *testing.T) {
	code := `
import crypto from 'crypto';
import qs from 'querystring';
const { Buffer: B } = require('buffer');
function handler(event) {
    var out = [];
    out.push(crypto.createHash('md5').update('hello').digest('hex'));
    out.push(crypto.createHash('sha1').update('hello').digest('base64'));
    out.push(crypto.createHash('sha256').update('hello').digest('base64url'));
    out.push(crypto.createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex'));
    out.push(crypto.createHash('sha256').update('hello').digest().toString('hex').slice(0, 8));
    out.push(qs.stringify({b: '2', a: ['x y', 'é'], c: ''}));
    var p = qs.parse('a=1&a=2&b=%20x+y&c');
    out.push(JSON.stringify([p.a, p.b, p.c]));
    out.push(qs.escape('a b&c'), qs.unescape('%41%zz'));
    out.push(Buffer.from('hello').toString('base64'), Buffer.from('aGVsbG8', 'base64').toString(),
        Buffer.from('68656c6c6f', 'hex').toString('utf8'), Buffer.byteLength('é'), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString(),
        Buffer.alloc(3, 'ab').toString(), B === Buffer, Buffer.from([0xff, 0xfe]).toString('base64url'), Buffer.from('hi').readUInt16BE(0));
    out.push(btoa('hello'), atob('aGVsbG8='));
    out.push(new TextDecoder().decode(new TextEncoder().encode('žluť')));
    out.push(typeof setTimeout, typeof eval, typeof process, typeof Math.random());
    return { statusCode: 200, body: out.join('|') };
}`
	f := mustCompile(t, code, Options{})
	r := run(t, f, typicalEvent())
	want := strings.Join([]string{
		"5d41402abc4b2a76b9719d911017c592",
		"qvTGHdzF6KLavt4PO0gs2a6pQ00=",
		"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ",
		"f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
		"2cf24dba",
		"b=2&a=x%20y&a=%C3%A9&c=",
		`[["1","2"]," x y",""]`,
		"a%20b%26c", "A%zz",
		"aGVsbG8=", "hello", "hello", "2", "ab", "aba", "true", "__4", "26729",
		"aGVsbG8=", "hello",
		"žluť",
		"undefined", "undefined", "undefined", "number",
	}, "|")
	if r.Response.Body.Data != want {
		t.Errorf("got\n%s\nwant\n%s", r.Response.Body.Data, want)
	}
}

func TestRestrictions(t *testing.T) {
	for _, code := range []string{
		`function handler(e){ return eval('e.request') }`,
		`function handler(e){ return new Function('return 1')() }`,
		`function handler(e){ return (function(){}).constructor('return 1')() }`,
		`function handler(e){ return (async function(){}).constructor('return 1')() }`,
		`function handler(e){ setTimeout(function(){}, 1); return e.request }`,
		`function handler(e){ require('fs'); return e.request }`,
		`function handler(e){ var n = 'f' + 's'; require(n); return e.request }`,
		`function handler(e){ Array.prototype.leak = 1; return e.request }`,
		`function handler(e){ leaked = 1; return e.request }`,
		`function handler(e){ function f(){ return f() } return f() }`,
		`async function handler(e){ await new Promise(function(){}); return e.request }`,
		`async function handler(e){ throw new Error('async boom') }`,
	} {
		f, err := Compile("r", []byte(code), Options{})
		if err != nil {
			continue // refused at compile time is fine too
		}
		if _, err := f.Run(context.Background(), typicalEvent()); !errors.Is(err, ErrExecution) {
			t.Errorf("%s: err %v", code, err)
		}
	}
}

func TestFrozenClock(t *testing.T) {
	f := mustCompile(t, `function handler(e){
        var a = Date.now(); for (var i = 0; i < 20000; i++) {}
        var b = new Date().getTime(), c = Date.now();
        return {statusCode: 200, body: String(a === b && b === c) + ' ' + new Date(0).toISOString() + ' ' + (new Date() instanceof Date)} }`, Options{})
	r := run(t, f, typicalEvent())
	if r.Response.Body.Data != "true 1970-01-01T00:00:00.000Z true" {
		t.Errorf("%s", r.Response.Body.Data)
	}
}

func TestIsolation(t *testing.T) {
	f := mustCompile(t, `
var counter = 0;
function handler(e) {
    counter++;
    globalThis.seen = (globalThis.seen || 0) + 1;
    var err = new Error('x'); err.name = 'Custom';
    return {statusCode: 200, body: counter + ' ' + globalThis.seen + ' ' + err.name + ' ' + typeof Object.prototype.polluted};
}`, Options{})
	for i := 0; i < 5; i++ {
		r := run(t, f, typicalEvent())
		if r.Response.Body.Data != "1 1 Custom undefined" {
			t.Fatalf("run %d: %s", i, r.Response.Body.Data)
		}
	}
	p := mustCompile(t, `function handler(e){ Object.prototype.polluted = 1; return e.request }`, Options{})
	if _, err := p.Run(context.Background(), typicalEvent()); !errors.Is(err, ErrExecution) {
		t.Errorf("prototype pollution allowed: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	f := mustCompile(t, `function handler(e){ while (true) {} }`, Options{Compute: 2 * time.Millisecond})
	for i := 0; i < 3; i++ {
		start := time.Now()
		_, err := f.Run(context.Background(), typicalEvent())
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrExecution) {
			t.Fatalf("err %v", err)
		}
		// A run past the budget costs the first attempt (on the wall clock), a fresh runtime
		// for the second and the second (on the CPU clock): milliseconds, not the seconds an
		// uninterrupted loop would take; a loaded test machine stretches them.
		if d := time.Since(start); d > 2*time.Second*raceSlowdown {
			t.Errorf("stopped after %v", d)
		}
	}
	if len(f.pool) != 1 { // the warm runtime from Compile is gone, interrupted ones never return
		t.Logf("pool %d", len(f.pool))
	}
	// String growth is cut off by the budget too.
	f = mustCompile(t, `function handler(e){ var s = 'x'; for (;;) { s += s; if (s.length > 1e9) s = 'x'; } }`, Options{Compute: 5 * time.Millisecond})
	if _, err := f.Run(context.Background(), typicalEvent()); !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrExecution) {
		t.Fatalf("err %v", err)
	}
}

func TestCompile(t *testing.T) {
	cases := []struct {
		name, runtime, code, wantErr string
		is                           error
	}{
		{"syntax", "", "function handler(e) {\n  return e.request;\n  var = 1;\n}", "fn:3:7:", ErrSyntax},
		{"1.0 const", Runtime10, "function handler(e) {\n  const a = 1; return e.request }", "fn:2:3:", ErrSyntax},
		{"1.0 let", Runtime10, "function handler(e) { let a = 1; return e.request }", "fn:1:23:", ErrSyntax},
		{"1.0 async", Runtime10, "async function handler(e) { return e.request }", "fn:1:1:", ErrSyntax},
		{"1.0 import", Runtime10, "import crypto from 'crypto';\nfunction handler(e) { return e.request }", "fn:1:20:", ErrSyntax},
		{"1.0 cloudfront", Runtime10, "var cf = require('cloudfront');\nfunction handler(e) { return e.request }", "not found", ErrSyntax},
		{"unknown module", "", "import fs from 'fs';\nfunction handler(e) { return e.request }", "fs", ErrSyntax},
		{"too large", "", "function handler(e) { return e.request }\n//" + strings.Repeat("x", MaxCodeSize), "", ErrCodeTooLarge},
		{"bad runtime", "cloudfront-js-3.0", "function handler(e) { return e.request }", "unknown runtime", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile("fn", []byte(tc.code), Options{Runtime: tc.runtime})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
	// 1.0 works for an ES5 function with require, and digest() gives a byte string.
	f := mustCompile(t, `var crypto = require('crypto');
function handler(event) {
    var h = crypto.createHash('md5').update('a').digest();
    return {statusCode: 200, body: String(h.length) + ' ' + typeof Buffer + ' ' + typeof atob}; }`, Options{Runtime: Runtime10})
	if r := run(t, f, typicalEvent()); r.Response.Body.Data != "16 undefined undefined" {
		t.Errorf("%s", r.Response.Body.Data)
	}
	// export is accepted.
	f = mustCompile(t, "export function handler(e) { e.request.uri = '/x'; return e.request }", Options{})
	if r := run(t, f, typicalEvent()); r.Request.URI != "/x" {
		t.Error(r.Request.URI)
	}
	// Exactly 10 KB compiles.
	code := "function handler(e) { return e.request }\n//"
	code += strings.Repeat("x", MaxCodeSize-len(code))
	mustCompile(t, code, Options{})
}

func TestLogs(t *testing.T) {
	var got []string
	f := mustCompile(t, `function handler(e){ console.log('uri', e.request.uri, {a: 1}); for (var i = 0; i < 100; i++) console.log('x'.repeat(200)); return e.request }`,
		Options{Log: func(l string) { got = append(got, l) }})
	r := run(t, f, typicalEvent())
	if r.Logs[0] != `uri /blog/ {"a":1}` || len(got) != len(r.Logs) {
		t.Errorf("%q", r.Logs[0])
	}
	n := 0
	for _, l := range r.Logs {
		n += len(l)
	}
	if n > MaxLogBytes {
		t.Errorf("logs %d bytes", n)
	}
}

// slowStore is a key value store whose reads take wall time without CPU time, as a run does on
// a loaded machine while it waits for a core.
type slowStore struct {
	wait  time.Duration
	reads atomic.Int32
}

func (s *slowStore) Get(string) ([]byte, bool) {
	s.reads.Add(1)
	time.Sleep(s.wait) // the wall time the run is made to take, not a synchronisation
	return []byte("v"), true
}

func (s *slowStore) Meta() KVSMeta { return KVSMeta{} }

// TestWaitingIsNotComputing: a run that takes longer than the budget in wall time but not in
// CPU time is not a timeout. Its first attempt, timed on the wall clock, is interrupted and it
// runs again on the CPU clock of its thread.
func TestWaitingIsNotComputing(t *testing.T) {
	st := &slowStore{wait: 20 * time.Millisecond}
	f := mustCompile(t, `import cf from 'cloudfront';
async function handler(e) {
	e.request.headers['x-v'] = {value: await cf.kvs().get('k')};
	return e.request;
}`, Options{Compute: 5 * time.Millisecond, KVS: st})
	r, err := f.Run(context.Background(), typicalEvent())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v, _ := r.Request.Headers.Get("x-v"); v != "v" {
		t.Errorf("x-v %q", v)
	}
	if n := st.reads.Load(); n != 2 {
		t.Errorf("%d attempts, want 2 (one on the wall clock, one on the CPU clock)", n)
	}
}

func TestConcurrent(t *testing.T) {
	// The budget is wall time: with 8 goroutines on few cores a run can wait for a CPU longer
	// than the default 5 ms, so this test, about isolation, gives a generous one.
	f := mustCompile(t, `function handler(e){ e.request.headers['x-uri'] = {value: e.request.uri}; return e.request }`, Options{Compute: time.Second})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ev := typicalEvent()
				ev.Request.URI = "/" + itoa(g) + "/" + itoa(i%10)
				r, err := f.Run(context.Background(), ev)
				if err != nil {
					t.Error(err)
					return
				}
				if v, _ := r.Request.Headers.Get("x-uri"); v != ev.Request.URI {
					t.Errorf("got %q want %q", v, ev.Request.URI)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// BenchmarkIndexRewrite: a trivial URI rewrite on a typical event (8 headers, 2 cookies, a
// query string). go test -run '^$' -bench . -benchmem ./function/
func BenchmarkIndexRewrite(b *testing.B) {
	f := mustCompile(b, indexRewrite, Options{})
	ev := typicalEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Run(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzRun(f *testing.F) {
	f.Add(indexRewrite, "/a", "x-h", "v")
	f.Add(`function handler(e){ while(1){} }`, "/", "host", "h")
	f.Add(`async function handler(e){ e.request.headers[e.request.uri] = {value: 1}; return e.request }`, "/b?c", "X", "")
	f.Add(`function handler(e){ return {statusCode: 200, headers: {a: {multiValue: [{value: 'x'}]}}, body: e.request.uri} }`, "/c", "a", "b")
	f.Fuzz(func(t *testing.T, code, uri, hname, hval string) {
		fn, err := Compile("fuzz", []byte(code), Options{Compute: 3 * time.Millisecond})
		if err != nil {
			return
		}
		ev := typicalEvent()
		ev.Request.URI = uri
		ev.Request.Headers = append(ev.Request.Headers, f1(strings.ToLower(hname), hval))
		start := time.Now()
		_, _ = fn.Run(context.Background(), ev)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("ran %v", d)
		}
	})
}
