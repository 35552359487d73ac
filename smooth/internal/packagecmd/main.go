// Command packagecmd writes the .ism and .ismc of a Smooth Streaming presentation for
// fragmented .ismv/.isma files (FFmpeg's -f ismv output). It is the body of the future
// `edge package` subcommand:
//
//	packagecmd -o DIR/name.ism FILE[,bitrate=N][,name=TRACKNAME] ...
//
// The .ismc is written beside the .ism as name.ismc; src paths in the .ism are relative to
// DIR. bitrate= and name= apply to single-track files only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cfedge/edge/smooth"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	out := fs.String("o", "", "output server manifest `DIR/name.ism` (name.ismc is written beside it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || !strings.HasSuffix(*out, ".ism") {
		return errors.New("-o DIR/name.ism is required")
	}
	if fs.NArg() == 0 {
		return errors.New("no media files given")
	}
	dir := filepath.Dir(*out)
	ismc := strings.TrimSuffix(filepath.Base(*out), ".ism") + ".ismc"
	opts := smooth.PackageOptions{ClientManifest: ismc}
	for _, arg := range fs.Args() {
		pf, closeFn, err := openFile(arg, dir)
		if err != nil {
			return err
		}
		defer closeFn()
		opts.Files = append(opts.Files, pf)
	}
	ism, ismcData, err := smooth.Package(opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, ism, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ismc), ismcData, 0o644)
}

// openFile parses FILE[,bitrate=N][,name=S] and opens the file.
func openFile(arg, dir string) (smooth.PackageFile, func(), error) {
	parts := strings.Split(arg, ",")
	var pf smooth.PackageFile
	for _, opt := range parts[1:] {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "bitrate":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return pf, nil, fmt.Errorf("%s: bitrate %q is not a positive number below 2^32", parts[0], v)
			}
			pf.Bitrate = uint32(n)
		case "name":
			pf.TrackName = v
		default:
			return pf, nil, fmt.Errorf("%s: unknown option %q (want bitrate= or name=)", parts[0], opt)
		}
	}
	f, err := os.Open(parts[0])
	if err != nil {
		return pf, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return pf, nil, err
	}
	abs, err := filepath.Abs(parts[0])
	if err != nil {
		f.Close()
		return pf, nil, err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		f.Close()
		return pf, nil, err
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil {
		f.Close()
		return pf, nil, err
	}
	pf.Src, pf.Data, pf.Size = filepath.ToSlash(rel), f, st.Size()
	return pf, func() { f.Close() }, nil
}
