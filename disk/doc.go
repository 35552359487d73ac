// Package disk is the edge's disk tier: a cache of objects larger than memory that survives
// restarts and serves bodies from files (so that they can go to the socket with sendfile).
//
// # Layout: one file per object
//
// As nginx's proxy_cache does (https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_cache_path),
// every object is one file whose name is a hash of its cache key, under two levels of
// directories (nginx's levels=1:2: at most 16 × 256 directories):
//
//	Dir/lock                      flock(2)ed by the open Store: one Store per directory
//	Dir/invalidations             the invalidation journal
//	Dir/tmp/                      objects being written (emptied by Open)
//	Dir/a/bc/abc0123456789def     an object: 16 hex digits of SHA-256(key)
//
// An object file is a 64-byte header (magic, version, a random generation, the key hash,
// the lengths and CRC-32C checksums of the metadata and the body, and a checksum of the
// header itself), the metadata (key, distribution, path, Stored, Deadline and the caller's
// opaque Head bytes), then the body. Why this shape:
//
//   - A hit is one open(2) and one pread(2) of the first 4 KiB (header and metadata), then the
//     body is sent from the same file descriptor at an offset: no second file, no database
//     lookup, and nothing copied through Go memory ([Object.File] is positioned at the body
//     for fasthttp's SetBodyStream, which uses sendfile for an *os.File).
//   - Each file describes itself, so the index is rebuilt at start by reading headers only,
//     and an object is removed by one unlink. An embedded store (bbolt, pebble) would either
//     hold the bodies, which then could not be sent with sendfile and would need compaction,
//     or hold only metadata that must then be kept consistent with the files across crashes:
//     the files alone are simpler and as fast.
//   - The key hash is cryptographic (as nginx uses MD5) so viewers cannot craft colliding
//     keys; the full key is compared on every Get, so even a chance collision never serves
//     another object.
//
// # Index and eviction
//
// The Store keeps an in-memory index (key hash → generation, size, deadline, verified), about
// 230 bytes an object with ristretto's bookkeeping (10 million objects: ~2.3 GB; a 20 GiB tier
// of 64 KiB objects: ~75 MB). Eviction is ristretto v2, as in the memory tier: TinyLFU
// admission (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission
// Policy", ACM Transactions on Storage, 2017, https://arxiv.org/abs/1512.00727) with sampled
// LFU eviction (https://github.com/dgraph-io/ristretto), each object costing its file length
// rounded up to 4 KiB (the space it takes on disk, as nginx's max_size counts blocks) against
// a budget of Config.MaxBytes. On a Zipf (s = 1.0) trace with a budget of 10% of the catalog
// it hits 9–12% more often than an LRU of the same bytes (0.73 against 0.65 with 5,000
// objects, 0.76 against 0.70 with 20,000; TestZipfHitRatio), and writes a fraction of what an
// LRU writes (which is every miss): for a new key of known size the policy is asked before
// anything is written, so an object it refuses costs no disk I/O. Evicted and rejected files
// are unlinked by a background goroutine. The admission sketch needs enough counters
// (Config.NumCounters) to remember a long enough history: at least ten per object held.
//
// # Integrity
//
// Put writes the object under a temporary name in Dir/tmp, header last, and renames it into
// place only when it is complete: a reader never sees a partial file, and a reader of the
// object being replaced keeps reading the old file (its inode) whole. A crash leaves at most
// temporary files, which Open deletes.
//
// Get checks, on every open, the header checksum, the metadata checksum, the key, and that
// the file's length is exactly what the header says (one fstat and one pread). It checks the
// body's checksum too (reading it whole) the first time it opens an object after Open, or a
// file this Store did not write; the index then remembers the object as verified. A file
// found truncated, extended or damaged is removed and counted (Stats.Corrupt), and Get
// returns a miss. This catches torn and partial writes, files cut or extended, and bit rot or
// tampering that happened while the Store was not running. It does not catch a body altered
// in place, keeping its length, after it was verified in this process (it is caught at the
// next restart), and CRC-32C is no defence against someone who can write Dir (they can forge
// a checksum).
//
// Nothing is fsynced for objects. A cache may lose objects in a crash; it must never serve a
// partial one. After kill -9 nothing is lost (the page cache survives the process). After a
// power failure, a file may be renamed without all of its data on disk (zero-filled or
// short): every object is then opened for the first time since Open, so its body is verified,
// and such a file is dropped and refetched. An fsync per object would cost a device flush per
// Put for nothing a cache needs. The invalidation journal is the exception (below).
//
// # Restarts
//
// Open returns at once; a background scan ([Store.Loaded]) rebuilds the index by reading each
// file's header and metadata, removing the files that are corrupt, past their deadline, or
// covered by an invalidation. Until the scan reaches an object, Get opens its hashed path
// directly, so objects on disk are hits from the first request (100,000 objects: first hit a
// few milliseconds after Open, scan done in 2–3 s; TestStartup100k).
//
// # Invalidations
//
// Invalidate records (distribution, path or "prefix*", time) like cache.Store.Invalidate,
// and Get treats an object of that distribution stored at or before that time as absent,
// removing its file. Records are applied lazily, not to the files at once: the index does
// not hold each object's distribution and path (they would double its size), so applying a
// wildcard at once would mean reading every file's metadata, the walk Invalidate must not
// make. The start-up scan reads that metadata anyway and removes what the records cover; an
// invalidated object never requested again is reclaimed by eviction. So that records outlive
// a restart, each is appended to Dir/invalidations (framed with its length and a CRC-32C)
// and fsynced before Invalidate returns: losing an invalidation would serve what the owner
// asked to remove. The records held are bounded as in package cache (per distribution, 16,384
// exact paths and 256 wildcards, older ones folding into "everything stored before T";
// records older than Config.MaxLifetime dropped), and the journal is rewritten from them when
// it grows past 1 MiB and four times its last rewrite.
//
// Open reads the journal without waiting on it (a FIFO there is not read) and rewrites it
// when it finds it damaged. At a record that is not intact (its length past the end or over
// 64 MiB, its checksum wrong, or its payload undecodable) it looks for the next intact record:
//
//   - none follows: it is taken for a record torn by a crash mid-append (or, after a power
//     failure, a tail of zeros or stale blocks), an invalidation that never returned, and
//     dropped (a last record damaged later cannot be told from one);
//   - the next one starts where the damaged record's length says: only its payload is
//     damaged; that one invalidation is lost, and which distribution and paths it named
//     cannot be known;
//   - the next one starts elsewhere, or the journal is not a regular file or is over 1 GiB
//     (about twice what one distribution at the bounds above, with 4,000-byte paths, makes
//     it reach): how many records were lost cannot be known either.
//
// In the last two cases any lost invalidation may cover any object stored until now, and
// serving one would serve what its owner asked to remove. Open then invalidates every object of
// every distribution stored at or before the moment it found the damage (a record journaled
// like the others, dropped after MaxLifetime); the scan removes their files (counted in
// Invalidated), and the intact records after the damage still apply. The tier starts empty but
// working; the damage is logged and counted in Errors. Comparing store times with the journal
// cannot be more precise: an invalidation's time is the caller's, a lost record may carry any
// time up to when it was written, and its distribution is lost with it.
//
// # Failures and concurrency
//
// A full disk, a permission error, a file or directory removed by hand: the operation
// returns a wrapped error ("disk: put: …"), counted in Stats.Errors and logged (at most one
// line a second), or a miss; nothing panics, and the Store goes on with what it can. It never
// recreates Dir itself (a missing Dir may be an unmounted disk), only the directories below.
// Something other than a regular file at an object's path (a directory, a FIFO, a device) is
// not the Store's: Get opens it with O_NONBLOCK, so that open(2) never waits for a FIFO's
// writer, and returns a miss without reading it; like the scan, it leaves it in place,
// uncounted (an indexed object whose file was replaced by one is forgotten, counted in
// Vanished). A Put of that key replaces a FIFO or device node, but fails on a directory
// (os.Rename refuses to replace one), counted in Errors.
//
// A Store is safe for concurrent use. Collapsing N concurrent misses of one key into one
// origin fetch and one Put is the caller's job (cache.Group): concurrent Puts of one key are
// all written, and the last one to finish wins.
package disk
