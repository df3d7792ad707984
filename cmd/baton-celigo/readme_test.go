package main_test

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// exitTableMarker precedes the README's exit-status table; TestREADMEExitStatusTable runs each of its rows.
const exitTableMarker = "<!-- exit-status table: cmd/baton-celigo/readme_test.go runs every row -->"

// exitRow is one row of the README's exit-status table.
type exitRow struct {
	situation string
	code      int
	lastLine  string // with … standing for any text
}

// readmeExitTable reads the table that follows exitTableMarker in the README.
func readmeExitTable(t *testing.T) []exitRow {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []exitRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == exitTableMarker:
			in = true
		case in && !strings.HasPrefix(line, "|"):
			if len(rows) > 0 {
				return rows
			}
		case in && strings.HasPrefix(line, "|---"), in && strings.HasPrefix(line, "| what went wrong"):
		case in:
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) != 3 {
				t.Fatalf("README exit-status row has %d cells, want 3: %s", len(cells), line)
			}
			code, err := strconv.Atoi(strings.TrimSpace(cells[1]))
			if err != nil {
				t.Fatalf("README exit-status row: %q is not a number: %s", cells[1], line)
			}
			rows = append(rows, exitRow{
				situation: strings.TrimSpace(cells[0]),
				code:      code,
				lastLine:  strings.Trim(strings.TrimSpace(cells[2]), "`"),
			})
		}
	}
	if len(rows) == 0 {
		t.Fatal("the README has no exit-status table after " + exitTableMarker)
	}
	return rows
}

// matches reports whether line holds the pattern's parts, in order, with … standing for any text.
func matches(line, pattern string) bool {
	parts := strings.Split(pattern, "…")
	if !strings.HasPrefix(line, parts[0]) {
		return false
	}
	rest := line[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(pattern, "…") || rest == ""
}

func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestREADMEExitStatusTable runs each row of the README's exit-status table against the built binary and
// the fake, and compares the exit status and the last line with the row: the table cannot drift from the
// binary. A row without a scenario here, or a scenario without a row, fails too.
func TestREADMEExitStatusTable(t *testing.T) {
	fake := newFake(t)
	dir := t.TempDir()
	good := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	wrong := []string{"BATON_CELIGO_ACCESS_TOKEN=wrong-token"}
	synced := filepath.Join(dir, "synced.c1z")
	at := func(url string) []string { return []string{"--base-url", url, "--retry-budget-seconds", "1"} }
	if r := baton(t, dir, good, append(at(fake.URL), "-f", synced)...); r.code != 0 {
		t.Fatalf("sync failed (%d):\n%s", r.code, r.out)
	}
	target := firstPlainUser(t, fake)
	roleOnly, roleOnlyLevel := roleOnlyUser(t, fake)
	grant := func(ent, principal string) []string {
		return []string{"-f", synced, "--grant-entitlement", ent, "--grant-principal-type", "user", "--grant-principal", principal}
	}
	disable := []string{"--invoke-action", "disable_user", "--invoke-action-resource-type", "user",
		"--invoke-action-args", `{"user_id":"` + target + `"}`}

	// A loopback port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	_ = l.Close()

	type scenario struct {
		env   []string
		args  []string
		fault int // an HTTP status the fake answers every request with, 0 for none
		url   string
	}
	scenarios := map[string]scenario{
		"an entitlement id not in the sync file": {env: good, args: grant("role:nope:assigned", target)},
		"a user id not in the sync file":         {env: good, args: grant("role:monitor:assigned", "650000000000000000000000")},
		"a grant id not in the sync file":        {env: good, args: []string{"-f", synced, "--revoke-grant", "role:monitor:assigned:user:650000000000000000000000"}},
		"an id that cannot be a Celigo id":       {env: good, args: []string{"--delete-resource", "nonsense", "--delete-resource-type", "user"}},
		"an API token request without `--sync-secrets`": {env: good, args: []string{"-f", synced, "--invoke-action", "revoke_api_token",
			"--invoke-action-resource-type", "api_token", "--invoke-action-args", `{"token_id":"650000000000000000000001"}`}},
		"an `--event-feed-start-at` that is not a time": {env: good, args: []string{"--event-feed=true", "--event-feed-id", "celigo_changes",
			"--event-feed-start-at", "yesterday"}},
		"a provisioning flag missing":          {env: good, args: []string{"-f", synced, "--grant-entitlement", "role:monitor:assigned", "--grant-principal", target}},
		"a wrong token, on a sync":             {env: wrong, args: []string{"-f", filepath.Join(dir, "wrong.c1z")}},
		"a wrong token, on a grant":            {env: wrong, args: grant("role:monitor:assigned", target)},
		"a wrong token, on an action":          {env: wrong, args: disable},
		"a `--region` other than `us` or `eu`": {env: good, args: []string{"--region", "mars", "-f", filepath.Join(dir, "region.c1z")}, url: "-"},
		"Celigo cannot be reached":             {env: good, args: []string{"-f", filepath.Join(dir, "down.c1z")}, url: closed},
		"Celigo stays unavailable (5xx)":       {env: good, args: []string{"-f", filepath.Join(dir, "503.c1z")}, fault: http.StatusServiceUnavailable},
		"Celigo keeps throttling (429)":        {env: good, args: []string{"-f", filepath.Join(dir, "429.c1z")}, fault: http.StatusTooManyRequests},
		"a grant of the owner role":            {env: good, args: grant("role:owner:assigned", target)},
		"a revoke of a user's last access":     {env: good, args: []string{"-f", synced, "--revoke-grant", "role:" + roleOnlyLevel + ":assigned:user:" + roleOnly}},
	}

	for _, row := range readmeExitTable(t) {
		s, ok := scenarios[row.situation]
		if !ok {
			t.Errorf("README exit-status row %q has no scenario in this test", row.situation)
			continue
		}
		delete(scenarios, row.situation)
		t.Run(row.situation, func(t *testing.T) {
			fake.SetFault(nil)
			if s.fault != 0 {
				fake.SetFault(func(*http.Request, int) *celigotest.Fault {
					return &celigotest.Fault{Status: s.fault, RetryAfter: "1"}
				})
				defer fake.SetFault(nil)
			}
			args := s.args
			switch s.url {
			case "":
				args = append(at(fake.URL), args...)
			case "-":
			default:
				args = append(at(s.url), args...)
			}
			r := baton(t, dir, s.env, args...)
			t.Logf("exit %d: %s", r.code, lastLine(r.out))
			if got := lastLine(r.out); r.code != row.code || !matches(got, row.lastLine) {
				t.Errorf("exit %d, last line:\n  %s\nthe README says exit %d and:\n  %s\nfull output:\n%s",
					r.code, got, row.code, row.lastLine, r.out)
			}
		})
	}
	for name := range scenarios {
		t.Errorf("scenario %q has no row in the README's exit-status table", name)
	}
}

// roleOnlyUser returns an enabled user whose only access is an account-wide role, and that role.
func roleOnlyUser(t *testing.T, fake *celigotest.Server) (id, level string) {
	t.Helper()
	for _, rec := range fake.Account().Shares {
		entries, _ := rec["integrationAccessLevel"].([]any)
		level, _ = rec["accessLevel"].(string)
		if (level == "monitor" || level == "manage") && rec["disabled"] == false && len(entries) == 0 {
			id, _ = rec["_id"].(string)
			return id, level
		}
	}
	t.Fatal("the generated account has no enabled user whose only access is a monitor or manage role")
	return "", ""
}
