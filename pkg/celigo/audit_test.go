package celigo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pagedAudit serves n audit records one a page, the page index in ?after= (the filters only on the first page).
func pagedAudit(t *testing.T, n int) *fakeAPI {
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.Path != pathAudit {
			http.NotFound(w, r)
			return
		}
		i, _ := strconv.Atoi(r.URL.Query().Get("after"))
		if i+1 < n {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?after=%d>; rel=next`, r.Host, pathAudit, i+1))
		}
		writeJSONBody(w, 200, fmt.Sprintf(`[{"_id":"a%d","time":"2026-03-0%dT10:00:00.000Z","event":"update","source":"api",`+
			`"resourceType":"user","_resourceId":"r%d","byUser":{"_id":"u%d","email":"u%d@example.com","name":"U %d"},`+
			`"fieldChanges":[{"fieldPath":"accessLevel","oldValue":"monitor","newValue":"manage"}]}]`, i, i+1, i, i, i, i))
	})
}

func TestListAuditPages(t *testing.T) {
	api := pagedAudit(t, 3)
	c, _ := newTestClient(t, api.URL)
	var got []string
	token := ""
	for {
		page, next, err := c.ListAudit(context.Background(), AuditQuery{}, token)
		if err != nil {
			t.Fatalf("c.ListAudit: %v", err)
		}
		for _, a := range page {
			got = append(got, fmt.Sprintf("%s %s %s %s %d", a.ID, a.ResourceID, a.ByUser.ID, a.FieldChanges[0].NewValue, a.Time.Day()))
		}
		if next == "" {
			break
		}
		token = next
	}
	if want := []string{`a0 r0 u0 "manage" 1`, `a1 r1 u1 "manage" 2`, `a2 r2 u2 "manage" 3`}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := api.Count(); got != 3 {
		t.Errorf("api.Count() = %d, want %d", got, 3)
	}
}

func TestListAuditSendsFilters(t *testing.T) {
	api := pagedAudit(t, 2)
	c, _ := newTestClient(t, api.URL)
	from := time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.FixedZone("CET", 3600))
	to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	_, next, err := c.ListAudit(context.Background(), AuditQuery{ResourceType: "user", ResourceID: "r1", Event: "update", From: from, To: to}, "")
	if err != nil {
		t.Fatalf("c.ListAudit: %v", err)
	}
	q := api.Hits()[0]
	if got := mustQuery(t, q.RawQuery, "from"); got != "2026-03-01T09:00:00.123Z" {
		t.Errorf(`UTC, milliseconds: mustQuery(t, q.RawQuery, "from") = %q, want %q`, got, "2026-03-01T09:00:00.123Z")
	}
	if got := mustQuery(t, q.RawQuery, "to"); got != "2026-03-02T00:00:00.000Z" {
		t.Errorf(`mustQuery(t, q.RawQuery, "to") = %q, want %q`, got, "2026-03-02T00:00:00.000Z")
	}
	if got := mustQuery(t, q.RawQuery, "resourceType"); got != "user" {
		t.Errorf(`mustQuery(t, q.RawQuery, "resourceType") = %q, want %q`, got, "user")
	}
	if got := mustQuery(t, q.RawQuery, "_resourceId"); got != "r1" {
		t.Errorf(`mustQuery(t, q.RawQuery, "_resourceId") = %q, want %q`, got, "r1")
	}
	if got := mustQuery(t, q.RawQuery, "event"); got != "update" {
		t.Errorf(`mustQuery(t, q.RawQuery, "event") = %q, want %q`, got, "update")
	}

	// The next page is the server's link, as it gave it: the filters are not added again.
	_, _, err = c.ListAudit(context.Background(), AuditQuery{ResourceType: "user"}, next)
	if err != nil {
		t.Fatalf("c.ListAudit: %v", err)
	}
	if got := api.Hits()[1].RawQuery; got != "after=1" {
		t.Errorf("api.Hits()[1].RawQuery = %q, want %q", got, "after=1")
	}

	// No filter, no query.
	_, _, err = c.ListAudit(context.Background(), AuditQuery{}, "")
	if err != nil {
		t.Fatalf("c.ListAudit: %v", err)
	}
	if got := api.Hits()[2].RawQuery; got != "" {
		t.Errorf(`api.Hits()[2].RawQuery = %q, want ""`, got)
	}
}

func mustQuery(t *testing.T, raw, key string) string {
	t.Helper()
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			out, err := url.QueryUnescape(v)
			if err != nil {
				t.Fatalf("url.QueryUnescape: %v", err)
			}
			return out
		}
	}
	t.Fatalf("no %s in %q", key, raw)
	return ""
}

func TestAuditRecordShapes(t *testing.T) {
	cases := []struct {
		name, body, resource, event string
	}{
		{"id string", `{"_id":"a","event":"create","_resourceId":"r"}`, "r", "create"},
		{"populated resource", `{"_id":"a","event":"delete","_resourceId":{"_id":"r","name":"x"},"deletedInfo":{"name":"Jane"}}`, "r", "delete"},
		{"null resource", `{"_id":"a","event":"signin","_resourceId":null}`, "", "signin"},
		{"action instead of event", `{"_id":"a","action":"update"}`, "", "update"},
		{"odd time is zero, not a failure", `{"_id":"a","event":"update","time":"yesterday"}`, "", "update"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				writeJSONBody(w, 200, "["+tc.body+"]")
			})
			c, _ := newTestClient(t, api.URL)
			page, _, err := c.ListAudit(context.Background(), AuditQuery{}, "")
			if err != nil {
				t.Fatalf("c.ListAudit: %v", err)
			}
			if len(page) != 1 {
				t.Fatalf("len(page) = %d, want %d", len(page), 1)
			}
			if page[0].ResourceID != tc.resource {
				t.Errorf("page[0].ResourceID = %q, want %q", page[0].ResourceID, tc.resource)
			}
			if page[0].Event != tc.event {
				t.Errorf("page[0].Event = %q, want %q", page[0].Event, tc.event)
			}
		})
	}
}

func TestListAuditRefusesBrokenAnswers(t *testing.T) {
	const jsonCT = "application/json; charset=utf-8"
	cases := []struct {
		name              string
		status            int
		contentType, body string
		link              string
		code              codes.Code
		refused           bool // IsAccessRefused
	}{
		{"bare 401", 401, jsonCT, `{"message":"Bearer Authentication Failed"}`, "", codes.Unauthenticated, true},
		{"403 envelope", 403, jsonCT, `{"errors":[{"code":"forbidden","message":"no audit for you"}]}`, "", codes.PermissionDenied, true},
		{"404 fails the list", 404, jsonCT, `{"errors":[{"code":"not_found","message":"no"}]}`, "", codes.FailedPrecondition, false},
		{"next link to another host", 200, jsonCT, `[{"_id":"a","event":"update"}]`, `<https://evil.example.com/v1/audit?after=1>; rel="next"`, codes.PermissionDenied, false},
		{"an access record list instead", 200, jsonCT, `[{"_id":"a","accessLevel":"monitor","sharedWithUser":{"_id":"u"}}]`, "", codes.Internal, false},
		{"an integration list instead", 200, jsonCT, `[{"_id":"i","name":"Shop"}]`, "", codes.Internal, false},
		{"item without id", 200, jsonCT, `[{"event":"update"}]`, "", codes.Internal, false},
		{"an object, not a list", 200, jsonCT, `{"_id":"a","event":"update"}`, "", codes.Aborted, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				if tc.link != "" {
					w.Header().Set("Link", strings.ReplaceAll(tc.link, "{base}", api.URL))
				}
				serveAnswer(w, tc.status, tc.contentType, tc.body)
			})
			c, _ := newTestClient(t, api.URL)
			page, _, err := c.ListAudit(context.Background(), AuditQuery{}, "")
			if err == nil {
				t.Fatal("c.ListAudit: err = nil, want an error")
			}
			if page != nil {
				t.Errorf("page = %v, want nil", page)
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("%v: status.Code(err) = %v, want %v", err, got, tc.code)
			}
			if got := IsAccessRefused(err); got != tc.refused {
				t.Errorf("IsAccessRefused(err) = %t, want %t", got, tc.refused)
			}
			requireNoToken(t, err)
		})
	}
}

