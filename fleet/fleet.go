package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Names in NATS (see the package documentation).
const (
	invStream     = "EDGE_INVALIDATIONS"
	invSubject    = "edge.inv."
	acksBucket    = "edge_acks"
	nodesBucket   = "edge_nodes"
	configBucket  = "edge_config"
	historyMaxAge = 24 * time.Hour
	// acksMaxAge is how long acknowledgements are kept, in the bucket and in memory: they
	// matter while an invalidation waits for them (invalidation_timeout, a minute by default).
	acksMaxAge = time.Hour
	// maxConfigValue bounds one state record: a distribution's config or a function with both
	// stages (10 KB of code each) is far below it; NATS's default max_payload is 1 MiB.
	maxConfigValue = 1 << 20
)

// DefaultHeartbeat is how often a node says it is live; it is deemed gone after three missed.
const DefaultHeartbeat = time.Second

// opTimeout bounds one request to NATS made on behalf of an API call.
const opTimeout = 3 * time.Second

var (
	// ErrUnavailable is returned by the calls that need NATS while it can't be reached.
	ErrUnavailable = errors.New("fleet: the NATS server is unavailable")
	// ErrConflict is returned by SyncState when another edge changed the same thing since this
	// edge last adopted the fleet's state.
	ErrConflict = errors.New("fleet: changed meanwhile on another edge")
	// ErrRejected is wrapped by a Handler's ApplyInvalidation error when the invalidation can
	// never be applied on this edge (it breaks this edge's rules): it is not delivered again,
	// and this edge never acknowledges it, so it reads as not applied here.
	ErrRejected = errors.New("fleet: invalidation rejected by this edge")
)

// Invalidation is an accepted invalidation batch as it travels between edges.
type Invalidation struct {
	Distribution    string    `json:"distribution"`
	ID              string    `json:"id"`
	CallerReference string    `json:"caller_reference"`
	Paths           []string  `json:"paths"`
	Created         time.Time `json:"created"`
	// Node is the edge whose API accepted it.
	Node string `json:"node"`
}

// Handler is the local side of a node: the control API.
type Handler interface {
	// ApplyInvalidation writes inv into this edge's cache and invalidation records; it is called
	// for every invalidation of the stream, those this edge published included, and at least
	// once (again after a restart that came before the acknowledgement), so it must be
	// idempotent. An error leaves the message to be delivered again.
	ApplyInvalidation(inv *Invalidation) error
	// StateRecords returns this edge's API state as records (key → value), for a fleet whose
	// state is still empty.
	StateRecords() map[string][]byte
	// AdoptState makes records the API's state on this edge. When it has taken them, and while
	// it still holds whatever serializes its own changes, it calls adopted, so that the
	// changes it makes next are compared with this state.
	AdoptState(records map[string][]byte, adopted func()) error
}

// Config configures a Node.
type Config struct {
	// URL is the NATS server URL (several comma-separated). Required.
	URL string
	// Name is this node's name in the fleet (config.ValidNodeName). Required.
	Name string
	// Options are extra NATS connection options (credentials, TLS).
	Options []nats.Option
	// InvalidationTimeout: see Pending. 0 means 60 s.
	InvalidationTimeout time.Duration
	// Heartbeat is how often the node says it is live; 0 means DefaultHeartbeat.
	Heartbeat time.Duration
	// Logger receives connection changes and errors; nil discards.
	Logger *slog.Logger
	// Metrics, when set, registers the fleet's metrics.
	Metrics prometheus.Registerer
	// Info is published with the heartbeat (addresses, version), for people and the console.
	Info map[string]string
}

// Node is one edge's membership of a fleet. It is safe for concurrent use.
type Node struct {
	cfg  Config
	name string
	log  *slog.Logger
	nc   *nats.Conn
	h    Handler

	kick  chan struct{}
	done  chan struct{}
	runWG sync.WaitGroup // the run loop
	wg    sync.WaitGroup // the watchers' goroutines (they end when teardown stops them)

	mu       sync.Mutex
	js       jetstream.JetStream
	acksKV   jetstream.KeyValue
	nodesKV  jetstream.KeyValue
	configKV jetstream.KeyValue
	cons     jetstream.Consumer // this node's invalidation consumer
	ready    bool               // streams, buckets, consumer and watchers are in place
	downAt   time.Time          // when ready last went false (liveness is frozen there)
	stops    []func()           // what setup started, stopped by teardown
	nodes    map[string]nodeSeen
	acks     map[string]*ackSet // "<distribution>.<id>" → nodes that applied it
	started  time.Time

	cfgMu sync.Mutex
	known map[string]record // the edge_config bucket as last seen
	base  map[string]record // what the Handler last adopted or wrote

	m *metrics
}

type nodeSeen struct {
	last time.Time
	info map[string]string
}

