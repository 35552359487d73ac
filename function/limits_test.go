package function

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// The limits of regexp.go and syntax.go: regular expressions and BigInt, which would otherwise
// run natively for seconds (see MaxRegexpWork).

// The bounds on what a run costs, in CPU time of the thread it runs on (see runLimited):
// refusedTime bounds a refused operation, refused before any of the work is done;
// interruptedTime a run the budget stops between matches (each bounded), which Run tries
// twice (on the wall clock, then on the CPU clock); regexp2Time a run stopped by
// RegexpMatchTimeout, also twice, after turning a long subject into runes and backtracking
// through it. Each run must also end within bombTime of wall time, however loaded the machine.
const (
	refusedTime     = 100 * time.Millisecond * raceSlowdown
	interruptedTime = 100 * time.Millisecond * raceSlowdown
	regexp2Time     = 10 * RegexpMatchTimeout * raceSlowdown
)

// bigSubject is a subject of 100,000 characters: /(?:a|b){1000}c/ against it took 0.75 to 2.2 s.
const bigSubject = `'a'.repeat(1e5)`

// slowRE is a pattern Go's regexp runs in time proportional to 1,000 times the subject length.
const slowRE = `(?:a|b){1000}c`

// runLimited compiles code as the body of a handler with the compute budget, runs it once,
// and returns the CPU time the run took on its thread (the wall time where threads have no
// clock), so that other processes loading the machine do not count. It fails the test when
// the run takes longer than bombTime of wall time.
func runLimited(t *testing.T, code string, budget time.Duration) (took time.Duration, err error) {
	t.Helper()
	f := mustCompile(t, "function handler(e) { "+code+"\n; return e.request }", Options{Compute: budget})
	start := time.Now()
	took = cpuTime(func() { _, err = f.Run(context.Background(), typicalEvent()) })
	if wall := time.Since(start); wall > bombTime {
		t.Errorf("ran %v", wall)
	}
	return took, err
}

// cpuTime runs f and returns the CPU time of the thread it ran on (the wall time where threads
// have no clock).
func cpuTime(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := threadID()
	c0 := threadCPU(tid)
	start := time.Now()
	f()
	wall := time.Since(start)
	if c1 := threadCPU(tid); c0 >= 0 && c1 >= 0 {
		return time.Duration(c1 - c0)
	}
	return wall
}

// regexpRefusals are operations refused before they run: want is in the error.
var regexpRefusals = []struct{ name, code, want string }{
	{"test", `/` + slowRE + `/.test(` + bigSubject + `)`, "RegExp.prototype.test: matching"},
	{"exec", `/` + slowRE + `/.exec(` + bigSubject + `)`, "RegExp.prototype.exec: matching"},
	{"exec from lastIndex", `var r = /` + slowRE + `/g; r.lastIndex = 5; r.exec(` + bigSubject + `)`, "RegExp.prototype.exec: matching"},
	{"sticky test", `/` + slowRE + `/y.test(` + bigSubject + `)`, "RegExp.prototype.test: matching"},
	{"match", bigSubject + `.match(/` + slowRE + `/)`, "RegExp.prototype.exec: matching"},
	{"match global", bigSubject + `.match(/` + slowRE + `/g)`, "RegExp.prototype.exec: matching"},
	{"matchAll", `[...` + bigSubject + `.matchAll(/` + slowRE + `/g)]`, "RegExp.prototype.exec: matching"},
	{"replace", bigSubject + `.replace(/` + slowRE + `/, 'x')`, "RegExp.prototype.exec: matching"},
	{"replace global", bigSubject + `.replace(/` + slowRE + `/g, 'x')`, "RegExp.prototype.exec: matching"},
	{"replace function", bigSubject + `.replace(/` + slowRE + `/g, function () { return 'x' })`, "RegExp.prototype.exec: matching"},
	{"replaceAll", bigSubject + `.replaceAll(/` + slowRE + `/g, '$&')`, "RegExp.prototype.exec: matching"},
	{"split", bigSubject + `.split(/` + slowRE + `/)`, "RegExp.prototype.exec: matching"},
	{"split limit", bigSubject + `.split(/` + slowRE + `/, 2)`, "RegExp.prototype.exec: matching"},
	{"search", bigSubject + `.search(/` + slowRE + `/)`, "RegExp.prototype.exec: matching"},
	{"non-ASCII subject", `('é' + ` + bigSubject + `).search(/` + slowRE + `/)`, "RegExp.prototype.exec: matching"},
	{"new RegExp", `new RegExp('(?:a|b){' + 1000 + '}c').test(` + bigSubject + `)`, "RegExp.prototype.test: matching"},
	{"RegExp()", `RegExp('` + slowRE + `', 'g').exec(` + bigSubject + `)`, "RegExp.prototype.exec: matching"},
	{"match of a string", bigSubject + `.match('` + slowRE + `')`, "RegExp.prototype.exec: matching"},
	{"search of a string", bigSubject + `.search('` + slowRE + `')`, "RegExp.prototype.exec: matching"},
	{"matchAll of a string", `[...` + bigSubject + `.matchAll('` + slowRE + `')]`, "RegExp.prototype.exec: matching"},
	// 903 instructions on 4,000 characters is within MaxRegexpWork but for the 300 capture
	// groups every thread copies (it took 115 ms).
	{"captures", `new RegExp('(a|b)'.repeat(300) + 'c').test('ab'.repeat(2000))`, "RegExp.prototype.test: matching"},
	// Compiling at run time.
	{"too many instructions", `new RegExp('a{1000}'.repeat(5))`, "RegExp: the pattern compiles to 5002 instructions; the limit is 4096"},
	{"nested too deep", `new RegExp('(?:'.repeat(129) + 'a' + ')'.repeat(129))`, "RegExp: groups nest 129 deep; the limit is 128"},
	{"regexp2 nested too deep", `new RegExp('(?=a)' + '(?:a*'.repeat(1000) + ')'.repeat(1000))`, "RegExp: groups nest 1000 deep"},
	{"too long", `new RegExp('x'.repeat(10241))`, "RegExp: the pattern is 10241 characters; the limit is 10240"},
	{"translates too long", `new RegExp('\\s'.repeat(1100))`, "RegExp: the pattern translates to"},
	{"compile", `/x/.compile('a{1000}'.repeat(5))`, "RegExp.prototype.compile: the pattern compiles to"},
	{"String match pattern", `'x'.match('a{1000}'.repeat(5))`, "String.prototype.match: the pattern compiles to"},
	{"String search pattern", `'x'.search('a{1000}'.repeat(5))`, "String.prototype.search: the pattern compiles to"},
	{"String matchAll pattern", `'x'.matchAll('a{1000}'.repeat(5))`, "String.prototype.matchAll: the pattern compiles to"},
	{"RegExp of a RegExp with flags", `new RegExp(new RegExp('a{1000}'.repeat(4)), 'u').test(` + bigSubject + `)`, "RegExp.prototype.test: matching"},
}

