package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/nats-io/nats.go/jetstream"
)

// The API's state in the edge_config bucket. The Handler's records (key → value) are written
// key by key, compare-and-set on the revision of the state the Handler last adopted (base), so
// that two edges changing one thing at once can't both win. The watcher keeps known (the
// bucket as last seen) and hands the Handler the whole state when another edge changed it.

// watchConfig starts the bucket's watcher. A fleet whose state is empty takes this node's
// (the first edge to join brings what its API made before); otherwise this node adopts the
// fleet's.
func (n *Node) watchConfig(ctx context.Context, kv jetstream.KeyValue) error {
	n.cfgMu.Lock()
	clear(n.known)
	n.cfgMu.Unlock()
	err := n.watch(ctx, kv, func(e jetstream.KeyValueEntry, initial bool) {
		n.cfgMu.Lock()
		changed := n.see(e)
		n.cfgMu.Unlock()
		if changed && !initial {
			n.adopt()
		}
	})
	if err != nil {
		return err
	}
	n.cfgMu.Lock()
	empty := len(n.known) == 0 // (no tombstones yet: known was cleared above)
	n.cfgMu.Unlock()
	if empty {
		return n.seed(ctx, kv)
	}
	n.adopt()
	return nil
}

// see records entry e in known; it reports whether that changed anything.
func (n *Node) see(e jetstream.KeyValueEntry) bool {
	k := e.Key()
	old, had := n.known[k]
	if had && old.rev >= e.Revision() {
		// Older than what this node wrote or saw: a put from before its own deletion, or a
		// deletion from before its own write, delivered late by the watcher.
		return false
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(n.known, k)
		return had && !old.deleted // this node's own deletion changes nothing it has
	}
	n.known[k] = record{rev: e.Revision(), value: e.Value()}
	return !had || old.deleted || !bytes.Equal(old.value, e.Value())
}

// seed writes this node's state into the empty bucket.
func (n *Node) seed(ctx context.Context, kv jetstream.KeyValue) error {
	recs := n.h.StateRecords()
	n.cfgMu.Lock()
	defer n.cfgMu.Unlock()
	for k, v := range recs {
		rev, err := kv.Create(ctx, k, v)
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // another edge seeds at the same time; its state will be adopted
		}
		if err != nil {
			return fmt.Errorf("seeding %s: %w", configBucket, err)
		}
		n.known[k] = record{rev: rev, value: v}
		n.base[k] = record{rev: rev, value: v}
	}
	if len(recs) > 0 {
		n.log.Info("fleet: the fleet's state was empty; this edge's API state now seeds it", "records", len(recs))
	}
	return nil
}

// adopt hands the Handler the state as last seen, unless it has it already.
func (n *Node) adopt() {
	n.cfgMu.Lock()
	snap := maps.Clone(n.known)
	maps.DeleteFunc(snap, func(_ string, r record) bool { return r.deleted })
	same := len(snap) == len(n.base)
	for k, r := range snap {
		if b, ok := n.base[k]; !ok || b.rev != r.rev {
			same = false
			break
		}
	}
	n.cfgMu.Unlock()
	if same {
		return
	}
	values := make(map[string][]byte, len(snap))
	for k, r := range snap {
		values[k] = r.value
	}
	err := n.h.AdoptState(values, func() {
		n.cfgMu.Lock()
		n.base = snap
		n.cfgMu.Unlock()
	})
	if err != nil {
		n.m.adoptErrors.Inc()
		n.log.Error("fleet: this edge cannot take the fleet's API state; it keeps its own until the next change", "err", err)
		return
	}
	n.m.adopted.Inc()
}

// SyncState makes the fleet's state records (this edge's whole API state after a change):
// every key whose value differs from the adopted state is written, every key of the adopted
// state missing from records is deleted, each compare-and-set on the adopted revision. It
// returns an error wrapping ErrConflict when another edge changed one of them meanwhile, or
// ErrUnavailable when NATS can't be reached; keys written before the error stay written.
func (n *Node) SyncState(ctx context.Context, records map[string][]byte) error {
	if err := n.Available(); err != nil {
		return err
	}
	n.mu.Lock()
	kv := n.configKV
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	n.cfgMu.Lock()
	defer n.cfgMu.Unlock()
	fail := func(k string, err error) error {
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return fmt.Errorf("%w: %s", ErrConflict, k)
		}
		return fmt.Errorf("%w: writing %s: %w", ErrUnavailable, k, err)
	}
	for k, v := range records {
		b, had := n.base[k]
		if had && bytes.Equal(b.value, v) {
			continue
		}
		var rev uint64
		var err error
		if had {
			rev, err = kv.Update(ctx, k, v, b.rev)
		} else {
			rev, err = kv.Create(ctx, k, v)
		}
		if err != nil {
			return fail(k, err)
		}
		r := record{rev: rev, value: v}
		n.base[k], n.known[k] = r, r
	}
	for k, b := range n.base {
		if _, keep := records[k]; keep {
			continue
		}
		if err := kv.Delete(ctx, k, jetstream.LastRevision(b.rev)); err != nil {
			return fail(k, err)
		}
		delete(n.base, k)
		n.known[k] = record{rev: b.rev, deleted: true} // until the watcher sees the deletion
	}
	return nil
}
