package celigotest

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestGetShare(t *testing.T) {
	acct := small()
	s := newTestServer(t, acct)
	r := call(t, s, http.MethodGet, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.json(t); !reflect.DeepEqual(got, acct.Shares[0]) {
		t.Errorf("record = %v, want %v", got, acct.Shares[0])
	}
}

func TestPutReplaces(t *testing.T) {
	acct := small()
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	acct.Shares[0]["futureFlag"] = true
	acct.Shares[0]["mcpServerAccessLevel"] = []any{map[string]any{"_mcpServerId": "65f0000000000000000000c1", "scopes": []any{"mcp:read"}}}
	acct.Shares[0]["accountMFARequired"] = true
	s := newTestServer(t, acct)
	before, _ := s.Share(id)

	body := map[string]any{
		"accessLevel":          "manage",
		"accountSSORequired":   true,
		"allowToEditRetryData": false,
		"notAField":            1, // neither writable nor read-only: dropped
	}
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, body), http.StatusNoContent)
	after, ok := s.Share(id)
	if !ok {
		t.Fatal("record gone")
	}
	for _, k := range []string{"integrationAccessLevel", "accountMFARequired", "allowAccessToAPIM", "disabled", "futureFlag", "mcpServerAccessLevel", "notAField"} {
		if v, ok := after[k]; ok {
			t.Errorf("%s = %v, want erased", k, v)
		}
	}
	for _, k := range []string{"_id", "accepted", "dismissed", "createdAt", "createdVia", "lastSignIn", "sharedWithUser", "userType", "isProductionAdmin"} {
		if !reflect.DeepEqual(after[k], before[k]) {
			t.Errorf("read-only %s = %v, want %v", k, after[k], before[k])
		}
	}
	if after["accessLevel"] != "manage" || after["accountSSORequired"] != true || after["allowToEditRetryData"] != false {
		t.Errorf("written fields = %v", after)
	}
	if after["lastModified"] == before["lastModified"] {
		t.Error("lastModified not updated")
	}

	// A future field survives only when the client sends it back, in an integration entry too.
	body = map[string]any{"futureFlag": "kept", "futureThing": []any{1.0}, "integrationAccessLevel": []any{
		map[string]any{"_integrationId": "65a0c0ffee0000000000b002", "accessLevel": "monitor", "futureNote": "x"}}}
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, body), http.StatusNoContent)
	after, _ = s.Share(id)
	if after["futureFlag"] != "kept" || !reflect.DeepEqual(after["futureThing"], []any{1.0}) {
		t.Errorf("future fields = %v", after)
	}
	if _, ok := after["accessLevel"]; ok {
		t.Error("accessLevel not erased")
	}
	if !reflect.DeepEqual(after["integrationAccessLevel"], body["integrationAccessLevel"]) {
		t.Errorf("integrationAccessLevel = %v", after["integrationAccessLevel"])
	}
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares/"+id, nil), http.StatusOK)
}

