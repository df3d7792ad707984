package main_test

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setSubreaper makes this process the reaper of its orphaned descendants, or no longer.
func setSubreaper(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, uintptr(v), 0, 0, 0)
}

// reapOrphans collects the exit status of descendants that were orphaned to this process and have ended.
func reapOrphans() {
	for {
		var ws syscall.WaitStatus
		if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
			return
		}
	}
}
