// Package function runs CloudFront Functions (runtimes cloudfront-js-1.0 and cloudfront-js-2.0)
// at the edge's viewer-request and viewer-response events.
//
// Code is transformed once by esbuild (ES module syntax → CommonJS) and compiled once by goja;
// each invocation borrows a pooled goja runtime whose global scope is frozen, so that no state
// survives from one request to the next.
//
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-functions.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-function-restrictions.html
package function

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
)

// The runtimes of FunctionConfig.Runtime.
const (
	Runtime10 = "cloudfront-js-1.0"
	Runtime20 = "cloudfront-js-2.0"
)

// MaxCodeSize is CloudFront's "maximum size of a function" quota, 10 KB, read as 10,240 bytes
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions).
const MaxCodeSize = 10 * 1024

// DefaultCompute is the compute budget when Options.Compute is 0. CloudFront publishes no time,
// only "compute utilization" 0–100 as a share of an unpublished maximum, widely measured at
// about 1 ms on njs. goja is an interpreter several times slower than njs, and the budget is wall
// time on a host that also serves traffic (GC pauses, scheduling), so 5 ms lets every function
// that passes CloudFront's limit run here, while an endless loop still costs a request only 5 ms.
const DefaultCompute = 5 * time.Millisecond

// MaxLogBytes is where console.log output is cut, as CloudFront cuts function logs at 10 KB.
const MaxLogBytes = 10 * 1024

// MaxBodySize bounds a body a function generates. CloudFront documents no size; this is
// Lambda@Edge's 40 KB for viewer events.
const MaxBodySize = 40 * 1024

// Errors returned by Compile and Run; the returned errors wrap them.
var (
	// ErrExecution: the function threw, rejected, or could not run (CloudFront: 503,
	// FunctionExecutionError).
	ErrExecution = errors.New("function execution error")
	// ErrTimeout: over the compute budget. CloudFront does not say what one over-limit run
	// returns; it is mapped like an execution error (503, FunctionExecutionError). ErrTimeout
	// also matches errors.Is(err, ErrExecution).
	ErrTimeout = fmt.Errorf("%w: compute utilization over 100", ErrExecution)
	// ErrInvalidOutput: the return value is not a valid request or response (502,
	// FunctionValidationError).
	ErrInvalidOutput = errors.New("function returned an invalid object")
	// ErrReadOnly: a read-only field or header was changed, or a disallowed header added
	// (502, FunctionValidationError). It also matches errors.Is(err, ErrInvalidOutput).
	ErrReadOnly = fmt.Errorf("%w: read-only or disallowed field changed", ErrInvalidOutput)

	// ErrCodeTooLarge: Compile was given more than MaxCodeSize bytes
	// (FunctionSizeLimitExceeded).
	ErrCodeTooLarge = errors.New("function code is too large")
	// ErrSyntax: Compile rejected the code (a *CompileError says where).
	ErrSyntax = errors.New("function code does not compile")
)

// CompileError is a syntax error, or a construct the runtime does not support, at a place in
// the source. Error() reads "name:line:col: message".
type CompileError struct {
	Name         string
	Line, Column int // 1-based; 0 if unknown
	Msg          string
}

func (e *CompileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Name, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Column, e.Msg)
}

func (e *CompileError) Unwrap() error { return ErrSyntax }

// Options configure a compiled function.
type Options struct {
	Runtime string            // Runtime10 or Runtime20 (default)
	KVS     KeyValueStore     // the associated store, nil if none
	Compute time.Duration     // the per-invocation compute budget; 0 = DefaultCompute
	Log     func(line string) // receives console.log lines (also returned in Result.Logs)
}

// KeyValueStore is the store associated with a function. Values must not change during one
// invocation (CloudFront reads from a snapshot); Get must be safe for concurrent use.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions.html
type KeyValueStore interface {
	Get(key string) (value []byte, ok bool)
	Meta() KVSMeta
}

// KVSMeta is what cf.kvs().meta() reports.
type KVSMeta struct {
	CreationTime, LastUpdatedTime time.Time
	KeyCount                      int
}

// Function is a compiled CloudFront Function, safe for concurrent use.
type Function struct {
	name   string
	v2     bool
	opts   Options
	budget time.Duration
	prog   *goja.Program
	pool   chan *vmState
	// What the compiled code names, so that a run makes only the objects it can reach: its
	// own module and exports, and its own globalThis (the real global object is frozen).
	usesModule, usesGlobal bool
}

