package function

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// The bounds every bomb must stay within: the run fails (ErrExecution) within bombTime and
// allocates less than bombAlloc. Before the guards in prelude.js, new Array(5e7).fill(1) ran
// 56 s and allocated 17 GB. The race detector empties sync.Pools at random, so that Go's regexp
// allocates its matching state anew at every match: under it, twice as much is allowed.
const (
	bombTime  = 2 * time.Second
	bombAlloc = (64 << 20) * (1 + raceSlowdown/10)
)

// runMeasured runs f once on a typical event, and returns what the run allocated and took.
func runMeasured(f *Function) (alloc uint64, took time.Duration, err error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	_, err = f.Run(context.Background(), typicalEvent())
	took = time.Since(start)
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc, took, err
}

// memoryErr is the message of the RangeError the guards throw.
const memoryErr = "over the function memory limit of 2 MiB"

// TestMemoryLimitConstant: prelude.js and memory.go agree on the limit.
func TestMemoryLimitConstant(t *testing.T) {
	m := regexp.MustCompile(`var MAX_BYTES = (\d+);`).FindStringSubmatch(preludeSrc)
	if m == nil {
		t.Fatal("prelude.js does not define MAX_BYTES")
	}
	if n, _ := strconv.Atoi(m[1]); n != MaxMemory {
		t.Fatalf("prelude.js MAX_BYTES = %d, memory.go MaxMemory = %d", n, MaxMemory)
	}
}

// bigString makes a string of n x's without String.prototype.repeat (goja's repeat writes one
// copy at a time, so a long one takes longer than the budget by itself).
func bigString(n int) string {
	return fmt.Sprintf("(function(){ var s = 'x'; while (s.length * 2 <= %d) s += s; return s + s.slice(0, %d - s.length); })()", n, n)
}

