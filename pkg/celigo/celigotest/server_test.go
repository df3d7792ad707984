package celigotest

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	s := newTestServer(t, small())
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want string
	}{
		{"missing", nil, `{"message":"Unauthorized"}`},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}, `{"message":"Bearer Authentication Failed"}`},
		{"wrong scheme", map[string]string{"Authorization": "Token " + testToken}, `{"message":"Bearer Authentication Failed"}`},
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + testToken}, `{"message":"Bearer Authentication Failed"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := callWith(t, s, http.MethodGet, "/v1/ashares", nil, tc.hdr)
			wantStatus(t, r, http.StatusUnauthorized)
			if got := strings.TrimSpace(string(r.body)); got != tc.want {
				t.Errorf("body = %s, want %s", got, tc.want)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	// Unknown paths still need auth first.
	r := callWith(t, s, http.MethodGet, "/v1/nothing", nil, nil)
	wantStatus(t, r, http.StatusUnauthorized)
}

func TestTokenInfoAndProfile(t *testing.T) {
	acct := small()
	s := newTestServer(t, acct)
	r := call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	wantStatus(t, r, http.StatusOK)
	if got, want := r.json(t), map[string]any{"_userId": acct.Owner.ID, "scope": "*"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tokenInfo = %v, want %v", got, want)
	}
	r = call(t, s, http.MethodGet, "/v1/profile", nil)
	if got, want := r.json(t), map[string]any{"_id": acct.Owner.ID, "email": "owner@example.com", "name": "Owner"}; !reflect.DeepEqual(got, want) {
		t.Errorf("profile = %v, want %v", got, want)
	}

	acct.TokenUserID = "bbbbbbbbbbbbbbbbbbbbbbb2" // bob, who has no name
	s2 := newTestServer(t, acct)
	r = call(t, s2, http.MethodGet, "/v1/tokenInfo", nil)
	if got := r.json(t).(map[string]any)["_userId"]; got != acct.TokenUserID {
		t.Errorf("_userId = %v", got)
	}
	r = call(t, s2, http.MethodGet, "/v1/profile", nil)
	if got, want := r.json(t), map[string]any{"_id": acct.TokenUserID, "email": "bob@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("profile = %v, want %v", got, want)
	}

	acct.ProfileRefused = true
	s3 := newTestServer(t, acct)
	wantError(t, call(t, s3, http.MethodGet, "/v1/profile", nil), http.StatusForbidden, "forbidden")
}

var linkRE = regexp.MustCompile(`^<(http://127\.0\.0\.1:\d+/v1/(ashares|integrations|mcpservers)\?after=[A-Za-z0-9_-]+)>; (rel="next"|rel=next)$`)

// walk follows Link headers from path and returns every item's _id.
func walk(t *testing.T, s *Server, path string, unquoted bool) []string {
	t.Helper()
	var ids []string
	next := path
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			t.Fatal("too many pages")
		}
		r := call(t, s, http.MethodGet, next, nil)
		wantStatus(t, r, http.StatusOK)
		items := r.json(t).([]any)
		for _, it := range items {
			ids = append(ids, it.(map[string]any)["_id"].(string))
		}
		next = ""
		if link := r.header.Get("Link"); link != "" {
			m := linkRE.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("Link %q does not match %s", link, linkRE)
			}
			if wantRel := map[bool]string{false: `rel="next"`, true: "rel=next"}[unquoted]; m[3] != wantRel {
				t.Fatalf("rel = %s, want %s", m[3], wantRel)
			}
			if !strings.HasPrefix(m[1], s.URL+"/") {
				t.Fatalf("next %s is not on %s", m[1], s.URL)
			}
			if len(items) == 0 {
				t.Fatal("empty page with a next link")
			}
			next = m[1]
		}
	}
	return ids
}