// TestRegexpRefused: a match that could take Go's regexp more than MaxRegexpWork, or a pattern
// over the limits of compiling, fails the run with the limit's RangeError at once, before any
// of the work: so also under a budget of a second.
func TestRegexpRefused(t *testing.T) {
	for _, tc := range regexpRefusals {
		t.Run(tc.name, func(t *testing.T) {
			took, err := runLimited(t, tc.code, time.Second)
			if !errors.Is(err, ErrExecution) || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "RangeError: "+tc.want) {
				t.Fatalf("err %v, want the RangeError %q", err, tc.want)
			}
			if took > refusedTime {
				t.Errorf("ran %v", took)
			}
		})
	}
}

// regexpInterrupted are matches each within the limit, too many of them: the budget stops the
// run between two. The global ones would have run natively in goja's loops: Go's regexp takes
// quadratic time finding every match of /a(?:[^]*b)?/ (2.9 s on 20,000 a's), and regexp2 has a
// timeout for each match only.
var regexpInterrupted = []string{
	`'a'.repeat(2e4).replace(/a(?:[^]*b)?/g, '')`,
	`'a'.repeat(2e4).replace(/a(?:[^]*b)?/g, function () { return '' })`,
	`'a'.repeat(2e4).match(/a(?:[^]*b)?/g)`,
	`'a'.repeat(2e4).split(/a(?:[^]*b)?/)`,
	`[...'a'.repeat(2e4).matchAll(/a(?:[^]*b)?/g)]`,
	`('é' + 'a'.repeat(2e4)).replace(/a(?:[^]*b)?/g, '')`,
	`'a'.repeat(2e4).replace(/(?=[^]*a)a/g, '')`,
	`'ab'.repeat(5e5).replace(/(?:(?=(a+)+c)|)a/g, 'x')`,
	`var r = /a(?:[^]*b)?/g, s = 'a'.repeat(2e4); while (r.exec(s));`,
	`var r = /x/, n = 0; Object.defineProperty(r, 'flags', {get: function () { return n++ ? 'g' : '' }}); 'x'.repeat(1000).replace(r, 'y')`,
}

// TestRegexpInterrupted: a run of many matches, each within the limits, is stopped by the
// budget.
func TestRegexpInterrupted(t *testing.T) {
	for _, code := range regexpInterrupted {
		t.Run(code, func(t *testing.T) {
			took, err := runLimited(t, code, 5*time.Millisecond)
			if strings.Contains(code, "flags") { // not many matches: one, as goja's loop would have looked for forever
				if err != nil {
					t.Fatalf("err %v", err)
				}
			} else if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err %v, want a timeout", err)
			}
			if took > interruptedTime {
				t.Errorf("ran %v", took)
			}
		})
	}
}

