package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// run is one bounded load run: a shared client, the bounds, and one conn per goroutine.
type run struct {
	client   *fasthttp.HostClient
	base     target
	host     string
	timeout  time.Duration
	maxReqs  int64
	deadline time.Time
	issued   atomic.Int64 // requests claimed so far; claim numbers are 0, 1, 2, …
	done     <-chan struct{}
	conns    []*conn
}

// newRun prepares a run of at most maxReqs requests against base, with n connections. It dials
// nothing yet; begin starts the clock.
func newRun(ctx context.Context, base target, host string, n int, maxReqs int64, timeout time.Duration) *run {
	r := &run{
		client: &fasthttp.HostClient{
			Addr:                      base.addr,
			Name:                      "edge-bench",
			MaxConns:                  n,
			MaxIdleConnDuration:       time.Minute,
			ReadTimeout:               timeout,
			WriteTimeout:              timeout,
			MaxIdemponentCallAttempts: 1,
			MaxConnWaitTimeout:        timeout,
			ReadBufferSize:            16 << 10,
		},
		base:    base,
		host:    host,
		timeout: timeout,
		maxReqs: maxReqs,
		done:    ctx.Done(),
	}
	for i := 0; i < n; i++ {
		r.conns = append(r.conns, newConn(r))
	}
	return r
}

// begin starts the clock: the run ends d from now.
func (r *run) begin(d time.Duration) { r.deadline = time.Now().Add(d) }

// claim reserves the next request of the run. It reports false once the run is over: the
// request count or the deadline is reached, or the run was cancelled.
func (r *run) claim() (seq int64, ok bool) {
	select {
	case <-r.done:
		return 0, false
	default:
	}
	if !time.Now().Before(r.deadline) {
		return 0, false
	}
	seq = r.issued.Add(1) - 1
	return seq, seq < r.maxReqs
}

// sleep waits for d, or less when the run ends first. It reports whether the run goes on.
func (r *run) sleep(d time.Duration) bool {
	if left := time.Until(r.deadline); d > left {
		d = left
	}
	if d <= 0 {
		return time.Now().Before(r.deadline)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.done:
		return false
	case <-t.C:
		return time.Now().Before(r.deadline)
	}
}

// each runs f once per connection, each in its own goroutine, and waits for all of them.
func (r *run) each(f func(i int, c *conn)) {
	var wg sync.WaitGroup
	for i, c := range r.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, c)
		}()
	}
	wg.Wait()
}

// connStats are one connection's counters; the progress line reads them while the run goes on.
type connStats struct {
	requests  atomic.Int64
	errors    atomic.Int64
	bytes     atomic.Int64
	hits      atomic.Int64 // X-Cache says Hit or RefreshHit
	misses    atomic.Int64 // X-Cache says Miss
	status    [6]atomic.Int64
	transport atomic.Int64
	badSize   atomic.Int64
}

// conn is one simulated client connection: its own request, response and histogram, reused
// for every request, so the request loop allocates nothing.
type conn struct {
	stats    connStats
	r        *run
	req      *fasthttp.Request
	resp     *fasthttp.Response
	path     []byte // scratch for building request paths
	hist     Histogram
	firstErr string
}

func newConn(r *run) *conn {
	c := &conn{r: r, req: new(fasthttp.Request), resp: new(fasthttp.Response), path: make([]byte, 0, 256)}
	c.req.Header.SetMethod(fasthttp.MethodGet)
	c.req.Header.SetHost(r.host)
	c.req.UseHostHeader = true
	return c
}

// get sends GET base.path+path and records the outcome. wantSize < 0 accepts any body length.
// It reports whether the request succeeded with a 2xx status and the expected length.
func (c *conn) get(path []byte, wantSize int) bool {
	c.req.SetRequestURIBytes(path)
	start := time.Now()
	err := c.r.client.DoTimeout(c.req, c.resp, c.r.timeout)
	c.hist.Record(time.Since(start))
	s := &c.stats
	s.requests.Add(1)
	if err != nil {
		s.transport.Add(1)
		s.errors.Add(1)
		c.noteErr(func() string { return fmt.Sprintf("GET %s: %v", path, err) })
		return false
	}
	code := c.resp.StatusCode()
	cls := code / 100
	if cls < 1 || cls > 5 {
		cls = 0
	}
	s.status[cls].Add(1)
	body := c.resp.Body()
	s.bytes.Add(int64(len(body)))
	if xc := c.resp.Header.Peek("X-Cache"); len(xc) > 0 {
		switch {
		case bytes.HasPrefix(xc, []byte("Hit")) || bytes.HasPrefix(xc, []byte("RefreshHit")):
			s.hits.Add(1)
		case bytes.HasPrefix(xc, []byte("Miss")):
			s.misses.Add(1)
		}
	}
	if code < 200 || code > 299 {
		s.errors.Add(1)
		c.noteErr(func() string { return fmt.Sprintf("GET %s: status %d", path, code) })
		return false
	}
	if wantSize >= 0 && len(body) != wantSize {
		s.badSize.Add(1)
		s.errors.Add(1)
		c.noteErr(func() string {
			return fmt.Sprintf("GET %s: %d body bytes, want %d (does the target forward the query string?)", path, len(body), wantSize)
		})
		return false
	}
	return true
}

// noteErr keeps the first error of the connection (built only when it is the first).
func (c *conn) noteErr(msg func() string) {
	if c.firstErr == "" {
		c.firstErr = msg()
	}
}

// totals sums the counters of every connection; safe while the run goes on.
func (r *run) totals() (requests, errors int64) {
	for _, c := range r.conns {
		requests += c.stats.requests.Load()
		errors += c.stats.errors.Load()
	}
	return requests, errors
}

// progress writes a line to w every interval until stop is closed: elapsed time, requests,
// the rate over the last interval and errors. tty lines overwrite each other.
func (r *run) progress(w io.Writer, tty bool, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	start := time.Now()
	var last int64
	end := "\n"
	if tty {
		end = "\x1b[K"
	}
	for {
		select {
		case <-stop:
			if tty {
				fmt.Fprint(w, "\r\x1b[K")
			}
			return
		case now := <-t.C:
			n, errs := r.totals()
			lead := ""
			if tty {
				lead = "\r"
			}
			rate := float64(n-last) / interval.Seconds()
			fmt.Fprintf(w, "%s[%3.0fs] %s req  %s req/s  %s errors%s", lead, now.Sub(start).Seconds(),
				group(n), group(int64(rate)), group(errs), end)
			last = n
		}
	}
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
