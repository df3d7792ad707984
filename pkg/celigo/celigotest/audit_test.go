package celigotest

import (
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var auditLinkRE = regexp.MustCompile(`^<(http://127\.0\.0\.1:\d+/v1/audit\?[^>]*after=[A-Za-z0-9_-]+)>; rel="next"$`)

// auditItems walks /v1/audit from path and returns every item.
func auditItems(t *testing.T, s *Server, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	next := path
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			t.Fatal("too many pages")
		}
		r := call(t, s, http.MethodGet, next, nil)
		next = ""
		if r.status == http.StatusNoContent {
			break
		}
		wantStatus(t, r, http.StatusOK)
		for _, it := range r.json(t).([]any) {
			out = append(out, it.(map[string]any))
		}
		if link := r.header.Get("Link"); link != "" {
			m := auditLinkRE.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("Link %q does not match %s", link, auditLinkRE)
			}
			next = m[1]
		}
	}
	return out
}

func ids(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["_id"].(string))
	}
	return out
}

func TestAuditLogsWritesWithExactValues(t *testing.T) {
	s := newTestServer(t, small())
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return at })
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	rec, _ := s.Share(id)
	body := map[string]any{}
	for k, v := range rec {
		if writable(k) {
			body[k] = v
		}
	}
	body["accessLevel"] = "manage"
	delete(body, "integrationAccessLevel")
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, body), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, body), http.StatusNoContent) // no change: no record
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id+"/disable", nil), http.StatusNoContent)
	wantStatus(t, call(t, s, http.MethodDelete, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa2", nil), http.StatusNoContent)
	r := call(t, s, http.MethodPost, "/v1/invite", map[string]any{"email": "new@example.com", "accessLevel": "monitor"})
	wantStatus(t, r, http.StatusCreated)

	log := s.Audit()
	if len(log) != 4 {
		t.Fatalf("audit log has %d records, want 4: %+v", len(log), log)
	}
	owner := small().Owner
	for _, e := range log {
		if e.ByUser != owner || e.Source != "api" || e.ResourceType != AuditTypeUser || !e.Time.Equal(at) {
			t.Errorf("record %+v: want the owner acting through the API at %s", e, at)
		}
	}
	wantChanges := []FieldChange{
		{FieldPath: "accessLevel", OldValue: "monitor", NewValue: "manage"},
		{FieldPath: "integrationAccessLevel", OldValue: []any{map[string]any{"_integrationId": "65a0c0ffee0000000000b001", "accessLevel": "manage"}}, NewAbsent: true},
	}
	if log[0].Event != AuditUpdate || log[0].ResourceID != id || !reflect.DeepEqual(log[0].FieldChanges, wantChanges) {
		t.Errorf("PUT record = %+v, want changes %+v", log[0], wantChanges)
	}
	if !reflect.DeepEqual(log[1].FieldChanges, []FieldChange{{FieldPath: "disabled", OldValue: false, NewValue: true}}) {
		t.Errorf("toggle record = %+v", log[1])
	}
	if log[2].Event != AuditDelete || log[2].DeletedName != "bob@example.com" || !hasChange(log[2], "accessLevel", "administrator", nil) {
		t.Errorf("delete record = %+v: want the deleted record's values as old values", log[2])
	}
	if log[3].Event != AuditCreate || !hasChange(log[3], "accessLevel", nil, "monitor") {
		t.Errorf("invite record = %+v", log[3])
	}

	// Served as Celigo's JSON: an absent value is left out.
	items := auditItems(t, s, "/v1/audit?event=update&resourceType=user")
	if len(items) != 2 {
		t.Fatalf("%d update records, want 2", len(items))
	}
	var put map[string]any
	for _, it := range items {
		if it["_id"] == log[0].ID {
			put = it
		}
	}
	ch := put["fieldChanges"].([]any)[1].(map[string]any)
	if _, ok := ch["newValue"]; ok || put["time"] != "2026-03-01T12:00:00.000Z" || put["byUser"].(map[string]any)["_id"] != owner.ID {
		t.Errorf("served record = %v", put)
	}
}

func hasChange(e AuditEntry, path string, oldV, newV any) bool {
	for _, c := range e.FieldChanges {
		if c.FieldPath == path {
			return reflect.DeepEqual(c.OldValue, oldV) && reflect.DeepEqual(c.NewValue, newV) && c.OldAbsent == (oldV == nil) && c.NewAbsent == (newV == nil)
		}
	}
	return false
}

func TestAuditNamesTheTokensUserAndPersonIfAsked(t *testing.T) {
	acct := small()
	acct.TokenUserID = "bbbbbbbbbbbbbbbbbbbbbbb2" // Bob, an administrator
	s := newTestServer(t, acct)
	s.SetAuditNamesPerson(true)
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1/disable", nil), http.StatusNoContent)
	e := s.Audit()[0]
	if e.ByUser.ID != "bbbbbbbbbbbbbbbbbbbbbbb2" || e.ByUser.Email != "bob@example.com" || e.ResourceID != "bbbbbbbbbbbbbbbbbbbbbbb1" {
		t.Errorf("record = %+v: want Bob acting on Jane's user id", e)
	}
}

func TestAuditPagingFiltersAndOrder(t *testing.T) {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	acct := small()
	for i := range 5 {
		acct.Audit = append(acct.Audit, AuditEntry{Time: base.Add(time.Duration(i) * time.Hour), Event: AuditUpdate, ResourceType: "integration", ResourceID: "65a0c0ffee0000000000b001"})
	}
	acct.Audit = append(acct.Audit, AuditEntry{Time: base.Add(2 * time.Hour), Event: AuditSignIn, ResourceType: AuditTypeUser, Source: "sso"})
	s := newTestServer(t, acct)
	s.SetPageSize(1)
	all := s.Audit()

	got := ids(auditItems(t, s, "/v1/audit"))
	want := []string{all[4].ID, all[3].ID, all[2].ID, all[5].ID, all[1].ID, all[0].ID} // newest first, ties as added
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk = %v, want %v", got, want)
	}
	from, to := url.QueryEscape("2026-03-01T01:00:00.000Z"), url.QueryEscape("2026-03-01T02:00:00Z")
	got = ids(auditItems(t, s, "/v1/audit?from="+from+"&to="+to))
	if want := []string{all[2].ID, all[5].ID, all[1].ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("from/to (inclusive) = %v, want %v", got, want)
	}
	s.SetAuditToExclusive(true)
	got = ids(auditItems(t, s, "/v1/audit?from="+from+"&to="+to+"&resourceType=integration"))
	if want := []string{all[1].ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("to exclusive, integrations only = %v, want %v", got, want)
	}
	if got := auditItems(t, s, "/v1/audit?event=signin&source=sso"); len(got) != 1 || got[0]["_id"] != all[5].ID {
		t.Errorf("sign-ins = %v", got)
	}
	wantError(t, call(t, s, http.MethodGet, "/v1/audit?from=yesterday", nil), http.StatusBadRequest, "invalid_query_params")
	wantError(t, call(t, s, http.MethodGet, "/v1/audit?after=bogus", nil), http.StatusBadRequest, "invalid_query_params")
	wantError(t, call(t, s, http.MethodGet, "/v1/audit?include=x", nil), http.StatusBadRequest, "invalid_query_params")

	// A next link carries the filters; another list's cursor is refused.
	r := call(t, s, http.MethodGet, "/v1/audit?resourceType=integration", nil)
	if link := r.header.Get("Link"); !strings.Contains(link, "resourceType=integration") {
		t.Errorf("next link %q lost the filter", link)
	}
	shares := call(t, s, http.MethodGet, "/v1/ashares", nil)
	next := linkRE.FindStringSubmatch(shares.header.Get("Link"))[1]
	wantError(t, call(t, s, http.MethodGet, strings.Replace(next, "/v1/ashares", "/v1/audit", 1), nil), http.StatusBadRequest, "invalid_query_params")
}

func TestAuditLateRecordsAndEmptyLog(t *testing.T) {
	s := newTestServer(t, small())
	if r := call(t, s, http.MethodGet, "/v1/audit", nil); r.status != http.StatusNoContent {
		t.Fatalf("empty log: status %d, want 204", r.status)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1/disable", nil), http.StatusNoContent)
	s.AddAudit(AuditEntry{Time: now.Add(-time.Minute), Event: AuditUpdate, ResourceType: "integration", ResourceID: "65a0c0ffee0000000000b002"})
	items := auditItems(t, s, "/v1/audit")
	if len(items) != 2 || items[1]["time"] != "2026-03-01T11:59:00.000Z" {
		t.Errorf("late record not served by its time: %v", items)
	}
	acct := s.Account()
	if len(acct.Audit) != 2 {
		t.Errorf("snapshot has %d audit records, want 2", len(acct.Audit))
	}
}
