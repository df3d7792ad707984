package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// exitRuns is how many failing one-shot runs TestFailedRunsNeverExitZero makes. Before the launch package's
// hand-off, about one in fifteen of them exited 0 on a loaded machine.
const exitRuns = 200

// TestFailedRunsNeverExitZero runs failing syncs, refused grants and failing actions of the built binary many
// times, several at once, while every core is kept busy, and asserts that not one exits 0; successful syncs
// run among them and must all exit 0 with a complete sync file.
func TestFailedRunsNeverExitZero(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	quiet := []string{"--base-url", fake.URL, "--log-level", "error"}

	// Provisioning requests look their grant up in a sync file: make one first.
	synced := filepath.Join(dir, "synced.c1z")
	if r := baton(t, dir, env, append(quiet, "-f", synced)...); r.code != 0 {
		t.Fatalf("sync failed (%d):\n%s", r.code, r.out)
	}
	baseline, err := synctest.Read(t.Context(), synced)
	if err != nil {
		t.Fatal(err)
	}
	target := firstPlainUser(t, fake)

	type attempt struct {
		name string
		env  []string
		args func(run int) []string
		ok   bool
	}
	attempts := []attempt{
		{"sync with a wrong token", []string{"BATON_CELIGO_ACCESS_TOKEN=wrong-token"}, func(run int) []string {
			return append(quiet, "-f", filepath.Join(dir, fmt.Sprintf("wrong-%d.c1z", run)))
		}, false},
		{"grant of the owner role", env, func(int) []string {
			return append(quiet, "-f", synced, "--grant-entitlement", "role:owner:assigned",
				"--grant-principal-type", "user", "--grant-principal", target)
		}, false},
		{"action on an unknown user", env, func(int) []string {
			return append(quiet, "--invoke-action", "disable_user", "--invoke-action-resource-type", "user",
				"--invoke-action-args", `{"user_id":"000000000000000000000000"}`)
		}, false},
		{"sync", env, func(run int) []string {
			return append(quiet, "-f", filepath.Join(dir, fmt.Sprintf("ok-%d.c1z", run)))
		}, true},
	}

	stop := keepCoresBusy()
	defer stop()

	var wrong atomic.Int32
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	for run := range exitRuns {
		a := attempts[run%len(attempts)]
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			r := baton(t, dir, a.env, a.args(run)...)
			switch {
			case !a.ok && r.code == 0:
				wrong.Add(1)
				t.Errorf("run %d, %s: exit 0 after a failure:\n%s", run, a.name, r.out)
			case a.ok && r.code != 0:
				wrong.Add(1)
				t.Errorf("run %d, %s: exit %d:\n%s", run, a.name, r.code, r.out)
			case a.ok:
				checkComplete(t, filepath.Join(dir, fmt.Sprintf("ok-%d.c1z", run)), baseline)
			}
		})
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		t.Fatalf("%d of %d runs ended with the wrong exit status", n, exitRuns)
	}
}

// keepCoresBusy spins one goroutine per core until the returned stop is called.
func keepCoresBusy() (stop func()) {
	var stopped atomic.Bool
	for range runtime.NumCPU() {
		go func() {
			for !stopped.Load() {
				// Spinning is the point: it keeps a core busy.
			}
		}()
	}
	return func() { stopped.Store(true) }
}

// checkComplete asserts that a sync file holds as many resources and grants as the baseline sync.
func checkComplete(t *testing.T, path string, baseline *synctest.Dump) {
	t.Helper()
	d, err := synctest.Read(t.Context(), path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if len(d.Resources) != len(baseline.Resources) || len(d.Grants) != len(baseline.Grants) {
		t.Errorf("%s: %d resources and %d grants, want %d and %d", path,
			len(d.Resources), len(d.Grants), len(baseline.Resources), len(baseline.Grants))
	}
	_ = os.Remove(path)
}

// firstPlainUser returns the access-record id of an enabled user with no account-wide role and at least one
// integration entry (so taking a role away from it never leaves it with no access).
func firstPlainUser(t *testing.T, fake *celigotest.Server) string {
	t.Helper()
	for _, rec := range fake.Account().Shares {
		entries, _ := rec["integrationAccessLevel"].([]any)
		if _, has := rec["accessLevel"]; !has && rec["disabled"] == false && len(entries) > 0 {
			id, _ := rec["_id"].(string)
			return id
		}
	}
	t.Fatal("the generated account has no enabled user with integration entries and no role")
	return ""
}
