// Command edge is a self-hosted CDN edge node and local CloudFront emulator.
//
//	edge serve    [-config FILE] [-listen ADDR] [-api-listen ADDR] [-pidfile FILE]
//	edge reload   -pidfile FILE | -pid N
//	edge import   [-id ID] [-config FILE] DISTRIBUTION.json
//	edge validate -config FILE
//	edge package  -o DIR/name.ism FILE[,bitrate=N][,name=TRACKNAME] ...
//	edge bench    -scenario hit|zipf|smooth|herd -url URL ...
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cfedge/edge/bench"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/edge"
)

const usage = `usage: edge <command> [flags]

commands:
  serve     run the edge (the embedded default config when -config is not given)
  reload    make a running edge reread its config file (SIGHUP), keeping its cache
  import    turn the JSON of aws cloudfront get-distribution-config into a [[distribution]]
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
	case "reload":
		return cmdReload(args[1:], stdout, stderr)
	case "import":
		return cmdImport(args[1:], stdout, stderr)
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
	// Build everything serve would (origins, key groups, Smooth resolvers, functions) without listening,
	// so that what only shows at start (a missing key file, S3 without credentials) shows here.
	srv, err := edge.New(edge.Config{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintf(stderr, "%s: cannot start\n%v\n", *path, err)
		return 1
	}
	srv.Close()
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stderr, "%s: warning: %v\n", *path, w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}