func TestPaging(t *testing.T) {
	acct := Generate(7, 13, 5)
	for _, unquoted := range []bool{false, true} {
		t.Run(fmt.Sprintf("unquoted=%v", unquoted), func(t *testing.T) {
			s := newTestServer(t, acct)
			s.SetPageSize(1)
			s.SetUnquotedRel(unquoted)
			var want []string
			for _, r := range acct.Shares {
				want = append(want, r["_id"].(string))
			}
			if got := walk(t, s, "/v1/ashares", unquoted); !reflect.DeepEqual(got, want) {
				t.Errorf("ashares walk = %v, want %v", got, want)
			}
			want = nil
			for _, in := range acct.Integrations {
				want = append(want, in.ID)
			}
			if got := walk(t, s, "/v1/integrations", unquoted); !reflect.DeepEqual(got, want) {
				t.Errorf("integrations walk = %v, want %v", got, want)
			}
			if n := len(s.Requests()); n != len(acct.Shares)+len(acct.Integrations) {
				t.Errorf("%d requests, want one per item at page size 1", n)
			}
		})
	}
}

func TestDefaultPageAndIntegrationJSON(t *testing.T) {
	acct := small()
	acct.Integrations[0].CreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
	s := newTestServer(t, acct)
	r := call(t, s, http.MethodGet, "/v1/integrations", nil)
	wantStatus(t, r, http.StatusOK)
	if l := r.header.Get("Link"); l != "" {
		t.Errorf("unexpected Link %q on a single page", l)
	}
	items := r.json(t).([]any)
	first, second := items[0].(map[string]any), items[1].(map[string]any)
	if first["createdAt"] != "2025-01-02T03:04:05.006Z" || first["name"] != "Salesforce ↔ NetSuite" || first["description"] != "d" || first["sandbox"] != false {
		t.Errorf("integration JSON = %v", first)
	}
	if _, ok := second["description"]; ok || second["sandbox"] != true {
		t.Errorf("integration JSON = %v", second)
	}
	if _, ok := first["_registeredConnectionIds"]; !ok {
		t.Error("irrelevant fields missing")
	}
	if strings.Contains(string(r.body), `\u`) {
		t.Errorf("body escapes characters: %s", r.body)
	}
}

func TestQueryStrictness(t *testing.T) {
	s := newTestServer(t, Generate(1, 5, 5))
	s.SetPageSize(2)
	link := call(t, s, http.MethodGet, "/v1/integrations", nil).header.Get("Link")
	intCursor := link[strings.Index(link, "after=")+6 : strings.Index(link, ">")]
	link = call(t, s, http.MethodGet, "/v1/ashares", nil).header.Get("Link")
	shareCursor := link[strings.Index(link, "after=")+6 : strings.Index(link, ">")]
	tampered := []byte(shareCursor)
	tampered[3] ^= 1

	for _, path := range []string{
		"/v1/ashares?after=garbage",
		"/v1/ashares?after=",
		"/v1/ashares?after=" + intCursor, // a cursor of another list
		"/v1/ashares?after=" + string(tampered),
		"/v1/ashares?after=" + shareCursor + "&after=" + shareCursor,
		"/v1/ashares?include=_id,name",
		"/v1/integrations?include=name",
		"/v1/ashares?skip=2",
		"/v1/tokenInfo?x=1",
		"/v1/ashares/" + s.Shares()[0]["_id"].(string) + "?include=x",
	} {
		wantError(t, call(t, s, http.MethodGet, path, nil), http.StatusBadRequest, "invalid_query_params")
	}
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares?after="+shareCursor, nil), http.StatusOK)
}

