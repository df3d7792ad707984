//go:build unix

package launch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/conductorone/baton-sdk/pkg/tempdir"
	"golang.org/x/sys/unix"
)

// servicePrefix names a service's temporary directory; lockName is the file in it that the running service
// holds locked, so that a directory whose lock is free belongs to a service that has ended.
const (
	servicePrefix = "baton-celigo-service-"
	lockName      = "lock"
)

// useServiceTempDir gives a service a temporary directory of its own (the SDK's BATON_TMPDIR and TMPDIR
// point into it, for the sync files it builds), after removing those of services that have ended. A service
// cannot remove its own when it is stopped: the SDK exits from its own goroutine as soon as its connector
// child is gone (internal/connector/connector.go:342-354), and a service killed or out of memory runs no
// code at all. So each start removes what earlier ones left, and a restarted service never fills the disk.
func useServiceTempDir() error {
	base := tempdir.Resolve("")
	removeEndedServiceDirs(base)
	// Made under another name and renamed once locked, so that a directory named as a service's is always
	// locked while its service runs.
	starting, err := os.MkdirTemp(base, ".baton-celigo-starting-")
	if err != nil {
		return fmt.Errorf("baton-celigo: creating the service's temporary directory in %s (set TMPDIR to a writable directory): %w", base, err)
	}
	lock, err := os.OpenFile(filepath.Join(starting, lockName), os.O_CREATE|os.O_RDWR, 0o600) // #nosec G304 -- in the directory just made.
	if err == nil {
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	dir := filepath.Join(base, servicePrefix+strings.TrimPrefix(filepath.Base(starting), ".baton-celigo-starting-"))
	if err == nil {
		err = os.Rename(starting, dir)
	}
	if err != nil {
		_ = os.RemoveAll(starting)
		return fmt.Errorf("baton-celigo: preparing the service's temporary directory in %s: %w", base, err)
	}
	serviceLock = lock // held, open, for as long as the process lives
	for _, k := range []string{tempdir.EnvVar, "TMPDIR"} {
		if err := os.Setenv(k, dir); err != nil {
			return fmt.Errorf("baton-celigo: preparing the service: %w", err)
		}
	}
	return nil
}

// serviceLock keeps the service's lock file open: closing it would release the lock.
var serviceLock *os.File

// removeEndedServiceDirs removes the temporary directories in base of services that no longer run (their
// lock is free). Another service's directory, still locked, is left alone.
func removeEndedServiceDirs(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), servicePrefix) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0) // #nosec G304 -- a service directory in TMPDIR.
		if err != nil {
			continue
		}
		if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if err := os.RemoveAll(dir); err != nil {
				fmt.Fprintf(os.Stderr, "baton-celigo: removing %s, left by a service that ended: %v\n", dir, err)
			}
		}
		_ = lock.Close()
	}
}
