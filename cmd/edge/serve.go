package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/console"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/disk"
	"github.com/cfedge/edge/edge"
	"github.com/cfedge/edge/fleet"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// memoryHeadroom is what the process may use beyond the cache budget (connections, buffers,
// in-flight bodies, the cache's own bookkeeping) before the Go runtime collects harder; large
// budgets get a sixteenth of themselves if that is more, so a full cache never has the
// collector running flat out.
const memoryHeadroom = 48 << 20

// node is what "edge serve" runs: the cache, shared by the viewer server (which fills it) and
// the control API (which invalidates in it), the two servers and their listeners. Each step of
// cmdServe fills some of it; close releases whatever was built.
type node struct {
	cfg    *config.Config
	log    *slog.Logger
	stdout io.Writer
	// load reads the configuration again, as serve's flags name it (SIGHUP, edge reload).
	load func() (*config.Config, error)

	store *cache.Store
	disk  *disk.Store       // nil without cache.disk_path
	alog  *accesslog.Writer // nil without logging.access_log
	srv   *edge.Server
	api   *control.Server
	fleet *fleet.Node // nil without [fleet]
	// console is the web console at the API listener's root (console.go).
	console *console.Console

	ln, apiLn, tlsLn net.Listener   // tlsLn is nil without server.tls_listen
	quicPC           net.PacketConn // HTTP/3: UDP on tlsLn's port number (nil when it could not be had)
	certPEM, keyPEM  []byte         // nil for a self-signed certificate
}

// cmdServe runs "edge serve": it loads the config, builds the cache, the edge and the API,
// listens, serves until SIGINT or SIGTERM (SIGHUP reloads the config and reopens the access
// log), then shuts both servers down gracefully within server.shutdown_timeout.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	cfg, load, pidfile, code := serveConfig(args, stderr)
	if cfg == nil {
		return code
	}
	limitMemory(cfg)
	// Signals are taken from the start: one that arrives while the edge starts waits for it
	// instead of killing the process.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)
	n := &node{cfg: cfg, log: newLogger(cfg, stderr), stdout: stdout, load: load}
	defer n.close()
	if pidfile != "" {
		if err := writePIDFile(pidfile); err != nil {
			fmt.Fprintf(stderr, "edge: %v\n", err)
			return 1
		}
		defer os.Remove(pidfile)
	}
	if err := n.build(); err != nil {
		fmt.Fprintf(stderr, "edge: %v\n", err)
		return 1
	}
	if err := n.listen(); err != nil {
		fmt.Fprintf(stderr, "edge: %v\n", err)
		return 1
	}
	if err := n.joinFleet(); err != nil {
		fmt.Fprintf(stderr, "edge: %v\n", err)
		return 1
	}
	errc := n.serve()
	if code, stop := n.wait(errc, sigc, stderr); !stop {
		return code
	}
	return n.shutdown(stderr)
}

// serveConfig parses serve's flags and loads the config they name, with -listen and
// -api-listen applied over it; load reads it again the same way (for reloads), and pidfile is
// where to write the process id. On failure it returns a nil config and the exit code, having
// reported.
func serveConfig(args []string, stderr io.Writer) (cfg *config.Config, load func() (*config.Config, error), pidfile string, code int) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (TOML); the embedded default when empty")
	listen := fs.String("listen", "", "viewer listen address, overrides server.listen")
	apiListen := fs.String("api-listen", "", "API listen address, overrides server.api_listen")
	fs.StringVar(&pidfile, "pidfile", "", "write the process id to this file (for edge reload)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, "", 2
	}
	load = func() (*config.Config, error) {
		cfg, err := loadConfig(*path)
		if err != nil {
			return nil, err
		}
		if *listen != "" {
			cfg.Server.Listen = *listen
		}
		if *apiListen != "" {
			cfg.Server.APIListen = *apiListen
		}
		return cfg, nil
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintf(stderr, "edge: config: %v\n", err)
		return nil, nil, "", 1
	}
	return cfg, load, pidfile, 0
}

