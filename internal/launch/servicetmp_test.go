//go:build unix

package launch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/tempdir"
	"golang.org/x/sys/unix"
)

// TestServiceTempDirs: a service's temporary directory is removed by the next start once its service has
// ended, never while it runs; other files in TMPDIR are left alone.
func TestServiceTempDirs(t *testing.T) {
	base := t.TempDir()
	t.Setenv("TMPDIR", base)
	t.Setenv(tempdir.EnvVar, "")
	other := filepath.Join(base, "someone-else")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}

	// A service that is still running holds its lock (flock locks belong to an open file, so one taken
	// here stands for another process's).
	running := filepath.Join(base, servicePrefix+"running")
	if err := os.MkdirAll(running, 0o700); err != nil {
		t.Fatal(err)
	}
	held, err := os.OpenFile(filepath.Join(running, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := unix.Flock(int(held.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	// A service that ended and left a sync file being built.
	ended := filepath.Join(base, servicePrefix+"ended")
	if err := os.MkdirAll(filepath.Join(ended, "baton-sdk-sync-upload1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ended, lockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := useServiceTempDir(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serviceLock.Close() })
	mine := os.Getenv("TMPDIR")
	if os.Getenv(tempdir.EnvVar) != mine || filepath.Dir(mine) != base || !strings.HasPrefix(filepath.Base(mine), servicePrefix) {
		t.Fatalf("TMPDIR %q, BATON_TMPDIR %q: want one directory of the service's own in %s", mine, os.Getenv(tempdir.EnvVar), base)
	}
	for dir, want := range map[string]bool{ended: false, running: true, other: true, mine: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(dir), err == nil, want)
		}
	}
	if entries, _ := os.ReadDir(base); len(entries) != 3 {
		t.Errorf("TMPDIR holds %d entries, want 3 (another's, a running service's, this one's)", len(entries))
	}
}