type ackSet struct {
	nodes map[string]bool
	seen  time.Time
}

type record struct {
	rev   uint64
	value []byte
	// deleted: this node deleted the key after revision rev (a tombstone in known, so that
	// its watcher, still delivering an older put of the key, does not bring it back).
	deleted bool
}

// New returns a Node for cfg; it connects in Start.
func New(cfg Config) (*Node, error) {
	if cfg.URL == "" {
		return nil, errors.New("fleet: no NATS URL")
	}
	if cfg.Name == "" || strings.ContainsAny(cfg.Name, ". *>\t\r\n") {
		return nil, fmt.Errorf("fleet: node name %q is not valid", cfg.Name)
	}
	if cfg.InvalidationTimeout <= 0 {
		cfg.InvalidationTimeout = 60 * time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	n := &Node{cfg: cfg, name: cfg.Name, log: cfg.Logger, kick: make(chan struct{}, 1), done: make(chan struct{}),
		nodes: map[string]nodeSeen{}, acks: map[string]*ackSet{}, known: map[string]record{}, base: map[string]record{}}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.log = n.log.With("fleet_node", n.name)
	m, err := newMetrics(cfg.Metrics, n)
	if err != nil {
		return nil, err
	}
	n.m = m
	return n, nil
}

// Name is this node's name.
func (n *Node) Name() string { return n.name }

// SetInfo sets what the heartbeat tells the fleet about this node (addresses, version); call
// it before Start.
func (n *Node) SetInfo(info map[string]string) { n.cfg.Info = info }

// Start connects to NATS (retrying in the background for as long as it takes) and starts the
// node's work with h as its local side.
func (n *Node) Start(h Handler) error {
	n.h = h
	n.started = time.Now()
	opts := append([]nats.Option{
		nats.Name("edge " + n.name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.Timeout(2 * time.Second),
		nats.ConnectHandler(func(*nats.Conn) { n.log.Info("fleet: connected to NATS"); n.poke() }),
		nats.ReconnectHandler(func(*nats.Conn) { n.log.Info("fleet: reconnected to NATS"); n.poke() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.log.Warn("fleet: disconnected from NATS; serving on, fleet calls fail until it is back", "err", err)
			n.setReady(false)
			n.poke()
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			n.log.Debug("fleet: NATS error", "err", err)
		}),
	}, n.cfg.Options...)
	nc, err := nats.Connect(n.cfg.URL, opts...)
	if err != nil {
		return fmt.Errorf("fleet: connect %s: %w", n.cfg.URL, err)
	}
	n.nc = nc
	n.runWG.Add(1)
	go n.run()
	n.poke()
	return nil
}

// Close leaves the fleet: the node's work stops and the connection closes.
func (n *Node) Close() {
	select {
	case <-n.done:
		return
	default:
	}
	close(n.done)
	n.runWG.Wait()
	n.mu.Lock()
	kv := n.nodesKV
	n.mu.Unlock()
	if kv != nil && n.nc.IsConnected() { // leave at once rather than when the heartbeats stop
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = kv.Delete(ctx, n.name)
		cancel()
	}
	// The connection closes first: stopping a watcher on a live connection asks the server to
	// delete its consumer and, when the server is away, waits for that request to time out.
	// The server drops a closed connection's ephemeral consumers itself.
	if n.nc != nil {
		n.nc.Close()
	}
	n.teardown()
	n.wg.Wait()
}

func (n *Node) poke() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (n *Node) setReady(ok bool) {
	n.mu.Lock()
	if n.ready && !ok {
		n.downAt = time.Now()
	}
	n.ready = ok
	n.mu.Unlock()
}

// Available returns nil when the fleet can take changes, else an error wrapping ErrUnavailable.
func (n *Node) Available() error {
	n.mu.Lock()
	ok := n.ready
	n.mu.Unlock()
	if !ok || n.nc == nil || !n.nc.IsConnected() {
		return fmt.Errorf("%w (%s)", ErrUnavailable, n.cfg.URL)
	}
	return nil
}

// run keeps the node in the fleet: it sets up what the node needs in NATS whenever the
// connection is (back) up and it is not in place, and beats the heartbeat.
func (n *Node) run() {
	defer n.runWG.Done()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-n.kick:
		case <-t.C:
		}
		if !n.nc.IsConnected() {
			n.setReady(false)
			continue
		}
		n.mu.Lock()
		ready := n.ready
		n.mu.Unlock()
		if !ready {
			n.teardown()
			if err := n.setup(); err != nil {
				n.log.Warn("fleet: setting up in NATS failed; retrying", "err", err)
				n.teardown()
				continue
			}
			n.setReady(true)
			n.log.Info("fleet: joined", "nats", n.nc.ConnectedUrlRedacted())
		}
		if err := n.heartbeat(); err != nil {
			n.log.Warn("fleet: heartbeat failed", "err", err)
			n.setReady(false)
		}
		n.pruneAcks()
	}
}

