package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// These tests run the real binary, as an operator would, with debug logs on: they prove the command line,
// the exit codes and the messages, and that the token never reaches the logs or the sync file.

const secret = "cli-secret-token-7f3a9c"

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "baton-celigo-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "baton-celigo")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic("building baton-celigo: " + err.Error())
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	out  string
	code int
}

// baton runs the binary in dir with a clean environment (no BATON_ variables from the caller).
func baton(t *testing.T, dir string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secret) {
		t.Fatalf("the token appears in the output of %v", args)
	}
	return run{out: out.String(), code: code}
}

func newFake(t *testing.T) *celigotest.Server {
	fake := celigotest.NewServer(secret, celigotest.Generate(11, 14, 3))
	fake.SetPageSize(4)
	t.Cleanup(fake.Close)
	return fake
}

func common(fake *celigotest.Server) []string {
	return []string{"--base-url", fake.URL, "--log-level", "debug", "--log-format", "console"}
}

func TestSyncAndProvisionWithoutLeakingTheToken(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	c1z := filepath.Join(dir, "sync.c1z")

	r := baton(t, dir, env, append(common(fake), "-f", c1z)...)
	if r.code != 0 {
		t.Fatalf("sync failed (%d):\n%s", r.code, r.out)
	}
	raw, err := os.ReadFile(c1z)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatal("token in the c1z bytes")
	}
	d, err := synctest.Read(context.Background(), c1z)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Resources {
		if strings.Contains(r.String(), secret) {
			t.Fatal("token in a resource")
		}
	}
	for _, g := range d.Grants {
		if strings.Contains(g.String(), secret) {
			t.Fatal("token in a grant")
		}
	}

	acct := fake.Account()
	target := firstPlainUser(t, fake)
	apiToken, _ := acct.APITokens[0]["_id"].(string) // a token in force, revoked then deleted below
	integ := acct.Integrations[0].ID
	declined := ""
	for _, rec := range acct.Shares {
		if rec["dismissed"] == true {
			declined, _ = rec["_id"].(string)
			break
		}
	}
	if declined == "" {
		t.Fatal("the generated account has no declined invitation")
	}
	steps := []struct {
		name  string
		args  []string
		check func(t *testing.T)
	}{
		{"grant role", []string{"--grant-entitlement", "role:monitor:assigned", "--grant-principal-type", "user", "--grant-principal", target}, func(t *testing.T) {
			if rec, _ := fake.Share(target); rec["accessLevel"] != "monitor" {
				t.Errorf("record %v", rec)
			}
		}},
		{"revoke role", []string{"--revoke-grant", "role:monitor:assigned:user:" + target}, func(t *testing.T) {
			if rec, _ := fake.Share(target); rec["accessLevel"] != nil {
				t.Errorf("record %v", rec)
			}
		}},
		{"grant integration", []string{"--grant-entitlement", "integration:" + integ + ":manage", "--grant-principal-type", "user", "--grant-principal", target}, func(t *testing.T) {
			rec, _ := fake.Share(target)
			if !strings.Contains(strings.ReplaceAll(toString(rec["integrationAccessLevel"]), " ", ""), integ) {
				t.Errorf("record %v", rec)
			}
		}},
		{"disable", []string{"--invoke-action", "disable_user", "--invoke-action-resource-type", "user", "--invoke-action-args", `{"user_id":"` + target + `"}`}, func(t *testing.T) {
			if rec, _ := fake.Share(target); rec["disabled"] != true {
				t.Errorf("record %v", rec)
			}
		}},
		{"enable", []string{"--invoke-action", "enable_user", "--invoke-action-resource-type", "user", "--invoke-action-args", `{"user_id":"` + target + `"}`}, func(t *testing.T) {
			if rec, _ := fake.Share(target); rec["disabled"] != false {
				t.Errorf("record %v", rec)
			}
		}},
		{"re-invite", []string{"--invoke-action", "reinvite_user", "--invoke-action-resource-type", "user", "--invoke-action-args", `{"user_id":"` + declined + `"}`}, func(t *testing.T) {
			if rec, _ := fake.Share(declined); rec["dismissed"] != false || rec["accepted"] != false {
				t.Errorf("not pending again: %v", rec)
			}
		}},
		{"invite", []string{"--create-account-login", "cli.new@example.com", "--create-account-email", "cli.new@example.com"}, func(t *testing.T) {
			for _, rec := range fake.Shares() {
				if strings.Contains(toString(rec["sharedWithUser"]), "cli.new@example.com") {
					return
				}
			}
			t.Error("no invitation")
		}},
		{"invite with a role", []string{"--create-account-profile", `{"email":"ops@example.com","access_level":"monitor"}`}, func(t *testing.T) {
			for _, rec := range fake.Shares() {
				if strings.Contains(toString(rec["sharedWithUser"]), "ops@example.com") && rec["accessLevel"] == "monitor" && rec["accepted"] == false {
					return
				}
			}
			t.Error("no pending invitation with the monitor role")
		}},
		{"revoke API token", []string{"--sync-secrets", "--invoke-action", "revoke_api_token", "--invoke-action-resource-type", "api_token", "--invoke-action-args", `{"token_id":"` + apiToken + `"}`}, func(t *testing.T) {
			if rec, _ := fake.APIToken(apiToken); rec["revoked"] != true {
				t.Errorf("token %v", rec)
			}
		}},
		{"delete API token", []string{"--sync-secrets", "--delete-resource", apiToken, "--delete-resource-type", "api_token"}, func(t *testing.T) {
			if _, ok := fake.APIToken(apiToken); ok {
				t.Error("still there")
			}
		}},
		{"delete", []string{"--delete-resource", target, "--delete-resource-type", "user"}, func(t *testing.T) {
			if _, ok := fake.Share(target); ok {
				t.Error("still there")
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			// Provisioning looks grants and principals up in the sync file: keep it current, as C1 does.
			if r := baton(t, dir, env, append(common(fake), "-f", c1z)...); r.code != 0 {
				t.Fatalf("re-sync failed:\n%s", r.out)
			}
			r := baton(t, dir, env, append(append(common(fake), "-f", c1z, "-p"), s.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.out)
			}
			s.check(t)
		})
	}
	if n := fake.RevealingCalls(); n != 0 {
		t.Errorf("%d calls to the endpoints that reveal an API token", n)
	}
}