// TestRegexpBacktrackingBounded: regexp2 (lookaround, backreferences) is bounded by
// RegexpMatchTimeout, as it was.
func TestRegexpBacktrackingBounded(t *testing.T) {
	for _, code := range []string{
		`/(?=a)` + slowRE + `/.test(` + bigSubject + `)`,
		`/(?=a)(?:a|b)*c/.test('ab'.repeat(5e5))`,
		`/(a)\1` + slowRE + `/.exec(` + bigSubject + `)`,
		`new RegExp('(?<=a)` + slowRE + `').test(` + bigSubject + `)`,
	} {
		t.Run(code, func(t *testing.T) {
			took, err := runLimited(t, code, 5*time.Millisecond)
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err %v, want a timeout", err)
			}
			if took > regexp2Time {
				t.Errorf("ran %v", took)
			}
		})
	}
}

// TestRegexpLimitExact: a match is refused exactly past MaxRegexpWork.
func TestRegexpLimitExact(t *testing.T) {
	info, err := analyzeRegexp("a{99}", "")
	if err != nil || !info.re2 {
		t.Fatalf("%+v %v", info, err)
	}
	n := MaxRegexpWork/info.perChar() - 1 // the longest subject allowed
	f := mustCompile(t, `function handler(e) {
		var n = Number(e.request.querystring.n.value);
		return {statusCode: 200, body: String(/a{99}/.test('b'.repeat(n)))};
	}`, Options{})
	for _, tc := range []struct {
		n  int
		ok bool
	}{{n, true}, {n + 1, false}} {
		ev := typicalEvent()
		ev.Request.QueryString = Fields{f1("n", fmt.Sprint(tc.n))}
		r, err := f.Run(context.Background(), ev)
		if tc.ok && (err != nil || r.Response.Body.Data != "false") {
			t.Errorf("n = %d: %v", tc.n, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "over the function limit")) {
			t.Errorf("n = %d: err %v", tc.n, err)
		}
	}
}

// TestRegexpLiteralLimits: a regular expression literal over the limits fails Compile with a
// *CompileError at the literal, before goja compiles it (a 7 KB literal took it 0.9 s and
// 233 MB).
func TestRegexpLiteralLimits(t *testing.T) {
	sevenKB := "/" + strings.Repeat("a{1000}", 1000) + "/"
	cases := []struct {
		name, runtime, code, want string
		line, col                 int
	}{
		{"7 KB", "", "function handler(e) {\n  var r = " + sevenKB + ";\n  return e.request }", "compiles to 1000002 instructions", 2, 11},
		{"5 repeats", "", "function handler(e) { return /a{1000}b{1000}c{1000}d{1000}e{100}/.test(e.request.uri) ? e.request : e.request }",
			"compiles to 4102 instructions; the limit is 4096", 1, 30},
		{"nested", "", "function handler(e) {\n\n  /" + strings.Repeat("(", 129) + "a" + strings.Repeat(")", 129) + "/;\n  return e.request }",
			"groups nest 129 deep", 3, 3},
		{"translated", "", "function handler(e) { return e.request }\nvar r = /" + strings.Repeat(`\s`, 1100) + "/g;", "translates to", 2, 9},
		{"never called", "", "function handler(e) { return e.request }\nfunction unused() { return /[ab]{1000}[cd]{1000}[ef]{1000}[gh]{1000}x{100}/i }", "instructions", 2, 28},
		{"1.0", Runtime10, "function handler(e) { var r = /a{1000}b{1000}c{1000}d{1000}e{1000}/; return e.request }", "compiles to 5002", 1, 31},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			took := cpuTime(func() { _, err = Compile("fn", []byte(tc.code), Options{Runtime: tc.runtime}) })
			var ce *CompileError
			if !errors.As(err, &ce) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("err %v, want a CompileError", err)
			}
			if !strings.Contains(ce.Msg, "regular expression /") || !strings.Contains(ce.Msg, tc.want) {
				t.Errorf("message %q, want %q", ce.Msg, tc.want)
			}
			if ce.Line != tc.line || ce.Column != tc.col {
				t.Errorf("at %d:%d, want %d:%d", ce.Line, ce.Column, tc.line, tc.col)
			}
			if took > refusedTime {
				t.Errorf("took %v", took)
			}
		})
	}
	// At the limit it compiles, and a literal the runtime compiles at run time (esbuild turns
	// one with the flag s into new RegExp) is checked then. A pattern goja compiles with
	// regexp2 (named groups) is not counted in instructions: regexp2 does not copy repetitions.
	mustCompile(t, "function handler(e) { return /a{1000}b{1000}c{1000}d{1000}e{93}/.test(e.request.uri) ? e.request : e.request }", Options{})
	mustCompile(t, "function handler(e) { return /(?<n>a{1000})b{1000}c{1000}d{1000}e{1000}/.test(e.request.uri) ? e.request : e.request }", Options{})
	took, err := runLimited(t, `/a{1000}b{1000}c{1000}d{1000}e{100}/s.test('x')`, time.Second)
	if err == nil || !strings.Contains(err.Error(), "RangeError: RegExp: the pattern compiles to") || took > refusedTime {
		t.Errorf("err %v in %v", err, took)
	}
}