func (n *Node) heartbeat() error {
	n.mu.Lock()
	kv := n.nodesKV
	n.mu.Unlock()
	if kv == nil {
		return ErrUnavailable
	}
	info := map[string]string{"started": n.started.UTC().Format(time.RFC3339Nano)}
	maps.Copy(info, n.cfg.Info)
	v, _ := json.Marshal(info)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, err := kv.Put(ctx, n.name, v)
	return err
}

// setup makes (or finds) the stream, the buckets and this node's consumer, and starts the
// consumer and the watchers.
func (n *Node) setup() error {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: invStream, Subjects: []string{invSubject + "*"}, Storage: jetstream.FileStorage,
		MaxAge: historyMaxAge, Duplicates: 2 * time.Minute,
	}); err != nil {
		return fmt.Errorf("stream %s: %w", invStream, err)
	}
	acks, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: acksBucket, TTL: acksMaxAge, History: 1,
		Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", acksBucket, err)
	}
	nodes, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: nodesBucket, TTL: time.Minute, History: 1,
		Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", nodesBucket, err)
	}
	conf, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: configBucket, History: 5,
		MaxValueSize: maxConfigValue, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", configBucket, err)
	}
	n.mu.Lock()
	n.js, n.acksKV, n.nodesKV, n.configKV = js, acks, nodes, conf
	n.mu.Unlock()

	// The state first: invalidations may name distributions the API made elsewhere.
	if err := n.watchConfig(ctx, conf); err != nil {
		return err
	}
	if err := n.watch(ctx, nodes, n.onNode); err != nil {
		return err
	}
	if err := n.watch(ctx, acks, n.onAck); err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, invStream, jetstream.ConsumerConfig{
		Durable: "edge_" + n.name, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait: 2 * time.Second, MaxAckPending: 256, InactiveThreshold: 7 * 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	cc, err := cons.Consume(n.onInvalidation, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrNoHeartbeat) {
			n.log.Warn("fleet: invalidation consumer lost; setting up again", "err", err)
			n.setReady(false)
			n.poke()
		}
	}))
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	n.mu.Lock()
	n.stops = append(n.stops, cc.Stop)
	n.cons = cons
	n.mu.Unlock()
	return nil
}

// WaitCaughtUp waits until this node has applied every invalidation the fleet published before
// (what it missed while it was down), or ctx ends. An edge waits for it before it serves, so
// that it never answers from what the fleet already invalidated.
func (n *Node) WaitCaughtUp(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		n.mu.Lock()
		cons, ready := n.cons, n.ready
		n.mu.Unlock()
		if ready && cons != nil {
			ictx, cancel := context.WithTimeout(ctx, opTimeout)
			info, err := cons.Info(ictx)
			cancel()
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fleet: catching up: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// teardown stops what setup started.
func (n *Node) teardown() {
	n.mu.Lock()
	stops := n.stops
	n.stops = nil
	n.mu.Unlock()
	for _, s := range stops {
		s()
	}
}

// watch starts a watcher of every key of kv, handing each entry to f (initial is true for the
// bucket's contents at the start, false for later changes).
func (n *Node) watch(ctx context.Context, kv jetstream.KeyValue, f func(e jetstream.KeyValueEntry, initial bool)) error {
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return fmt.Errorf("watch %s: %w", kv.Bucket(), err)
	}
	n.mu.Lock()
	n.stops = append(n.stops, func() { _ = w.Stop() })
	n.mu.Unlock()
	initialDone := make(chan struct{})
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		initial := true
		for e := range w.Updates() {
			if e == nil {
				if initial {
					initial = false
					close(initialDone)
				}
				continue
			}
			f(e, initial)
		}
		if initial {
			close(initialDone)
		}
	}()
	select {
	case <-initialDone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("watch %s: %w", kv.Bucket(), ctx.Err())
	}
}

func (n *Node) onNode(e jetstream.KeyValueEntry, initial bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(n.nodes, e.Key())
		return
	}
	// The bucket's contents at the start carry the server's time; later beats are dated on
	// arrival, so that clocks that disagree don't make a live node look gone.
	at := time.Now()
	if initial {
		at = e.Created()
	}
	var info map[string]string
	_ = json.Unmarshal(e.Value(), &info)
	n.nodes[e.Key()] = nodeSeen{last: at, info: info}
}

