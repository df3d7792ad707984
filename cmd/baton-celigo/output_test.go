package main_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestHelpListsTheProvisioningFlags: baton-sdk hides its provisioning flags; --help shows them.
func TestHelpListsTheProvisioningFlags(t *testing.T) {
	r := baton(t, t.TempDir(), nil, "--help")
	for _, f := range []string{"--grant-entitlement", "--grant-principal", "--grant-principal-type", "--revoke-grant",
		"--create-account-email", "--create-account-profile", "--delete-resource", "--delete-resource-type",
		"--invoke-action", "--invoke-action-args", "--invoke-action-resource-type"} {
		if !strings.Contains(r.out, f+" ") {
			t.Errorf("--help lacks %s", f)
		}
	}
}

// TestTheOwnerMissingIsAWarning: a token of an administrator leaves the owner out of the sync, which the
// operator must fix; the line shows at the --log-level warn the README recommends.
func TestTheOwnerMissingIsAWarning(t *testing.T) {
	acct := celigotest.Generate(11, 4, 1)
	for _, rec := range acct.Shares {
		if rec["accessLevel"] == "administrator" {
			person, _ := rec["sharedWithUser"].(map[string]any)
			acct.TokenUserID, _ = person["_id"].(string)
			break
		}
	}
	if acct.TokenUserID == "" {
		t.Fatal("the generated account has no administrator")
	}
	fake := celigotest.NewServer(secret, acct)
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	r := baton(t, dir, []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret},
		"--base-url", fake.URL, "--log-level", "warn", "-f", filepath.Join(dir, "sync.c1z"))
	if r.code != 0 || !strings.Contains(r.out, "the owner will be missing from this sync") {
		t.Fatalf("exit %d; want the owner warning at level warn:\n%s", r.code, r.out)
	}
}

// TestOutputIsInTheChosenFormat: at the default level every line a sync and a provisioning request print is
// in the chosen format, the SDK's own workings (gRPC's connection states, storage internals) are left out, a
// sync prints at most 15 lines and a provisioning request at most 2, and a failure is stated once in the log
// and once as the last line. At debug level nothing is left out.
func TestOutputIsInTheChosenFormat(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	c1z := filepath.Join(dir, "sync.c1z")
	sync := baton(t, dir, env, "--base-url", fake.URL, "-f", c1z)
	if sync.code != 0 {
		t.Fatalf("sync failed (%d):\n%s", sync.code, sync.out)
	}
	grantArgs := []string{"--base-url", fake.URL, "-f", c1z, "--grant-entitlement", "role:monitor:assigned",
		"--grant-principal-type", "user", "--grant-principal", firstPlainUser(t, fake)}
	grant := baton(t, dir, env, grantArgs...)
	if grant.code != 0 {
		t.Fatalf("grant failed (%d):\n%s", grant.code, grant.out)
	}
	refused := baton(t, dir, []string{"BATON_CELIGO_ACCESS_TOKEN=not-the-token"}, grantArgs...)
	if refused.code == 0 {
		t.Fatalf("a grant with a wrong token exited 0:\n%s", refused.out)
	}
	unreachable := baton(t, dir, env, "--base-url", "http://127.0.0.1:1", "-f", filepath.Join(dir, "other.c1z"))
	if unreachable.code == 0 {
		t.Fatalf("a sync of an unreachable host exited 0:\n%s", unreachable.out)
	}
	console := baton(t, dir, env, "--base-url", fake.URL, "-f", c1z, "--log-format", "console")
	debug := baton(t, dir, env, "--base-url", fake.URL, "-f", c1z, "--log-level", "debug")
	if console.code != 0 || debug.code != 0 {
		t.Fatalf("console sync %d, debug sync %d:\n%s\n%s", console.code, debug.code, console.out, debug.out)
	}

	for _, c := range []struct {
		name, out string
		max       int
	}{{"sync", sync.out, 15}, {"console sync", console.out, 15}, {"grant", grant.out, 2}, {"refused grant", refused.out, 2},
		{"unreachable", unreachable.out, 4}} {
		lines := strings.Split(strings.TrimSpace(c.out), "\n")
		if len(lines) > c.max {
			t.Errorf("%s printed %d lines, want at most %d:\n%s", c.name, len(lines), c.max, c.out)
		}
		for _, sdkInternal := range []string{"grpc_log", "Channel", "pebble", "syncing in parallel", "session store",
			"error running connector", "ratelimit:", "runner: error processing", "finished unary call", "HTTP request failed"} {
			if strings.Contains(c.out, sdkInternal) {
				t.Errorf("%s shows the SDK's %q at the default level:\n%s", c.name, sdkInternal, c.out)
			}
		}
	}
	for name, out := range map[string]string{"sync": sync.out, "grant": grant.out} {
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("%s: a line that is not JSON: %s", name, line)
			}
		}
	}
	if !strings.Contains(sync.out, "Sync complete.") || strings.Count(sync.out, "Synced resources") < 5 {
		t.Errorf("the sync's summary lines are missing:\n%s", sync.out)
	}
	if n := strings.Count(grant.out, "baton-celigo: grant done"); n != 1 {
		t.Errorf("the grant's outcome line appears %d times:\n%s", n, grant.out)
	}
	if n := strings.Count(refused.out, "rejected the access token"); n > 2 || !strings.HasPrefix(lastLine(refused.out), "baton-celigo: Celigo rejected the access token") {
		t.Errorf("the refusal is stated %d times, or is not the last line:\n%s", n, refused.out)
	}
	if !strings.Contains(debug.out, "grpc_log") || !strings.Contains(debug.out, "syncing in parallel") {
		t.Errorf("at debug level the SDK's own lines are left out:\n%s", debug.out)
	}
}
