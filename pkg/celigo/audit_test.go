package celigo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		require.NoError(t, err)
		for _, a := range page {
			got = append(got, fmt.Sprintf("%s %s %s %s %d", a.ID, a.ResourceID, a.ByUser.ID, a.FieldChanges[0].NewValue, a.Time.Day()))
		}
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, []string{`a0 r0 u0 "manage" 1`, `a1 r1 u1 "manage" 2`, `a2 r2 u2 "manage" 3`}, got)
	assert.Equal(t, 3, api.Count())
}

func TestListAuditSendsFilters(t *testing.T) {
	api := pagedAudit(t, 2)
	c, _ := newTestClient(t, api.URL)
	from := time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.FixedZone("CET", 3600))
	to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	_, next, err := c.ListAudit(context.Background(), AuditQuery{ResourceType: "user", ResourceID: "r1", Event: "update", From: from, To: to}, "")
	require.NoError(t, err)
	q := api.Hits()[0]
	assert.Equal(t, "2026-03-01T09:00:00.123Z", mustQuery(t, q.RawQuery, "from"), "UTC, milliseconds")
	assert.Equal(t, "2026-03-02T00:00:00.000Z", mustQuery(t, q.RawQuery, "to"))
	assert.Equal(t, "user", mustQuery(t, q.RawQuery, "resourceType"))
	assert.Equal(t, "r1", mustQuery(t, q.RawQuery, "_resourceId"))
	assert.Equal(t, "update", mustQuery(t, q.RawQuery, "event"))

	// The next page is the server's link, as it gave it: the filters are not added again.
	_, _, err = c.ListAudit(context.Background(), AuditQuery{ResourceType: "user"}, next)
	require.NoError(t, err)
	assert.Equal(t, "after=1", api.Hits()[1].RawQuery)

	// No filter, no query.
	_, _, err = c.ListAudit(context.Background(), AuditQuery{}, "")
	require.NoError(t, err)
	assert.Empty(t, api.Hits()[2].RawQuery)
}

func mustQuery(t *testing.T, raw, key string) string {
	t.Helper()
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			out, err := url.QueryUnescape(v)
			require.NoError(t, err)
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
			require.NoError(t, err)
			require.Len(t, page, 1)
			assert.Equal(t, tc.resource, page[0].ResourceID)
			assert.Equal(t, tc.event, page[0].Event)
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
			require.Error(t, err)
			assert.Nil(t, page)
			assert.Equal(t, tc.code, status.Code(err), "%v", err)
			assert.Equal(t, tc.refused, IsAccessRefused(err))
			requireNoToken(t, err)
		})
	}
}

func TestListAuditChecksThePageToken(t *testing.T) {
	api := pagedAudit(t, 2)
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListAudit(context.Background(), AuditQuery{}, api.URL+"/v1/ashares?after=1")
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	_, _, err = c.ListAudit(context.Background(), AuditQuery{}, "https://evil.example.com/v1/audit?after=1")
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Zero(t, api.Count())
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
			assert.Equal(t, "650000000000000000000001", r.ByUser.ID)
		}},
		{"byUser of odd fields", `"byUser":{"_id":5,"email":"x@example.com"}`, func(t *testing.T, r *AuditRecord) {
			assert.Empty(t, r.ByUser.ID)
		}},
		{"fieldChanges an object", `"fieldChanges":{"fieldPath":"accessLevel"}`, func(t *testing.T, r *AuditRecord) {
			assert.True(t, r.OddFieldChanges)
			assert.Empty(t, r.FieldChanges)
		}},
		{"fieldChanges of strings", `"fieldChanges":["accessLevel"]`, func(t *testing.T, r *AuditRecord) { assert.True(t, r.OddFieldChanges) }},
		{"fieldPath a number", `"fieldChanges":[{"fieldPath":5}]`, func(t *testing.T, r *AuditRecord) { assert.True(t, r.OddFieldChanges) }},
		{"fieldChanges null", `"fieldChanges":null`, func(t *testing.T, r *AuditRecord) { assert.False(t, r.OddFieldChanges) }},
		{"support a string", `"support":"yes"`, func(t *testing.T, r *AuditRecord) { assert.False(t, r.Support) }},
		{"deletedInfo a string", `"deletedInfo":"gone"`, func(t *testing.T, r *AuditRecord) { assert.Nil(t, r.DeletedInfo) }},
		{"source a number", `"source":1`, func(t *testing.T, r *AuditRecord) { assert.Empty(t, r.Source) }},
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
	require.NoError(t, err, "one odd field fails the whole page")
	require.Len(t, page, len(cases))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := page[i]
			assert.Equal(t, "update", r.Event, "the other fields are read")
			assert.Equal(t, "r1", r.ResourceID)
			assert.Equal(t, 2026, r.Time.Year())
			tc.check(t, r)
		})
	}
}
