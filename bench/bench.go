// Package bench is edge's load generator: bounded runs of hit, zipf-catalog, Smooth-viewer
// and cold-herd scenarios against a server on this machine (loopback only), with latency
// percentiles, hit ratios and origin counters; plus the synthetic origin and the bare fasthttp
// "ceiling" server that scripts/bench-compare.sh puts behind and beside the proxies it compares.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/valyala/fasthttp"
)

const usage = `usage:
  edge bench [flags]                      run a load scenario (see -h)
  edge bench origin  [-listen ADDR] ...   serve synthetic objects, counting requests and bytes
  edge bench ceiling [-listen ADDR] -size N
                                          serve N bytes with SetBodyRaw (the fasthttp ceiling)
  edge bench table [-subject edge] [-peers nginx,varnish] [-ceiling ceiling] FILE.json ...
                                          medians and ratios of "edge bench -json -label CASE/TARGET" runs
`

// Main runs "edge bench" with args (the words after "bench") and returns the exit status:
// 0 on success, 1 when the run failed or had errors, 2 for bad flags. It only ever sends load
// to, and listens on, loopback addresses.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "origin":
			return mainOrigin(args[1:], stdout, stderr)
		case "ceiling":
			return mainCeiling(args[1:], stdout, stderr)
		case "table":
			return mainTable(args[1:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			newLoadFlags(&options{}, stdout).PrintDefaults()
			return 0
		}
	}
	var o options
	fs := newLoadFlags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "edge bench: unexpected argument %q\n%s", fs.Arg(0), usage)
		return 2
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "url" {
			o.urlSet = true
		}
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.progressTTY = isTerminal(stderr)
	rep, err := runLoad(ctx, &o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "edge bench: %v\n", err)
		return errorStatus(err)
	}
	if o.json {
		if err := rep.writeJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "edge bench: %v\n", err)
			return 1
		}
	} else {
		rep.writeText(stdout)
	}
	if rep.Errors > 0 || rep.Requests == 0 {
		return 1
	}
	return 0
}

// errUsage marks errors in the flags (exit status 2).
var errUsage = errors.New("usage")

