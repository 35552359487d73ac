package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cfedge/edge/fleet"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// fleetCatchUp bounds how long a starting edge waits to apply what the fleet invalidated while
// it was down before it serves.
const fleetCatchUp = 5 * time.Second

// newFleet makes the fleet node [fleet] describes, not yet connected (nil without [fleet]).
func (n *node) newFleet(reg prometheus.Registerer) (*fleet.Node, error) {
	f := n.cfg.Fleet
	if !f.Enabled() {
		return nil, nil
	}
	var opts []nats.Option
	switch {
	case f.Credentials != "":
		opts = append(opts, nats.UserCredentials(f.Credentials))
	case f.Token != "":
		opts = append(opts, nats.Token(f.Token))
	}
	if f.User != "" {
		opts = append(opts, nats.UserInfo(f.User, f.Password))
	}
	if f.TLSCA != "" {
		opts = append(opts, nats.RootCAs(f.TLSCA))
	}
	if f.TLSCert != "" {
		opts = append(opts, nats.ClientCert(f.TLSCert, f.TLSKey))
	}
	node, err := fleet.New(fleet.Config{URL: f.NATSURL, Name: f.Node, Options: opts, Logger: n.log, Metrics: reg,
		InvalidationTimeout: f.InvalidationTimeout.D()})
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	return node, nil
}

// joinFleet starts the fleet node with the API as its local side, telling the fleet where this
// edge listens.
func (n *node) joinFleet() error {
	if n.fleet == nil {
		return nil
	}
	info := map[string]string{"viewer": n.ln.Addr().String(), "api": n.apiLn.Addr().String(), "pop": n.cfg.Server.Pop}
	if n.tlsLn != nil {
		info["tls"] = n.tlsLn.Addr().String()
	}
	n.fleet.SetInfo(info)
	if err := n.fleet.Start(n.api); err != nil {
		return err
	}
	// Serve only once what the fleet invalidated meanwhile is applied; a fleet that can't be
	// reached is not waited for long: the edge serves from its own cache without it.
	ctx, cancel := context.WithTimeout(context.Background(), fleetCatchUp)
	defer cancel()
	if err := n.fleet.WaitCaughtUp(ctx); err != nil {
		n.log.Warn("fleet: serving before catching up with the fleet", "err", err)
	}
	fmt.Fprintf(n.stdout, "edge: fleet node %q on %s\n", n.fleet.Name(), n.cfg.Fleet.NATSURL)
	return nil
}