// TestBigIntRefused: neither runtime has BigInt
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html):
// a literal does not compile, and nothing at run time makes one.
func TestBigIntRefused(t *testing.T) {
	for _, rt := range []string{Runtime20, Runtime10} {
		for _, tc := range []struct {
			code      string
			line, col int
		}{
			{"function handler(e) {\n  var x = 1n;\n  return e.request }", 2, 11},
			{"function handler(e) { try { var x = 0x1fn } catch (err) {} return e.request }", 1, 37},
			{"function handler(e) {\n  return 1n << 1000000000n ? e.request : e.request }", 2, 10},
			{"var n = 123456789012345678901234567890n;\nfunction handler(e) { return e.request }", 1, 9},
		} {
			t.Run(rt+" "+tc.code, func(t *testing.T) {
				var err error
				took := cpuTime(func() { _, err = Compile("fn", []byte(tc.code), Options{Runtime: rt}) })
				var ce *CompileError
				if !errors.As(err, &ce) || !errors.Is(err, ErrSyntax) {
					t.Fatalf("err %v, want a CompileError", err)
				}
				if ce.Msg != "BigInt literals are not supported in "+rt || ce.Line != tc.line || ce.Column != tc.col {
					t.Errorf("got %v, want the BigInt error at %d:%d", err, tc.line, tc.col)
				}
				if took > refusedTime {
					t.Errorf("took %v", took)
				}
			})
		}
	}
	f := mustCompile(t, `function handler(e) {
		var dv = new DataView(new ArrayBuffer(8));
		var out = [typeof BigInt, typeof globalThis.BigInt, 'BigInt' in globalThis, typeof BigInt64Array, typeof BigUint64Array,
			typeof dv.getBigInt64, typeof dv.getBigUint64, typeof dv.setBigInt64, typeof dv.setBigUint64,
			Object.getOwnPropertyNames(globalThis).filter(function (n) { return n.indexOf('Big') >= 0 }).length];
		try { BigInt(1) } catch (err) { out.push(err.name) }
		return {statusCode: 200, body: out.join()};
	}`, Options{})
	want := "undefined,undefined,false,undefined,undefined,undefined,undefined,undefined,undefined,0,ReferenceError"
	if r := run(t, f, typicalEvent()); r.Response.Body.Data != want {
		t.Errorf("got  %s\nwant %s", r.Response.Body.Data, want)
	}
	if _, err := Compile("fn", []byte("function handler(e) { return e.request }"), Options{Runtime: Runtime10}); err != nil {
		t.Fatal(err)
	}
}

