package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
)

// cmdImport runs "edge import": it turns the JSON that `aws cloudfront get-distribution-config`
// prints into a [[distribution]] table for the configuration file, on stdout. Origins keep
// their domain names: point each at a local server by editing its domain_name (and http_port).
func cmdImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "the distribution's id in the file (default: the document's, or a new one)")
	base := fs.String("config", "", "the config file the distribution will join: its policies and key groups may be named")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: edge import [-id ID] [-config FILE.toml] DISTRIBUTION.json   (- reads stdin)")
		return 2
	}
	var doc []byte
	var err error
	if name := fs.Arg(0); name == "-" {
		doc, err = io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
	} else {
		doc, err = os.ReadFile(name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "edge import: %v\n", err)
		return 1
	}
	var cfg *config.Config
	if *base != "" {
		if cfg, err = config.Load(*base); err != nil {
			fmt.Fprintf(stderr, "edge import: %v\n", err)
			return 1
		}
	}
	res, err := control.Import(doc, *id, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "edge %v\n", err)
		return 1
	}
	for _, d := range res.Dropped {
		fmt.Fprintf(stderr, "edge import: not carried over: %s\n", d)
	}
	out, err := control.MarshalDistributionTOML(res.Distribution)
	if err != nil {
		fmt.Fprintf(stderr, "edge %v\n", err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}