func TestRouting(t *testing.T) {
	s := newTestServer(t, small())
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1/nothing"},
		{http.MethodGet, "/ashares"},
		{http.MethodGet, "/v2/ashares"},
		{http.MethodPost, "/v1/ashares"}, // there is no POST /v1/ashares
		{http.MethodPatch, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1"},
		{http.MethodGet, "/v1/ashares/"},
		{http.MethodGet, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1/disable"},
		{http.MethodDelete, "/v1/integrations"},
	} {
		r := call(t, s, tc.method, tc.path, nil)
		if r.status != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", tc.method, tc.path, r.status)
			continue
		}
		r.errCode(t)
	}
	wantError(t, call(t, s, http.MethodGet, "/v1/ashares/ffffffffffffffffffffffff", nil), http.StatusNotFound, "access_restricted")
	wantError(t, call(t, s, http.MethodGet, "/v1/integrations/ffffffffffffffffffffffff", nil), http.StatusNotFound, "access_restricted")
	r := call(t, s, http.MethodGet, "/v1/integrations/65a0c0ffee0000000000b002", nil)
	wantStatus(t, r, http.StatusOK)
	if r.json(t).(map[string]any)["name"] != "山田 sync" {
		t.Errorf("integration = %s", r.body)
	}
}

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

func TestFaults(t *testing.T) {
	s := newTestServer(t, small())
	s.SetFault(EveryNth(2, http.StatusTooManyRequests, "3"))
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares", nil), http.StatusOK)
	r := call(t, s, http.MethodGet, "/v1/ashares", nil)
	wantError(t, r, http.StatusTooManyRequests, "rate_limited")
	if ra := r.header.Get("Retry-After"); ra != "3" {
		t.Errorf("Retry-After = %q", ra)
	}
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares", nil), http.StatusOK)

	// How a fault is served. 502/503 come from the load balancer (HTML); 500 from Celigo (envelope).
	cases := []struct {
		name        string
		fault       Fault
		noToken     bool   // faults come before the token is checked
		contentType string // the answer's, up to parameters
		body        string // exactly, spaces around it aside
		contains    string // or a part of the body
	}{
		{"502 from the load balancer", Fault{Status: http.StatusBadGateway}, false, "text/html", "", "<html>"},
		{"503 from the load balancer", Fault{Status: http.StatusServiceUnavailable}, false, "text/html", "", "<html>"},
		{"500 from Celigo", Fault{Status: 500}, false, "application/json", "", `"code":"internal_error"`},
		{"401 bare", Fault{Status: 401}, false, "application/json", `{"message":"Bearer Authentication Failed"}`, ""},
		{"custom body, before auth", Fault{Status: 400, Body: "plain", ContentType: "text/plain"}, true, "text/plain", "plain", ""},
	}
	for _, tc := range cases {
		s.SetFault(func(*http.Request, int) *Fault { f := tc.fault; return &f })
		var hdr map[string]string
		if !tc.noToken {
			hdr = map[string]string{"Authorization": "Bearer " + testToken}
		}
		r := callWith(t, s, http.MethodGet, "/v1/ashares", nil, hdr)
		ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
		body := strings.TrimSpace(string(r.body))
		if r.status != tc.fault.Status || ct != tc.contentType ||
			(tc.body != "" && body != tc.body) || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: served %d %q %s", tc.name, r.status, r.header.Get("Content-Type"), r.body)
		}
	}

	// A fault on a write leaves the state alone.
	s.SetFault(func(r *http.Request, _ int) *Fault {
		if r.Method == http.MethodDelete {
			return &Fault{Status: 503, RetryAfter: "1"}
		}
		return nil
	})
	r = call(t, s, http.MethodDelete, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", nil)
	if r.status != 503 || r.header.Get("Retry-After") != "1" {
		t.Errorf("delete fault = %d", r.status)
	}
	if _, ok := s.Share("aaaaaaaaaaaaaaaaaaaaaaa1"); !ok {
		t.Error("faulted delete removed the record")
	}
	s.SetFault(nil)
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares", nil), http.StatusOK)
}

func TestFaultCountRestartsOnReset(t *testing.T) {
	s := newTestServer(t, small())
	var got []int
	var mu sync.Mutex
	s.SetFault(func(_ *http.Request, n int) *Fault {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, n)
		return nil
	})
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	s.ResetRequests()
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	if !reflect.DeepEqual(got, []int{1, 2, 1}) {
		t.Errorf("counts = %v", got)
	}
}