// TestMemoryBombs: each builtin asked for more than the memory limit fails the run, under a
// budget of 5 ms, within bombTime and without allocating what was asked for. limit: the guard
// refuses the work before it starts, so that under a long budget too the run fails at once, with
// the memory limit's RangeError rather than a timeout.
func TestMemoryBombs(t *testing.T) {
	big := bigString(MaxMemory / 2) // the longest string allowed
	cases := []struct {
		name, code string
		limit      bool
	}{
		{"Uint8Array", `new Uint8Array(1e9)`, true},
		{"ArrayBuffer", `new ArrayBuffer(2e9)`, true},
		{"Array fill", `new Array(5e7).fill(1)`, true},
		{"repeat", `'x'.repeat(5e8)`, true},
		{"padEnd", `'xy'.padEnd(5e8)`, true},
		{"padStart", `'xy'.padStart(5e8, 'ab')`, true},
		{"length set fill", `var a = []; a.length = 1e9; a.fill(1)`, true},
		{"last index fill", `var a = []; a[1e9 - 1] = 1; a.fill(1)`, true},
		{"Array join", `new Array(3e5).join('x')`, true},
		{"Buffer.alloc", `Buffer.alloc(3e6)`, true},
		{"Buffer.allocUnsafe", `Buffer.allocUnsafe(3e6)`, true},
		{"Buffer.from array-like", `Buffer.from({length: 3e6})`, true},
		{"Buffer.concat", `Buffer.concat([Buffer.alloc(1e6), Buffer.alloc(1e6), Buffer.alloc(1e6)])`, true},
		{"Uint8Array of ArrayBuffer", `new Uint8Array(new ArrayBuffer(4e6))`, true},
		{"Float64Array", `new Float64Array(3e5)`, true},
		{"Float64Array of Uint8Array", `new Float64Array(new Uint8Array(1e6))`, true},
		{"typed array of sparse array", `var a = []; a.length = 1e9; new Uint8Array(a)`, true},
		{"Uint8Array.from", `Uint8Array.from({length: 1e9})`, true},
		{"typed array subclass", `class B extends Uint8Array {} new B(1e9)`, true},
		{"Array.from", `Array.from({length: 1e8})`, true},
		{"Array.from string", `Array.from(` + big + `)`, true},
		{"repeat 3e6", `'x'.repeat(3e6)`, true},
		{"doubling", `var s = 'x'; for (;;) s += s;`, false},
		{"indexOf", `var a = []; a.length = 1e9; a.indexOf(1)`, true},
		{"includes", `var a = []; a.length = 1e9; a.includes(1)`, true},
		{"forEach holes", `var a = []; a.length = 1e9; a.forEach(function () {})`, true},
		{"map holes", `var a = []; a.length = 1e9; a.map(function (x) { return x })`, true},
		{"find native callback", `var a = []; a.length = 1e9; a.find(Boolean)`, true},
		{"sort", `var a = []; a.length = 1e9; a.sort()`, true},
		{"reverse", `var a = []; a.length = 1e9; a.reverse()`, true},
		{"slice", `var a = []; a.length = 1e9; a.slice()`, true},
		{"splice", `var a = []; a.length = 1e9; a.splice(0)`, true},
		{"copyWithin", `var a = []; a.length = 1e9; a.copyWithin(0, 1)`, true},
		{"lastIndexOf", `var a = []; a.length = 1e9; a.lastIndexOf(1)`, true},
		{"join length", `var a = []; a.length = 1e9; a.join()`, true},
		{"toString length", `var a = []; a.length = 1e9; String(a)`, true},
		{"toLocaleString length", `var a = []; a.length = 1e9; a.toLocaleString()`, true},
		{"shift", `var a = []; a.length = 1e9; a.shift()`, true},
		{"unshift", `var a = []; a.length = 1e9; a.unshift(1)`, true},
		{"toReversed", `var a = []; a.length = 1e9; a.toReversed()`, true},
		{"toSorted", `var a = []; a.length = 1e9; a.toSorted()`, true},
		{"toSpliced", `var a = []; a.length = 1e9; a.toSpliced(0, 0)`, true},
		{"with", `var a = []; a.length = 1e9; a.with(0, 1)`, true},
		{"flat", `var a = []; a.length = 1e9; [a].flat()`, true},
		{"flat DAG", `var x = [1]; for (var i = 0; i < 30; i++) x = [x, x]; x.flat(Infinity)`, false},
		{"flatMap", `var a = []; a.length = 1e9; [1].flatMap(function () { return a })`, true},
		{"concat", `var a = []; a.length = 1e9; [].concat(a)`, true},
		{"concat spreadable", `var o = {length: 1e9}; o[Symbol.isConcatSpreadable] = true; [].concat(o)`, true},
		{"generic fill", `Array.prototype.fill.call({length: 1e9}, 1)`, true},
		{"join of big strings", `var s = ` + big + `; new Array(1000).fill(s).join('')`, true},
		{"join separator", `new Array(1000).join(` + big + `)`, true},
		{"nested join", `var s = ` + big + `; var a = [s]; var b = new Array(1000).fill(a); b.join()`, true},
		{"toLocaleString of big strings", `var s = ` + big + `; new Array(1000).fill(s).toLocaleString()`, true},
		{"typed array join", `new Uint8Array(1e6).join(` + bigString(1000) + `)`, true},
		{"typed array toLocaleString", `new Uint8Array(2e6).toLocaleString()`, true},
		{"spread", `var a = []; a.length = 1e9; [...a]`, false},
		{"keys spread", `var a = []; a.length = 1e9; [...a.keys()]`, true},
		{"spread grown after", `var a = [1]; var it = a.values(); a.length = 1e9; [...it]`, false},
		{"Set of sparse", `var a = []; a.length = 1e9; new Set(a)`, false},
		{"apply", `var a = []; a.length = 1e9; Math.max.apply(null, a)`, true},
		{"apply array-like", `Math.max.apply(null, {length: 1e9})`, true},
		{"Reflect.apply", `Reflect.apply(Math.max, null, {length: 1e9})`, true},
		{"Reflect.construct", `Reflect.construct(Array, {length: 1e9})`, true},
		{"JSON.stringify sparse", `var a = []; a.length = 1e9; JSON.stringify(a)`, false},
		{"JSON.stringify DAG", `var x = [1]; for (var i = 0; i < 40; i++) x = [x, x]; JSON.stringify(x)`, false},
		{"JSON.stringify big strings", `var s = ` + big + `; JSON.stringify(new Array(1000).fill(s))`, true},
		{"JSON.stringify indent", `var a = []; for (var i = 0; i < 5000; i++) a = [a]; JSON.stringify(a, null, 10)`, false},
		{"JSON.stringify replacer list", `var a = []; a.length = 1e9; JSON.stringify({}, a)`, true},
		{"console.log sparse", `var a = []; a.length = 1e9; console.log(a)`, false},
		{"String concat", `var s = ` + big + `; ''.concat.apply('', new Array(1000).fill(s))`, true},
		{"String.raw", `String.raw({raw: {length: 1e9}})`, false},
		{"replace template", `var s = ` + big + `; s.replace('x', "$'$'")`, true},
		{"replace prefix", "var s = " + big + "; s.replace(/^x/, \"$'$'\")", true},
		{"replace function", `var s = ` + big + `; 'xxxx'.replace(/x/g, function () { return s })`, true},
		{"replaceAll", `var s = ` + big + `; s.replaceAll('x', 'yy')`, false},
		{"replaceAll template", `var s = ` + big + `; s.replaceAll('x', "$'")`, true},
		{"replaceAll regexp", `var s = ` + big + `; s.replaceAll(/x/g, 'yy')`, false},
		{"split", `var s = ` + big + `; s.split('')`, true},
		{"split regexp", `var s = ` + big + `; s.split(/(x)/)`, false},
		{"match", `var s = ` + big + `; s.match(/x/g)`, false},
		{"matchAll spread", `var s = ` + big + `; [...s.matchAll(/x/g)]`, false},
		{"string spread", `var s = ` + big + `; [...s]`, true},
		{"Object.keys of typed array", `Object.keys(new Uint8Array(2e6))`, true},
		{"Object.entries of typed array", `Object.entries(new Uint8Array(2e6))`, true},
		{"Object.entries of string", `Object.entries(` + big + `)`, true},
		{"Object.assign of array", `Object.assign({}, new Array(5000).fill(0))`, true},
		{"generic fill props", `Array.prototype.fill.call({length: 5000}, 0)`, true},
		{"species props", `var a = new Array(5000).fill(0); a.constructor = {}; a.constructor[Symbol.species] = function () { return {} }; a.slice()`, true},
		{"Array.from props", `Array.from.call(function () { return {} }, {length: 5000})`, true},
		{"Array 131073", `new Array(131073)`, true},
		{"RegExp pattern", `new RegExp('x{1000}'.repeat(1000))`, true},
		{"RegExp long pattern", `new RegExp(` + big + `)`, true},
		{"String match pattern", `'x'.match('x{1000}'.repeat(1000))`, true},
		{"hash update", `var a = []; a.length = 1e9; require('crypto').createHash('md5').update(a)`, true},
		{"hmac key", `var a = []; a.length = 1e9; require('crypto').createHmac('md5', a)`, true},
		{"Buffer toString hex", `Buffer.alloc(2e6).toString('hex')`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			budgets := []time.Duration{5 * time.Millisecond}
			if tc.limit {
				budgets = append(budgets, time.Second)
			}
			for _, budget := range budgets {
				f := mustCompile(t, "function handler(e) { "+tc.code+"; return e.request }", Options{Compute: budget})
				alloc, took, err := runMeasured(f)
				if !errors.Is(err, ErrExecution) {
					t.Fatalf("budget %v: err %v, want an execution error", budget, err)
				}
				if budget > bombTime/2 && !strings.Contains(err.Error(), memoryErr) {
					t.Errorf("budget %v: err %v, want the memory limit's RangeError", budget, err)
				}
				if strings.Contains(err.Error(), "internal error") {
					t.Errorf("budget %v: err %v", budget, err)
				}
				if took > bombTime {
					t.Errorf("budget %v: ran %v", budget, took)
				}
				if alloc > bombAlloc {
					t.Errorf("budget %v: allocated %d MiB", budget, alloc>>20)
				}
			}
		})
	}
}