func errorStatus(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// options are the load flags.
type options struct {
	scenario, url, host, size string
	urlSet                    bool
	conns                     int
	dur, timeout              time.Duration
	maxReqs                   int64
	catalog                   int
	exponent                  float64
	objSize, cacheBytes       string
	seed                      uint64
	ns                        string
	manifest                  string
	viewers, switchEvery      int
	realtime, switching       bool
	buffer                    time.Duration
	herd, rounds              int
	herdDelay                 time.Duration
	originURL, originListen   string
	originLatency             time.Duration
	pid                       int
	json, progress, noWarm    bool
	progressTTY               bool
	label                     string
}

func newLoadFlags(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, usage); fs.PrintDefaults() }
	fs.StringVar(&o.scenario, "scenario", "hit", "hit | zipf | smooth | herd")
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "target base URL (loopback only); with -origin-listen and no -url, the origin itself")
	fs.StringVar(&o.host, "host", "", "Host header to send (default: the URL's host:port)")
	fs.IntVar(&o.conns, "c", 16, "connections (hit, zipf)")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "maximum duration of the run")
	fs.Int64Var(&o.maxReqs, "n", 1_000_000, "maximum number of requests")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.StringVar(&o.size, "size", "1KiB", "hit: object size (GET /bytes/<size>) or a path starting with /")
	fs.IntVar(&o.catalog, "catalog", 10_000, "zipf: number of objects")
	fs.Float64Var(&o.exponent, "s", 1.0, "zipf: exponent (P(rank k) ∝ 1/k^s)")
	fs.StringVar(&o.objSize, "objsize", "16KiB", "zipf, herd: object size (GET /obj/<name>?size=<objsize>)")
	fs.StringVar(&o.cacheBytes, "cache-bytes", "0", "zipf: byte budget of the LRU to compare with (the target's cache size; 0: no comparison)")
	fs.Uint64Var(&o.seed, "seed", 1, "zipf: random seed (connection i draws from seed, i)")
	fs.StringVar(&o.ns, "ns", "", "zipf, herd: object name prefix (default: new each run, so the run starts cold)")
	fs.StringVar(&o.manifest, "manifest", "/demo/demo.ism/Manifest", "smooth: path of the Manifest")
	fs.IntVar(&o.viewers, "viewers", 8, "smooth: concurrent players (one connection each)")
	fs.BoolVar(&o.realtime, "realtime", false, "smooth: pace fragments in real time (default: as fast as possible)")
	fs.BoolVar(&o.switching, "switch", false, "smooth: walk the video bitrate ladder up and down")
	fs.IntVar(&o.switchEvery, "switch-every", 2, "smooth: video fragments between bitrate switches")
	fs.DurationVar(&o.buffer, "buffer", 4*time.Second, "smooth, realtime: how far ahead of playback players fetch")
	fs.IntVar(&o.herd, "herd", 1000, "herd: concurrent requests (one connection each) for one uncached object")
	fs.IntVar(&o.rounds, "rounds", 1, "herd: number of herds, each for a new object")
	fs.DurationVar(&o.herdDelay, "herd-delay", 200*time.Millisecond, "herd: origin delay asked for (?delay=), so the herd arrives while the origin answers")
	fs.StringVar(&o.originURL, "origin", "", "base URL of a running \"edge bench origin\" whose counters to report (loopback only)")
	fs.StringVar(&o.originListen, "origin-listen", "", "start a bench origin in this process on ADDR (loopback) and report its counters")
	fs.DurationVar(&o.originLatency, "origin-latency", 0, "with -origin-listen: delay of /obj/ responses")
	fs.IntVar(&o.pid, "pid", 0, "sample the resident set size of this process (the server under test) during the run")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.progress, "progress", false, "print a progress line every second even when stderr is not a terminal")
	fs.BoolVar(&o.noWarm, "no-warm", false, "hit: do not send one unmeasured request before the run")
	fs.StringVar(&o.label, "label", "", "label copied into the report (for edge bench table: CASE/TARGET)")
	return fs
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// parseSize parses "1KiB", "16MiB" or a number of bytes.
func parseSize(flagName, s string, limit int64) (int64, error) {
	v, err := config.ParseSize(s)
	if err != nil {
		return 0, usageErr("-%s %q: %v", flagName, s, err)
	}
	if int64(v) < 0 || int64(v) > limit {
		return 0, usageErr("-%s %q: want 0 to %d bytes", flagName, s, limit)
	}
	return int64(v), nil
}

