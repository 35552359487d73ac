package fleet

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	published, applied   prometheus.Counter
	adopted, adoptErrors prometheus.Counter
	lag                  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, n *Node) (*metrics, error) {
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_fleet_invalidations_published_total",
			Help: "Invalidations this edge's API published to the fleet."}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_fleet_invalidations_applied_total",
			Help: "Invalidations from the fleet applied on this edge (its own included)."}),
		adopted: prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_fleet_state_adopted_total",
			Help: "Times this edge took the API state another edge changed."}),
		adoptErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_fleet_state_adopt_errors_total",
			Help: "Times this edge could not take the fleet's API state."}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edge_fleet_invalidation_apply_seconds",
			Help:    "From an invalidation's creation on any edge to its application on this one.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 60}}),
	}
	if reg == nil {
		return m, nil
	}
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_fleet_connected",
		Help: "1 while this edge is connected to the fleet's NATS server and set up in it."}, func() float64 {
		if n.Available() == nil {
			return 1
		}
		return 0
	})
	live := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_fleet_nodes_live",
		Help: "Edges of the fleet live as this edge sees them (itself included)."}, func() float64 {
		n.mu.Lock()
		defer n.mu.Unlock()
		return float64(len(n.liveLocked()))
	})
	for _, c := range []prometheus.Collector{m.published, m.applied, m.adopted, m.adoptErrors, m.lag, up, live} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("fleet: metrics: %w", err)
		}
	}
	return m, nil
}