func TestRequestLog(t *testing.T) {
	s := newTestServer(t, small())
	s.SetPageSize(2)
	callWith(t, s, http.MethodGet, "/v1/ashares", nil, nil)
	call(t, s, http.MethodGet, "/v1/ashares?include=x", nil)
	call(t, s, http.MethodPut, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", map[string]any{"accessLevel": "manage"})
	s.SetFault(func(*http.Request, int) *Fault { return &Fault{Status: 429} })
	call(t, s, http.MethodGet, "/v1/integrations", nil)

	want := []Request{
		{Method: "GET", Path: "/v1/ashares", Authorized: false, Status: 401, Body: []byte{}},
		{Method: "GET", Path: "/v1/ashares", RawQuery: "include=x", Authorized: true, Status: 400, Body: []byte{}},
		{Method: "PUT", Path: "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", Authorized: true, Status: 204, Body: []byte(`{"accessLevel":"manage"}`)},
		{Method: "GET", Path: "/v1/integrations", Authorized: true, Status: 429, Body: []byte{}},
	}
	got := s.Requests()
	for i := range got {
		if got[i].Body == nil {
			got[i].Body = []byte{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log =\n%+v\nwant\n%+v", got, want)
	}
	got[2].Body[0] = 'X'
	if s.Requests()[2].Body[0] != '{' {
		t.Error("Requests shares the body buffer")
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d entries after reset", n)
	}
}

func TestOnBeforeWrite(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	s := newTestServer(t, small())
	var calls []string
	s.OnBeforeWrite(func(method, path string) {
		calls = append(calls, method+" "+path)
		// Another writer changes the record between the client's read and write.
		rec, _ := s.Share(id)
		rec["lastSignIn"] = "2030-01-01T00:00:00.000Z"
		rec["futureFlag"] = true
		s.SetShare(rec)
	})
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, map[string]any{"accessLevel": "manage"}), http.StatusNoContent)
	rec, _ := s.Share(id)
	if rec["lastSignIn"] != "2030-01-01T00:00:00.000Z" {
		t.Errorf("read-only change by the other writer lost: %v", rec["lastSignIn"])
	}
	if _, ok := rec["futureFlag"]; ok {
		t.Error("PUT without futureFlag kept it")
	}
	call(t, s, http.MethodGet, "/v1/ashares/"+id, nil)
	if !reflect.DeepEqual(calls, []string{"PUT /v1/ashares/" + id}) {
		t.Errorf("hook calls = %v", calls)
	}
}

func TestAccessorsCopy(t *testing.T) {
	acct := small()
	s := newTestServer(t, acct)
	acct.Shares[0]["accessLevel"] = "administrator" // the server keeps its own copy
	rec, _ := s.Share("aaaaaaaaaaaaaaaaaaaaaaa1")
	if rec["accessLevel"] != "monitor" {
		t.Fatal("server shares the caller's record")
	}
	rec["integrationAccessLevel"].([]any)[0].(map[string]any)["accessLevel"] = "monitor"
	again, _ := s.Share("aaaaaaaaaaaaaaaaaaaaaaa1")
	if again["integrationAccessLevel"].([]any)[0].(map[string]any)["accessLevel"] != "manage" {
		t.Fatal("Share is not a deep copy")
	}
	a := s.Account()
	a.Shares[1]["accessLevel"] = "monitor"
	a.Integrations[0].Name = "x"
	if s.Shares()[1]["accessLevel"] != "administrator" || s.Integrations()[0].Name == "x" {
		t.Fatal("Account is not a deep copy")
	}

	// SetShare replaces in place and appends new ids.
	nr := NewShare("cccccccccccccccccccccccc", Person{ID: "dddddddddddddddddddddddd", Email: "c@example.com"}, "manage")
	s.SetShare(nr)
	s.SetShare(NewShare("aaaaaaaaaaaaaaaaaaaaaaa1", Person{ID: "bbbbbbbbbbbbbbbbbbbbbbb1", Email: "jane@example.com"}, ""))
	ids := walk(t, s, "/v1/ashares", false)
	if !reflect.DeepEqual(ids, []string{"aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaaaaaaaaa3", "cccccccccccccccccccccccc"}) {
		t.Errorf("ids = %v", ids)
	}
	if _, ok := s.Shares()[0]["accessLevel"]; ok {
		t.Error("SetShare did not replace")
	}
}

func TestNewHandlerHasNoURL(t *testing.T) {
	h := NewHandler(testToken, small())
	if h.URL != "" {
		t.Errorf("URL = %q", h.URL)
	}
	h.Close() // harmless without a listener
}

func TestLatency(t *testing.T) {
	s := newTestServer(t, small())
	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("request took %v, want >= 30ms", d)
	}
}

