package config

import _ "embed"

// defaultTOML is default.toml, the configuration `edge serve` uses without -config. It is
// a string, so the embedded text cannot be modified.
//
//go:embed default.toml
var defaultTOML string

// DefaultTOML returns the text of the embedded default configuration, for `edge` to print
// as a starting point.
func DefaultTOML() []byte { return []byte(defaultTOML) }