// limitMemory keeps the process near its cache budget: without a limit Go lets the heap grow to
// twice the live data before collecting (GOGC=100), so a full cache could take 2x its budget.
// A GOMEMLIMIT in the environment wins.
func limitMemory(cfg *config.Config) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(cfg.Cache.Memory) + max(memoryHeadroom, int64(cfg.Cache.Memory)/16))
	}
}

// newLogger logs to stderr at logging.level (info when the level is not one slog knows).
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(cfg.Logging.Level))
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// build makes the parts that open no sockets: the access log, the cache (cache.memory bytes),
// the edge filling it and the control API invalidating in it, both exporting to one
// Prometheus registry (which the API serves at /metrics).
func (n *node) build() error {
	now := time.Now // one clock for the cache's TTLs, the edge and the API
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := n.openAccessLog(); err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	if cc := n.cfg.Cache; cc.DiskPath != "" {
		d, err := disk.Open(disk.Config{Dir: cc.DiskPath, MaxBytes: int64(cc.DiskSize),
			MaxObjectSize: int64(cc.DiskMaxObjectSize), Logger: n.log, Now: now})
		if err != nil {
			return fmt.Errorf("cache.disk_path: %w", err)
		}
		n.disk = d
	}
	store, err := cache.New(cache.Config{MaxBytes: int64(n.cfg.Cache.Memory), Now: now, Disk: n.disk})
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	n.store = store
	ecfg := edge.Config{Config: n.cfg, Logger: n.log, Store: n.store, Now: now, Metrics: reg}
	if n.alog != nil { // a nil *Writer in the interface would not be a nil AccessLog
		ecfg.AccessLog = n.alog
	}
	if n.srv, err = edge.New(ecfg); err != nil {
		return err
	}
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// The API applies what it creates or changes to the edge (and, with api.state_dir, brings
	// back what it had created: so the edge is built first).
	if n.fleet, err = n.newFleet(reg); err != nil {
		return err
	}
	ccfg := control.Config{Config: n.cfg, Invalidator: n.store, Logger: n.log, Now: now, Metrics: metrics,
		Applier: edgeApplier{n.srv}, Console: n.consoleHandler()}
	if n.fleet != nil { // a nil *fleet.Node in the interface would not be a nil Fleet
		ccfg.Fleet = n.fleet
	}
	n.api, err = control.New(ccfg)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return n.newConsole(reg)
}

// openAccessLog opens logging.access_log, if set ("-" is stdout).
func (n *node) openAccessLog() error {
	if n.cfg.Logging.AccessLog == "" {
		return nil
	}
	acfg := accesslog.Config{Path: n.cfg.Logging.AccessLog}
	if acfg.Path == "-" {
		acfg.W = n.stdout
	}
	alog, err := accesslog.New(acfg)
	if err != nil {
		return err
	}
	n.alog = alog
	return nil
}

// listen opens the viewer, API and (when configured) HTTPS listeners and says where each is.
func (n *node) listen() error {
	cfg := n.cfg
	var err error
	if n.ln, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	served := n.api.Config() // the file's distributions and those the API brought back
	n.log.Info("edge serving", "listen", n.ln.Addr().String(), "distributions", len(served.Distributions))
	fmt.Fprintf(n.stdout, "edge: serving viewers on http://%s/\n", n.ln.Addr())
	for _, d := range served.Distributions {
		fmt.Fprintf(n.stdout, "edge: distribution %s at %s (aliases: %s)\n", d.ID, d.DomainName, strings.Join(d.Aliases, ", "))
	}
	if n.apiLn, err = net.Listen("tcp", cfg.Server.APIListen); err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	fmt.Fprintf(n.stdout, "edge: CloudFront API on http://%s/ (auth: %s)\n", n.apiLn.Addr(), cfg.API.Auth)
	fmt.Fprintf(n.stdout, "edge: console on http://%s/ (README: \"Console\")\n", n.apiLn.Addr())
	if cfg.Server.TLSListen == "" {
		return nil
	}
	return n.listenTLS()
}

