//go:build race

package disk

// raceEnabled shortens the heaviest tests under the race detector.
const raceEnabled = true
