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

// TestOutputIsInTheChosenFormat: at the default level (JSON), every line a sync and a provisioning request
// print is a JSON object, and the request's outcome line is there once.
func TestOutputIsInTheChosenFormat(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	c1z := filepath.Join(dir, "sync.c1z")
	sync := baton(t, dir, env, "--base-url", fake.URL, "-f", c1z)
	if sync.code != 0 {
		t.Fatalf("sync failed (%d):\n%s", sync.code, sync.out)
	}
	grant := baton(t, dir, env, "--base-url", fake.URL, "-f", c1z, "--grant-entitlement", "role:monitor:assigned",
		"--grant-principal-type", "user", "--grant-principal", firstPlainUser(t, fake))
	if grant.code != 0 {
		t.Fatalf("grant failed (%d):\n%s", grant.code, grant.out)
	}
	for name, out := range map[string]string{"sync": sync.out, "grant": grant.out} {
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("%s: a line that is not JSON: %s", name, line)
			}
		}
	}
	if n := strings.Count(grant.out, "baton-celigo: grant done"); n != 1 {
		t.Errorf("the grant's outcome line appears %d times:\n%s", n, grant.out)
	}
}
