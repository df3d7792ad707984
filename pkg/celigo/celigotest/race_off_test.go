//go:build !race

package celigotest

const raceOn = false
