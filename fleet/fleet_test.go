package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cfedge/edge/internal/natstest"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// testHandler is a node's local side that records what it is given.
type testHandler struct {
	mu      sync.Mutex
	applied map[string]time.Time // "<dist>.<id>" → when applied
	state   map[string][]byte
	mine    map[string][]byte // what StateRecords returns
	onApply func(inv *Invalidation)
	changed chan struct{}                 // a value after each application or adoption
	refuse  error                         // AdoptState's error, when set
	reject  func(inv *Invalidation) error // ApplyInvalidation's error, when set and not nil
}

func newTestHandler() *testHandler {
	return &testHandler{applied: map[string]time.Time{}, changed: make(chan struct{}, 1024)}
}

func (h *testHandler) ApplyInvalidation(inv *Invalidation) error {
	if h.onApply != nil {
		h.onApply(inv)
	}
	if h.reject != nil {
		if err := h.reject(inv); err != nil {
			h.signal()
			return err
		}
	}
	h.mu.Lock()
	if _, ok := h.applied[inv.Distribution+"."+inv.ID]; !ok {
		h.applied[inv.Distribution+"."+inv.ID] = time.Now()
	}
	h.mu.Unlock()
	h.signal()
	return nil
}

func (h *testHandler) signal() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

func (h *testHandler) StateRecords() map[string][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.mine)
}

func (h *testHandler) AdoptState(recs map[string][]byte, adopted func()) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refuse != nil {
		return h.refuse
	}
	h.state = maps.Clone(recs)
	adopted()
	h.signal()
	return nil
}

func (h *testHandler) has(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.applied[key]
	return ok
}

func (h *testHandler) stateCopy() map[string][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.state)
}

// waitFor waits, on h's signals, until cond holds; it fails the test after limit.
func (h *testHandler) waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-h.changed:
		case <-deadline.C:
			t.Fatalf("after %v: %s", limit, what)
		}
	}
}

