package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/edge"
)

// reload reads the configuration again and puts it into service: new behaviors, origins,
// policies and functions apply to the requests that start after it, requests in flight finish
// on the old configuration, and cached objects of unchanged behaviors stay cached. A
// configuration that fails to load or validate is refused with its errors logged, and the old
// one stays. [server] and [cache] settings (listeners, cache size) take a restart; a reload that
// changes them says so.
func (n *node) reload() {
	cfg, err := n.load()
	if err == nil {
		// The API merges the file with what it created, refuses a conflict, and applies the
		// result to the edge.
		err = n.api.Reload(cfg)
	}
	if err != nil {
		n.log.Error("reload refused; the configuration in service stays", "err", err)
		return
	}
	if !reflect.DeepEqual(cfg.Server, n.cfg.Server) || !reflect.DeepEqual(cfg.Cache, n.cfg.Cache) {
		n.log.Warn("reload: [server] and [cache] changes take effect at the next restart")
	}
	n.cfg = cfg
	n.log.Info("reloaded", "distributions", len(n.api.Config().Distributions))
}

// edgeApplier hands the API's configurations to the edge.
type edgeApplier struct{ srv *edge.Server }

// Apply implements control.Applier.
func (a edgeApplier) Apply(c *config.Config) error { return a.srv.Reload(c) }

// writePIDFile writes the process id for edge reload.
func writePIDFile(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("pidfile: %w", err)
	}
	return nil
}

// cmdReload runs "edge reload": it sends SIGHUP to a running edge serve, named by its pid file
// (serve -pidfile) or its process id. The edge logs whether the reload was applied or refused.
func cmdReload(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pidfile := fs.String("pidfile", "", "the pid file edge serve -pidfile wrote")
	pid := fs.Int("pid", 0, "the process id of edge serve")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*pidfile == "") == (*pid == 0) {
		fmt.Fprintln(stderr, "edge reload: give -pidfile FILE or -pid N")
		return 2
	}
	if *pidfile != "" {
		b, err := os.ReadFile(*pidfile)
		if err != nil {
			fmt.Fprintf(stderr, "edge reload: %v\n", err)
			return 1
		}
		if *pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || *pid <= 0 {
			fmt.Fprintf(stderr, "edge reload: %s holds no process id\n", *pidfile)
			return 1
		}
	}
	if err := syscall.Kill(*pid, syscall.SIGHUP); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			fmt.Fprintf(stderr, "edge reload: no process %d (is edge serve running?)\n", *pid)
		} else {
			fmt.Fprintf(stderr, "edge reload: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "edge reload: sent SIGHUP to %d; the edge logs whether it applied the new configuration\n", *pid)
	return 0
}
