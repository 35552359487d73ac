package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cfedge/edge/smooth"
)

// cmdPackage runs "edge package -o DIR/name.ism FILE[,bitrate=N][,name=TRACKNAME] ...": it writes the
// presentation's server manifest (.ism) and client manifest (.ismc, beside it) for fragmented
// .ismv/.isma files such as FFmpeg's -f ismv output. src paths in the .ism are relative to DIR;
// bitrate= and name= apply to single-track files.
func cmdPackage(args []string, stdout, stderr io.Writer) int {
	if err := packageFiles(args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintln(stderr, "edge package:", err)
		return 1
	}
	return 0
}

// packageFiles is "edge package": it writes the .ism and .ismc for fragmented .ismv/.isma files.
func packageFiles(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: edge package -o DIR/name.ism FILE[,bitrate=N][,name=TRACKNAME] ...")
		fs.PrintDefaults()
	}
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
