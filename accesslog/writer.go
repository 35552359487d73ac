package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied to a zero [Config] field.
const (
	DefaultFlushInterval = time.Second
	DefaultBufferSize    = 64 << 10
)

const (
	defaultBuffers = 64   // buffers in the pool when Config.MaxPending is zero
	maxBuffers     = 1024 // bounds the pool, and so its channels, whatever Config says
)

// Config configures a [Writer]. Exactly one destination is used: a file at Path, standard
// output (Path "-"), or W (Path empty).
type Config struct {
	// Path is the log file, opened for appending and created (0644) if missing. "-" means W,
	// or standard output when W is nil. Empty means W, which must then be set.
	Path string
	// W receives the log when Path is "-" or empty (tests, stdout). Its Write is called from
	// one goroutine at a time. The writer never closes it.
	W io.Writer
	// FlushInterval is the longest a record waits in memory before it is written. If zero,
	// DefaultFlushInterval (1s).
	FlushInterval time.Duration
	// BufferSize is the size of one buffer of records, handed to the destination in one
	// Write as soon as it is full. If zero, DefaultBufferSize (64 KiB).
	BufferSize int
	// MaxPending bounds the memory held by records not yet written: while the destination
	// is slow, full buffers queue up to this many bytes, then records are dropped. It is
	// rounded down to whole buffers, at least 2 and at most 1024. If zero, 64 buffers
	// (4 MiB with the default BufferSize).
	MaxPending int
	// Now gives the time of records whose Time is zero. If nil, time.Now.
	Now func() time.Time
}

// Writer appends CloudFront standard-log records to a file or an io.Writer. It is safe for
// concurrent use. Write never waits for the destination: records are formatted into memory
// and one background goroutine, the flusher, does all the writing. Close must be called to
// stop it and write what is left.
type Writer struct {
	path    string // "" when the destination is Config.W or stdout
	name    string // the destination, for errors
	now     func() time.Time
	size    int                // cap of a new buffer
	maxBuf  int                // most buffers to make
	full    chan []byte        // buffers of records for the flusher, in order
	free    chan []byte        // empty buffers for Write
	reopen  chan reopenRequest // Reopen's file for the flusher
	quit    chan struct{}      // closed by Close
	done    chan struct{}      // closed when the flusher has returned
	dropped atomic.Uint64

	// Owned by the flusher goroutine; Close reads err after done is closed.
	out  io.Writer
	file *os.File // the open log file; nil when writing to Config.W or stdout
	err  error    // first error writing or closing the destination

	mu     sync.Mutex // guards the fields below
	line   []byte     // scratch: the record being formatted
	active []byte     // records not yet handed to the flusher
	nbuf   int        // buffers made so far
	closed bool
}

type reopenRequest struct {
	f    *os.File
	errc chan error
}

// New opens the log described by cfg and starts its flusher. When the log file is new or
// empty, or the destination is an io.Writer or stdout, it first writes [Header]. Errors name
// the path or the setting that is wrong.
func New(cfg Config) (*Writer, error) {
	if cfg.FlushInterval < 0 {
		return nil, fmt.Errorf("accesslog: flush interval %v is negative", cfg.FlushInterval)
	}
	if cfg.BufferSize < 0 {
		return nil, fmt.Errorf("accesslog: buffer size %d is negative", cfg.BufferSize)
	}
	if cfg.MaxPending < 0 {
		return nil, fmt.Errorf("accesslog: max pending %d is negative", cfg.MaxPending)
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.BufferSize == 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	nbuf := defaultBuffers
	if cfg.MaxPending > 0 {
		nbuf = min(max(cfg.MaxPending/cfg.BufferSize, 2), maxBuffers)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Writer{
		now:    cfg.Now,
		size:   cfg.BufferSize,
		full:   make(chan []byte, nbuf),
		free:   make(chan []byte, nbuf),
		reopen: make(chan reopenRequest),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		line:   make([]byte, 0, 1024),
		active: make([]byte, 0, cfg.BufferSize),
		nbuf:   2,
		maxBuf: nbuf,
	}
	w.free <- make([]byte, 0, cfg.BufferSize)
	switch {
	case cfg.Path == "" && cfg.W == nil:
		return nil, errors.New("accesslog: no destination: set Path or W")
	case cfg.Path == "-" && cfg.W == nil:
		w.out, w.name = os.Stdout, "stdout"
	case cfg.Path == "" || cfg.Path == "-":
		w.out, w.name = cfg.W, "Config.W"
	case cfg.W != nil:
		return nil, fmt.Errorf("accesslog: both Path %q and W are set", cfg.Path)
	default:
		f, err := openLog(cfg.Path)
		if err != nil {
			return nil, err
		}
		w.path, w.name, w.file, w.out = cfg.Path, cfg.Path, f, f
	}
	if w.file == nil {
		if _, err := io.WriteString(w.out, Header); err != nil {
			return nil, fmt.Errorf("accesslog: writing header to %s: %w", w.name, err)
		}
	}
	go w.flusher(time.NewTicker(cfg.FlushInterval))
	return w, nil
}

// openLog opens path for appending and writes [Header] if the file is empty.
func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("accesslog: %w", err)
	}
	st, err := f.Stat()
	if err == nil && st.Size() == 0 {
		_, err = f.WriteString(Header)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("accesslog: %s: %w", path, err)
	}
	return f, nil
}

