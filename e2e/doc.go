// Package e2e holds the tests that span packages: an edge (package edge) and the CloudFront
// API (package control) sharing one cache, driven by real clients over 127.0.0.1. The tests
// use only the exported APIs, as cmd/edge wires them; the package itself has no code.
package e2e
