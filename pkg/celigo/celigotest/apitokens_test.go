package celigotest

import (
	"net/http"
	"reflect"
	"testing"
)

func TestAPITokensPaged(t *testing.T) {
	acct := Generate(3, 4, 2)
	s := newTestServer(t, acct)
	s.SetPageSize(1)
	var want []string
	for _, rec := range acct.APITokens {
		want = append(want, recordID(rec))
	}
	if got := walk(t, s, "/v1/accesstokens", false); !reflect.DeepEqual(got, want) || len(want) != 4 {
		t.Fatalf("accesstokens walk = %v, want %v", got, want)
	}
	app := acct.APITokens[3]
	if app["_integrationId"] != acct.Integrations[0].ID {
		t.Errorf("the generated account has an integration app's token: %v", app)
	}
}

func TestAPITokensEmptyIs204AndRefusals(t *testing.T) {
	s := newTestServer(t, small())
	r := call(t, s, http.MethodGet, "/v1/accesstokens", nil)
	wantStatus(t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("a 204 has no body: %q", r.body)
	}
	s.RefuseAPITokens(http.StatusForbidden)
	wantError(t, call(t, s, http.MethodGet, "/v1/accesstokens", nil), http.StatusForbidden, "access_restricted")
	s.RefuseAPITokens(http.StatusNotFound)
	wantError(t, call(t, s, http.MethodGet, "/v1/accesstokens", nil), http.StatusNotFound, "access_restricted")
	s.RefuseAPITokens(http.StatusUnauthorized)
	wantStatus(t, call(t, s, http.MethodGet, "/v1/accesstokens", nil), http.StatusUnauthorized)
	s.RefuseAPITokens(0)
	wantStatus(t, call(t, s, http.MethodGet, "/v1/accesstokens", nil), http.StatusNoContent)
}

func TestAPITokenPutReplacesAndRefusesReadOnlyFields(t *testing.T) {
	acct := small()
	tok := CustomScope(NewAPIToken("65f0000000000000000000e2", "Orders"), []string{"c1"}, nil, nil, nil, nil)
	tok["_integrationId"] = "65a0c0ffee0000000000b001"
	acct.APITokens = []map[string]any{tok}
	s := newTestServer(t, acct)
	path := "/v1/accesstokens/65f0000000000000000000e2"

	for _, field := range []string{"_id", "createdAt", "lastModified", "token", "_integrationId", "_connectorId"} {
		wantError(t, call(t, s, http.MethodPut, path, map[string]any{"name": "Orders", field: "x"}), http.StatusBadRequest, "invalid_field")
	}
	wantError(t, call(t, s, http.MethodPut, path, map[string]any{"revoked": true}), http.StatusUnprocessableEntity, "invalid_field")
	wantError(t, call(t, s, http.MethodPut, path, map[string]any{"name": "Orders", "revoked": "yes"}), http.StatusUnprocessableEntity, "invalid_field")
	if got, _ := s.APIToken("65f0000000000000000000e2"); !reflect.DeepEqual(got, copyRecord(tok)) {
		t.Fatalf("a refused PUT changed the record: %v", got)
	}

	wantStatus(t, call(t, s, http.MethodPut, path, map[string]any{"name": "Orders", "revoked": true}), http.StatusNoContent)
	got, _ := s.APIToken("65f0000000000000000000e2")
	if got["revoked"] != true || got["name"] != "Orders" || got["_integrationId"] != "65a0c0ffee0000000000b001" {
		t.Errorf("after PUT: %v", got)
	}
	if _, kept := got["_connectionIds"]; kept {
		t.Errorf("a writable field left out of a PUT is erased, as Celigo does: %v", got)
	}
	wantError(t, call(t, s, http.MethodPut, "/v1/accesstokens/65f0000000000000000000ff", map[string]any{"name": "x"}), http.StatusNotFound, "access_restricted")
}