func toString(v any) string { return fmt.Sprint(v) }

func TestBadConfigurationFailsClearly(t *testing.T) {
	fake := newFake(t)
	cases := []struct {
		name   string
		env    []string
		args   []string
		want   []string
		remote bool // whether Celigo may be contacted
	}{
		{"unknown region", []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}, []string{"--region", "mars"}, []string{"us", "eu", "region"}, false},
		{"no token", nil, []string{"--base-url", fake.URL}, []string{"celigo-access-token"}, false},
		{"plain http to a remote host", []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}, []string{"--base-url", "http://celigo.example.com"}, []string{"loopback"}, false},
		{"wrong token", []string{"BATON_CELIGO_ACCESS_TOKEN=not-the-token"}, []string{"--base-url", fake.URL}, []string{"rejected the access token", "region"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.ResetRequests()
			dir := t.TempDir()
			r := baton(t, dir, tc.env, append(tc.args, "-f", filepath.Join(dir, "sync.c1z"))...)
			if r.code == 0 {
				t.Fatalf("exit 0:\n%s", r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}
			if !tc.remote && len(fake.Requests()) != 0 {
				t.Errorf("a configuration error reached Celigo: %v", fake.Requests())
			}
		})
	}
}

func TestOfflineCommands(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"capabilities"}, {"config"}} {
		r := baton(t, dir, nil, args...)
		if r.code != 0 || !strings.HasPrefix(strings.TrimSpace(r.out), "{") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.out)
		}
	}
	r := baton(t, dir, nil, "--help")
	for _, w := range []string{"--celigo-access-token", "$BATON_CELIGO_ACCESS_TOKEN", "--region", "$BATON_REGION"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("--help lacks %s", w)
		}
	}
}

// TestPersistentOutageEndsTheRun: Celigo answering 503 to everything ends a one-shot sync with a non-zero
// exit and a message naming the endpoint, once the retry budget is spent (3 s here; 2 minutes by default).
func TestPersistentOutageEndsTheRun(t *testing.T) {
	fake := newFake(t)
	fake.SetFault(func(*http.Request, int) *celigotest.Fault {
		return &celigotest.Fault{Status: http.StatusServiceUnavailable}
	})
	dir := t.TempDir()
	r := baton(t, dir, []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret},
		append(common(fake), "-f", filepath.Join(dir, "sync.c1z"), "--retry-budget-seconds", "3")...)
	if r.code == 0 {
		t.Fatalf("exit 0 during an outage:\n%s", r.out)
	}
	for _, w := range []string{"/v1/", "giving up", "503"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	if n := len(fake.Requests()); n < 2 {
		t.Errorf("transient failures must be retried first: %d requests", n)
	}
}
