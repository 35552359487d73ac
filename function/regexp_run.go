package function

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// What prelude.js asks of Go about regular expressions at run time (see regexp.go): what a
// pattern costs, the bounded exec and test, and the global operations (split, match, replace)
// that goja would do natively were its fast paths not turned off by the bounded exec, done here
// when their work is bounded: Go's regexp on an ASCII subject, as goja's fast paths did, for a
// pattern that cannot match empty (for which that is what the specification does too).

// rxEntry is what a runtime knows of a pattern with flags.
type rxEntry struct {
	info regexpInfo
	// cost is go.rxCost's answer: the cost a character of a match (0 for regexp2, -1 for a
	// pattern goja refuses), or why the pattern is over the limits (a string).
	cost goja.Value
	ok   bool           // within the limits
	re   *regexp.Regexp // compiled for the global operations, when first needed
}

// maxRegexpCache and maxRegexpCacheBytes bound the patterns a runtime remembers (their number,
// and the bytes of their sources and translations), forgotten all at once when full;
// maxCompiledInsts bounds the instructions of those it keeps compiled (Go's regexp takes up to
// some 450 bytes an instruction: about 8 MB).
const (
	maxRegexpCache      = 256
	maxRegexpCacheBytes = 1 << 20
	maxCompiledInsts    = 4 * MaxRegexpInsts
)

func (s *vmState) rxEntry(source, flags string) *rxEntry {
	key := strconv.Itoa(len(flags)) + ":" + flags + source
	if e, ok := s.rxCache[key]; ok {
		return e
	}
	info, err := analyzeRegexp(source, flags)
	e := &rxEntry{info: info, ok: err == nil}
	switch {
	case err != nil:
		reason := err.Error()
		var le *regexpLimitError
		if errors.As(err, &le) {
			reason = le.detail
		}
		e.cost = s.vm.ToValue(reason)
	case info.invalid:
		e.cost = s.vm.ToValue(-1)
	default:
		e.cost = s.vm.ToValue(info.perChar())
	}
	size := len(key) + len(info.translated)
	if s.rxCache == nil || len(s.rxCache) >= maxRegexpCache || s.rxCacheBytes+size > maxRegexpCacheBytes {
		s.rxCache = make(map[string]*rxEntry, 16)
		s.rxCacheBytes, s.rxCompiled = 0, 0
	}
	s.rxCache[key] = e
	s.rxCacheBytes += size
	return e
}

// regexpCost is go.rxCost(source, flags). (The helpers take a FunctionCall: goja calls a Go
// function of other types by reflection, which costs several times as much.)
func (s *vmState) regexpCost(call goja.FunctionCall) goja.Value {
	return s.rxEntry(call.Argument(0).String(), call.Argument(1).String()).cost
}

// rxBuiltins are goja's RegExp.prototype methods and accessors, taken before prelude.js
// replaces any.
type rxBuiltins struct {
	source, unicode, global, sticky goja.Callable // the accessors
	exec, test                      goja.Callable
}

var rxBuiltinsProgram = goja.MustCompile("regexp-builtins.js", `(function () {
	var P = RegExp.prototype, get = function (k) { return Object.getOwnPropertyDescriptor(P, k).get; };
	return [get("source"), get("unicode"), get("global"), get("sticky"), P.exec, P.test];
})()`, true)

func (s *vmState) takeRegexpBuiltins() error {
	v, err := s.vm.RunProgram(rxBuiltinsProgram)
	if err != nil {
		return fmt.Errorf("regexp builtins: %w", err)
	}
	o := v.ToObject(s.vm)
	fs := make([]goja.Callable, 6)
	for i := range fs {
		f, ok := goja.AssertFunction(o.Get(strconv.Itoa(i)))
		if !ok {
			return fmt.Errorf("regexp builtins: %d is not a function", i)
		}
		fs[i] = f
	}
	s.rx = rxBuiltins{source: fs[0], unicode: fs[1], global: fs[2], sticky: fs[3], exec: fs[4], test: fs[5]}
	return nil
}