// Name is the name given to Compile.
func (f *Function) Name() string { return f.name }

// Runtime is the function's runtime, Runtime10 or Runtime20.
func (f *Function) Runtime() string { return runtimeName(f.v2) }

func runtimeName(v2 bool) string {
	if v2 {
		return Runtime20
	}
	return Runtime10
}

var (
	//go:embed prelude.js
	preludeSrc  string
	preludeOnce sync.Once
	preludeProg *goja.Program
	preludeErr  error
)

func prelude() (*goja.Program, error) {
	preludeOnce.Do(func() {
		preludeProg, preludeErr = goja.Compile("prelude.js", preludeSrc, true)
	})
	return preludeProg, preludeErr
}

// Compile checks, transforms and compiles code. It fails with ErrCodeTooLarge over
// MaxCodeSize, with a *CompileError (ErrSyntax) for a syntax error, for const, let, async or
// import under cloudfront-js-1.0, for a module CloudFront does not offer, for the cloudfront
// module under 1.0, for a BigInt literal (neither runtime has BigInt), or for a regular
// expression literal over the limits of regexp.go (MaxRegexpSource, MaxRegexpDepth,
// MaxRegexpInsts).
func Compile(name string, code []byte, opts Options) (*Function, error) {
	f := &Function{name: name, opts: opts, budget: opts.Compute}
	switch opts.Runtime {
	case "", Runtime20:
		f.v2 = true
	case Runtime10:
	default:
		return nil, fmt.Errorf("function %s: unknown runtime %q", name, opts.Runtime)
	}
	if f.budget <= 0 {
		f.budget = DefaultCompute
	}
	if len(code) > MaxCodeSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrCodeTooLarge, name, len(code), MaxCodeSize)
	}
	if len(code) == 0 {
		return nil, &CompileError{Name: name, Msg: "empty function code"}
	}
	js, err := transform(name, string(code), f.v2)
	if err != nil {
		return nil, err
	}
	// The code becomes the body of a factory called once per invocation, so its top-level
	// declarations are fresh each time, as in CloudFront, where every request gets a new VM.
	args := strings.Contains(js, "arguments") // the factory's arguments reach all three
	f.usesModule = args || strings.Contains(js, "module") || strings.Contains(js, "exports")
	f.usesGlobal = args || strings.Contains(js, "globalThis")
	wrapped := "(function (require, module, exports, globalThis) {\"use strict\";\n" + js +
		"\n;return typeof handler === \"function\" ? handler : (module.exports && module.exports.handler);\n})"
	// Parsed, checked, then compiled: goja.Compile in two steps. No source map is read (goja
	// would read one from the path a comment names).
	tree, err := goja.Parse(name, wrapped, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, &CompileError{Name: name, Msg: err.Error()}
	}
	if err := checkProgram(name, string(code), f.Runtime(), tree); err != nil {
		return nil, err
	}
	f.prog, err = goja.CompileAST(tree, true)
	if err != nil {
		return nil, &CompileError{Name: name, Msg: err.Error()}
	}
	if _, err := prelude(); err != nil {
		return nil, fmt.Errorf("function runtime: %v", err)
	}
	n := runtime.GOMAXPROCS(0) * 2
	f.pool = make(chan *vmState, n)
	s, err := f.newState()
	if err != nil {
		return nil, &CompileError{Name: name, Msg: err.Error()}
	}
	f.pool <- s
	return f, nil
}

// modules are the names require and import accept, per runtime.
func moduleAllowed(path string, v2 bool) bool {
	switch path {
	case "crypto", "querystring":
		return true
	case "cloudfront", "buffer":
		return v2
	}
	return false
}

