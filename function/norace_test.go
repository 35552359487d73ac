//go:build !race

package function

// raceSlowdown scales time bounds in tests: 1 without the race detector.
const raceSlowdown = 1