// TestMemoryUnderLimit: the guarded builtins work as before up to the limit, and the wrapped
// constructors keep instanceof, subclassing, species and Buffer working.
func TestMemoryUnderLimit(t *testing.T) {
	cases := []struct{ code, want string }{
		{`new Uint8Array(1 << 20).length`, "1048576"},
		{`new ArrayBuffer(2097152).byteLength`, "2097152"},
		{`new Float64Array(262144).length`, "262144"},
		{`new Uint8Array(new ArrayBuffer(16), 4, 8).length`, "8"},
		{`'x'.repeat(1e5).length`, "100000"},
		{`'ab'.padEnd(1e5, 'cd').length + ' ' + 'ab'.padStart(5, '-')`, "100000 ---ab"},
		{`new Array(1000).fill(0).join(',').length`, "1999"},
		{`new Array(131072).fill(1).length`, "131072"},
		{`Array.prototype.fill.call({length: 4096}, 0)[4095] + ' ' + Object.keys(Object.assign({}, new Array(4096).fill(0))).length`, "0 4096"},
		{`Buffer.alloc(1024).length + ' ' + Buffer.alloc(4, 'ab').toString()`, "1024 abab"},
		{`Buffer.allocUnsafe(10).length`, "10"},
		{`Buffer.from('héllo').toString('hex')`, "68c3a96c6c6f"},
		{`Buffer.from([1, 2, 300]).toString('base64')`, "AQIs"},
		{`Buffer.concat([Buffer.from('ab'), Buffer.from('cd')]).toString()`, "abcd"},
		{`JSON.stringify(Buffer.from('hi'))`, `{"type":"Buffer","data":[104,105]}`},
		{`Buffer.from(new Uint8Array([5, 6]).buffer).readUInt16BE(0)`, "1286"},
		{`Buffer.from('aGk=', 'base64').toString() + Buffer.isBuffer(Buffer.alloc(1))`, "hitrue"},
		{`var b = Buffer.from('hello'); [b instanceof Buffer, b instanceof Uint8Array, b.subarray(1) instanceof Buffer, b.slice(1, 3).toString()].join()`, "true,true,true,el"},
		{`class B extends Uint8Array { sum() { return this.reduce(function (a, b) { return a + b }, 0) } } var b = new B([1, 2, 3]); [b instanceof B, b instanceof Uint8Array, b.sum(), b.map(function (x) { return x * 2 }) instanceof B, B.from([1]).length].join()`, "true,true,6,true,1"},
		{`class A extends Array {} var a = new A(1, 2, 3); var m = a.map(function (x) { return x }); [a instanceof A, Array.isArray(a), m instanceof A, a.filter(Boolean).length, A.from([1, 2]) instanceof A, A.of(1).length].join()`, "true,true,true,3,true,1"},
		{`[[] instanceof Array, [].constructor === Array, Array.prototype.constructor === Array, Array.isArray(new Proxy([], {})), new Proxy([], {}) instanceof Array, Array.name, Array.length].join()`, "true,true,true,true,true,Array,1"},
		{`[new Uint8Array(1) instanceof Uint8Array, new Uint8Array(1).constructor === Uint8Array, Uint8Array.name, Uint8Array.BYTES_PER_ELEMENT, Object.getPrototypeOf(Uint8Array) === Object.getPrototypeOf(Int32Array), new ArrayBuffer(1) instanceof ArrayBuffer, ArrayBuffer.isView(new DataView(new ArrayBuffer(1)))].join()`, "true,true,Uint8Array,1,true,true,true"},
		{`[/a/ instanceof RegExp, /a/.constructor === RegExp, RegExp(/a/g).flags, new RegExp(/a/g, 'i').flags, (function (r) { return RegExp(r) === r })(/a/), new RegExp('a+', 'g').test('caab')].join()`, "true,true,g,i,true,true"},
		{`Array.prototype.fill.call({length: 3}, 7)[2]`, "7"},
		{`Array.prototype.map.call('abc', function (c) { return c + c }).join('')`, "aabbcc"},
		{`Array.from(new Set([1, 2, 2, 3])).join() + ' ' + Array.from({length: 3}, function (v, i) { return i * 2 }).join()`, "1,2,3 0,2,4"},
		{`var a = [1, 2]; a.push(a); a.join() + '|' + String([1, [2, [3]]]) + '|' + [null, undefined, 1].join('-')`, "1,2,|1,2,3|--1"},
		{`[1, 'a', {toString: function () { return 'o' }}].join('+') + [[1, 2], [3]].toLocaleString()`, "1+a+o1,2,3"},
		{`[1, [2, [3, [4]]]].flat(Infinity).join() + ' ' + [[1], [2]].flatMap(function (x) { return [x, x] }).length + ' ' + [1, 2].concat([3, [4]], 5).length`, "1,2,3,4 4 5"},
		{`new Uint8Array([1, 2, 3]).join('-') + ' ' + String(new Float64Array([1.5, 2])) + ' ' + new Int8Array([-1]).toLocaleString()`, "1-2-3 1.5,2 -1"},
		{`[...[1, 2, 3]].length + [...'héllo'].length + Math.max.apply(null, [1, 5, 3]) + Reflect.apply(Math.min, null, [4, 2])`, "15"},
		{`'a,b,,c'.split(',').length + ' ' + 'a1b2c3'.split(/(\d)/).join('|') + ' ' + 'abc'.split('').join('.')`, "4 a|1|b|2|c|3| a.b.c"},
		{`'aaa'.replace('a', '$&$&') + 'abc'.replace(/(b)/, '[$1]') + 'John Smith'.replace(/(\w+)\s(\w+)/, '$2, $1') + 'x-y'.replaceAll('-', '+')`, "aaaaa[b]cSmith, Johnx+y"},
		{`'abcabc'.replace(/b/g, function (m, i) { return i }) + 'a.b'.replaceAll('.', function () { return '!' }) + 'abc'.replace('b', "$` + "`" + `$'")`, "a1ca4ca!baacc"},
		{`'a1b22'.match(/\d+/g).join() + ' ' + [...'a1b22'.matchAll(/\d+/g)].map(function (m) { return m[0] + '@' + m.index }).join() + ' ' + 'abc'.search(/c/)`, "1,22 1@1,22@3 2"},
		{"String.raw`a\\n${1}b` + String.raw({raw: ['x', 'y', 'z']}, 1, 2, 3)", `a\n1bx1y2z`},
		{`JSON.stringify({a: [1, {b: 2}], c: 'x', d: undefined})`, `{"a":[1,{"b":2}],"c":"x"}`},
		{`JSON.stringify({a: 1, b: [1, 2]}, null, 2)`, "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}"},
		{`JSON.stringify({a: 1, b: 2, c: {a: 3, d: 4}}, ['c', 'a'])`, `{"c":{"a":3},"a":1}`},
		{`JSON.stringify({a: 1, b: 'x'}, function (k, v) { return typeof v === 'number' ? v * 2 : v })`, `{"a":2,"b":"x"}`},
		{`JSON.stringify([new String('s'), new Number(3), new Boolean(false), new Date(0)])`, `["s",3,false,"1970-01-01T00:00:00.000Z"]`},
		{`return (function () { var o = {}; o.o = o; try { JSON.stringify(o, ['o']); return 'none' } catch (e) { return e.name } })()`, "TypeError"},
		{`Object.keys(new Uint8Array(3)).join() + ' ' + Object.entries('ab').join('|') + ' ' + Object.assign({}, 'ab')[1]`, "0,1,2 0,a|1,b b"},
		{`require('crypto').createHash('md5').update([1, 2, 3]).digest('hex') === require('crypto').createHash('md5').update(Buffer.from([1, 2, 3])).digest('hex')`, "true"},
		{`require('crypto').createHmac('sha256', Buffer.from('key')).update('x').digest('hex').length`, "64"},
		{`new TextDecoder().decode(new TextEncoder().encode('héllo'))`, "héllo"},
		{`/(a)\1/.test('aa') + ' ' + /(?<=a)b/.exec('ab')[0]`, "true b"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			f := mustCompile(t, "function handler(e) { return {statusCode: 200, body: String(body())} }\nfunction body() { "+lastExpr(tc.code)+" }", Options{})
			r := run(t, f, typicalEvent())
			if got := r.Response.Body.Data; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// lastExpr turns statements whose last one is an expression into a function body returning it.
func lastExpr(code string) string {
	if strings.HasPrefix(code, "return ") {
		return code
	}
	if i := strings.LastIndex(code, "; "); i >= 0 {
		return code[:i+2] + "return " + code[i+2:]
	}
	return "return " + code
}

// TestMemoryBuiltinsUnchanged compares the guarded built-ins with goja's own on small inputs:
// each expression is evaluated in a plain goja runtime and in a function.
func TestMemoryBuiltinsUnchanged(t *testing.T) {
	exprs := []string{
		`new Array(5).fill(7)`, `Array(3).length`, `Array(1, 2)`, `new Array('3')`, `Array.of(1, 2, 3)`,
		`Array.from('héllo')`, `Array.from([1, , 3])`, `Array.from({length: 2, 0: 'a'})`,
		`[3, 1, 2].sort()`, `[3, 1, 10, 2].sort(function (a, b) { return b - a })`, `[1, 2, 3, 4].splice(1, 2)`,
		`(function (a) { a.splice(1, 1, 'x', 'y'); return a })([1, 2, 3])`, `[1, [2, [3, [4]]]].flat()`,
		`[1, [2, [3, [4]]]].flat(undefined)`, `[1, [2, [3, [4]]]].flat(2)`, `[1, , [2, , 3]].flat()`,
		`[1, 2].flatMap(function (x) { return [x, [x]] })`, `[1, 2].concat([3, [4]], 5, 'ab')`,
		`Array.prototype.concat.call('ab', 'c')`, `(function () { return Array.prototype.concat.call(arguments, [1]) })(1, 2)`,
		`[1, , 3].concat([4, , 6])`, `[1, 2, 3].join('-')`, `[1, [2, [3]]].join()`, `[null, undefined, 1].join()`,
		`(function (a) { a.push(a); return a.join() })([1, 2])`, `(function (a) { a.push([a]); return String(a) })([1])`,
		`[1234.5, 'x', null].toLocaleString()`, `[1, 2, 3].indexOf(2)`, `[1, 2, 3, 3].lastIndexOf(3)`, `[NaN].includes(NaN)`,
		`[1, 2, 3].reverse()`, `[1, 2, 3, 4, 5].copyWithin(0, 3)`, `[1, 2, 3].fill(0, 1)`, `Array.prototype.fill.call({length: 3}, 1)`,
		`Array.prototype.slice.call({length: 2, 0: 'a', 1: 'b'})`, `Array.prototype.join.call('abc', '-')`,
		`Array.prototype.indexOf.call('abc', 'b')`, `[1, 2, 3].with(1, 9)`, `[1, 2, 3].with(-1, 9)`, `[3, 2, 1].toSorted()`,
		`[1, 2, 3].toReversed()`, `[1, 2, 3].toSpliced(1, 1, 'a', 'b')`, `[...[1, 2, 3].entries()]`, `[...[1, 2].keys()]`,
		`[...'ab']`, `[...new Map([[1, 2]])]`, `Array.from(new Set('aab'))`, `Math.max.apply(null, [1, 5, 3])`,
		`Reflect.apply(Math.min, null, [4, 2])`, `Reflect.construct(Date, [0]).getTime()`, `Reflect.ownKeys([1])`,
		`[1, 2, 3].map(function (x, i, a) { return a.length })`, `[1, 2, 3].reduce(function (a, b) { return a + b })`,
		`[1, 2, 3].filter(function (x) { return x > 1 })`, `[4, 5].findLast(function (x) { return x < 5 })`,
		`Object.keys([4, 5])`, `Object.entries('ab')`, `Object.assign({}, 'ab')`, `Object.getOwnPropertyNames(new Uint8Array(2))`,
		`new Uint8Array([1, 2, 300])`, `new Float64Array(2)`, `new Int16Array(new Uint8Array([1, 2]))`,
		`new Uint8Array(new ArrayBuffer(8), 2, 3).length`, `Uint8Array.from([1, 2], function (x) { return x * 2 })`,
		`Uint8Array.of(1, 2)`, `new Uint8Array([1, 2, 3]).map(function (x) { return x * 2 })`, `new Uint8Array([1, 2, 3]).subarray(1)`,
		`new Uint8Array([1, 2, 3]).slice(1) instanceof Uint8Array`, `new Uint8Array([1, 2, 3]).join('-')`,
		`new Float64Array([1.5, -0, NaN, 1e21, 1e-7]).join()`, `String(new Int8Array([-1, 2]))`, `new Uint8Array(2).toLocaleString()`,
		`new ArrayBuffer(8).slice(2).byteLength`, `new Uint8Array({length: 2, 0: 7})`,
		`new Uint8Array(new Set([1, 2]))`, `new Uint8Array('3').length`, `new Uint8Array(2.5).length`,
		`'ab'.repeat(3)`, `'ab'.repeat(0)`, `''.repeat(5)`, `'abc'.padStart(6, '12')`, `'abc'.padEnd(2)`, `'abc'.padEnd(6, '')`,
		`'a'.concat(1, null, [2, 3])`, `'a,b,,c'.split(',')`, `'a,b,c'.split(',', 2)`, `'abc'.split('')`, `'abc'.split()`,
		`'abc'.split(undefined, 0)`, `'a1b2c3'.split(/\d/)`, `'a1b2c3'.split(/(\d)/)`, `'a1b2c3'.split(/(\d)/, 3)`,
		`'test'.split(/(?:)/)`, `'aaa'.replace('a', '$&$&')`, "'abc'.replace('b', \"$`$'$$\")", `'abc'.replace(/(b)/, '[$1$2]')`,
		`'abcabc'.replace(/b/g, function (m, i) { return i })`, `'x-y-z'.replaceAll('-', '+')`, `'x-y-z'.replaceAll(/-/g, '$&$&')`,
		`'aaa'.replaceAll('', '.')`, `'John Smith'.replace(/(\w+)\s(\w+)/, '$2, $1')`, `'abc'.replace(/(?<L>b)/, '$<L>$1')`,
		`'abc'.replace(/(b)/, '$01$10$0')`, `'a1b22'.match(/\d+/g)`, `'a1b22'.match(/\d+/)`, `'abc'.match(/x/g)`,
		`[...'a1b22'.matchAll(/\d+/g)].map(function (m) { return m[0] + m.index })`, `'abc'.search(/c/)`, `'abc'.match('b')`,
		`'a.c'.search('.')`, "String.raw`a\\n${1}b`", `String.raw({raw: ['x', 'y', 'z']}, 1, 2, 3)`, `String.raw({raw: 'abc'}, '-')`,
		`RegExp('a', 'g').flags`, `new RegExp(/a/g, 'i').flags`, `new RegExp('a+').test('caab')`, `/(a)|(b)/.exec('b')`,
		`'aXbX'.split('X', 1)`, `'𝒳y'.split('')`, `'𝒳y'.split(/(?:)/u)`, `'aaa'.lastIndexOf('a')`,
		`JSON.stringify({a: [1, {b: 2}], c: 'x'})`, `JSON.stringify({a: 1, b: [1, 2]}, null, 2)`, `JSON.stringify([[]], null, '--')`,
		`JSON.stringify({a: 1, b: 2, c: {a: 3, d: 4}}, ['a', 'c'])`, `JSON.stringify([{a: 1, b: 2}], ['b', 1])`,
		`JSON.stringify({a: 1, b: 'x'}, function (k, v) { return typeof v === 'number' ? v * 2 : v })`,
		`JSON.stringify({a: {b: 1}}, function (k, v) { return k === 'b' ? undefined : v })`,
		`JSON.stringify([undefined, function () {}, Symbol()])`, `JSON.stringify({u: undefined, f: function () {}, s: Symbol()})`,
		`JSON.stringify(new String('s'))`, `JSON.stringify({d: new Date(0)})`, `JSON.stringify('a\u0001"')`,
		`JSON.stringify({a: new Number(3), b: new Boolean(false)})`, `JSON.stringify({toJSON: function () { return {x: 1} }})`,
		`JSON.stringify({a: {toJSON: function (k) { return k }}})`, `JSON.stringify(undefined)`,
		`JSON.stringify({a: 1}, null, new Number(3))`, `JSON.stringify({a: 1}, null, 'abcdefghijklm')`, `JSON.stringify([1], null, 20)`,
		`(function () { var o = {}; o.o = o; return JSON.stringify(o) })()`, `JSON.stringify(new Uint8Array([1, 2]))`,
		`JSON.stringify(Object.create({inherited: 1}))`, `JSON.stringify([new Proxy({a: 1}, {})])`,
		`Object.keys({a: 1})`, `Function.prototype.apply.call(Math.max, null, [1, 2])`,
		`(function () { return arguments.length }).apply(null, {length: 3})`, `(function () {}).apply(null, 5)`,
		`[1, 2].keys().next()`, `typeof Object.getOwnPropertyDescriptor(Array.prototype, 'values').value`,
		`Array.prototype[Symbol.iterator] === Array.prototype.values`, `[].fill.name + [].fill.length + ''.padEnd.length + JSON.stringify.length`,
		`Array.prototype.join.length + ' ' + Array.prototype.concat.length + ' ' + Array.prototype.flat.length + ' ' + String.raw.length`,
		`typeof new Array(3).fill`, `Object.getPrototypeOf([][Symbol.iterator]()) === Object.getPrototypeOf([].keys())`,
		`Symbol.for('a') === Symbol.for('a')`, `Symbol.keyFor(Symbol.for('a'))`, `Symbol.for('a').toString() + Symbol.for(1).description`,
		`Symbol.keyFor(Symbol.iterator)`, `Symbol.keyFor('a')`, `Symbol.for(Symbol())`, `Symbol.for.length + Symbol.keyFor.name`,
	}
	show := `(function (f) {
		try {
			var v = f();
			var tag = Object.prototype.toString.call(v);
			if (v !== null && typeof v === 'object') {
				var j = JSON.stringify(v);
				return tag + ' ' + (v.constructor ? v.constructor.name : '') + ' ' + j;
			}
			return tag + ' ' + String(v);
		} catch (e) {
			return 'throws ' + e.name;
		}
	})`
	for _, e := range exprs {
		t.Run(e, func(t *testing.T) {
			code := show + "(function () { return " + e + " })"
			vm := goja.New()
			want, err := vm.RunString(code)
			if err != nil {
				t.Fatalf("plain goja: %v", err)
			}
			f := mustCompile(t, "function handler(ev) { return {statusCode: 200, body: "+code+"} }", Options{})
			r := run(t, f, typicalEvent())
			if got := r.Response.Body.Data; got != want.String() {
				t.Errorf("got  %q\nwant %q", got, want.String())
			}
		})
	}
}

// TestMemoryGuardsBypass: a length or a Symbol.isConcatSpreadable that answers small when the
// guard reads it and large when the builtin does (a getter, a proxy trap), an array that grows
// while it is iterated: each is either refused, or the builtin sees what was checked, or the
// work calls into JavaScript where the budget stops it.
func TestMemoryGuardsBypass(t *testing.T) {
	cases := []string{
		`var n = 0; Array.prototype.fill.call({get length() { return n++ ? 1e9 : 1 }}, 0)`,
		`var n = 0; var p = new Proxy([], {get: function (t, k) { return k === 'length' ? (n++ ? 1e9 : 1) : t[k] }}); p.fill(0); p.join(); p.indexOf(1); [].concat(p)`,
		`var n = 0; Math.max.apply(null, {get length() { return n++ ? 1e9 : 1 }})`,
		`var n = 0; new Uint8Array({get length() { return n++ ? 1e9 : 1 }})`,
		`var n = 0; Array.from({get length() { return n++ ? 1e9 : 1 }})`,
		`var n = 0; var o = {length: 1e9}; Object.defineProperty(o, Symbol.isConcatSpreadable, {get: function () { return n++ > 0 }}); [].concat(o)`,
		`var n = 0; JSON.stringify({}, {get length() { return n++ ? 1e9 : 1 }, 0: 'a', __proto__: Array.prototype})`,
		`var a = [1, 2]; Object.defineProperty(a, 0, {get: function () { a.length = 1e9; return 1 }}); [...a]`,
		`var a = [1, 2]; Object.defineProperty(a, 0, {get: function () { a.length = 1e9; return 1 }}); a.fill(0)`,
		`var a = [1]; var it = a[Symbol.iterator](); a.length = 1e9; Array.from(it)`,
		`var a = []; a.length = 1e9; var values = (function () { return arguments[Symbol.iterator] })(); Object.defineProperty(a, Symbol.iterator, {value: values}); [...a]`,
		`var n = 0; 'x'.repeat({valueOf: function () { return n++ ? 1e9 : 1 }})`,
		`var n = 0; 'x'.padEnd({valueOf: function () { return n++ ? 1e9 : 1 }})`,
		`var n = 0; new ArrayBuffer({valueOf: function () { return n++ ? 1e9 : 1 }})`,
		`var n = 0; var s = {}; s[Symbol.replace] = undefined; Object.defineProperty(s, Symbol.replace, {get: function () { return n++ ? undefined : undefined }}); 'x'.replace(s, '$&'.repeat(1000))`,
		`var n = 0; var r = /x/; Object.defineProperty(r, 'flags', {get: function () { return n++ ? 'g' : '' }}); ('x'.repeat(1000)).replace(r, 'y'.repeat(1000))`,
		`var n = 0; [1, 2].with({valueOf: function () { return n++ ? 0 : 0 }}, 1)`,
		`var s = ` + bigString(MaxMemory/2) + `; console.log.apply(console, new Array(1000).fill(s))`,
		`var a = new Array(100000).fill(0); a.map(function (x, i) { return i }).filter(Boolean).slice(1).concat([1]).join().length`,
	}
	for _, code := range cases {
		t.Run(code, func(t *testing.T) {
			f := mustCompile(t, "function handler(e) { "+code+"; return e.request }", Options{Compute: 5 * time.Millisecond})
			alloc, took, err := runMeasured(f)
			if err != nil && !errors.Is(err, ErrExecution) {
				t.Fatalf("err %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Errorf("err %v", err)
			}
			if took > bombTime {
				t.Errorf("ran %v", took)
			}
			if alloc > bombAlloc {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

// TestMemorySymbolRegistry: Symbol.for keeps its keys in a registry that outlives the run in a
// pooled runtime; it must not grow without bound from run to run.
func TestMemorySymbolRegistry(t *testing.T) {
	f := mustCompile(t, `function handler(e) {
		var s = 'x';
		while (s.length < 500000) s += s;
		for (var i = 0; i < 20; i++) Symbol.for(s + e.request.uri + i);
		var a = Symbol.for('app'), b = Symbol.for('app');
		return {statusCode: 200, body: [a === b, Symbol.keyFor(a), Symbol.keyFor(Symbol('x')), typeof Symbol.for(1)].join()};
	}`, Options{})
	var m runtime.MemStats
	var first uint64
	for i := 0; i < 30; i++ {
		ev := typicalEvent()
		ev.Request.URI = "/" + itoa(i)
		r := run(t, f, ev)
		if r.Response.Body.Data != "true,app,,symbol" {
			t.Fatalf("got %s", r.Response.Body.Data)
		}
		if i == 4 || i == 29 {
			runtime.GC()
			runtime.ReadMemStats(&m)
			if i == 4 {
				first = m.HeapInuse
			}
		}
	}
	if m.HeapInuse > first+64<<20 {
		t.Errorf("heap grew from %d to %d MiB over 25 runs", first>>20, m.HeapInuse>>20)
	}
}

// TestMemoryGuardsFrozen: the wrappers are frozen like the rest of the global scope, and one run
// cannot change them for the next.
func TestMemoryGuardsFrozen(t *testing.T) {
	f := mustCompile(t, `function handler(e) {
		var out = [];
		[Array, Array.prototype.fill, Array.prototype.join, Array.from, Uint8Array, ArrayBuffer, RegExp, Proxy,
			String.prototype.repeat, JSON.stringify, Reflect.apply, Function.prototype.apply, RegExp.prototype.exec,
			Object.getPrototypeOf([].values()).next, Object.getPrototypeOf([].values()), Object.getPrototypeOf(''[Symbol.iterator]()),
			Object.getPrototypeOf('a'.matchAll(/a/g)), Object.getPrototypeOf(function* () {}), console.log,
			require('crypto').createHash].forEach(function (x) {
			out.push(Object.isFrozen(x));
		});
		try { Array.prototype.fill = function () {}; out.push('assigned') } catch (err) { out.push(err.name) }
		try { Uint8Array.from = null; out.push('assigned') } catch (err) { out.push(err.name) }
		return {statusCode: 200, body: out.join()};
	}`, Options{})
	r := run(t, f, typicalEvent())
	want := strings.Repeat("true,", 20) + "TypeError,TypeError"
	if r.Response.Body.Data != want {
		t.Errorf("got %s\nwant %s", r.Response.Body.Data, want)
	}
}

// TestMemoryConsoleLog: console.log writes what it wrote before the guards.
func TestMemoryConsoleLog(t *testing.T) {
	f := mustCompile(t, `function handler(e) {
		var c = {}; c.c = c;
		console.log('a', 1, {b: [1, 'x']}, [1, 2], null, undefined, Math.max, new Error('boom'), c, {toJSON: function () {}}, Symbol('s'));
		console.log();
		return e.request;
	}`, Options{})
	r := run(t, f, typicalEvent())
	want := []string{`a 1 {"b":[1,"x"]} [1,2] null undefined function max() { [native code] } Error: boom [object Object] null Symbol(s)`, ""}
	if len(r.Logs) != 2 || r.Logs[0] != want[0] || r.Logs[1] != want[1] {
		t.Errorf("logs %q\nwant %q", r.Logs, want)
	}
}

// TestMemoryRegexpBacktracking: catastrophic backtracking in regexp2 (the engine goja uses for
// lookaround and backreferences) runs natively, past the budget; RegexpMatchTimeout cuts it off
// (before, /^(?=a)(a+)+$/ took 2.7 s on 24 a's and doubles with each one more).
func TestMemoryRegexpBacktracking(t *testing.T) {
	for _, code := range []string{
		`/^(?=a)(a+)+$/.test('a'.repeat(30) + 'b')`,
		`/^(a+)+\1$/.test('a'.repeat(30) + 'b')`,
	} {
		f := mustCompile(t, "function handler(e) { "+code+"; return e.request }", Options{Compute: 5 * time.Millisecond})
		_, took, err := runMeasured(f)
		if !errors.Is(err, ErrExecution) {
			t.Errorf("%s: err %v", code, err)
		}
		if took > bombTime {
			t.Errorf("%s: ran %v", code, took)
		}
	}
}

// memoryBombs are the templates FuzzMemoryBomb runs with a size n.
var memoryBombs = []string{
	`new Uint8Array(n)`, `new ArrayBuffer(n)`, `new Float64Array(n)`, `new Array(n).fill(1)`, `Array(n).join('ab')`,
	`'x'.repeat(n)`, `'xy'.padEnd(n)`, `'xy'.padStart(n, 'abc')`, `var a = []; a.length = n; a.fill(1)`,
	`var a = []; a.length = n; a.join()`, `var a = []; a.length = n; a.indexOf(1)`, `var a = []; a.length = n; [...a]`,
	`var a = []; a.length = n; JSON.stringify(a)`, `var a = []; a.length = n; a.sort()`, `var a = []; a.length = n; a.slice()`,
	`var a = []; a.length = n; [a].flat()`, `var a = []; a.length = n; [].concat(a)`, `var a = []; a.length = n; a.map(String)`,
	`Buffer.alloc(n)`, `Buffer.from({length: n})`, `Array.from({length: n})`, `Math.max.apply(null, {length: n})`,
	`new RegExp('(?:a|b){' + Math.min(n, 1000) + '}c').test('a'.repeat(Math.min(n, 1e6)))`, `new Uint8Array(n).join('--')`, `String.raw({raw: {length: n}})`,
	`Array.prototype.fill.call({length: n}, 0)`, `'ab'.repeat(Math.min(n, 5e5)).split('')`,
	`'ab'.repeat(Math.min(n, 5e5)).replace(/a/g, '$&$&$&')`, `new Array(Math.min(n, 1000)).fill('ab'.repeat(1000)).join()`,
	`console.log(new Array(Math.min(n, 262144)))`, `Object.keys(new Uint8Array(Math.min(n, 2e6)))`,
	`new Uint16Array(Math.min(n, 1e6)).toLocaleString()`, `var s = 'ab'.repeat(Math.min(n, 5e5)); s.replaceAll('a', "$'")`,
	`'x'.repeat(Math.min(n, 1e5)).split(/(x)/)`, `Object.assign({}, new Array(Math.min(n, 262144)))`,
	`Reflect.construct(Array, {length: n})`, `new RegExp('a{' + Math.min(n, 1000) + '}'.repeat(Math.min(n, 1e4)))`,
}

// FuzzMemoryBomb: whatever the builtin and the size, a run neither panics nor takes or
// allocates more than a bomb may.
func FuzzMemoryBomb(f *testing.F) {
	for i := range memoryBombs {
		for _, n := range []float64{0, 4097, 131073, 2<<20 + 1, 1e9} {
			f.Add(uint8(i), n)
		}
	}
	fns := make([]*Function, len(memoryBombs))
	f.Fuzz(func(t *testing.T, which uint8, n float64) {
		i := int(which) % len(memoryBombs)
		if fns[i] == nil {
			fns[i] = mustCompile(t, "function handler(e) { var n = Number(e.request.querystring.n.value); "+memoryBombs[i]+"; return e.request }",
				Options{Compute: 5 * time.Millisecond})
		}
		ev := typicalEvent()
		ev.Request.QueryString = Fields{f1("n", strconv.FormatFloat(n, 'g', -1, 64))}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		_, err := fns[i].Run(context.Background(), ev)
		took := time.Since(start)
		runtime.ReadMemStats(&m1)
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%s, n = %v: %v", memoryBombs[i], n, err)
		}
		if took > bombTime {
			t.Fatalf("%s, n = %v: ran %v", memoryBombs[i], n, took)
		}
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > bombAlloc {
			t.Fatalf("%s, n = %v: allocated %d MiB", memoryBombs[i], n, alloc>>20)
		}
	})
}

// TestHostileOutputs: what a function returns or hands to a helper is read by Go, which must
// not size anything from a length the code chose. Each fails fast, within the memory bound.
func TestHostileOutputs(t *testing.T) {
	for _, code := range []string{
		`function handler(e){ e.request.headers['x'] = {value: 'a', multiValue: {length: 1e9}}; return e.request }`,
		`function handler(e){ var a = []; a.length = 1e9; return {statusCode: a} }`,
		`import cf from 'cloudfront';
		 function handler(e){ cf.updateRequestOrigin({domainName: 'a.example', customOriginConfig: {port: 443, protocol: 'https', sslProtocols: {length: 1e9}}}); return e.request }`,
		`import cf from 'cloudfront';
		 function handler(e){ cf.createRequestOriginGroup({originIds: [{originId: 'a'}, {originId: 'b'}], failoverCriteria: {statusCodes: {length: 1e9}}}); return e.request }`,
		`import crypto from 'crypto';
		 function handler(e){ crypto.createHash('sha256').update({length: 1e9}); return e.request }`,
		`function handler(e){ throw {get message() { for (;;) {} }} }`,
	} {
		f := mustCompile(t, code, Options{Compute: 5 * time.Millisecond})
		alloc, took, err := runMeasured(f)
		if err == nil {
			t.Errorf("%s: no error", code)
		}
		if took > bombTime || alloc > bombAlloc {
			t.Errorf("%s: took %v and %d MiB", code, took, alloc>>20)
		}
	}
}

// TestRegexpTimeoutFailsTheRun: a regexp2 match cut off by RegexpMatchTimeout fails the run
// even when the compute budget (CPU time) has not passed — here a budget longer than the
// timeout stands for a thread that got little CPU on a loaded machine. regexp2 reports the cut
// as no match; a function must not go on as if its pattern had not matched. The cut comes at
// the timeout even after regexp2 was idle for longer than its clock runs unasked (it used to
// come at the clock's first tick, a few milliseconds in: the wait is that idleness, the
// condition under test).
func TestRegexpTimeoutFailsTheRun(t *testing.T) {
	f := mustCompile(t, `function handler(e) {
		if (/^(?=a)(a+)+$/.test('a'.repeat(30) + 'b')) { throw new Error('matched'); }
		e.request.headers['x-went-on'] = {value: 'yes'};
		return e.request;
	}`, Options{Compute: 4 * RegexpMatchTimeout})
	warm := mustCompile(t, `function handler(e) { /(?=a)a/.test('a'); return e.request; }`, Options{})
	if _, _, err := runMeasured(warm); err != nil { // a regexp2 match: its clock runs
		t.Fatal(err)
	}
	<-time.After(1200 * time.Millisecond) // longer than regexp2's clock runs after a match
	_, took, err := runMeasured(f)
	if !errors.Is(err, ErrExecution) {
		t.Fatalf("err %v after %v: the run went on after the match was cut off", err, took)
	}
	if took < RegexpMatchTimeout || took > bombTime {
		t.Errorf("ran %v: the match was cut off at %v, not at RegexpMatchTimeout", took, took)
	}
}
