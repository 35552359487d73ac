//go:build race

package bench

// raceEnabled: the race detector's instrumentation allocates inside fasthttp.
const raceEnabled = true
