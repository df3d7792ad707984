package celigotest

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGenerateDeterministic(t *testing.T) {
	a, b := Generate(5, 30, 8), Generate(5, 30, 8)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different accounts")
	}
	if reflect.DeepEqual(a, Generate(6, 30, 8)) {
		t.Fatal("different seeds, same account")
	}
	for _, size := range [][2]int{{0, 0}, {1, 0}, {5, 1}, {30, 8}, {200, 3}} {
		acct := Generate(9, size[0], size[1])
		if len(acct.Shares) != size[0] || len(acct.Integrations) != size[1] {
			t.Errorf("Generate(%v) gave %d users, %d integrations", size, len(acct.Shares), len(acct.Integrations))
		}
	}
}

// TestGenerateCoverage checks every record shape the connector must handle is present
// from 12 users on, whatever the seed, and that the whole account is valid for the strict server.
func TestGenerateCoverage(t *testing.T) {
	for seed := range int64(20) {
		for _, users := range []int{12, 30} {
			t.Run(fmt.Sprintf("seed=%d/users=%d", seed, users), func(t *testing.T) { checkCoverage(t, Generate(seed, users, 8)) })
		}
	}
}

func checkCoverage(t *testing.T, acct Account) {
	seen := map[string]bool{}
	mark := func(kind string, ok bool) {
		if ok {
			seen[kind] = true
		}
	}
	ids := map[string]bool{acct.Owner.ID: true}
	emails := map[string]bool{strings.ToLower(acct.Owner.Email): true}
	integ := map[string]bool{}
	for _, in := range acct.Integrations {
		if !hexID.MatchString(in.ID) || ids[in.ID] {
			t.Errorf("bad or duplicate integration id %q", in.ID)
		}
		ids[in.ID] = true
		integ[in.ID] = true
		mark("integration unicode name", !isASCII(in.Name))
		mark("integration description", in.Description != "")
		mark("integration no description", in.Description == "")
		mark("integration sandbox", in.Sandbox)
		mark("integration not sandbox", !in.Sandbox)
		if in.CreatedAt.IsZero() || in.LastModified.Before(in.CreatedAt) {
			t.Errorf("integration %s times %v %v", in.ID, in.CreatedAt, in.LastModified)
		}
	}
	external := map[string]bool{}
	for _, m := range acct.MCPServers {
		if !hexID.MatchString(m.ID) || ids[m.ID] || m.RelativeURI == "" {
			t.Errorf("bad or duplicate MCP server %+v", m)
		}
		ids[m.ID] = true
		external[m.ID] = m.ExternalProvider != ""
		mark("external MCP server", m.ExternalProvider != "")
		mark("Celigo-signed MCP server", m.ExternalProvider == "")
	}
	if !hexID.MatchString(acct.Owner.ID) || acct.Owner.Email == "" {
		t.Errorf("owner = %+v", acct.Owner)
	}
	for _, rec := range acct.Shares {
		id, _ := rec["_id"].(string)
		user := rec["sharedWithUser"].(map[string]any)
		uid, _ := user["_id"].(string)
		email, _ := user["email"].(string)
		for _, x := range []string{id, uid} {
			if !hexID.MatchString(x) || ids[x] {
				t.Errorf("bad or duplicate id %q", x)
			}
			ids[x] = true
		}
		if emails[strings.ToLower(email)] || !validEmail(email) {
			t.Errorf("bad or duplicate email %q", email)
		}
		emails[strings.ToLower(email)] = true

		level, hasLevel := rec["accessLevel"].(string)
		entries := recordEntries(rec)
		levels := map[string]bool{}
		used := map[string]bool{}
		for _, e := range entries {
			levels[e.AccessLevel] = true
			if !integ[e.IntegrationID] || used[e.IntegrationID] {
				t.Errorf("record %s: bad or duplicate entry %v", id, e)
			}
			used[e.IntegrationID] = true
		}
		mark("administrator", level == LevelAdministrator)
		mark("manage", level == LevelManage)
		mark("monitor", level == LevelMonitor)
		mark("monitor with manage and monitor entries", level == LevelMonitor && levels[LevelManage] && levels[LevelMonitor])
		mark("absent with mixed entries", !hasLevel && levels[LevelManage] && levels[LevelMonitor])
		mark("absent without entries", !hasLevel && len(entries) == 0)
		mark("administrator with entries", level == LevelAdministrator && len(entries) > 0)
		mark("manage with entries", level == LevelManage && len(entries) > 0)
		mark("pending", rec["accepted"] == false && rec["dismissed"] == false)
		mark("declined", rec["dismissed"] == true)
		mark("disabled", rec["disabled"] == true)
		mark("accepted active", rec["accepted"] == true && rec["disabled"] == false)
		sso, _ := user["accountSSOLinked"].(string)
		mark("sso "+sso, true)
		name, hasName := user["name"].(string)
		mark("Zoë Ångström", name == "Zoë Ångström")
		mark("山田太郎", name == "山田太郎")
		mark("emoji name", hasEmoji(name))
		mark("no name", !hasName)
		_, mcp := rec["mcpServerAccessLevel"]
		mark("mcpServerAccessLevel", mcp)
		_, ws := rec["allowIntegrationWorkspaceCreation"]
		mark("allowIntegrationWorkspaceCreation", ws)
		mark("futureFlag", rec["futureFlag"] == true)
		mark("all MCP servers", rec["allMcpServerAccess"] == true)
		for server, scopes := range recordMCPEntries(rec) {
			mark("MCP read-only entry", reflect.DeepEqual(scopes, []string{ScopeRead}))
			mark("MCP entry on an external server", external[server])
		}
		mark("createdVia "+str(rec["createdVia"]), true)
		if when, _ := user["lastSignIn"].(string); when != "" && when >= str(rec["lastSignIn"]) {
			mark("signed in anywhere, later than here", true)
		}
		mark("allowAccessToAPIM", rec["allowAccessToAPIM"] == true)
		mark("allowToEditRetryData", rec["allowToEditRetryData"] == true)
	}
	for _, kind := range []string{
		"integration unicode name", "integration description", "integration no description", "integration sandbox", "integration not sandbox",
		"administrator", "manage", "monitor", "monitor with manage and monitor entries", "absent with mixed entries",
		"absent without entries", "administrator with entries", "manage with entries", "pending", "declined", "disabled",
		"accepted active", "sso not_linked", "sso this_account", "sso other_account", "Zoë Ångström", "山田太郎", "emoji name",
		"no name", "mcpServerAccessLevel", "allowIntegrationWorkspaceCreation", "futureFlag",
		"all MCP servers", "MCP read-only entry", "MCP entry on an external server", "allowAccessToAPIM", "allowToEditRetryData",
		"external MCP server", "Celigo-signed MCP server", "signed in anywhere, later than here",
		"createdVia existing_account_invite", "createdVia existing_account_share_request",
		"createdVia invited_during_signup", "createdVia new_account_auto_join",
	} {
		if !seen[kind] {
			t.Errorf("no %s", kind)
		}
	}
	for k := range seen {
		if strings.HasPrefix(k, "createdVia ") && !slices.Contains(createdVias, strings.TrimPrefix(k, "createdVia ")) {
			t.Errorf("undocumented %s", k)
		}
		if strings.HasPrefix(k, "sso ") && k != "sso not_linked" && k != "sso this_account" && k != "sso other_account" {
			t.Errorf("unexpected %s", k)
		}
	}

	// Every generated record must be acceptable to the strict server when written back.
	s := newTestServer(t, acct)
	for _, rec := range acct.Shares {
		body := map[string]any{}
		for k, v := range rec {
			if writable(k) {
				body[k] = v
			}
		}
		id := rec["_id"].(string)
		if entries, _ := body["integrationAccessLevel"].([]any); body["accessLevel"] == nil && len(entries) == 0 {
			// A record with no access can be read but not written: Celigo refuses to store one.
			wantError(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, body), http.StatusUnprocessableEntity, "invalid_field")
			continue
		}
		wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, body), http.StatusNoContent)
		after, _ := s.Share(id)
		delete(after, "lastModified")
		before := copyRecord(rec)
		delete(before, "lastModified")
		if !reflect.DeepEqual(after, before) {
			t.Errorf("round trip changed %s:\n%v\n%v", id, before, after)
		}
	}
}

func TestGenerateMixAtScale(t *testing.T) {
	acct := Generate(42, 10000, 1000)
	count := map[string]int{}
	for _, rec := range acct.Shares {
		level, _ := rec["accessLevel"].(string)
		count[level]++
	}
	for level, want := range map[string]int{LevelAdministrator: 1000, LevelManage: 2000, LevelMonitor: 4000, "": 3000} {
		if got := count[level]; got < want*8/10 || got > want*12/10 {
			t.Errorf("%q: %d users, want about %d", level, got, want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(42, 10000, 1000)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasEmoji(s string) bool {
	for _, r := range s {
		if r >= 0x1F300 && r <= 0x1FAFF {
			return true
		}
	}
	return false
}

func str(v any) string { s, _ := v.(string); return s }
