//go:build unix && !linux

package launch

import "time"

// waitForExit returns once process pid has ended.
func waitForExit(pid int) { pollForExit(pid) }

// waitUntilReaped returns once process pid has ended and its parent has reaped it, or after limit.
func waitUntilReaped(pid int, limit time.Duration) { pollUntilReaped(pid, limit) }
