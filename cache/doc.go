// Package cache stores immutable cached responses in a byte-budgeted ristretto cache, collapses
// concurrent misses for one key into one call, and keeps the lazy invalidation registry.
//
// # Store
//
// A [Store] maps a cache key ([]byte, built by the caller) to an immutable [*Entry]. The entry is
// kept for its freshness lifetime plus a stale window ([Config.StaleFor]) so that stale copies can
// be revalidated with the origin (CloudFront DG, "Managing how long content stays in the cache").
// [Store.Get] allocates nothing. [Store.Set] returns only once the entry is visible to every
// later [Store.Get], although ristretto buffers its writes.
//
// # Invalidation
//
// [Store.Invalidate] records (distribution, path or prefix*, time). It never walks the cache:
// [Store.Get] treats an entry stored at or before a matching record as absent. Paths are
// case-sensitive, and a trailing "*" matches any characters, "/" included (CloudFront DG,
// "Invalidating files"). Every variant of a path (whatever else its key holds) is covered.
//
// # Collapsing
//
// [Group] runs one call per key at a time and hands its result to every caller that arrived
// while it ran, as CloudFront does for simultaneous misses on one cache key.
//
// The package knows nothing about HTTP or origins.
package cache
