package celigotest

import (
	"net/http"
	"reflect"
	"testing"
)

// Re-invite: a declined invitation becomes pending again and nothing else on the record changes; a pending
// one stays as it is; an accepted one is refused; an unknown id is 404.
func TestReinvite(t *testing.T) {
	const declined, pending, accepted = "aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaaaaaaaaa3"
	acct := small()
	acct.Shares[0]["accepted"], acct.Shares[0]["dismissed"] = false, true
	acct.Shares[1]["accepted"] = false
	s := newTestServer(t, acct)

	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+declined+"/reinvite", nil), http.StatusNoContent)
	want := copyRecord(acct.Shares[0])
	want["dismissed"] = false
	if got, _ := s.Share(declined); !reflect.DeepEqual(got, want) {
		t.Errorf("declined record after re-invite:\n got  %v\n want %v", got, want)
	}

	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+pending+"/reinvite", nil), http.StatusNoContent)
	if got, _ := s.Share(pending); !reflect.DeepEqual(got, copyRecord(acct.Shares[1])) {
		t.Errorf("pending record changed by a re-invite: %v", got)
	}

	wantError(t, call(t, s, http.MethodPut, "/v1/ashares/"+accepted+"/reinvite", nil), http.StatusBadRequest, "invalid_request")
	if got, _ := s.Share(accepted); !reflect.DeepEqual(got, copyRecord(acct.Shares[2])) {
		t.Errorf("accepted record changed by a refused re-invite: %v", got)
	}
	wantError(t, call(t, s, http.MethodPut, "/v1/ashares/ffffffffffffffffffffffff/reinvite", nil), http.StatusNotFound, "access_restricted")
	wantError(t, call(t, s, http.MethodGet, "/v1/ashares/"+declined+"/reinvite", nil), http.StatusNotFound, "not_found")
}

func TestInvite(t *testing.T) {
	s := newTestServer(t, small())
	body := map[string]any{"email": "new@example.com", "accessLevel": "monitor", "accountMFARequired": true,
		"integrationAccessLevel": []any{map[string]any{"_integrationId": "65a0c0ffee0000000000b001", "accessLevel": "manage"}}}
	r := call(t, s, http.MethodPost, "/v1/invite", body)
	wantStatus(t, r, http.StatusCreated)
	rec := r.json(t).(map[string]any)
	id, _ := rec["_id"].(string)
	user, _ := rec["sharedWithUser"].(map[string]any)
	if !hexID.MatchString(id) || !hexID.MatchString(user["_id"].(string)) || user["email"] != "new@example.com" {
		t.Fatalf("record = %v", rec)
	}
	if _, ok := user["name"]; ok {
		t.Error("invitee has a name")
	}
	if rec["accepted"] != false || rec["accessLevel"] != "monitor" || rec["accountMFARequired"] != true ||
		!reflect.DeepEqual(rec["integrationAccessLevel"], body["integrationAccessLevel"]) {
		t.Errorf("record = %v", rec)
	}
	if stored, ok := s.Share(id); !ok || !reflect.DeepEqual(stored, rec) {
		t.Errorf("stored = %v, answered %v", stored, rec)
	}
	if ids := walk(t, s, "/v1/ashares", false); ids[len(ids)-1] != id {
		t.Errorf("invitee not last in the list: %v", ids)
	}

	// Without a role the key stays absent.
	r = call(t, s, http.MethodPost, "/v1/invite", map[string]any{"email": "plain@example.com"})
	wantStatus(t, r, http.StatusCreated)
	if _, ok := r.json(t).(map[string]any)["accessLevel"]; ok {
		t.Errorf("accessLevel present: %s", r.body)
	}

	for _, email := range []string{"NEW@example.com", "jane@EXAMPLE.com", "Owner@example.com"} {
		wantError(t, call(t, s, http.MethodPost, "/v1/invite", map[string]any{"email": email}), http.StatusConflict, "already_exists")
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "email"},
		{map[string]any{"email": ""}, "email"},
		{map[string]any{"email": "not-an-email"}, "email"},
		{map[string]any{"email": "Jo <jo@example.com>"}, "email"},
		{map[string]any{"email": 5}, "email"},
		{map[string]any{"email": "a@b.example", "accessLevel": ""}, "accessLevel"},
		{map[string]any{"email": "a@b.example", "accessLevel": nil}, "accessLevel"},
		{map[string]any{"email": "a@b.example", "accountSSORequired": "yes"}, "accountSSORequired"},
		{map[string]any{"email": "a@b.example", "disabled": true}, "disabled"},
	} {
		r := call(t, s, http.MethodPost, "/v1/invite", tc.body)
		wantError(t, r, http.StatusUnprocessableEntity, "invalid_field")
		if _, f := r.errCode(t); f != tc.field {
			t.Errorf("%v: field %q, want %q", tc.body, f, tc.field)
		}
	}
	wantStatus(t, call(t, s, http.MethodPost, "/v1/invite", "{nope"), http.StatusBadRequest)
	if n := len(s.Shares()); n != 5 {
		t.Errorf("%d shares, want 5", n)
	}
}