// maxRunCosts bounds the RegExps a run remembers the cost of (see costOf).
const maxRunCosts = 4096

// costOf is the cost a character of matching rx, times 2, plus 1 when rx is global or sticky
// (a match then starts at lastIndex); -1 when rx is not a RegExp. What it reads of rx are its
// internal slots, through the built-in accessors; it does not depend on the flags i, m and s
// (Go's program is as long with them), and is remembered for the run (compile makes rx
// forgotten). A pattern over the limits (which the constructor and Compile refuse, so that no
// RegExp should have one) throws.
func (s *vmState) costOf(rx goja.Value, what string) int {
	o, ok := rx.(*goja.Object)
	if !ok || o.ClassName() != "RegExp" {
		return -1
	}
	if c, ok := s.rxCosts[o]; ok {
		return c
	}
	src := s.callBuiltin(s.rx.source, o)
	flags := ""
	if s.callBuiltin(s.rx.unicode, o).ToBoolean() {
		flags = "u"
	}
	e := s.rxEntry(src.String(), flags)
	if !e.ok {
		s.throwRange(what, e.cost.String())
	}
	if e.info.invalid {
		s.throwRange(what, "the cost of matching the pattern is unknown")
	}
	c := 2 * e.info.perChar()
	if s.callBuiltin(s.rx.global, o).ToBoolean() || s.callBuiltin(s.rx.sticky, o).ToBoolean() {
		c++
	}
	if s.rxCosts == nil || len(s.rxCosts) >= maxRunCosts {
		s.rxCosts = make(map[*goja.Object]int, 8)
	}
	s.rxCosts[o] = c
	return c
}

// callBuiltin calls a built-in (or a function of the code's), throwing what it throws.
func (s *vmState) callBuiltin(f goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	v, err := f(this, args...)
	if err != nil {
		panic(err)
	}
	return v
}

// throwRange throws prelude.js's RangeError for what, the built-in that refuses.
func (s *vmState) throwRange(what, why string) {
	s.callBuiltin(s.rxFail, goja.Undefined(), s.vm.ToValue(what), s.vm.ToValue(why))
	panic("prelude.js fail returned") // it throws
}

// matchGuard is RegExp.prototype.exec or test (what names it, builtin is goja's): the
// built-in, refusing a match that could cost more than MaxRegexpWork, the cost a character
// (costOf) times the characters from where it starts. The function's code that the match can
// run (the argument's toString, lastIndex's valueOf, which could compile the RegExp anew) runs
// first, as the specification orders it; then the cost is read, and the built-in runs none:
// an object in lastIndex is replaced by the number it gives.
func (s *vmState) matchGuard(what string, builtin *goja.Callable) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		rx, ok := call.This.(*goja.Object)
		if !ok || rx.ClassName() != "RegExp" {
			return s.callBuiltin(*builtin, call.This, call.Arguments...) // goja's TypeError
		}
		str := call.Argument(0).ToString()
		li := rx.Get("lastIndex")
		if _, isObj := li.(*goja.Object); isObj {
			li = s.vm.ToValue(max(li.ToInteger(), 0))
			if err := rx.Set("lastIndex", li); err != nil {
				panic(err)
			}
		}
		c := s.costOf(rx, what)
		if c >= 2 {
			var n int64
			if js, ok := str.(goja.String); ok {
				n = int64(js.Length())
			} else {
				n = int64(len(str.String())) // as many bytes of UTF-8 as characters, or more
			}
			from := int64(0)
			if c&1 == 1 && li != nil {
				from = max(li.ToInteger(), 0)
			}
			if rest := n - from; rest >= 0 {
				per := int64(c / 2)
				if work := per * (rest + 1); work > MaxRegexpWork {
					s.throwRange(what, fmt.Sprintf("matching a pattern costing %d a character against %d characters could cost %d, over the function limit of %d",
						per, rest, work, MaxRegexpWork))
				}
			}
		}
		if c >= 2 && c&1 == 0 {
			return s.callBuiltin(*builtin, rx, str) // Go's regexp, bounded above
		}
		// regexp2 (a pattern Go's regexp can't run, or a global or sticky one): a match that
		// ran for RegexpMatchTimeout was cut off there, and regexp2 reports it as no match. The
		// run fails instead, whatever CPU time it got (on a loaded machine the compute budget,
		// CPU time, may not have passed yet).
		start := time.Now()
		v := s.callBuiltin(*builtin, rx, str)
		if time.Since(start) >= RegexpMatchTimeout {
			s.throwRange(what, fmt.Sprintf("a match ran for %v, the limit of a regular expression match", RegexpMatchTimeout))
		}
		return v
	}
}