// startNode starts a node named name on srv with h, and waits until it has joined.
func startNode(t *testing.T, srv *natstest.Server, name string, h Handler) *Node {
	t.Helper()
	n, err := New(Config{URL: srv.URL(), Name: name, Metrics: prometheus.NewRegistry(), InvalidationTimeout: 5 * time.Second,
		Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitCaughtUp(ctx); err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	return n
}

// waitLive waits until n sees exactly want as the live nodes.
func waitLive(t *testing.T, n *Node, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var live []string
		for _, s := range n.Nodes() {
			if s.Live {
				live = append(live, s.Name)
			}
		}
		if slices.Equal(live, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s sees live %v, want %v", n.Name(), live, want)
		}
		<-tick.C
	}
}

// TestInvalidationFanOut: an invalidation published by one node is applied by all three
// (the publisher too), each acknowledgement shows in Pending; a node that was away when it
// was published applies it when it comes back, before WaitCaughtUp returns.
func TestInvalidationFanOut(t *testing.T) {
	srv := natstest.Start(t)
	hs := []*testHandler{newTestHandler(), newTestHandler(), newTestHandler()}
	var nodes []*Node
	for i, h := range hs {
		nodes = append(nodes, startNode(t, srv, fmt.Sprintf("n%d", i+1), h))
	}
	waitLive(t, nodes[0], "n1", "n2", "n3")

	// n3's applications wait for a signal: until then it is what n1 waits for.
	hold := make(chan struct{})
	hs[2].onApply = func(*Invalidation) { <-hold }
	inv := &Invalidation{Distribution: "EDIST", ID: "I1", CallerReference: "r1", Paths: []string{"/a"}, Created: time.Now()}
	if err := nodes[0].PublishInvalidation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	for i, h := range hs[:2] {
		h.waitFor(t, 5*time.Second, fmt.Sprintf("n%d applies", i+1), func() bool { return h.has("EDIST.I1") })
	}
	// The acknowledgements of n1 and n2 arrive through the bucket; n3 stays pending.
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(nodes[0].Pending("EDIST", "I1", inv.Created), []string{"n3"}) {
		if time.Now().After(deadline) {
			t.Fatalf("pending %v, want [n3]", nodes[0].Pending("EDIST", "I1", inv.Created))
		}
		time.Sleep(5 * time.Millisecond) // polling a view fed by another process's writes
	}
	close(hold)
	deadline = time.Now().Add(5 * time.Second)
	for len(nodes[1].Pending("EDIST", "I1", inv.Created)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pending %v after every node applied", nodes[1].Pending("EDIST", "I1", inv.Created))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// After the time limit nothing is pending, whoever is missing; Missing still names them.
	if p := nodes[0].Pending("EDIST", "IOLD", time.Now().Add(-time.Minute)); p != nil {
		t.Errorf("an old invalidation is pending on %v", p)
	}
	if m := nodes[0].Missing("EDIST", "IOLD"); !slices.Equal(m, []string{"n1", "n2", "n3"}) {
		t.Errorf("missing %v", m)
	}

	// n3 leaves; an invalidation published meanwhile is applied when it comes back.
	nodes[2].Close()
	waitLive(t, nodes[0], "n1", "n2")
	inv2 := &Invalidation{Distribution: "EDIST", ID: "I2", CallerReference: "r2", Paths: []string{"/b"}, Created: time.Now()}
	if err := nodes[1].PublishInvalidation(context.Background(), inv2); err != nil {
		t.Fatal(err)
	}
	h3 := newTestHandler()
	startNode(t, srv, "n3", h3) // WaitCaughtUp inside
	if !h3.has("EDIST.I2") {
		t.Fatal("n3 came back and WaitCaughtUp returned before it applied what it missed")
	}
	if h3.has("EDIST.I1") {
		t.Error("n3 was given I1 again, which it had acknowledged before leaving: its durable consumer did not resume")
	}
}

// TestRejectedInvalidation: an invalidation the handler rejects (fleet.ErrRejected) is not
// delivered again and never acknowledged: it stays pending on that node; the next one is
// applied as usual. A failure that is not a rejection comes again.
func TestRejectedInvalidation(t *testing.T) {
	srv := natstest.Start(t)
	h := newTestHandler()
	var mu sync.Mutex
	calls := map[string]int{}
	h.reject = func(inv *Invalidation) error {
		mu.Lock()
		defer mu.Unlock()
		calls[inv.ID]++
		switch {
		case inv.ID == "IBAD":
			return fmt.Errorf("%w: test", ErrRejected)
		case inv.ID == "IFLAKY" && calls[inv.ID] == 1:
			return errors.New("a passing failure")
		}
		return nil
	}
	n := startNode(t, srv, "n1", h)
	now := time.Now()
	for _, id := range []string{"IBAD", "IFLAKY", "IGOOD"} {
		inv := &Invalidation{Distribution: "EDIST", ID: id, CallerReference: id, Paths: []string{"/a"}, Created: now}
		if err := n.PublishInvalidation(context.Background(), inv); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor(t, 10*time.Second, "IGOOD and IFLAKY applied", func() bool { return h.has("EDIST.IGOOD") && h.has("EDIST.IFLAKY") })
	// Terminated, not waiting for a redelivery: nothing is pending acknowledgement on the consumer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := n.cons.Info(context.Background())
		if err == nil && info.NumAckPending == 0 && info.NumPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer info %+v, %v: want nothing pending", info, err)
		}
		time.Sleep(10 * time.Millisecond) // polling the server's view of the consumer
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["IBAD"] != 1 || calls["IFLAKY"] != 2 {
		t.Errorf("calls %v: want IBAD once (rejected, not redelivered) and IFLAKY twice", calls)
	}
	if h.has("EDIST.IBAD") {
		t.Error("IBAD recorded as applied")
	}
	if p := n.Pending("EDIST", "IBAD", now); !slices.Equal(p, []string{"n1"}) {
		t.Errorf("IBAD pending on %v, want [n1]", p)
	}
}

// TestStateSync: a change written by one node is adopted by the others; a change based on a
// state that another node changed meanwhile is a conflict; a node that joins an empty fleet
// seeds it with its own state, and one that joins later adopts the fleet's.
func TestStateSync(t *testing.T) {
	srv := natstest.Start(t)
	h1 := newTestHandler()
	h1.mine = map[string][]byte{"distribution.E1": []byte(`one`)}
	n1 := startNode(t, srv, "n1", h1)
	h2 := newTestHandler()
	h2.mine = map[string][]byte{"distribution.E2": []byte(`two`)} // the fleet's state wins over it
	n2 := startNode(t, srv, "n2", h2)
	if got := h2.stateCopy(); !maps.EqualFunc(got, h1.mine, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("n2 adopted %q, want n1's seed", got)
	}

	// n1 changes E1 and adds E3; n2 adopts it.
	next := map[string][]byte{"distribution.E1": []byte(`one v2`), "cache-policy.P": []byte(`p`)}
	if err := n1.SyncState(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	h2.waitFor(t, 5*time.Second, "n2 adopts n1's change", func() bool {
		return maps.EqualFunc(h2.stateCopy(), next, func(a, b []byte) bool { return string(a) == string(b) })
	})

	// n1 deletes P; n2 sees it go.
	delete(next, "cache-policy.P")
	if err := n1.SyncState(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	h2.waitFor(t, 5*time.Second, "n2 sees the deletion", func() bool { return len(h2.stateCopy()) == 1 })

	// n2 refuses to adopt (its base stays old); n1 changes E1 again; n2's own change of E1,
	// made on the old state, is a conflict, not a lost update.
	h2.mu.Lock()
	h2.refuse = errors.New("not now")
	h2.mu.Unlock()
	if err := n1.SyncState(context.Background(), map[string][]byte{"distribution.E1": []byte(`one v3`)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n2.cfgMu.Lock()
		seen := string(n2.known["distribution.E1"].value)
		n2.cfgMu.Unlock()
		if seen == "one v3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("n2 never saw n1's change")
		}
		time.Sleep(5 * time.Millisecond)
	}
	err := n2.SyncState(context.Background(), map[string][]byte{"distribution.E1": []byte(`n2's version`)})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("a change on a stale state: %v, want ErrConflict", err)
	}
}

// TestNATSDown: while the NATS server is down, the calls that need it fail at once with
// ErrUnavailable; when it is back (same port and store) the nodes set up again by themselves,
// and an invalidation published then reaches every node.
func TestNATSDown(t *testing.T) {
	srv := natstest.Start(t)
	h1, h2 := newTestHandler(), newTestHandler()
	n1 := startNode(t, srv, "n1", h1)
	startNode(t, srv, "n2", h2)
	srv.Stop()
	inv := &Invalidation{Distribution: "EDIST", ID: "I1", CallerReference: "r", Paths: []string{"/a"}, Created: time.Now()}
	deadline := time.Now().Add(5 * time.Second)
	for n1.Available() == nil { // the client notices the connection's loss
		if time.Now().After(deadline) {
			t.Fatal("the node still says the fleet is available")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := n1.PublishInvalidation(context.Background(), inv); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("publish while NATS is down: %v", err)
	}
	if err := n1.SyncState(context.Background(), map[string][]byte{"k.x": []byte("v")}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("sync while NATS is down: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("failing took %v", d)
	}
	srv.Restart()
	deadline = time.Now().Add(15 * time.Second)
	for n1.Available() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the node did not come back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := n1.PublishInvalidation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	h2.waitFor(t, 10*time.Second, "n2 applies after NATS came back", func() bool { return h2.has("EDIST.I1") })
}

// tryJoin starts a node named name on url with opts and reports whether it joined within limit.
func tryJoin(t *testing.T, url, name string, limit time.Duration, opts ...nats.Option) (*Node, bool) {
	t.Helper()
	n, err := New(Config{URL: url, Name: name, Options: opts, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(newTestHandler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return n, n.WaitCaughtUp(ctx) == nil
}

// TestAuthentication: a node with the server's token joins; one with a wrong token never
// does, and its calls fail with ErrUnavailable instead of hanging.
func TestAuthentication(t *testing.T) {
	srv := natstest.StartWithToken(t, "s3cret-token")
	good, ok := tryJoin(t, srv.URL(), "good", 10*time.Second, nats.Token("s3cret-token"))
	if !ok {
		t.Fatal("the node with the right token did not join")
	}
	bad, ok := tryJoin(t, srv.URL(), "bad", 500*time.Millisecond, nats.Token("wrong"))
	if ok {
		t.Fatal("a node with a wrong token joined")
	}
	inv := &Invalidation{Distribution: "E", ID: "I", CallerReference: "r", Paths: []string{"/"}, Created: time.Now()}
	if err := bad.PublishInvalidation(context.Background(), inv); !errors.Is(err, ErrUnavailable) {
		t.Errorf("publish with a wrong token: %v", err)
	}
	waitLive(t, good, "good")
}

// TestTLS: a node joins a NATS server that speaks TLS only when it trusts the server's CA
// (fleet.tls_ca); one that doesn't never joins.
func TestTLS(t *testing.T) {
	srv, ca := natstest.StartTLS(t)
	good, ok := tryJoin(t, srv.URL(), "good", 10*time.Second, nats.RootCAs(ca))
	if !ok {
		t.Fatal("the node trusting the CA did not join")
	}
	waitLive(t, good, "good")
	if _, ok := tryJoin(t, srv.URL(), "bad", 500*time.Millisecond); ok {
		t.Fatal("a node that does not trust the server's certificate joined")
	}
}