func TestConcurrent(t *testing.T) {
	acct := Generate(3, 40, 10)
	s := newTestServer(t, acct)
	s.SetPageSize(7)
	s.SetFault(EveryNth(9, http.StatusTooManyRequests, "0"))
	// No t.Fatal off the test goroutine: failures are collected as errors.
	do := func(method, path string, body string) error {
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return err
	}
	errs := make(chan error, 8*15)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 15 {
				rec := acct.Shares[(g*15+i)%len(acct.Shares)]
				id := rec["_id"].(string)
				var err error
				switch i % 5 {
				case 0:
					err = do(http.MethodGet, "/v1/ashares", "")
				case 1:
					err = do(http.MethodPut, "/v1/ashares/"+id+"/disable", "")
				case 2:
					err = do(http.MethodPut, "/v1/ashares/"+id, `{"accessLevel":"monitor"}`)
				case 3:
					err = do(http.MethodPost, "/v1/invite", fmt.Sprintf(`{"email":"c%d-%d@example.com"}`, g, i))
				case 4:
					s.SetShare(rec)
					_ = s.Account()
					_ = s.Requests()
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, r := range s.Requests() {
		if r.Status == 0 {
			t.Errorf("request %s %s logged without a status", r.Method, r.Path)
		}
	}
}

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

func TestRedirectFault(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa2"
	s := newTestServer(t, small())
	s.SetFault(func(r *http.Request, _ int) *Fault {
		if r.Method == http.MethodDelete {
			return &Fault{Status: http.StatusFound, Location: "/v1/ashares/" + id}
		}
		return nil
	})
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/v1/ashares/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/v1/ashares/"+id {
		t.Fatalf("status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, ok := s.Share(id); !ok {
		t.Error("a redirected delete removed the record")
	}
}

func TestAppliedFault(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	s := newTestServer(t, small())
	s.SetFault(func(r *http.Request, _ int) *Fault {
		if r.Method == http.MethodPut {
			return &Fault{Status: http.StatusServiceUnavailable, Applied: true}
		}
		return nil
	})
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, map[string]any{"accessLevel": "manage"}), http.StatusServiceUnavailable)
	if rec, _ := s.Share(id); rec["accessLevel"] != "manage" {
		t.Errorf("an applied fault must carry the write out: %v", rec)
	}
	if got := s.Requests(); got[len(got)-1].Status != http.StatusServiceUnavailable {
		t.Errorf("logged status %d", got[len(got)-1].Status)
	}
}

// TestEmptyListIs204: like Celigo, an empty list answers 204 with no body; SetEmptyListAs200 gives 200 [].
func TestEmptyListIs204(t *testing.T) {
	s := newTestServer(t, Account{Owner: Person{ID: "000000000000000000000001", Email: "o@example.com"}})
	for _, path := range []string{"/v1/ashares", "/v1/integrations"} {
		r := call(t, s, http.MethodGet, path, nil)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.body) != 0 || r.header.Get("Link") != "" {
			t.Errorf("%s: 204 with body %q, Link %q", path, r.body, r.header.Get("Link"))
		}
	}
	s.SetEmptyListAs200(true)
	r := call(t, s, http.MethodGet, "/v1/integrations", nil)
	wantStatus(t, r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("body %q", r.body)
	}
}

