package launch

import "golang.org/x/sys/unix"

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
