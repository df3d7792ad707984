//go:build race

package celigotest

// raceOn relaxes timing assertions: the race detector slows code several times.
const raceOn = true