// TestRegexpLegit: what functions do with regular expressions keeps working.
func TestRegexpLegit(t *testing.T) {
	cases := []struct{ code, want string }{
		{`'2024-06-01'.match(/(?<y>\d{4})-(?<m>\d\d)/)[2]`, "06"},
		{`var r = /a/y; r.lastIndex = 1; [r.test('ba'), r.lastIndex, r.test('ba')].join()`, "true,2,false"},
		{`var r = /a/gy; 'aaba'.replace(r, 'x') + r.lastIndex + 'aaba'.match(r)`, "xxba0a,a"},
		{`/a/gimsuy.flags + ' ' + new RegExp('a', 'ig').flags + ' ' + RegExp('a', 'm').multiline`, "gimsuy gi true"},
		{`'a1b2c3'.split(/\d/).join('|') + ' ' + 'a, b;c'.split(/\s*[,;]\s*/).join('|') + ' ' + 'a1b2c3'.split(/(\d)/, 3).join('|')`, "a|b|c| a|b|c a|1|b"},
		{`RegExp.prototype[Symbol.split].call(/-/, 'x-y-z').join() + ' ' + 'x'.split(/(?:)/).length + 'xyz'.split(/(?:)/).join('.')`, "x,y,z 1x.y.z"},
		{`'/a/b/c'.replace(/\/(\w)/g, '[$1]') + ' ' + 'John Smith'.replace(/(\w+)\s(\w+)/, '$2, $1') + ' ' + 'aaa'.replace(/a/g, '$&$$')`, "[a][b][c] Smith, John a$a$a$"},
		{`'x-y-z'.replaceAll(/-/g, '+') + ' ' + 'x-y-z'.replaceAll(/(-)/g, function (m, p, i) { return i })`, "x+y+z x1y3z"},
		{`[...'a1b22c333'.matchAll(/\d+/g)].map(function (m) { return m[0] + '@' + m.index }).join()`, "1@1,22@3,333@6"},
		{`'price: 100USD 200EUR'.match(/\d+(?=USD)/)[0] + ' ' + /^(?!admin)/.test('/user') + ' ' + '$42'.match(/(?<=\$)\d+/)[0]`, "100 true 42"},
		{`/^\/(images|img)\/.+\.(jpe?g|png)$/i.test('/IMG/Photo.JPG') + ' ' + /\.html?$/i.test('/index.htm')`, "true true"},
		{`'en-US,en;q=0.9,de;q=0.8'.split(/[,;]/).filter(function (p) { return !/^q=/.test(p) }).join(' ')`, "en-US en de"},
		{`return 'session=abc; theme=dark; id=42'.match(/(?:^|;\s*)theme=([^;]*)/)[1]`, "dark"},
		{`'/blog/2024/post/'.replace(/\/+$/, '').replace(/[A-Z]/g, function (c) { return c.toLowerCase() })`, "/blog/2024/post"},
		{`var r = /\d/g, s = 'a1b2', out = [], m; while ((m = r.exec(s))) out.push(m[0] + m.index); out.join() + r.lastIndex`, "11,230"},
		{`var r = /a/g; r.lastIndex = 3; 'aaa'.replace(r, 'b') + r.lastIndex + 'aaa'.match(r).length + r.lastIndex`, "bbb030"},
		{`'😀x'.match(/./gu).length + ' ' + 'é,a,b'.split(/,/).join('|') + ' ' + 'é-é'.replace(/é/g, 'e')`, "2 é|a|b e-e"},
		{`'abc'.search(/c/) + ' ' + 'abc'.search('b') + ' ' + 'a.c'.match('.').index + ' ' + [...'aXbX'.matchAll('X')].length`, "2 1 0 2"},
		{`/^[\w\/.-]+$/.test('a'.repeat(20000)) + ' ' + 'a,b'.repeat(5000).split(/,/).length + ' ' + 'a,b'.repeat(5000).replace(/,/g, ';').length`, "true 5001 15000"},
		{`new RegExp('^/(' + ['blog', 'news', 'docs'].join('|') + ')/(\\d+)$').exec('/news/42').slice(1).join()`, "news,42"},
		{`var u = '/x?q=' + 'ab'.repeat(4000); /^\/x\?q=(?:ab){1,5000}$/.test(u)`, "true"},
		{`String(RegExp.prototype.exec) + RegExp.prototype.exec.length + RegExp.prototype.test.name + (/x/.exec === RegExp.prototype.exec)`, "function exec() { [native code] }1testtrue"},
		{`var r = /a/; r.compile('b+', 'g'); r.test('abb') + ' ' + r.source + r.flags + r.lastIndex`, "true b+g3"},
		{`return (function () { class R extends RegExp { exec(s) { var m = super.exec(s); if (m) m[0] = m[0].toUpperCase(); return m } } return 'abc'.replace(new R('b'), '[$&]') + new R('c', 'g')[Symbol.match]('cc').join() })()`, "a[B]cC,C"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			f := mustCompile(t, "function handler(e) { return {statusCode: 200, body: String(body())} }\nfunction body() { "+lastExpr(tc.code)+" }", Options{})
			if got := run(t, f, typicalEvent()).Response.Body.Data; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// A pattern from the request.
	f := mustCompile(t, `function handler(e) {
		var re = new RegExp(e.request.headers['x-pattern'].value, 'i');
		return {statusCode: 200, body: re.test(e.request.uri) + ' ' + e.request.uri.replace(re, '$1')};
	}`, Options{})
	ev := typicalEvent()
	ev.Request.URI = "/Blog/42"
	ev.Request.Headers = append(ev.Request.Headers, f1("x-pattern", `^/blog/(\d+)$`))
	if got := run(t, f, ev).Response.Body.Data; got != "true 42" {
		t.Errorf("got %q", got)
	}
}

// TestRegexpBuiltinsUnchanged compares regular expression operations with goja's own, as it
// does them when exec is replaced (as prelude.js does): as the specification has them. (Its
// fast paths found every match with Go's regexp, which skips an empty match where the last
// match ends: /\d*/g replaced 'a1' by '-a-', not '-a--'.)
func TestRegexpBuiltinsUnchanged(t *testing.T) {
	subjects := []string{`'a1b22c333'`, `''`, `'aaa'`, `'x-y--z-'`, `'é1ü22'`, `'😀a😀'`, `'a\nb\nc'`, `'AbAb'`}
	patterns := []string{`/\d+/g`, `/\d*/g`, `/(\d)(\d)?/g`, `/-/g`, `/(?:)/g`, `/a/gy`, `/^\w/gm`, `/b/gi`, `/\d+/`, `/./gu`, `/(-)|(x)/g`, `/(?=\d)/g`, `/a(?=a)/g`}
	templates := []string{`'[$&]'`, `'$1|$2'`, "'$`'", `"$'"`, `'$$'`, `'$0$10$01'`, `'$'`}
	var exprs []string
	for _, s := range subjects {
		for _, p := range patterns {
			exprs = append(exprs,
				s+`.match(`+p+`)`, s+`.split(`+p+`)`, s+`.split(`+p+`, 2)`, s+`.search(`+p+`)`,
				`(function (r) { var m = `+s+`.replace(r, function () { return JSON.stringify([].slice.call(arguments)) }); return m + r.lastIndex })(`+p+`)`,
				`(function (r) { r.lastIndex = 1; var a = [r.exec(`+s+`), r.lastIndex, r.test(`+s+`), r.lastIndex]; return a })(`+p+`)`)
			if strings.Contains(p, "g") {
				exprs = append(exprs, `[...`+s+`.matchAll(`+p+`)].map(function (m) { return m.join('/') + '@' + m.index })`)
			}
			for _, tpl := range templates {
				exprs = append(exprs, `(function (r) { return `+s+`.replace(r, `+tpl+`) + r.lastIndex })(`+p+`)`)
			}
		}
	}
	show := `(function (f) {
		try {
			var v = f();
			return Object.prototype.toString.call(v) + ' ' + JSON.stringify(v);
		} catch (e) {
			return 'throws ' + e.name;
		}
	})`
	vm := goja.New()
	if _, err := vm.RunString("Object.defineProperty(RegExp.prototype, 'exec', {value: RegExp.prototype.exec})"); err != nil {
		t.Fatal(err)
	}
	// Functions of up to MaxCodeSize, each returning the results of a batch of expressions.
	for len(exprs) > 0 {
		var code strings.Builder
		n := 0
		for n < len(exprs) && code.Len()+len(exprs[n]) < MaxCodeSize-1024 {
			if n > 0 {
				code.WriteString(",")
			}
			code.WriteString("function () { return " + exprs[n] + " }")
			n++
		}
		batch := "[" + code.String() + "].map(" + show + ").join('\\n')"
		want, err := vm.RunString(batch)
		if err != nil {
			t.Fatalf("plain goja: %v", err)
		}
		f := mustCompile(t, "function handler(e) { return {statusCode: 200, body: "+batch+"} }", Options{})
		got := strings.Split(run(t, f, typicalEvent()).Response.Body.Data, "\n")
		wants := strings.Split(want.String(), "\n")
		if len(got) != n || len(wants) != n {
			t.Fatalf("%d results, %d from goja, for %d expressions", len(got), len(wants), n)
		}
		for i, e := range exprs[:n] {
			if got[i] != wants[i] {
				t.Errorf("%s\ngot  %s\nwant %s", e, got[i], wants[i])
			}
		}
		exprs = exprs[n:]
	}
}

// TestRegexpGuardsBypass: what a function can do to RegExps, their prototype, exec or the
// constructor does not get a match past the guards: each is refused (a RangeError) or fails on
// goja's TypeError, under a budget of a second.
func TestRegexpGuardsBypass(t *testing.T) {
	cases := []string{
		`try { RegExp.prototype.exec = function () { return null } } catch (err) {} /` + slowRE + `/.exec(` + bigSubject + `)`,
		`var r = /` + slowRE + `/; Object.defineProperty(r, 'exec', {value: function (s) { return RegExp.prototype.exec.call(this, s) }}); r.exec(` + bigSubject + `)`,
		`var r = /` + slowRE + `/g; Object.defineProperty(r, 'exec', {value: function (s) { return RegExp.prototype.exec.call(this, s) }}); ` + bigSubject + `.replace(r, 'x')`,
		`var r = /` + slowRE + `/g; Object.defineProperty(r, Symbol.replace, {value: function (s) { return RegExp.prototype.exec.call(this, s) }}); ` + bigSubject + `.replace(r, 'x')`,
		`RegExp.prototype.exec.call(/` + slowRE + `/, ` + bigSubject + `)`,
		`Reflect.apply(RegExp.prototype.test, /` + slowRE + `/, [` + bigSubject + `])`,
		`Object.getOwnPropertyDescriptor(RegExp.prototype, 'exec').value.call(/` + slowRE + `/, ` + bigSubject + `)`,
		`class R extends RegExp { exec(s) { return super.exec(s) } } new R('` + slowRE + `').test(` + bigSubject + `)`,
		`class R extends RegExp { exec(s) { return super.exec(s) } } ` + bigSubject + `.replace(new R('` + slowRE + `', 'g'), '')`,
		`class R extends RegExp { constructor() { super('a{1000}'.repeat(5)) } } new R()`,
		`/x/.constructor('` + slowRE + `').test(` + bigSubject + `)`,
		`new (Object.getPrototypeOf(/x/).constructor)('` + slowRE + `').test(` + bigSubject + `)`,
		`new RegExp[Symbol.species]('a{1000}'.repeat(5))`,
		`Reflect.construct(RegExp, ['a{1000}'.repeat(5)], function () {})`,
		`var r = new RegExp('\\u{1000}\\u{1000}\\u{1000}\\u{1000}c'); Object.defineProperty(r, 'unicode', {get: function () { return true }}); Object.defineProperty(r, 'flags', {get: function () { return 'u' }}); r.test('u'.repeat(1e5))`,
		`var r = /a/; r.test('a'); r.compile('` + slowRE + `'); r.test(` + bigSubject + `)`,
		`var r = /a/; r.test('a'); r.compile(/` + slowRE + `/); r.test(` + bigSubject + `)`,
		`var r = /` + slowRE + `/g, n = 0; r.lastIndex = {valueOf: function () { return n++ ? 1e9 : 0 }}; r.exec(` + bigSubject + `)`,
		`var r = /a/g; r.lastIndex = {valueOf: function () { r.compile('` + slowRE + `', 'g'); return 0 }}; r.exec(` + bigSubject + `)`,
		`var r = /a/; r.test({toString: function () { r.compile('` + slowRE + `'); return ` + bigSubject + ` }})`,
		`var r = /a/; r.exec({toString: function () { r.compile('` + slowRE + `', 'y'); r.lastIndex = {valueOf: function () { return 0 }}; return ` + bigSubject + ` }})`,
		`var m = /` + slowRE + `/g; m.constructor = {}; m.constructor[Symbol.species] = function () { var x = /` + slowRE + `/g; Object.defineProperty(x, 'exec', {value: null}); return x }; [...` + bigSubject + `.matchAll(m)]`,
		`var m = /` + slowRE + `/; m.constructor = {}; m.constructor[Symbol.species] = function () { var x = /` + slowRE + `/y; Object.defineProperty(x, 'exec', {value: undefined}); return x }; ` + bigSubject + `.split(m)`,
		`var p = new Proxy(/` + slowRE + `/, {}); try { RegExp.prototype.exec.call(p, ` + bigSubject + `) } catch (err) { if (err.name !== 'TypeError') throw err } ` + bigSubject + `.replace(p, 'x')`,
		`var it = ` + bigSubject + `.matchAll(/a/g); Object.getPrototypeOf(it).next.call({}, 1)`,
	}
	for _, code := range cases {
		t.Run(code, func(t *testing.T) {
			took, err := runLimited(t, code, time.Second)
			want := "RangeError: "
			if strings.Contains(code, "Proxy") || strings.Contains(code, "next.call") {
				want = "TypeError: "
			}
			if !errors.Is(err, ErrExecution) || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err %v, want a %s", err, want)
			}
			if took > refusedTime {
				t.Errorf("ran %v (%v)", took, err)
			}
		})
	}
}

// TestRegexpAnalysis: what analyzeRegexp tells of patterns, and that its program size is that of
// Go's compiled program or more.
func TestRegexpAnalysis(t *testing.T) {
	cases := []struct {
		pattern, flags string
		re2, invalid   bool
		err            string
	}{
		{`a{1000}`, "", true, false, ""},
		{`^/(blog|news)/(?:(\d{4})/)?(.*)$`, "i", true, false, ""},
		{`\u{1000}`, "", true, false, ""},
		{`\u{1000}`, "u", true, false, ""},
		{`(?=a)b`, "", false, false, ""},
		{`(a)\1`, "", false, false, ""},
		{`(?<n>a)`, "", false, false, ""},
		{`(?:a{1000}){1000}`, "", false, false, ""},
		{`[`, "", false, true, ""},
		{`a)`, "", false, true, ""},
		{`a{1000}b{1000}c{1000}d{1000}e{100}`, "", true, false, "4102 instructions"},
		{strings.Repeat("(", 129) + strings.Repeat(")", 129), "", false, false, "nest 129 deep"},
		{strings.Repeat("x", MaxRegexpSource+1), "", false, false, "10241 characters"},
		{strings.Repeat("😀", MaxRegexpSource/2+1), "", false, false, "10242 characters"},
		{strings.Repeat(`\s`, 1100), "", false, false, "translates to"},
		{`[(]{3}\(((((a))))`, "", true, false, ""},
	}
	for _, tc := range cases {
		info, err := analyzeRegexp(tc.pattern, tc.flags)
		if tc.err != "" {
			var le *regexpLimitError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%.40s: err %v, want %q", tc.pattern, err, tc.err)
			}
			continue
		}
		if err != nil || info.re2 != tc.re2 || info.invalid != tc.invalid {
			t.Errorf("%.40s: %+v %v", tc.pattern, info, err)
			continue
		}
		if info.re2 {
			checkProgSize(t, tc.pattern, info)
		}
	}
	if d := groupDepth(`[(]{3}\(((((a))))`); d != 4 {
		t.Errorf("depth %d", d)
	}
}

