//go:build unix && !linux

package launch

// waitForExit returns once process pid has ended.
func waitForExit(pid int) { pollForExit(pid) }
