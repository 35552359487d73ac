package function

import (
	"time"

	"github.com/dlclark/regexp2"
)

// MaxMemory is the memory a function may use: CloudFront's function memory quota, 2 MB, read as
// 2 MiB (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions;
// exceeding it is an execution error,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html).
//
// The compute budget stops goja only between instructions, so prelude.js wraps the built-ins
// that work natively on a size the code chooses: they throw a RangeError, which fails the run
// with ErrExecution, before building an ArrayBuffer or typed array of more than MaxMemory
// bytes, a string of more than MaxMemory/2 UTF-16 code units (2 bytes each), or an array of
// more than MaxMemory/16 elements (a goja value is 16 bytes), or before looping over such an
// array. An object that is not an array gets at most MaxMemory/512 properties from a builtin
// (goja spends some 500 bytes on a property).
// prelude.js holds the number as MAX_BYTES; TestMemoryLimitConstant keeps the two equal.
const MaxMemory = 2 << 20

// RegexpMatchTimeout bounds one match of a regular expression that goja runs with regexp2, the
// backtracking engine it uses for what Go's regexp cannot do (backreferences, lookaround), and
// for a global or sticky match from a lastIndex past 0 (matches by Go's regexp are bounded by
// MaxRegexpWork, regexp.go). Catastrophic backtracking (/^(?=a)(a+)+$/ on 'a'.repeat(30)+'b')
// takes minutes in native code, which the compute budget cannot interrupt. A match that times
// out is reported by goja as no match; matchGuard (regexp_run.go) times each regexp2 match and
// throws a RangeError for one that ran this long, so the run fails with ErrExecution whatever
// CPU time it got (on a loaded machine, the budget's CPU time may not have passed yet).
//
// regexp2 reads the default when a pattern is compiled and checks it on a clock that ticks
// every regexpClockPeriod, kept running by init.
const RegexpMatchTimeout = 50 * time.Millisecond

const regexpClockPeriod = 5 * time.Millisecond

func init() {
	regexp2.DefaultMatchTimeout = RegexpMatchTimeout
	regexp2.SetTimeoutCheckPeriod(regexpClockPeriod)
	// regexp2's clock stops a second after the last deadline it was given, and a deadline set
	// while it is stopped counts from its stale time: the first regexp2 match after an idle
	// second was cut off at the clock's first tick (5 ms), as no match — a pattern that matches
	// reported as not matching. One match with a deadline a century away keeps the clock
	// ticking for the life of the process (a tick every regexpClockPeriod), so that every
	// deadline counts from now.
	keep := regexp2.MustCompile(`x`, regexp2.None)
	keep.MatchTimeout = 100 * 365 * 24 * time.Hour
	_, _ = keep.MatchString("x")
}