// checkProgSize: Go's program for the pattern is no larger than info says, and no match is
// wider than info.width.
func checkProgSize(t *testing.T, pattern string, info regexpInfo) {
	t.Helper()
	tree, err := syntax.Parse(info.translated, syntax.Perl)
	if err != nil {
		t.Fatalf("%.40q: %v", pattern, err)
	}
	prog, err := syntax.Compile(tree.Simplify())
	if err != nil {
		t.Fatalf("%.40q: %v", pattern, err)
	}
	if len(prog.Inst) > info.insts {
		t.Errorf("%.40q: %d instructions, counted %d", pattern, len(prog.Inst), info.insts)
	}
	if info.width < 0 {
		return
	}
	re := regexp.MustCompile(info.translated)
	for _, s := range []string{pattern, strings.Repeat(pattern, 3), "aaaaaaaaaa", "abcabc 123 é\n"} {
		if info.perChar()*len(s) > 1<<20 {
			continue // a test, not a benchmark
		}
		for _, m := range re.FindAllStringIndex(s, -1) {
			if w := utf8.RuneCountInString(s[m[0]:m[1]]); w > info.width {
				t.Errorf("%.40q: a match %d wide, width %d", pattern, w, info.width)
			}
		}
	}
}

// FuzzRegexpAnalysis: analyzeRegexp never panics, takes little time, sizes Go's program no
// smaller than it is, and calls no pattern goja compiles invalid.
func FuzzRegexpAnalysis(f *testing.F) {
	for _, p := range []string{
		`a`, `^/(blog|news)/(\d+)$`, `a{1000}`, `(?:a|b){1000}c`, `(?=a)b`, `(a)\1`, `(?<y>\d{4})`, `[^]`, `[]`, `\s\S\w\W\d\D\b\B`,
		`\u{1F600}`, `\uD83D\uDE00`, `😀+`, `(?:a{10}){10}`, `(?:(?:a{10}){10}){11}`, `a{0,1000}b{2,}c*?d+?e??`, `(a|b|c|)*`,
		`\cJ\x41\101\0`, `[\s\S]`, `x{`, `a{2,1}`, `\`, `(`, `)`, `(?:`, `a|`, `.`, `$^`, `(?i:a)`, `[a-z\u0100-\uffff]`,
		strings.Repeat("a{1000}", 5), strings.Repeat("(", 130) + strings.Repeat(")", 130), strings.Repeat(`\s`, 1100),
	} {
		for _, fl := range []uint8{0, 1, 2, 4, 8, 16, 32, 63} {
			f.Add(p, fl)
		}
	}
	vm := goja.New()
	f.Fuzz(func(t *testing.T, pattern string, fl uint8) {
		flags := ""
		for i, c := range "gimsuy" {
			if fl&(1<<i) != 0 {
				flags += string(c)
			}
		}
		start := time.Now()
		var info regexpInfo
		var err error
		if took := cpuTime(func() { info, err = analyzeRegexp(pattern, flags) }); took > refusedTime {
			t.Fatalf("%.40q: took %v", pattern, took)
		}
		if err != nil {
			var le *regexpLimitError
			if !errors.As(err, &le) {
				t.Fatalf("%.40q: %v", pattern, err)
			}
			return
		}
		if info.re2 {
			if info.insts < 3 || info.insts > MaxRegexpInsts || info.perChar() < info.insts {
				t.Fatalf("%.40q: %+v", pattern, info)
			}
			checkProgSize(t, pattern, info)
		}
		if !utf8.ValidString(pattern) {
			return // goja would read it otherwise
		}
		_ = vm.Set("p", pattern)
		_ = vm.Set("f", flags)
		rx, err := vm.RunString("new RegExp(p, f)")
		if err == nil && info.invalid {
			t.Fatalf("%.40q /%s: goja compiles it, analysis says invalid", pattern, flags)
		}
		if err == nil { // what the guards analyze of a RegExp: its source, as its getter writes it
			src := rx.ToObject(vm).Get("source").String()
			if si, err := analyzeRegexp(src, flags); err == nil && (si.invalid || si.re2 != info.re2) {
				t.Fatalf("%.40q /%s: source %.40q analyzed as %+v, the pattern as %+v", pattern, flags, src, si, info)
			}
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("%q /%s: %v in all", pattern, flags, took)
		}
	})
}

// BenchmarkRegexURI is a typical viewer-request function with regular expressions on the URI
// and a header: test, match, replace and split.
func BenchmarkRegexURI(b *testing.B) {
	f := mustCompile(b, regexURI, Options{})
	ev := typicalEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Run(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileRegexURI compiles it.
func BenchmarkCompileRegexURI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("bench", []byte(regexURI), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

const regexURI = `
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (/\.(jpe?g|png|gif|webp)$/i.test(uri)) {
        return request;
    }
    var m = uri.match(/^\/(blog|news)\/(?:(\d{4})\/)?(.*)$/);
    if (m) {
        request.headers['x-section'] = {value: m[1]};
    }
    var lang = request.headers['accept-language'].value.split(/[,;]/)[0];
    request.uri = uri.replace(/\/+$/, '') + '/index.html';
    request.headers['x-lang'] = {value: lang.replace(/-.*$/, '')};
    return request;
}`