// Write logs r. It copies what it needs from r before returning. It allocates nothing once
// warmed up: after its scratch space has grown to the longest record seen, and its pool of
// buffers to the largest backlog. It never waits for the destination: when Config.MaxPending
// bytes are already waiting, or the writer is closed, the record is dropped and counted in
// [Writer.Dropped]. A nil r is ignored.
func (w *Writer) Write(r *Record) {
	if r == nil {
		return
	}
	t := r.Time
	if t.IsZero() {
		t = w.now()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		w.dropped.Add(1)
		return
	}
	w.line = AppendRecord(w.line[:0], r, t)
	if len(w.active) > 0 && len(w.active)+len(w.line) > cap(w.active) && !w.handOverLocked() {
		w.dropped.Add(1)
		return
	}
	w.active = append(w.active, w.line...) // grows only for a record longer than a buffer
}

// handOverLocked queues the active buffer for the flusher and takes an empty one, making it
// if the pool may still grow; it reports false when there is none. The caller holds mu,
// which keeps the queue in record order.
func (w *Writer) handOverLocked() bool {
	var b []byte
	select {
	case b = <-w.free:
	default:
		if w.nbuf >= w.maxBuf {
			return false
		}
		w.nbuf++
		b = make([]byte, 0, w.size)
	}
	w.full <- w.active // never blocks: the queue has room for every buffer
	w.active = b[:0]
	return true
}

// Dropped returns how many records were not logged: because writing had fallen behind,
// because they were written after Close, or because the destination refused them.
func (w *Writer) Dropped() uint64 {
	return w.dropped.Load()
}

// flusher does all the writing: full buffers as they come, the active buffer every tick,
// everything on Reopen and Close.
func (w *Writer) flusher(tick *time.Ticker) {
	defer close(w.done)
	defer tick.Stop()
	for {
		select {
		case b := <-w.full:
			w.writeBuffer(b)
		case <-tick.C:
			w.mu.Lock()
			if len(w.active) > 0 {
				w.handOverLocked() // if no buffer is free, all are queued and the next tick will do
			}
			w.mu.Unlock()
		case req := <-w.reopen:
			w.drain()
			old := w.file
			w.file, w.out = req.f, req.f
			var err error
			if cerr := old.Close(); cerr != nil {
				err = fmt.Errorf("accesslog: closing rotated %s: %w", w.path, cerr)
			}
			req.errc <- err
		case <-w.quit:
			w.drain()
			if w.file != nil {
				if err := w.file.Close(); err != nil && w.err == nil {
					w.err = fmt.Errorf("accesslog: closing %s: %w", w.path, err)
				}
			}
			return
		}
	}
}

// drain writes every queued buffer and then the active one. Records that Write adds
// meanwhile may be left for the next flush: the loop is bounded so that a steady stream of
// records cannot keep Reopen waiting. With no Write running (Close) it writes everything.
func (w *Writer) drain() {
	for range 2 * w.maxBuf {
		select {
		case b := <-w.full:
			w.writeBuffer(b)
			continue
		default:
		}
		w.mu.Lock()
		moved := len(w.active) > 0 && w.handOverLocked()
		w.mu.Unlock()
		if !moved && len(w.full) == 0 {
			return
		}
	}
}

// writeBuffer writes b to the destination and returns it to the free list.
func (w *Writer) writeBuffer(b []byte) {
	if _, err := w.out.Write(b); err != nil {
		w.dropped.Add(uint64(bytes.Count(b, []byte{'\n'})))
		if w.err == nil {
			w.err = fmt.Errorf("accesslog: writing %s: %w", w.name, err)
		}
	}
	w.free <- b[:0]
}

// Close stops accepting records, writes every record accepted so far and closes the log file
// (never Config.W or stdout). It returns the first error met while writing or closing the
// log, if any. Calling Close again does nothing and returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.quit)
	<-w.done
	return w.err
}

// Reopen supports log rotation: it writes the records accepted so far to the current file,
// then opens Path again (creating it, with [Header], if it was renamed or removed) and logs
// there from then on. If the new file cannot be opened, logging goes on in the old one and
// the error is returned. For an io.Writer or stdout destination it does nothing.
func (w *Writer) Reopen() error {
	if w.path == "" {
		return nil
	}
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return fmt.Errorf("accesslog: reopen %s: writer is closed", w.path)
	}
	f, err := openLog(w.path)
	if err != nil {
		return err
	}
	req := reopenRequest{f: f, errc: make(chan error, 1)}
	select {
	case w.reopen <- req:
		return <-req.errc
	case <-w.done: // Close ran meanwhile
		f.Close()
		return fmt.Errorf("accesslog: reopen %s: writer is closed", w.path)
	}
}