func TestLinkFormat(t *testing.T) {
	s := newTestServer(t, small())
	s.SetPageSize(1)
	s.SetLinkFormat(func(next string) string { return next + `; rel='next'` })
	r := call(t, s, http.MethodGet, "/v1/ashares", nil)
	wantStatus(t, r, http.StatusOK)
	link := r.header.Get("Link")
	if !strings.HasPrefix(link, s.URL+"/v1/ashares?after=") || !strings.HasSuffix(link, `; rel='next'`) {
		t.Fatalf("Link %q", link)
	}
	// The cursor in it is a real one.
	next := strings.TrimSuffix(link, `; rel='next'`)
	wantStatus(t, call(t, s, http.MethodGet, next, nil), http.StatusOK)
	s.SetLinkFormat(nil)
	if l := call(t, s, http.MethodGet, "/v1/ashares", nil).header.Get("Link"); !strings.HasSuffix(l, `>; rel="next"`) {
		t.Errorf("default Link %q", l)
	}
}

func TestEndlessLists(t *testing.T) {
	follow := func(t *testing.T, s *Server, pages int) (ids []string, statuses []int, urls map[string]bool) {
		t.Helper()
		urls = map[string]bool{}
		next := s.URL + "/v1/ashares"
		for range pages {
			r := call(t, s, http.MethodGet, next, nil)
			statuses = append(statuses, r.status)
			if r.status == http.StatusOK {
				for _, it := range r.json(t).([]any) {
					ids = append(ids, it.(map[string]any)["_id"].(string))
				}
			}
			m := linkRE.FindStringSubmatch(r.header.Get("Link"))
			if m == nil {
				t.Fatalf("page %d has no next link", len(statuses))
			}
			if urls[m[1]] {
				t.Fatalf("next link %s repeats: the list must look new each time", m[1])
			}
			urls[m[1]] = true
			next = m[1]
		}
		return ids, statuses, urls
	}
	t.Run("empty pages", func(t *testing.T) {
		s := newTestServer(t, small())
		s.SetPageSize(2)
		s.SetEndless(EndlessEmpty)
		ids, statuses, _ := follow(t, s, 6)
		if len(ids) != 3 || !reflect.DeepEqual(statuses, []int{200, 200, 204, 204, 204, 204}) {
			t.Fatalf("ids %v statuses %v", ids, statuses)
		}
	})
	t.Run("repeating pages", func(t *testing.T) {
		s := newTestServer(t, small())
		s.SetPageSize(2)
		s.SetEndless(EndlessRepeat)
		ids, statuses, _ := follow(t, s, 6)
		if len(ids) != 9 || statuses[5] != 200 || ids[0] != ids[3] {
			t.Fatalf("ids %v statuses %v", ids, statuses)
		}
	})
}

func TestTruncateFault(t *testing.T) {
	s := newTestServer(t, small())
	whole := call(t, s, http.MethodGet, "/v1/ashares", nil)
	s.SetFault(func(*http.Request, int) *Fault { return &Fault{Truncate: true} })
	cut := call(t, s, http.MethodGet, "/v1/ashares", nil)
	wantStatus(t, cut, http.StatusOK)
	if len(cut.body) != len(whole.body)/2 || !strings.HasPrefix(string(whole.body), string(cut.body)) {
		t.Fatalf("cut body %q of %q", cut.body, whole.body)
	}
	if cut.header.Get("Content-Type") != whole.header.Get("Content-Type") {
		t.Errorf("headers differ: %v", cut.header)
	}
}
