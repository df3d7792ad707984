package connector

import (
	"encoding/json"
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

func user(t *testing.T, js string) *celigo.User {
	t.Helper()
	var u celigo.User
	if err := json.Unmarshal([]byte(js), &u); err != nil {
		t.Fatal(err)
	}
	return &u
}

func TestSameWritable(t *testing.T) {
	before := `{"_id":"r","accessLevel":"monitor","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false,"futureFlag":true}`
	want := `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false,"futureFlag":true}`
	cases := []struct {
		name, after string
		same        bool
	}{
		{"exactly as written", want, true},
		{"entries in another order, lastModified moved", `{"_id":"r","lastModified":"x","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"b","accessLevel":"monitor"},{"_integrationId":"a","accessLevel":"manage"}],"allowAccessToAPIM":false,"futureFlag":true}`, true},
		{"a false flag stored as absent", `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"futureFlag":true}`, true},
		{"a field Celigo added itself", `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false,"futureFlag":true,"newDefault":"x"}`, true},
		{"role did not change", before, false},
		{"an entry was lost", `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"}],"allowAccessToAPIM":false,"futureFlag":true}`, false},
		{"an unknown field was erased", `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":false}`, false},
		{"someone else set a flag", `{"_id":"r","accessLevel":"manage","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"},{"_integrationId":"b","accessLevel":"monitor"}],"allowAccessToAPIM":true,"futureFlag":true}`, false},
	}
	for _, tc := range cases {
		if got := sameWritable(user(t, tc.after), user(t, want), user(t, before)); got != tc.same {
			t.Errorf("%s: sameWritable = %v, want %v", tc.name, got, tc.same)
		}
	}
	// Removing the role: the key must be gone, not merely empty-looking.
	noRole := `{"_id":"r","integrationAccessLevel":[]}`
	if sameWritable(user(t, `{"_id":"r","accessLevel":"monitor","integrationAccessLevel":[]}`), user(t, noRole), user(t, `{"_id":"r","accessLevel":"monitor","integrationAccessLevel":[]}`)) {
		t.Error("a role that stayed must not pass for removed")
	}
}
