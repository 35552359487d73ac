package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/console"
)

// consoleHandler is the console as the API's Config.Console: it forwards to n.console, which
// newConsole makes once the API exists (the console reads it), before anything is served.
func (n *node) consoleHandler() fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) { n.console.Handle(ctx) }
}

// newConsole makes the console the API listener serves at its root, reading the API, the edge,
// the cache, the registry both count in and the fleet, and starts its sampling (Close stops it).
func (n *node) newConsole(reg prometheus.Gatherer) error {
	cfg := console.Config{API: n.cfg.API, Control: n.api, Matcher: n.srv, Cache: n.store, Metrics: reg, Logger: n.log}
	if n.fleet != nil { // a nil *fleet.Node in the interface would not be a nil Fleet
		cfg.Fleet = n.fleet
	}
	c, err := console.New(cfg)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	n.console = c
	c.Start()
	return nil
}
