// Command edge is a self-hosted CDN edge node and local CloudFront emulator.
//
//	edge serve    [-config FILE] [-listen ADDR] [-api-listen ADDR]
//	edge validate -config FILE
//	edge package  -o DIR/name.ism FILE[,bitrate=N][,name=TRACKNAME] ...
//	edge bench    -scenario hit|zipf|smooth|herd -url URL ...
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
	"github.com/cfedge/edge/bench"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/edge"
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

const usage = `usage: edge <command> [flags]

commands:
  serve     run the edge (the embedded default config when -config is not given)
  validate  check a config file and list every error with its TOML path
  package   write the .ism and .ismc of a Smooth Streaming presentation for .ismv/.isma files
  bench     load-test an edge (or any cache) on loopback; see bench/README.md

run "edge <command> -h" for a command's flags
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "package":
		return cmdPackage(args[1:], stdout, stderr)
	case "bench":
		return bench.Main(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "edge: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default()
	}
	return config.Load(path)
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file to check (TOML)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "edge validate: -config FILE is required")
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid\n%v\n", *path, err)
		return 1
	}
	// Build everything serve would (origins, key groups, Smooth resolvers) without listening,
	// so that what only shows at start (a missing key file, S3 without credentials) shows here.
	srv, err := edge.New(edge.Config{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintf(stderr, "%s: cannot start\n%v\n", *path, err)
		return 1
	}
	srv.Close()
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (TOML); the embedded default when empty")
	listen := fs.String("listen", "", "viewer listen address, overrides server.listen")
	apiListen := fs.String("api-listen", "", "API listen address, overrides server.api_listen")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "edge: config: %v\n", err)
		return 1
	}
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	if *apiListen != "" {
		cfg.Server.APIListen = *apiListen
	}
	// Keep the process near its cache budget: without a limit Go lets the heap grow to twice the
	// live data before collecting (GOGC=100), so a full cache could take 2x its budget. A
	// GOMEMLIMIT in the environment wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(cfg.Cache.Memory) + max(memoryHeadroom, int64(cfg.Cache.Memory)/16))
	}
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(cfg.Logging.Level))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ecfg := edge.Config{Config: cfg, Logger: log, Metrics: reg}
	var alog *accesslog.Writer
	if cfg.Logging.AccessLog != "" {
		acfg := accesslog.Config{Path: cfg.Logging.AccessLog}
		if acfg.Path == "-" {
			acfg.W = stdout
		}
		alog, err = accesslog.New(acfg)
		if err != nil {
			fmt.Fprintf(stderr, "edge: access log: %v\n", err)
			return 1
		}
		defer alog.Close()
		ecfg.AccessLog = alog
	}
	srv, err := edge.New(ecfg)
	if err != nil {
		fmt.Fprintf(stderr, "edge: %v\n", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "edge: listen: %v\n", err)
		return 1
	}
	log.Info("edge serving", "listen", ln.Addr().String(), "distributions", len(cfg.Distributions))
	fmt.Fprintf(stdout, "edge: serving viewers on http://%s/\n", ln.Addr())
	for _, d := range cfg.Distributions {
		fmt.Fprintf(stdout, "edge: distribution %s at %s (aliases: %s)\n", d.ID, d.DomainName, strings.Join(d.Aliases, ", "))
	}

	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	api, err := control.New(control.Config{Config: cfg, Invalidator: srv.Store(), Logger: log, Metrics: metrics})
	if err != nil {
		fmt.Fprintf(stderr, "edge: api: %v\n", err)
		return 1
	}
	apiLn, err := net.Listen("tcp", cfg.Server.APIListen)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "edge: api listen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "edge: CloudFront API on http://%s/ (auth: %s)\n", apiLn.Addr(), cfg.API.Auth)

	errc := make(chan error, 3)
	if cfg.Server.TLSListen != "" {
		var certPEM, keyPEM []byte
		if cfg.Server.TLSCertFile != "" {
			if certPEM, keyPEM, err = edge.ReadCertificate(cfg.Server.TLSCertFile, cfg.Server.TLSKeyFile); err != nil {
				fmt.Fprintf(stderr, "edge: %v\n", err)
				return 1
			}
		}
		tlsLn, err := net.Listen("tcp", cfg.Server.TLSListen)
		if err != nil {
			fmt.Fprintf(stderr, "edge: tls listen: %v\n", err)
			return 1
		}
		which := "certificate from " + cfg.Server.TLSCertFile
		if certPEM == nil {
			which = "a self-signed certificate"
		}
		fmt.Fprintf(stdout, "edge: serving viewers on https://%s/ (%s)\n", tlsLn.Addr(), which)
		go func() { errc <- srv.ServeTLS(tlsLn, certPEM, keyPEM) }()
	}
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- api.Serve(apiLn) }()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)
wait:
	for {
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(stderr, "edge: serve: %v\n", err)
				return 1
			}
			return 0
		case sig := <-sigc:
			if sig == syscall.SIGHUP { // log rotation
				if alog != nil {
					if err := alog.Reopen(); err != nil {
						log.Error("access log: reopen", "err", err)
					}
				}
				continue
			}
			log.Info("shutting down", "signal", sig.String())
			break wait
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Server.ShutdownTimeout))
	defer cancel()
	if err := api.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "edge: api shutdown: %v\n", err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "edge: shutdown: %v\n", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