func TestListAuditChecksThePageToken(t *testing.T) {
	api := pagedAudit(t, 2)
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListAudit(context.Background(), AuditQuery{}, api.URL+"/v1/ashares?after=1")
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.InvalidArgument)
	}
	_, _, err = c.ListAudit(context.Background(), AuditQuery{}, "https://evil.example.com/v1/audit?after=1")
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.InvalidArgument)
	}
	if got := api.Count(); got != 0 {
		t.Errorf("api.Count() = %d, want 0", got)
	}
}

// TestAuditRecordOfOddShapesCostsOnlyTheOddField: one field of an odd shape must not fail the page (and
// with it every later call of a feed, or a --sync-secrets sync reading token creators). byUser given as a
// bare id keeps the id; unreadable field changes are flagged, never read as "no change".
func TestAuditRecordOfOddShapesCostsOnlyTheOddField(t *testing.T) {
	const base = `"_id":"65aa00000000000000000001","time":"2026-03-01T12:00:00.000Z","event":"update","resourceType":"user","_resourceId":"r1"`
	cases := []struct {
		name, extra string
		check       func(t *testing.T, r *AuditRecord)
	}{
		{"byUser as an id", `"byUser":"650000000000000000000001"`, func(t *testing.T, r *AuditRecord) {
			if r.ByUser.ID != "650000000000000000000001" {
				t.Errorf("r.ByUser.ID = %q, want %q", r.ByUser.ID, "650000000000000000000001")
			}
		}},
		{"byUser of odd fields", `"byUser":{"_id":5,"email":"x@example.com"}`, func(t *testing.T, r *AuditRecord) {
			if r.ByUser.ID != "" {
				t.Errorf(`r.ByUser.ID = %q, want ""`, r.ByUser.ID)
			}
		}},
		{"fieldChanges an object", `"fieldChanges":{"fieldPath":"accessLevel"}`, func(t *testing.T, r *AuditRecord) {
			if !r.OddFieldChanges {
				t.Error("r.OddFieldChanges is false")
			}
			if len(r.FieldChanges) != 0 {
				t.Errorf("r.FieldChanges = %v, want empty", r.FieldChanges)
			}
		}},
		{"fieldChanges of strings", `"fieldChanges":["accessLevel"]`, func(t *testing.T, r *AuditRecord) {
			if !r.OddFieldChanges {
				t.Error("r.OddFieldChanges is false")
			}
		}},
		{"fieldPath a number", `"fieldChanges":[{"fieldPath":5}]`, func(t *testing.T, r *AuditRecord) {
			if !r.OddFieldChanges {
				t.Error("r.OddFieldChanges is false")
			}
		}},
		{"fieldChanges null", `"fieldChanges":null`, func(t *testing.T, r *AuditRecord) {
			if r.OddFieldChanges {
				t.Error("r.OddFieldChanges is true")
			}
		}},
		{"support a string", `"support":"yes"`, func(t *testing.T, r *AuditRecord) {
			if r.Support {
				t.Error("r.Support is true")
			}
		}},
		{"deletedInfo a string", `"deletedInfo":"gone"`, func(t *testing.T, r *AuditRecord) {
			if r.DeletedInfo != nil {
				t.Errorf("r.DeletedInfo = %v, want nil", r.DeletedInfo)
			}
		}},
		{"source a number", `"source":1`, func(t *testing.T, r *AuditRecord) {
			if r.Source != "" {
				t.Errorf(`r.Source = %q, want ""`, r.Source)
			}
		}},
	}
	var items []string
	for _, tc := range cases {
		items = append(items, "{"+base+","+tc.extra+"}")
	}
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		writeJSONBody(w, http.StatusOK, "["+strings.Join(items, ",")+"]")
	})
	c, _ := newTestClient(t, api.URL)
	page, _, err := c.ListAudit(context.Background(), AuditQuery{}, "")
	if err != nil {
		t.Fatalf("one odd field fails the whole page: %v", err)
	}
	if len(page) != len(cases) {
		t.Fatalf("len(page) = %d, want %d", len(page), len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := page[i]
			if r.Event != "update" {
				t.Errorf("the other fields are read: r.Event = %q, want %q", r.Event, "update")
			}
			if r.ResourceID != "r1" {
				t.Errorf("r.ResourceID = %q, want %q", r.ResourceID, "r1")
			}
			if got := r.Time.Year(); got != 2026 {
				t.Errorf("r.Time.Year() = %d, want %d", got, 2026)
			}
			tc.check(t, r)
		})
	}
}