// regexpForget is go.rxForget(rx): rx was compiled anew.
func (s *vmState) regexpForget(call goja.FunctionCall) goja.Value {
	if o, ok := call.Argument(0).(*goja.Object); ok {
		delete(s.rxCosts, o)
	}
	return goja.Undefined()
}

// plainRegexp is the source and flags of v when it is a RegExp as made: of RegExp.prototype,
// with no property of its own but lastIndex, so that what it reads (source, flags, exec,
// species) are the built-ins, as goja's fast paths required.
func (s *vmState) plainRegexp(v goja.Value) (source, flags string, ok bool) {
	o, isObj := v.(*goja.Object)
	if !isObj || o.ClassName() != "RegExp" || s.rxProto == nil || o.Prototype() != s.rxProto {
		return "", "", false
	}
	if len(o.GetOwnPropertyNames()) != 1 || len(o.Symbols()) != 0 {
		return "", "", false
	}
	return o.Get("source").String(), o.Get("flags").String(), true
}

// asciiValue is v's string when v is a string goja holds as ASCII.
func asciiValue(v goja.Value) (string, bool) {
	if v == nil || reflect.TypeOf(v).Kind() != reflect.String {
		return "", false // goja holds other strings as UTF-16
	}
	str := v.String()
	for i := 0; i < len(str); i++ {
		if str[i] >= 0x80 {
			return "", false
		}
	}
	return str, true
}

// globalWork bounds the work of finding every match of a pattern in n characters, in the units
// of MaxRegexpWork. Each search for the next match scans from the end of the last one to at
// most width characters past the start of the next (until then the threads that started
// earlier, which take precedence, are still running), all the way when width is unbounded; and
// Go's backtracker, used for small programs and subjects, clears a bit for each instruction and
// position before every search, some 256 bits to the unit.
func globalWork(info regexpInfo, n int) int {
	w := info.width
	if w < 0 || w > n {
		w = n
	}
	scan := satMul(info.perChar(), satMul(n+2, w+2))
	clear := satMul(n+2, min(satMul(info.insts, n+1), 256*1024)/256)
	return min(scan+clear, sizeCap)
}

// matchWork bounds the work of one match in n characters (see globalWork).
func matchWork(info regexpInfo, n int) int {
	return min(satMul(info.perChar(), n+1)+min(satMul(info.insts, n+1), 256*1024)/256, sizeCap)
}

func satMul(a, b int) int {
	if a != 0 && b > sizeCap/a {
		return sizeCap
	}
	return a * b
}

