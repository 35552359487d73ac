package fleet

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// entry is a watcher's entry of the edge_config bucket, for see.
type entry struct {
	key string
	rev uint64
	val string
	op  jetstream.KeyValueOp
}

func (e entry) Bucket() string                  { return configBucket }
func (e entry) Key() string                     { return e.key }
func (e entry) Value() []byte                   { return []byte(e.val) }
func (e entry) Revision() uint64                { return e.rev }
func (e entry) Created() time.Time              { return time.Time{} }
func (e entry) Delta() uint64                   { return 0 }
func (e entry) Operation() jetstream.KeyValueOp { return e.op }

// TestSeeIgnoresLateEvents: the watcher delivers this node's own writes after SyncState has
// recorded them; an event older than what known holds — a put from before this node's
// deletion, a deletion from before its re-creation — changes nothing (it brought a deleted
// key back, and SyncState's next delete then failed as a conflict: TestStateSync under -race).
func TestSeeIgnoresLateEvents(t *testing.T) {
	put, del := jetstream.KeyValuePut, jetstream.KeyValueDelete
	tests := []struct {
		name    string
		known   map[string]record
		e       entry
		changed bool
		want    *record // known[key] after, nil when absent
	}{
		{"a new key", nil, entry{"k", 3, "v", put}, true, &record{rev: 3, value: []byte("v")}},
		{"a newer value", map[string]record{"k": {rev: 3, value: []byte("v")}}, entry{"k", 5, "w", put}, true, &record{rev: 5, value: []byte("w")}},
		{"the same value again", map[string]record{"k": {rev: 3, value: []byte("v")}}, entry{"k", 5, "v", put}, false, &record{rev: 5, value: []byte("v")}},
		{"own write seen late", map[string]record{"k": {rev: 5, value: []byte("w")}}, entry{"k", 3, "v", put}, false, &record{rev: 5, value: []byte("w")}},
		{"a put from before own deletion", map[string]record{"k": {rev: 3, deleted: true}}, entry{"k", 3, "v", put}, false, &record{rev: 3, deleted: true}},
		{"own deletion seen", map[string]record{"k": {rev: 3, deleted: true}}, entry{"k", 4, "", del}, false, nil},
		{"another edge re-creates after own deletion", map[string]record{"k": {rev: 3, deleted: true}}, entry{"k", 6, "x", put}, true, &record{rev: 6, value: []byte("x")}},
		{"another edge deletes", map[string]record{"k": {rev: 3, value: []byte("v")}}, entry{"k", 4, "", del}, true, nil},
		{"a deletion from before own re-creation", map[string]record{"k": {rev: 7, value: []byte("v")}}, entry{"k", 4, "", del}, false, &record{rev: 7, value: []byte("v")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{known: map[string]record{}}
			for k, r := range tt.known {
				n.known[k] = r
			}
			if got := n.see(tt.e); got != tt.changed {
				t.Errorf("changed %v, want %v", got, tt.changed)
			}
			r, ok := n.known["k"]
			switch {
			case tt.want == nil && ok:
				t.Errorf("known[k] = %+v, want none", r)
			case tt.want != nil && (!ok || r.rev != tt.want.rev || r.deleted != tt.want.deleted || string(r.value) != string(tt.want.value)):
				t.Errorf("known[k] = %+v (present %v), want %+v", r, ok, *tt.want)
			}
		})
	}
}
