package launch

import (
	"time"

	"golang.org/x/sys/unix"
)

// waitForExit returns once process pid has ended, woken by the kernel through a process handle (pidfd).
func waitForExit(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		// ESRCH: already gone. Anything else (an old kernel, a sandbox): watch it the slow way.
		if err != unix.ESRCH {
			pollForExit(pid)
		}
		return
	}
	defer unix.Close(fd)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}} //nolint:gosec // a file descriptor fits in int32
		if _, err := unix.Poll(fds, -1); err == nil || err != unix.EINTR {
			return
		}
	}
}

// waitUntilReaped returns once process pid has ended and its parent has reaped it (or after limit, so a
// parent that never reaps cannot stop the service). A process that has ended but is not reaped yet still
// takes signals through its handle; a reaped one answers ESRCH.
func waitUntilReaped(pid int, limit time.Duration) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err != unix.ESRCH {
			pollUntilReaped(pid, limit)
		}
		return
	}
	defer unix.Close(fd)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(reapPoll) {
		if err := unix.PidfdSendSignal(fd, 0, nil, 0); err == unix.ESRCH {
			return
		}
	}
}