// globalMatches finds every match of a pattern in subject (or the first, when limit is 1), as
// goja's fast paths would: with Go's regexp, for a pattern goja compiles with it and an ASCII
// subject (goja matches others with regexp2), and only when globalWork (or the work of one
// match) is within MaxRegexpWork. ok is false when it does not, and prelude.js matches a match
// at a time instead. sticky keeps the matches that follow one another from the start.
func (s *vmState) globalMatches(source, flags string, subject goja.Value, limit int, sticky bool) (m [][]int, str string, ok bool) {
	e := s.rxEntry(source, flags)
	if !e.ok || !e.info.re2 || e.info.nullable && limit != 1 {
		// After a match, Go's regexp skips an empty match where it ends, which JavaScript
		// (and prelude.js) does not: a pattern that can match empty is matched in prelude.js.
		return nil, "", false
	}
	str, ok = asciiValue(subject)
	if !ok {
		return nil, "", false
	}
	work := globalWork(e.info, len(str))
	if limit == 1 {
		work = matchWork(e.info, len(str))
	}
	if work > MaxRegexpWork {
		return nil, "", false
	}
	if e.re == nil {
		if s.rxCompiled+e.info.insts > maxCompiledInsts {
			for _, o := range s.rxCache {
				o.re = nil
			}
			s.rxCompiled = 0
		}
		re, err := regexp.Compile(e.info.translated)
		if err != nil {
			return nil, "", false
		}
		e.re = re
		s.rxCompiled += e.info.insts
	}
	m = e.re.FindAllStringSubmatchIndex(str, limit)
	if sticky {
		pos := 0
		for i, r := range m {
			if r[0] != pos {
				m = m[:i]
				break
			}
			pos = r[1]
		}
	}
	return m, str, true
}

// regexpSplit is go.rxSplit(rx, subject, limit): RegExp.prototype[Symbol.split] as goja's fast
// path does it (regexpproto_stdSplitter in goja's builtin_regexp.go), or undefined when rx is
// not plain (plainRegexp) or globalMatches does not find the matches.
func (s *vmState) regexpSplit(call goja.FunctionCall) goja.Value {
	source, flags, ok := s.plainRegexp(call.Argument(0))
	if !ok {
		return goja.Undefined()
	}
	limit := call.Argument(2).ToInteger()
	found, str, ok := s.globalMatches(source, flags, call.Argument(1), -1, false) // goja's splitter is sticky, but not its matching
	if !ok {
		return goja.Undefined()
	}
	if limit == 0 {
		return s.vm.NewArray()
	}
	var vals []any
	if len(str) == 0 {
		if found == nil {
			vals = append(vals, str)
		}
		return s.vm.NewArray(vals...)
	}
	lastIndex, n := 0, int64(0)
	for _, match := range found {
		if match[0] == match[1] && (match[0] == 0 || match[0] == len(str)) {
			continue // an empty match at either end splits nothing
		}
		vals = append(vals, str[lastIndex:match[0]])
		lastIndex = match[1]
		if n++; n == limit {
			return s.vm.NewArray(vals...)
		}
		for i := 2; i < len(match); i += 2 {
			if match[i] >= 0 {
				vals = append(vals, str[match[i]:match[i+1]])
			} else {
				vals = append(vals, goja.Undefined())
			}
			if n++; n == limit {
				return s.vm.NewArray(vals...)
			}
		}
	}
	vals = append(vals, str[lastIndex:])
	return s.vm.NewArray(vals...)
}

// regexpMatch is go.rxMatch(rx, subject): RegExp.prototype[Symbol.match] of a global RegExp as
// goja's fast path does it (null for no match, lastIndex set to 0), or undefined when rx is
// not plain or not global, or globalMatches does not find the matches.
func (s *vmState) regexpMatch(call goja.FunctionCall) goja.Value {
	source, flags, ok := s.plainRegexp(call.Argument(0))
	if !ok || strings.IndexByte(flags, 'g') < 0 {
		return goja.Undefined()
	}
	found, str, ok := s.globalMatches(source, flags, call.Argument(1), -1, strings.IndexByte(flags, 'y') >= 0)
	if !ok {
		return goja.Undefined()
	}
	if err := call.Argument(0).(*goja.Object).Set("lastIndex", 0); err != nil {
		panic(err)
	}
	if len(found) == 0 {
		return goja.Null()
	}
	vals := make([]any, len(found))
	for i, m := range found {
		vals[i] = str[m[0]:m[1]]
	}
	return s.vm.NewArray(vals...)
}

