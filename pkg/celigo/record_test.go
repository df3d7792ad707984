package celigo

import (
	"encoding/json"
	"testing"
)

func decodeUser(t *testing.T, record string) *User {
	t.Helper()
	var u User
	if err := json.Unmarshal([]byte(record), &u); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	return &u
}

func TestSameWritable(t *testing.T) {
	const (
		before = `{"_id":"r","accessLevel":"monitor","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false,"futureFlag":true}`
		want   = `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false,"futureFlag":true}`

		mcpBefore = `{"_id":"r","accessLevel":"monitor","mcpServerAccessLevel":[{"_mcpServerId":"s1","scopes":["mcp:read"]}]}`
		mcpWant   = `{"_id":"r","accessLevel":"monitor","mcpServerAccessLevel":[]}`

		roleBefore = `{"_id":"r","accessLevel":"monitor","integrationAccessLevel":[]}`
		noRole     = `{"_id":"r","integrationAccessLevel":[]}`
	)
	cases := []struct {
		name                string
		before, want, after string
		same                bool
	}{
		{"exactly as written", before, want, want, true},
		{"entries in another order, lastModified moved", before, want, `{"_id":"r","lastModified":"x","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"b","accessLevel":"monitor"},{"_integrationId":"a","accessLevel":"manage"}],"allowAccessToAPIM":false,"futureFlag":true}`, true},
		{"a false flag stored as absent", before, want, `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"futureFlag":true}`, true},
		{"a field Celigo added itself", before, want, `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false,"futureFlag":true,"newDefault":"x"}`, true},
		{"role did not change", before, want, before, false},
		{"an entry was lost", before, want, `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"}],"allowAccessToAPIM":false,"futureFlag":true}`, false},
		{"an unknown field was erased", before, want, `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false}`, false},
		{"someone else set a flag", before, want, `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":true,"futureFlag":true}`, false},
		// Removing the role: the key must be gone, not merely empty-looking.
		{"a role that stayed does not pass for removed", roleBefore, noRole, roleBefore, false},
		{"the role removed", roleBefore, noRole, noRole, true},
		// MCP entries are not an exact field: an emptied list may come back absent, but not still there.
		{"MCP entries emptied, stored as absent", mcpBefore, mcpWant, `{"_id":"r","accessLevel":"monitor"}`, true},
		{"MCP entries that stayed", mcpBefore, mcpWant, mcpBefore, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := SameWritable(decodeUser(t, tc.after), decodeUser(t, tc.want), decodeUser(t, tc.before))
			if got != tc.same {
				t.Fatalf("got %t, want %t", got, tc.same)
			}
		})
	}
}
