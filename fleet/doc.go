// Package fleet joins edges into a fleet through a NATS server with JetStream
// (https://docs.nats.io/nats-concepts/jetstream): an invalidation accepted by any edge's API
// reaches every edge, and what the API creates or changes (distributions, policies, functions,
// key groups, origin access controls) is shared, so that an edge that was down catches up when
// it rejoins.
//
// # What lives in NATS
//
//   - Stream EDGE_INVALIDATIONS (subjects edge.inv.<distribution>, file storage, 24 hours): one
//     message per accepted invalidation, deduplicated by its id. Each node reads it through its
//     own durable consumer (edge_<node>, explicit acks), so a node that was down gets what it
//     missed when it comes back; a node new to the fleet reads the last 24 hours (harmless on a
//     cold cache, and right on a disk tier that kept objects).
//   - Key-value bucket edge_acks (1 hour): key <distribution>.<invalidation>.<node>, put by a
//     node once it has applied the invalidation, before it acknowledges the message.
//   - Key-value bucket edge_nodes (1 minute): key <node>, put every heartbeat (1 s). A node is
//     live while its last heartbeat is younger than three heartbeats.
//   - Key-value bucket edge_config: the API's state, one key per thing the API made (the control
//     package names the keys and encodes the values). Writes are compare-and-set on the revision
//     the writer last adopted: a change made meanwhile on another edge makes the write fail
//     ([ErrConflict]) instead of being lost.
//
// # When NATS is away
//
// Every node keeps serving from its own cache and its own configuration. The calls that need
// the fleet (publishing an invalidation, writing the state) fail at once with
// [ErrUnavailable]; reads go on. The connection is retried forever; when it is back, the
// streams, buckets and consumers are made again if they are gone, the watchers restart from the
// buckets' current contents, and the durable consumer delivers what was published meanwhile.
// While the connection is down, a node's view of who is live is frozen as it was when the
// connection went away.
package fleet