func TestAPITokenDeleteOnlyOnceRevoked(t *testing.T) {
	acct := small()
	acct.APITokens = []map[string]any{NewAPIToken("65f0000000000000000000e1", "CI")}
	s := newTestServer(t, acct)
	path := "/v1/accesstokens/65f0000000000000000000e1"
	wantError(t, call(t, s, http.MethodDelete, path, nil), http.StatusUnprocessableEntity, "invalid_field")
	if _, ok := s.APIToken("65f0000000000000000000e1"); !ok {
		t.Fatal("a token in force was deleted")
	}
	wantStatus(t, call(t, s, http.MethodPut, path, map[string]any{"name": "CI", "revoked": true}), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodDelete, path, nil), http.StatusNoContent)
	wantError(t, call(t, s, http.MethodGet, path, nil), http.StatusNotFound, "access_restricted")
	wantError(t, call(t, s, http.MethodDelete, path, nil), http.StatusNotFound, "access_restricted")
	if len(s.APITokens()) != 0 {
		t.Errorf("tokens left: %v", s.APITokens())
	}
}

func TestAPITokenRevealingEndpointsAreRefusedAndCounted(t *testing.T) {
	acct := small()
	acct.APITokens = []map[string]any{NewAPIToken("65f0000000000000000000e1", "CI")}
	s := newTestServer(t, acct)
	wantError(t, call(t, s, http.MethodGet, "/v1/accesstokens/65f0000000000000000000e1/display", nil), http.StatusTeapot, "celigotest_forbidden_call")
	wantError(t, call(t, s, http.MethodPost, "/v1/accesstokens/65f0000000000000000000e1/generate", nil), http.StatusTeapot, "celigotest_forbidden_call")
	if n := s.RevealingCalls(); n != 2 {
		t.Errorf("revealing calls = %d, want 2", n)
	}
}

func TestTokenInfoNamesTheCallerTokenOnlyWhenSet(t *testing.T) {
	s := newTestServer(t, small())
	if m := call(t, s, http.MethodGet, "/v1/tokenInfo", nil).json(t).(map[string]any); m["_accessTokenId"] != nil {
		t.Errorf("tokenInfo = %v", m)
	}
	acct := small()
	acct.CallerTokenID = "65f0000000000000000000e1"
	s = newTestServer(t, acct)
	if m := call(t, s, http.MethodGet, "/v1/tokenInfo", nil).json(t).(map[string]any); m["_accessTokenId"] != "65f0000000000000000000e1" {
		t.Errorf("tokenInfo = %v", m)
	}
}

// TestAPITokenWritesAreAudited: a PUT that changes a token and a DELETE are in the audit log, by the
// token's user, like every write the fake performs.
func TestAPITokenWritesAreAudited(t *testing.T) {
	acct := small()
	acct.APITokens = []map[string]any{NewAPIToken("65f0000000000000000000e1", "CI")}
	s := newTestServer(t, acct)
	path := "/v1/accesstokens/65f0000000000000000000e1"
	same := NewAPIToken("x", "CI")
	body := map[string]any{}
	for k, v := range same {
		if tokenWritable(k) {
			body[k] = v
		}
	}
	wantStatus(t, call(t, s, http.MethodPut, path, body), http.StatusNoContent) // changes nothing: not recorded
	body["revoked"] = true
	wantStatus(t, call(t, s, http.MethodPut, path, body), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodDelete, path, nil), http.StatusNoContent)
	log := s.Audit()
	if len(log) != 2 {
		t.Fatalf("audit log %+v", log)
	}
	up, del := log[0], log[1]
	if up.Event != AuditUpdate || up.ResourceType != AuditTypeAccessToken || up.ResourceID != "65f0000000000000000000e1" ||
		len(up.FieldChanges) != 1 || up.FieldChanges[0].FieldPath != "revoked" || up.FieldChanges[0].NewValue != true || up.ByUser.ID != acct.Owner.ID {
		t.Errorf("update record %+v", up)
	}
	if del.Event != AuditDelete || del.DeletedName != "CI" {
		t.Errorf("delete record %+v", del)
	}
}
