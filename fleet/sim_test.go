//go:build fleetsim && !race

// The simulation measures latency: it runs alone (make test runs it after the parallel suite, with
// -tags fleetsim), since other packages' tests on the same cores would be measured with it; under
// the race detector it would measure the detector.

package fleet

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/internal/natstest"
	"github.com/prometheus/client_golang/prometheus"
)

// cacheHandler is a simulated edge: its own cache, into which the fleet's invalidations go.
type cacheHandler struct {
	store *cache.Store
	mu    sync.Mutex
	lag   map[string]time.Duration // invalidation id → from its creation to its application here
	got   chan string
}

func (h *cacheHandler) ApplyInvalidation(inv *Invalidation) error {
	h.store.Invalidate(inv.Distribution, inv.Paths, time.Now())
	d := time.Since(inv.Created)
	h.mu.Lock()
	_, again := h.lag[inv.ID]
	if !again {
		h.lag[inv.ID] = d
	}
	h.mu.Unlock()
	if !again {
		h.got <- inv.ID
	}
	return nil
}

func (h *cacheHandler) StateRecords() map[string][]byte { return nil }

func (h *cacheHandler) AdoptState(_ map[string][]byte, adopted func()) error { adopted(); return nil }

// TestSimulation100Nodes is the budget at scale: 100 nodes (goroutines, each with its
// own NATS connection, consumer and cache) on one NATS server; 20 invalidations published from
// rotating nodes, each applied everywhere, with every node's cached copy gone afterwards. The
// p99 from an invalidation's creation to its application on a node must be at most 1 s; the
// p50, p99 and max are logged.
func TestSimulation100Nodes(t *testing.T) {
	const nodes, invalidations = 100, 20
	srv := natstest.Start(t)
	hs := make([]*cacheHandler, nodes)
	ns := make([]*Node, nodes)
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	for i := range nodes {
		store, err := cache.New(cache.Config{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(store.Close)
		hs[i] = &cacheHandler{store: store, lag: map[string]time.Duration{}, got: make(chan string, invalidations)}
		for k := range invalidations {
			e := &cache.Entry{Key: fmt.Appendf(nil, "k%d", k), Dist: "ESIM", Path: fmt.Sprintf("/obj/%d", k), Status: 200,
				Body: []byte("x"), Stored: time.Now().Add(-time.Second), Expires: time.Now().Add(time.Hour)}
			if !store.Set(e) {
				t.Fatal("the cache refused a tiny entry")
			}
		}
		n, err := New(Config{URL: srv.URL(), Name: fmt.Sprintf("sim%03d", i), Metrics: prometheus.NewRegistry()})
		if err != nil {
			t.Fatal(err)
		}
		ns[i] = n
		t.Cleanup(n.Close)
		wg.Go(func() {
			if err := n.Start(hs[i]); err != nil {
				errs <- err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := n.WaitCaughtUp(ctx); err != nil {
				errs <- fmt.Errorf("%s: %w", n.Name(), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k := range invalidations {
		inv := &Invalidation{Distribution: "ESIM", ID: fmt.Sprintf("I%03d", k), CallerReference: fmt.Sprint(k),
			Paths: []string{fmt.Sprintf("/obj/%d", k)}, Created: time.Now()}
		if err := ns[(k*37)%nodes].PublishInvalidation(context.Background(), inv); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(60 * time.Second) // a bound on a broken fleet, not a synchronisation
	var lags []time.Duration
	for i, h := range hs {
		for range invalidations {
			select {
			case <-h.got:
			case <-deadline:
				t.Fatalf("node %d applied %d of %d invalidations", i, len(h.lag), invalidations)
			}
		}
		h.mu.Lock()
		for _, d := range h.lag {
			lags = append(lags, d)
		}
		h.mu.Unlock()
		for k := range invalidations {
			if h.store.Get(fmt.Appendf(nil, "k%d", k)) != nil {
				t.Errorf("node %d still serves /obj/%d", i, k)
			}
		}
	}
	slices.Sort(lags)
	p := func(q float64) time.Duration { return lags[int(q*float64(len(lags)-1))] }
	t.Logf("%d nodes, %d invalidations: creation → applied p50 %v, p99 %v, max %v", nodes, invalidations,
		p(0.50), p(0.99), lags[len(lags)-1])
	if p(0.99) > time.Second {
		t.Errorf("p99 %v over the 1 s budget", p(0.99))
	}
}