// listenLoopback listens on addr after checking that it is a loopback address.
func listenLoopback(addr string) (net.Listener, error) {
	if err := checkListen(addr); err != nil {
		return nil, usageErr("%v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}

// serveUntilSignal serves with serve on ln until SIGINT/SIGTERM, then closes with stop.
func serveUntilSignal(ln net.Listener, serve func(net.Listener) error, stop func() error, stderr io.Writer) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- serve(ln) }()
	select {
	case err := <-errc:
		if err != nil {
			fmt.Fprintf(stderr, "edge bench: serve: %v\n", err)
			return 1
		}
		return 0
	case <-ctx.Done():
	}
	if err := stop(); err != nil {
		fmt.Fprintf(stderr, "edge bench: shutdown: %v\n", err)
		return 1
	}
	return 0
}

// mainOrigin is "edge bench origin".
func mainOrigin(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench origin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen address (loopback only)")
	maxSize := fs.String("max-size", "16MiB", "largest body served")
	objSize := fs.String("objsize", "16KiB", "size of /obj/<name> without ?size=")
	latency := fs.Duration("latency", 0, "delay of /obj/<name> responses without ?delay=")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	maxB, err := parseSize("max-size", *maxSize, 1<<30)
	if err == nil && maxB == 0 {
		err = usageErr("-max-size must be positive")
	}
	var objB int64
	if err == nil {
		objB, err = parseSize("objsize", *objSize, maxB)
	}
	var o *Origin
	if err == nil {
		o, err = NewOrigin(OriginConfig{MaxSize: int(maxB), ObjSize: int(objB), Latency: *latency})
		if err != nil {
			err = usageErr("%v", err)
		}
	}
	var ln net.Listener
	if err == nil {
		ln, err = listenLoopback(*listen)
	}
	if err != nil {
		fmt.Fprintf(stderr, "edge bench origin: %v\n", err)
		return errorStatus(err)
	}
	fmt.Fprintf(stdout, "bench origin: serving on http://%s/ (/bytes/<size>, /obj/<name>?size=N&delay=D, /_stats)\n", ln.Addr())
	syncWriter(stdout)
	return serveUntilSignal(ln, o.Serve, o.Close, stderr)
}

// mainCeiling is "edge bench ceiling".
func mainCeiling(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen address (loopback only)")
	size := fs.String("size", "1KiB", "body size; the body equals the bench origin's /bytes/<size>")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	n, err := parseSize("size", *size, 1<<30)
	var c *ceiling
	if err == nil {
		c, err = newCeiling(int(n))
	}
	var ln net.Listener
	if err == nil {
		ln, err = listenLoopback(*listen)
	}
	if err != nil {
		fmt.Fprintf(stderr, "edge bench ceiling: %v\n", err)
		return errorStatus(err)
	}
	fmt.Fprintf(stdout, "bench ceiling: serving %d bytes on http://%s/\n", n, ln.Addr())
	syncWriter(stdout)
	return serveUntilSignal(ln, c.Serve, c.Close, stderr)
}

// syncWriter flushes w when it is a file, so a script reading our stdout sees the address.
func syncWriter(w io.Writer) {
	if f, ok := w.(*os.File); ok {
		_ = f.Sync()
	}
}

// originCounter reads origin counters: from an in-process origin or over HTTP.
type originCounter func() (OriginStats, error)

// runLoad validates o, runs the scenario and returns its report.
func runLoad(ctx context.Context, o *options, stderr io.Writer) (*Report, error) {
	conns, err := o.connections()
	if err != nil {
		return nil, err
	}
	base, counter, closeOrigin, err := o.targets()
	defer closeOrigin()
	if err != nil {
		return nil, err
	}
	host := o.host
	if host == "" {
		host = base.addr
	}
	l := &loadRun{
		o:       o,
		counter: counter,
		rep:     &Report{Label: o.label, Scenario: o.scenario, URL: o.url, Host: host, Connections: conns},
		r:       newRun(ctx, base, host, conns, o.maxReqs, o.timeout),
	}
	// Scenario set-up (sizes, warm-up) before the clock starts.
	if err := l.setup(); err != nil {
		return nil, err
	}
	if err := l.measure(stderr); err != nil {
		return nil, err
	}
	if l.finish != nil {
		l.finish()
	}
	return l.rep, nil
}

// connections checks the bounds of the run and returns its number of connections: -c, or
// -viewers for smooth, -herd for herd.
func (o *options) connections() (int, error) {
	switch {
	case o.dur <= 0 || o.dur > time.Hour:
		return 0, usageErr("-d %v: want more than 0 and at most 1h", o.dur)
	case o.maxReqs < 1 || o.maxReqs > 1_000_000_000:
		return 0, usageErr("-n %d: want 1 to 1e9", o.maxReqs)
	case o.timeout <= 0 || o.timeout > 5*time.Minute:
		return 0, usageErr("-timeout %v: want more than 0 and at most 5m", o.timeout)
	}
	conns := o.conns
	switch o.scenario {
	case "hit", "zipf":
	case "smooth":
		conns = o.viewers
		if o.switchEvery < 1 {
			return 0, usageErr("-switch-every %d: want at least 1", o.switchEvery)
		}
	case "herd":
		conns = o.herd
		if o.rounds < 1 || o.rounds > 1000 {
			return 0, usageErr("-rounds %d: want 1 to 1000", o.rounds)
		}
	default:
		return 0, usageErr("-scenario %q: want hit, zipf, smooth or herd", o.scenario)
	}
	if conns < 1 || conns > 20_000 {
		return 0, usageErr("%d connections (-c, -viewers or -herd): want 1 to 20000", conns)
	}
	return conns, nil
}

// targets starts the in-process origin of -origin-listen (which becomes the target when -url
// is not given), parses the target, and returns the origin counter to report, if any: the
// origin of -origin, else the in-process one. closeOrigin stops the in-process origin.
func (o *options) targets() (base target, counter originCounter, closeOrigin func(), err error) {
	closeOrigin = func() {}
	if o.originListen != "" {
		ln, err := listenLoopback(o.originListen)
		if err != nil {
			return target{}, nil, closeOrigin, err
		}
		org, err := NewOrigin(OriginConfig{Latency: o.originLatency})
		if err != nil {
			ln.Close()
			return target{}, nil, closeOrigin, err
		}
		go org.Serve(ln)
		closeOrigin = func() { org.Close() }
		counter = func() (OriginStats, error) { return org.Stats(), nil }
		if !o.urlSet {
			o.url = "http://" + ln.Addr().String()
		}
	}
	if base, err = parseTarget(o.url); err != nil {
		return target{}, nil, closeOrigin, usageErr("-url: %v", err)
	}
	if o.originURL != "" {
		ob, err := parseTarget(o.originURL)
		if err != nil {
			return target{}, nil, closeOrigin, usageErr("-origin: %v", err)
		}
		hc := &fasthttp.HostClient{Addr: ob.addr, MaxConns: 2}
		counter = func() (OriginStats, error) { return fetchOriginStats(hc, ob) }
	}
	return base, counter, closeOrigin, nil
}

// loadRun is one run of runLoad: the scenario's loop and what the report needs of it.
type loadRun struct {
	o       *options
	counter originCounter // nil: no origin counters to report
	r       *run
	rep     *Report
	// start0 holds the origin counters when the measured run starts; the herd scenario
	// moves it past its warm-up herd.
	start0 OriginStats
	// body runs the scenario's load loop.
	body func()
	// finish, when set, fills the scenario's part of the report once the run is over.
	finish func()
}

// setup prepares the scenario's loop (sizes, warm-up) before the clock starts.
func (l *loadRun) setup() error {
	switch l.o.scenario {
	case "hit":
		return l.setupHit()
	case "zipf":
		return l.setupZipf()
	case "smooth":
		return l.setupSmooth()
	case "herd":
		return l.setupHerd()
	}
	return nil
}

// setupHit resolves -size to a path and sends the warm-up request unless -no-warm.
func (l *loadRun) setupHit() error {
	o, r := l.o, l.r
	path, size := o.size, -1
	if len(path) == 0 || path[0] != '/' {
		n, err := parseSize("size", o.size, 1<<30)
		if err != nil {
			return err
		}
		path, size = "/bytes/"+strconv.FormatInt(n, 10), int(n)
	}
	if !o.noWarm {
		c := r.conns[0]
		c.path = append(append(c.path[:0], r.base.path...), path...)
		if !c.get(c.path, size) {
			return fmt.Errorf("warm-up request: %s", c.firstErr)
		}
		c.reset()
	}
	l.body = func() { hitLoop(r, path, size) }
	return nil
}

// setupZipf builds the catalog's distribution and the LRU comparison of -cache-bytes.
func (l *loadRun) setupZipf() error {
	o, r := l.o, l.r
	zo, err := o.zipfOpts()
	if err != nil {
		return err
	}
	cacheBytes, err := parseSize("cache-bytes", o.cacheBytes, 1<<40)
	if err != nil {
		return err
	}
	l.body = func() { zipfLoop(r, zo) }
	l.finish = func() {
		n := min(int(r.issued.Load()), len(zo.trace))
		l.rep.Zipf = &ZipfReport{Catalog: o.catalog, Exponent: o.exponent, ObjSize: zo.objSize, Seed: o.seed, CacheBytes: cacheBytes, Trace: n}
		if cacheBytes > 0 {
			l.rep.Zipf.LRUHitRatio = lruHitRatio(zo.trace[:n], int64(zo.objSize), cacheBytes)
		}
	}
	return nil
}

// setupSmooth checks -manifest and prepares the players.
func (l *loadRun) setupSmooth() error {
	o, r := l.o, l.r
	so := &smoothOpts{manifest: o.manifest, realtime: o.realtime, switching: o.switching, switchEvery: o.switchEvery, buffer: o.buffer}
	if len(so.manifest) == 0 || so.manifest[0] != '/' {
		return usageErr("-manifest %q: want a path starting with /", o.manifest)
	}
	l.body = func() { viewerLoop(r, so) }
	l.finish = func() {
		l.rep.Smooth = &SmoothReport{Viewers: l.rep.Connections, Realtime: o.realtime, Manifests: so.manifests.Load(), BadManifests: so.badManifests.Load(),
			Fragments: so.fragments.Load(), Switches: so.switches.Load(), Late: so.late.Load()}
	}
	return nil
}

// setupHerd prepares the herds; between rounds it reads the origin counters, so that each
// round's origin requests are reported and the warm-up herd is not counted.
func (l *loadRun) setupHerd() error {
	o, r := l.o, l.r
	objSize, err := parseSize("objsize", o.objSize, 1<<30)
	if err != nil {
		return err
	}
	ho := &herdOpts{ns: o.namespace(), objSize: int(objSize), delay: o.herdDelay, rounds: o.rounds}
	l.rep.Herd = &HerdReport{Size: l.rep.Connections}
	var origins []int64
	var before OriginStats
	ho.between = func(round int) {
		if round >= 0 {
			l.rep.Herd.Rounds++
		}
		if l.counter == nil {
			return
		}
		st, err := l.counter()
		if err != nil {
			return
		}
		if round >= 0 {
			origins = append(origins, st.Requests-before.Requests)
		} else {
			l.start0 = st // the warm-up herd is no part of the run
		}
		before = st
	}
	l.body = func() { herdLoop(r, ho) }
	l.finish = func() { l.rep.Herd.OriginRequests = origins }
	return nil
}

// measure runs the scenario's loop on the clock, with the RSS watch of -pid and the progress
// line, and fills the report.
func (l *loadRun) measure(stderr io.Writer) error {
	o, r, rep := l.o, l.r, l.rep
	var watch *rssWatch
	if o.pid != 0 {
		var err error
		if watch, err = watchRSS(o.pid, 200*time.Millisecond); err != nil {
			return err
		}
	}
	if l.counter != nil {
		var err error
		if l.start0, err = l.counter(); err != nil {
			return err
		}
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	if o.dur > 3*time.Second && (o.progress || o.progressTTY) {
		go func() { defer close(progressDone); r.progress(stderr, o.progressTTY, time.Second, stopProgress) }()
	} else {
		close(progressDone)
	}
	start := time.Now()
	r.begin(o.dur)
	l.body()
	elapsed := time.Since(start)
	close(stopProgress)
	<-progressDone
	if l.counter != nil {
		end, err := l.counter()
		if err != nil {
			return err
		}
		rep.Origin = &OriginStats{Requests: end.Requests - l.start0.Requests, Bytes: end.Bytes - l.start0.Bytes}
	}
	if watch != nil {
		rep.RSS = watch.finish()
	}
	r.collect(rep, elapsed)
	return nil
}

// namespace returns -ns, or a fresh name so that the run's objects are not cached yet.
func (o *options) namespace() string {
	if o.ns != "" {
		return o.ns
	}
	return strconv.FormatInt(time.Now().UnixNano(), 36)
}

// zipfOpts builds the zipf scenario from the flags.
func (o *options) zipfOpts() (*zipfOpts, error) {
	objSize, err := parseSize("objsize", o.objSize, 1<<30)
	if err != nil {
		return nil, err
	}
	dist, err := newZipf(o.catalog, o.exponent)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return &zipfOpts{dist: dist, seed: o.seed, ns: o.namespace(), objSize: int(objSize), trace: make([]uint32, min(o.maxReqs, 1<<24))}, nil
}
