//go:build race

package function

// raceSlowdown scales time bounds in tests: the race detector slows goja down about tenfold.
const raceSlowdown = 10