func (n *Node) onAck(e jetstream.KeyValueEntry, _ bool) {
	if e.Operation() != jetstream.KeyValuePut || time.Since(e.Created()) > acksMaxAge {
		return
	}
	k := e.Key()
	i := strings.LastIndexByte(k, '.')
	if i <= 0 {
		return
	}
	inv, node := k[:i], k[i+1:]
	n.mu.Lock()
	a := n.acks[inv]
	if a == nil {
		a = &ackSet{nodes: map[string]bool{}}
		n.acks[inv] = a
	}
	a.nodes[node] = true
	a.seen = time.Now()
	n.mu.Unlock()
}

// pruneAcks drops what is known of acknowledgements older than the bucket keeps them.
func (n *Node) pruneAcks() {
	cut := time.Now().Add(-acksMaxAge)
	n.mu.Lock()
	for k, a := range n.acks {
		if a.seen.Before(cut) {
			delete(n.acks, k)
		}
	}
	n.mu.Unlock()
}

// onInvalidation applies one message of the stream, records this node's acknowledgement, and
// acknowledges the message.
func (n *Node) onInvalidation(m jetstream.Msg) {
	var inv Invalidation
	if err := json.Unmarshal(m.Data(), &inv); err != nil || inv.ID == "" || inv.Distribution == "" ||
		strings.ContainsAny(inv.Distribution+inv.ID, ". *>") {
		n.log.Warn("fleet: dropping a malformed invalidation message", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	if err := n.h.ApplyInvalidation(&inv); errors.Is(err, ErrRejected) {
		n.log.Error("fleet: an invalidation this edge cannot apply; it stays unacknowledged here", "distribution", inv.Distribution,
			"id", inv.ID, "err", err)
		_ = m.Term()
		return
	} else if err != nil {
		n.log.Warn("fleet: applying an invalidation failed; it will come again", "distribution", inv.Distribution,
			"id", inv.ID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	n.mu.Lock()
	kv := n.acksKV
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := kv.Put(ctx, inv.Distribution+"."+inv.ID+"."+n.name, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		_ = m.NakWithDelay(time.Second)
		return
	}
	_ = m.Ack()
	n.m.applied.Inc()
	if d := time.Since(inv.Created); d >= 0 && d < historyMaxAge {
		n.m.lag.Observe(d.Seconds())
	}
}

// PublishInvalidation hands inv to every edge of the fleet (this one included, which finds it
// applied already). It returns once NATS has stored it, or an error wrapping ErrUnavailable.
func (n *Node) PublishInvalidation(ctx context.Context, inv *Invalidation) error {
	if err := n.Available(); err != nil {
		return err
	}
	inv.Node = n.name
	data, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	n.mu.Lock()
	js := n.js
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := js.Publish(ctx, invSubject+inv.Distribution, data, jetstream.WithMsgID(inv.Distribution+"."+inv.ID)); err != nil {
		return fmt.Errorf("%w: publishing invalidation %s: %w", ErrUnavailable, inv.ID, err)
	}
	n.m.published.Inc()
	return nil
}

// Pending returns, sorted, the live nodes that have not yet acknowledged the invalidation id of
// distribution dist, created at created; nil once every live node has, or once
// InvalidationTimeout has passed since created (the caller then says Completed, and names the
// missing nodes it saw last).
func (n *Node) Pending(dist, id string, created time.Time) []string {
	if time.Since(created) >= n.cfg.InvalidationTimeout {
		return nil
	}
	return n.Missing(dist, id)
}

// Missing returns, sorted, the live nodes that have not acknowledged the invalidation id of
// distribution dist, whatever its age.
func (n *Node) Missing(dist, id string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.acks[dist+"."+id]
	var out []string
	for name := range n.liveLocked() {
		if a == nil || !a.nodes[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// InvalidationTimeout is how long Pending waits for acknowledgements.
func (n *Node) InvalidationTimeout() time.Duration { return n.cfg.InvalidationTimeout }

// liveLocked yields the nodes live now (as of the connection's loss while it is down).
func (n *Node) liveLocked() map[string]nodeSeen {
	now := time.Now()
	if !n.ready && !n.downAt.IsZero() {
		now = n.downAt
	}
	out := map[string]nodeSeen{}
	for name, s := range n.nodes {
		if now.Sub(s.last) < 3*n.cfg.Heartbeat {
			out[name] = s
		}
	}
	return out
}

// NodeStatus is one node as this node sees it.
type NodeStatus struct {
	Name     string
	Live     bool
	LastSeen time.Time
	Info     map[string]string
}

// Nodes returns the nodes this node has heard of, by name.
func (n *Node) Nodes() []NodeStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	live := n.liveLocked()
	out := make([]NodeStatus, 0, len(n.nodes))
	for name, s := range n.nodes {
		_, ok := live[name]
		out = append(out, NodeStatus{Name: name, Live: ok, LastSeen: s.last, Info: s.info})
	}
	slices.SortFunc(out, func(a, b NodeStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}