// transform turns ES module syntax into CommonJS with esbuild, and gates the syntax
// cloudfront-js-1.0 lacks.
func transform(name, code string, v2 bool) (string, error) {
	var supported map[string]bool
	if !v2 {
		supported = map[string]bool{"const-and-let": false, "async-await": false, "generator": false,
			"top-level-await": false, "async-generator": false}
	}
	plugin := api.Plugin{Name: "cloudfront-modules", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
			if !v2 && (a.Kind == api.ResolveJSImportStatement || a.Kind == api.ResolveJSDynamicImport) {
				return api.OnResolveResult{Errors: []api.Message{{Text: "import is not supported in " + Runtime10}}}, nil
			}
			if !moduleAllowed(a.Path, v2) {
				return api.OnResolveResult{Errors: []api.Message{{Text: fmt.Sprintf("module %q not found", a.Path)}}}, nil
			}
			return api.OnResolveResult{Path: a.Path, External: true}, nil
		})
	}}
	r := api.Build(api.BuildOptions{
		Stdin:       &api.StdinOptions{Contents: code, Loader: api.LoaderJS, Sourcefile: name},
		Bundle:      true,
		TreeShaking: api.TreeShakingFalse,
		Format:      api.FormatCommonJS,
		Platform:    api.PlatformNeutral,
		Target:      api.ES2017,
		Supported:   supported,
		Charset:     api.CharsetUTF8,
		LogLevel:    api.LogLevelSilent,
		Write:       false,
		Plugins:     []api.Plugin{plugin},
		// esbuild would lower a BigInt literal, which the target (ES2017) lacks, to a call of
		// BigInt, with a warning; the runtime has no BigInt, so it is an error here.
		LogOverride: map[string]api.LogLevel{"bigint": api.LogLevelError},
	})
	if len(r.Errors) > 0 {
		m := r.Errors[0]
		ce := &CompileError{Name: name, Msg: m.Text}
		if m.ID == "bigint" {
			ce.Msg = bigIntMessage(runtimeName(v2))
		}
		if m.Location != nil {
			ce.Line = m.Location.Line
			ce.Column = m.Location.Column + 1
		}
		return "", ce
	}
	if len(r.OutputFiles) == 0 {
		return "", &CompileError{Name: name, Msg: "no output"}
	}
	return string(r.OutputFiles[0].Contents), nil
}

func (f *Function) get() (*vmState, error) {
	select {
	case s := <-f.pool:
		return s, nil
	default:
		return f.newState()
	}
}

func (f *Function) put(s *vmState) {
	select {
	case f.pool <- s:
	default:
	}
}

// Run invokes the function on ev. ev is not modified; Result may share slices with it.
func (f *Function) Run(ctx context.Context, ev *Event) (res *Result, err error) {
	if ev == nil {
		return nil, fmt.Errorf("%w: nil event", ErrExecution)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The budget is CPU time (see checkBudget), and reading a thread's CPU clock starts with a
	// system call. A run that ends within the budget in wall time used no more CPU than that,
	// so the first attempt is timed on the wall clock alone; only a run that doesn't is run
	// again, from the start, on the CPU clock of its thread. What a run does is discarded until
	// it returns, so running it again changes nothing but the time it takes.
	res, err, again := f.attempt(ev, false)
	if again {
		res, err, _ = f.attempt(ev, true)
	}
	return res, err
}

// attempt runs the function once; again reports that the wall-clock budget ran out on a run
// timed without the CPU clock.
func (f *Function) attempt(ev *Event, cpuClock bool) (res *Result, err error, again bool) {
	s, err := f.get()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExecution, err), false
	}
	start := time.Now()
	s.begin(ev, start)
	rc := &runClock{tid: wallOnly, cpu0: -1, started: start}
	first := f.budget
	if cpuClock {
		// Hold the thread for the run: its CPU clock is the budget.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		rc.tid = threadID()
		first = f.budget / firstCheck
	}
	s.clock.Store(rc)
	s.timer.Reset(first)
	clean := false
	func() {
		defer func() {
			if p := recover(); p != nil {
				res, err = nil, fmt.Errorf("%w: internal error: %v", ErrExecution, p)
				clean = false
			}
		}()
		res, err, clean = s.run(ev)
	}()
	stopped := s.timer.Stop()
	elapsed := time.Since(start)
	logs := s.logs
	s.end()
	if clean && stopped {
		f.put(s)
	}
	if err != nil {
		return nil, err, !cpuClock && rc.wallOut.Load()
	}
	res.Logs = logs
	res.ComputeUtilization = utilization(elapsed, f.budget)
	return res, nil, false
}

func utilization(elapsed, budget time.Duration) int {
	u := int((elapsed*100 + budget - 1) / budget)
	if u < 1 {
		u = 1
	}
	if u > 100 {
		u = 100
	}
	return u
}
