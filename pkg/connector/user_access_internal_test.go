package connector

import (
	"reflect"
	"testing"
)

// TestUserAccessStoredForm: the stored form keeps everything grants need, every field of userAccess.
func TestUserAccessStoredForm(t *testing.T) {
	// A field added to userAccess or userExtras must be added to storedUser and to the full value below:
	// otherwise a list loaded from the store would silently lose it.
	if n, m := reflect.TypeOf(userAccess{}).NumField(), reflect.TypeOf(userExtras{}).NumField(); n != 5 || m != 3 {
		t.Fatalf("userAccess has %d fields and userExtras %d: store the new ones (storedUser) and test them here", n, m)
	}
	full := userAccess{recordID: "r2", personID: "p2", role: "monitor", direct: map[string]string{"a": "manage", "b": "monitor"},
		extra: userExtras{mcp: map[string][]string{"s1": {"mcp:read", "mcp:write"}}, allMCP: true, permissions: []string{"edit_retry_data"}}}
	for _, u := range []userAccess{{recordID: "r1"}, full} {
		b, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back userAccess
		if err := back.UnmarshalJSON(b); err != nil || !reflect.DeepEqual(back, u) {
			t.Errorf("%s → %+v %v", b, back, err)
		}
	}
	for _, bad := range []string{`["r"]`, `{}`, `{"p":"x"}`} {
		var u userAccess
		if err := u.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
