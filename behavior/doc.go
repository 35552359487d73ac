// Package behavior owns the pure decisions of a CloudFront cache behavior: which behavior a
// path selects (path patterns, first match wins, default last), which methods are allowed and
// cached, how long a response may stay at the edge (Min/Default/Max TTL against Cache-Control
// and Expires, error caching), what makes up the cache key, and what of the viewer request
// reaches the origin.
//
// The package works on raw bytes and a one-method HeaderGetter; it knows nothing of the HTTP
// server or of storage. Matching and key building allocate nothing.
package behavior
