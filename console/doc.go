// Package console is edge's read-only web console, served at the root of the API listener
// (http://127.0.0.1:8081/ by default), as Varnish has varnishstat and nginx its status page.
//
// # Pages
//
// Server-rendered HTML (html/template), readable with JavaScript off:
//
//   - /                    distributions: ids, domain names, aliases, status, traffic now, and a
//     "which distribution and behavior answer this host and path?" form
//   - /distributions/{id}  a distribution's origins and behaviors in match order (policies,
//     functions, origins), and a "which behavior answers this path?" form (GET ?path=), answered
//     by the edge's own matcher (edge.Server.MatchBehavior)
//   - /traffic             requests per second by result (Hit, RefreshHit, Miss, Error, Redirect,
//     FunctionGeneratedResponse), hit ratio, bytes per second, p50 and p99 per distribution, as
//     graphs of the last 5 minutes
//   - /cache               bytes held against the budget (memory, and disk when there is a disk
//     tier), evictions, the largest and the hottest objects
//   - /invalidations       each distribution's invalidations with their status and paths
//   - /fleet               the fleet's nodes, when the edge is in one
//
// A small script (static/console.js, no build step, no library) polls one JSON endpoint,
// /live.json, every second and updates the numbers and draws the graphs as SVG.
//
// # Traffic figures
//
// A background goroutine gathers the edge's Prometheus registry once a second
// (edge_requests_total, edge_response_body_bytes_total and the edge_request_duration_seconds
// histogram, edge/metrics.go) and keeps, per distribution, a ring of the last 300 seconds: the
// deltas of the counters over each interval, and p50 and p99 interpolated in the histogram's
// bucket deltas as Prometheus's histogram_quantile does. The request path is not touched: the
// console reads what the edge already counts.
//
// # Security
//
// The console changes nothing and shows no secret: no API keys, no Authorization values, no
// origin custom header values (names only), no S3 credentials, no shield secret, no function
// code, and URLs shown without user information or the query parameters that sign them
// (Signature, Policy, Key-Pair-Id, Expires, X-Amz-Signature, X-Amz-Credential,
// X-Amz-Security-Token). Who may look:
//
//   - on a loopback connection (the API listener's default, 127.0.0.1:8081), anyone, as long
//     as the Host header names a loopback host (localhost, 127.0.0.1, [::1]): another Host is
//     a page of some other site rebound to 127.0.0.1 (DNS rebinding), and is refused unless it
//     carries the credentials below;
//   - on any other connection, with api.auth = "sigv4", HTTP basic authentication with an
//     [[api.key]]: its access key id as the user name and its secret access key as the
//     password (compared in constant time); with api.auth = "none", nobody: the console is off.
//
// Every answer carries a Content-Security-Policy without 'unsafe-inline' (scripts and styles
// are files of this package), X-Content-Type-Options: nosniff and frame-ancestors 'none'.
package console