// regexpReplace is go.rxReplace(rx, subject, replacement): RegExp.prototype[Symbol.replace] by
// an ASCII template or a function, as goja's fast path does it (stringReplace and
// writeSubstitution in goja; lastIndex set to 0 when rx is global), or undefined when rx is
// not plain, or sticky and not global (goja matches from lastIndex with regexp2), or
// globalMatches does not find the matches. prelude.js has checked that the result by a
// template is within the memory limit; what a function returns is counted here.
func (s *vmState) regexpReplace(call goja.FunctionCall) goja.Value {
	source, flags, ok := s.plainRegexp(call.Argument(0))
	global, sticky := strings.IndexByte(flags, 'g') >= 0, strings.IndexByte(flags, 'y') >= 0
	if !ok || sticky && !global {
		return goja.Undefined()
	}
	limit := 1
	if global {
		limit = -1
	}
	fn, isFn := goja.AssertFunction(call.Argument(2))
	tpl, ok := asciiValue(call.Argument(2))
	if !isFn && !ok {
		return goja.Undefined()
	}
	subject := call.Argument(1)
	found, str, ok := s.globalMatches(source, flags, subject, limit, sticky)
	if !ok {
		return goja.Undefined()
	}
	if global {
		if err := call.Argument(0).(*goja.Object).Set("lastIndex", 0); err != nil {
			panic(err)
		}
	}
	if len(found) == 0 {
		return subject
	}
	if isFn {
		return s.replaceByFunction(subject.(goja.String), found, fn)
	}
	var b strings.Builder
	last := 0
	for _, m := range found {
		b.WriteString(str[last:m[0]])
		substitute(&b, str, m, tpl)
		last = m[1]
	}
	b.WriteString(str[last:])
	return s.vm.ToValue(b.String())
}

// replaceByFunction replaces the matches found in subj by what fn returns for each (the match,
// its groups, its position and subj), throwing the memory limit's RangeError when the result
// would be longer than MaxMemory/2 characters.
func (s *vmState) replaceByFunction(subj goja.String, found [][]int, fn goja.Callable) goja.Value {
	var b goja.StringBuilder
	total, last := subj.Length(), 0
	args := make([]goja.Value, 0, len(found[0])/2+2)
	for _, m := range found {
		args = args[:0]
		for i := 0; i < len(m); i += 2 {
			if m[i] < 0 {
				args = append(args, goja.Undefined())
			} else {
				args = append(args, subj.Substring(m[i], m[i+1]))
			}
		}
		args = append(args, s.vm.ToValue(m[0]), subj)
		r := s.callBuiltin(fn, goja.Undefined(), args...).ToString()
		rs, ok := r.(goja.String)
		if !ok {
			rs = s.vm.ToValue(r.String()).(goja.String)
		}
		if total += rs.Length() - (m[1] - m[0]); total > MaxMemory/2 {
			s.throwRange("RegExp.prototype[Symbol.replace]", "over the function memory limit of 2 MiB")
		}
		b.WriteSubstring(subj, last, m[0])
		b.WriteString(rs)
		last = m[1]
	}
	b.WriteSubstring(subj, last, subj.Length())
	return b.String()
}

// substitute writes the replacement of the match m of str by the template tpl (GetSubstitution,
// as goja's writeSubstitution: $$, $&, $`, $', $n and $nn; no $<name>).
func substitute(b *strings.Builder, str string, m []int, tpl string) {
	groups := len(m) / 2
	capture := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return str[m[2*i]:m[2*i+1]]
	}
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if c != '$' || i == len(tpl)-1 {
			b.WriteByte(c)
			continue
		}
		switch ch := tpl[i+1]; ch {
		case '$':
			b.WriteByte('$')
		case '`':
			b.WriteString(str[:m[0]])
		case '\'':
			b.WriteString(str[m[1]:])
		case '&':
			b.WriteString(capture(0))
		default:
			n, j := 0, i+1
			for j < len(tpl) && tpl[j] >= '0' && tpl[j] <= '9' {
				k := n*10 + int(tpl[j]-'0')
				if k >= groups {
					break
				}
				n = k
				j++
			}
			if n > 0 {
				b.WriteString(capture(n))
				i = j - 1
				continue
			}
			b.WriteByte('$')
			b.WriteByte(ch)
		}
		i++
	}
}