// listenTLS reads server.tls_cert_file / tls_key_file, if given (else the edge makes a
// self-signed certificate for the distributions' names), and opens server.tls_listen.
func (n *node) listenTLS() error {
	cfg := n.cfg
	var err error
	if cfg.Server.TLSCertFile != "" {
		if n.certPEM, n.keyPEM, err = edge.ReadCertificate(cfg.Server.TLSCertFile, cfg.Server.TLSKeyFile); err != nil {
			return err
		}
	}
	if n.tlsLn, err = net.Listen("tcp", cfg.Server.TLSListen); err != nil {
		return fmt.Errorf("tls listen: %w", err)
	}
	which := "certificate from " + cfg.Server.TLSCertFile
	if n.certPEM == nil {
		which = "a self-signed certificate"
	}
	fmt.Fprintf(n.stdout, "edge: serving viewers on https://%s/ (%s)\n", n.tlsLn.Addr(), which)
	// HTTP/3 for the distributions that allow it, on the same port number over UDP.
	if pc, err := net.ListenPacket("udp", n.tlsLn.Addr().String()); err != nil {
		n.log.Warn("HTTP/3 is off: the UDP port of the TLS listener could not be opened", "addr", n.tlsLn.Addr().String(), "err", err)
	} else {
		n.quicPC = pc
		fmt.Fprintf(n.stdout, "edge: serving HTTP/3 viewers on udp %s\n", pc.LocalAddr())
	}
	return nil
}

// serve starts serving every listener; the channel receives each server's Serve result.
func (n *node) serve() <-chan error {
	errc := make(chan error, 4)
	if n.tlsLn != nil {
		go func() { errc <- n.srv.ServeTLS(n.tlsLn, n.certPEM, n.keyPEM) }()
	}
	if n.quicPC != nil {
		go func() { errc <- n.srv.ServeQUIC(n.quicPC, n.certPEM, n.keyPEM) }()
	}
	go func() { errc <- n.srv.Serve(n.ln) }()
	go func() { errc <- n.api.Serve(n.apiLn) }()
	return errc
}

// wait blocks until a server stops or SIGINT/SIGTERM arrives, reloading the configuration and
// reopening the access log (log rotation) on SIGHUP. stop is true for a signal, which calls for a graceful shutdown;
// otherwise code is the exit code (1 when a server failed).
func (n *node) wait(errc <-chan error, sigc <-chan os.Signal, stderr io.Writer) (code int, stop bool) {
	for {
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(stderr, "edge: serve: %v\n", err)
				return 1, false
			}
			return 0, false
		case sig := <-sigc:
			if sig != syscall.SIGHUP {
				n.log.Info("shutting down", "signal", sig.String())
				return 0, true
			}
			if n.alog != nil {
				if err := n.alog.Reopen(); err != nil {
					n.log.Error("access log: reopen", "err", err)
				}
			}
			n.reload()
		}
	}
}

// shutdown stops the API, then the viewer server, letting in-flight requests finish within
// server.shutdown_timeout. It returns the exit code.
func (n *node) shutdown(stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n.cfg.Server.ShutdownTimeout))
	defer cancel()
	if err := n.api.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "edge: api shutdown: %v\n", err)
	}
	if err := n.srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "edge: shutdown: %v\n", err)
		return 1
	}
	n.log.Info("stopped")
	return 0
}

// close releases what build and listen made, the cache once both servers are done with it and
// the access log last (the edge writes to it until it stops).
func (n *node) close() {
	n.console.Close() // nil-safe
	if n.fleet != nil {
		n.fleet.Close()
	}
	for _, ln := range []net.Listener{n.ln, n.apiLn, n.tlsLn} {
		if ln != nil {
			_ = ln.Close() // already closed by Serve/Shutdown on a normal exit
		}
	}
	if n.quicPC != nil {
		_ = n.quicPC.Close()
	}
	if n.srv != nil {
		n.srv.Close()
	}
	n.store.Close() // nil-safe
	if n.disk != nil {
		if err := n.disk.Close(); err != nil {
			n.log.Warn("disk tier: close", "err", err)
		}
	}
	if n.alog != nil {
		_ = n.alog.Close()
	}
}