func TestPutValidation(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	entry := func(iid, level string) map[string]any {
		return map[string]any{"_integrationId": iid, "accessLevel": level}
	}
	const i1, i2 = "65a0c0ffee0000000000b001", "65a0c0ffee0000000000b002"
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"accessLevel null", map[string]any{"accessLevel": nil}, "accessLevel"},
		{"accessLevel empty", map[string]any{"accessLevel": ""}, "accessLevel"},
		{"accessLevel owner", map[string]any{"accessLevel": "owner"}, "accessLevel"},
		{"accessLevel tile", map[string]any{"accessLevel": "tile"}, "accessLevel"},
		{"accessLevel number", map[string]any{"accessLevel": 1}, "accessLevel"},
		{"entries null", map[string]any{"integrationAccessLevel": nil}, "integrationAccessLevel"},
		{"entries object", map[string]any{"integrationAccessLevel": map[string]any{}}, "integrationAccessLevel"},
		{"entry not object", map[string]any{"integrationAccessLevel": []any{"x"}}, "integrationAccessLevel[0]"},
		{"unknown integration", map[string]any{"integrationAccessLevel": []any{entry("ffffffffffffffffffffffff", "manage")}}, "integrationAccessLevel[0]._integrationId"},
		{"missing integration id", map[string]any{"integrationAccessLevel": []any{map[string]any{"accessLevel": "manage"}}}, "integrationAccessLevel[0]._integrationId"},
		{"duplicate integration", map[string]any{"integrationAccessLevel": []any{entry(i1, "manage"), entry(i2, "monitor"), entry(i1, "monitor")}}, "integrationAccessLevel[2]._integrationId"},
		{"entry administrator", map[string]any{"integrationAccessLevel": []any{entry(i1, "administrator")}}, "integrationAccessLevel[0].accessLevel"},
		{"entry missing level", map[string]any{"integrationAccessLevel": []any{map[string]any{"_integrationId": i1}}}, "integrationAccessLevel[0].accessLevel"},
		{"entry extra key", map[string]any{"integrationAccessLevel": []any{map[string]any{"_integrationId": i1, "accessLevel": "manage", "x": 1}}}, "integrationAccessLevel[0].x"},
		{"bool as string", map[string]any{"disabled": "false"}, "disabled"},
		{"bool null", map[string]any{"accountMFARequired": nil}, "accountMFARequired"},
		{"bool number", map[string]any{"allowIntegrationWorkspaceCreation": 0}, "allowIntegrationWorkspaceCreation"},
		{"mcp level bool", map[string]any{"mcpServerAccessLevel": true}, "mcpServerAccessLevel"},
		{"mcp level string", map[string]any{"mcpServerAccessLevel": "monitor"}, "mcpServerAccessLevel"},
		{"mcp entry not object", map[string]any{"mcpServerAccessLevel": []any{"x"}}, "mcpServerAccessLevel[0]"},
		{"mcp entry no server", map[string]any{"mcpServerAccessLevel": []any{map[string]any{"scopes": []any{"mcp:read"}}}}, "mcpServerAccessLevel[0]._mcpServerId"},
		{"mcp entry no scopes", map[string]any{"mcpServerAccessLevel": []any{map[string]any{"_mcpServerId": "m1", "scopes": []any{}}}}, "mcpServerAccessLevel[0].scopes"},
		{"mcp entry bad scope", map[string]any{"mcpServerAccessLevel": []any{map[string]any{"_mcpServerId": "m1", "scopes": []any{"read"}}}}, "mcpServerAccessLevel[0].scopes"},
		{"no access at all", map[string]any{"accountMFARequired": true}, "accessLevel"},
		{"no role, empty entries", map[string]any{"integrationAccessLevel": []any{}, "futureFlag": true}, "accessLevel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, small())
			before, _ := s.Share(id)
			r := call(t, s, http.MethodPut, "/v1/ashares/"+id, tc.body)
			wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
			if _, field := r.errCode(t); field != tc.field {
				t.Errorf("field = %q, want %q", field, tc.field)
			}
			if after, _ := s.Share(id); !reflect.DeepEqual(after, before) {
				t.Errorf("rejected PUT changed the record:\n%v\n%v", before, after)
			}
		})
	}

	s := newTestServer(t, small())
	for _, body := range []string{"", "{", "[]", "null", `{"accessLevel":"manage"} {}`, `"x"`} {
		r := call(t, s, http.MethodPut, "/v1/ashares/"+id, body)
		if r.status != http.StatusBadRequest {
			t.Errorf("body %q: status %d, want 400", body, r.status)
		}
	}
	r := callWith(t, s, http.MethodPut, "/v1/ashares/"+id, `{"accessLevel":"manage"}`,
		map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "text/plain"})
	wantError(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
	r = callWith(t, s, http.MethodPut, "/v1/ashares/"+id, `{"accessLevel":"manage"}`,
		map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json; charset=utf-8"})
	wantStatus(t, r, http.StatusNoContent)
	wantError(t, call(t, s, http.MethodPut, "/v1/ashares/ffffffffffffffffffffffff", map[string]any{}), http.StatusNotFound, "access_restricted")
}

func TestToggleDisable(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa2"
	acct := small()
	delete(acct.Shares[1], "disabled") // absent counts as false
	s := newTestServer(t, acct)
	for _, want := range []bool{true, false, true} {
		wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id+"/disable", nil), http.StatusNoContent)
		if rec, _ := s.Share(id); rec["disabled"] != want {
			t.Fatalf("disabled = %v, want %v", rec["disabled"], want)
		}
	}
	wantError(t, call(t, s, http.MethodPut, "/v1/ashares/ffffffffffffffffffffffff/disable", nil), http.StatusNotFound, "access_restricted")
}

func TestDelete(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa2"
	s := newTestServer(t, small())
	r := call(t, s, http.MethodDelete, "/v1/ashares/"+id, nil)
	wantStatus(t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("204 with body %q", r.body)
	}
	wantError(t, call(t, s, http.MethodDelete, "/v1/ashares/"+id, nil), http.StatusNotFound, "access_restricted")
	wantError(t, call(t, s, http.MethodGet, "/v1/ashares/"+id, nil), http.StatusNotFound, "access_restricted")
	if _, ok := s.Share(id); ok {
		t.Error("record still stored")
	}
	if got := walk(t, s, "/v1/ashares", false); !reflect.DeepEqual(got, []string{"aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa3"}) {
		t.Errorf("list after delete = %v", got)
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestPutRefusesReadOnlyFields(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	for _, k := range []string{"_id", "accepted", "dismissed", "lastSignIn", "isProductionAdmin", "createdVia",
		"sharedWithUser", "createdAt", "lastModified", "userType"} {
		t.Run(k, func(t *testing.T) {
			s := newTestServer(t, small())
			before, _ := s.Share(id)
			body := map[string]any{"accessLevel": "manage", k: before[k]} // even echoing the stored value
			r := call(t, s, http.MethodPut, "/v1/ashares/"+id, body)
			wantError(t, r, http.StatusBadRequest, "invalid_field")
			if _, field := r.errCode(t); field != k {
				t.Errorf("field = %q, want %q", field, k)
			}
			if after, _ := s.Share(id); !reflect.DeepEqual(after, before) {
				t.Error("refused PUT changed the record")
			}
		})
	}
}

func TestSandboxTokenRefusesWrites(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	acct := small()
	acct.SandboxToken = true
	s := newTestServer(t, acct)
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares/"+id, nil), http.StatusOK)
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPut, "/v1/ashares/" + id, map[string]any{"accessLevel": "manage"}},
		{http.MethodPut, "/v1/ashares/" + id + "/disable", nil},
		{http.MethodDelete, "/v1/ashares/" + id, nil},
		{http.MethodPost, "/v1/invite", map[string]any{"email": "new@example.com"}},
	} {
		r := call(t, s, w.method, w.path, w.body)
		wantError(t, r, http.StatusForbidden, "forbidden")
		if !strings.Contains(string(r.body), "sandbox") {
			t.Errorf("%s %s: %s", w.method, w.path, r.body)
		}
	}
	if got := s.Account(); !reflect.DeepEqual(got.Shares, small().Shares) {
		t.Error("a refused write changed the account")
	}
	if !s.Account().SandboxToken {
		t.Error("Account does not report the sandbox token")
	}
}
