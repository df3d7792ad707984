package connector_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// grantChanges lists the grant and revoke events as "grant|revoke entitlement principal", sorted.
func grantChanges(events []*v2.Event) []string {
	var out []string
	for _, e := range events {
		if g := e.GetCreateGrantEvent(); g != nil {
			out = append(out, "grant "+g.GetEntitlement().GetId()+" "+g.GetPrincipal().GetId().GetResource())
		}
		if r := e.GetCreateRevokeEvent(); r != nil {
			out = append(out, "revoke "+r.GetEntitlement().GetId()+" "+r.GetPrincipal().GetId().GetResource())
		}
	}
	slices.Sort(out)
	return out
}

func TestChangesFeedReportsAGrantAndWhatItImplies(t *testing.T) {
	for _, namesPerson := range []bool{false, true} { // Celigo may name a user record by either id
		t.Run(fmt.Sprintf("names person id %v", namesPerson), func(t *testing.T) {
			f := newFeedFixture(t, provAccount())
			f.fake.SetAuditNamesPerson(namesPerson)
			pf := &fixture{fake: f.fake, cc: f.cc, ctx: f.ctx}
			// chosen has a monitor entry on B and no role: made manager, Celigo ignores the entry.
			if _, err := pf.grant(chosen, ent("role", "manage", "assigned")); err != nil {
				t.Fatal(err)
			}
			f.afterLag()
			events, _ := f.drain(t, "celigo_changes", feedEpoch.Add(-time.Minute), "", 0)
			if got := changedResources(events); !slices.Equal(got, []string{"user/" + chosen}) {
				t.Errorf("changed resources = %v, want the user's access record", got)
			}
			want := []string{
				"grant role:manage:assigned " + chosen,
				"revoke integration:" + intB + ":monitor " + chosen,
			}
			if got := grantChanges(events); !slices.Equal(got, want) {
				t.Errorf("grant changes = %v, want %v", got, want)
			}
		})
	}
}

func TestChangesFeedNeverRepeatsNorSkips(t *testing.T) {
	for _, size := range []int{1, 7, 100} {
		t.Run(fmt.Sprintf("page size %d", size), func(t *testing.T) {
			f := newFeedFixture(t, provAccount())
			f.fake.SetPageSize(3)
			f.fake.SetAuditToExclusive(size == 7) // either reading of "to" is handled
			// 40 records in one millisecond, 20 in the next, added out of order, and some the feed skips.
			var entries []celigotest.AuditEntry
			for i := range 60 {
				at := feedEpoch
				if i%3 == 0 {
					at = at.Add(time.Millisecond)
				}
				entries = append(entries, celigotest.AuditEntry{ID: fmt.Sprintf("65aa000000000000000%05d", 60-i), Time: at,
					Event: "update", Source: "ui", ResourceType: "integration", ResourceID: intA})
			}
			entries = append(entries,
				celigotest.AuditEntry{Time: feedEpoch, Event: "view", ResourceType: "integration", ResourceID: intA},
				celigotest.AuditEntry{Time: feedEpoch, Event: "update", ResourceType: "flow", ResourceID: intA})
			f.fake.AddAudit(entries...)
			f.afterLag()

			events, cursor := f.drain(t, "celigo_changes", feedEpoch.Add(-time.Hour), "", size)
			ids := eventIDs(events)
			distinct := slices.Compact(slices.Sorted(slices.Values(ids)))
			if len(ids) != 60 || len(distinct) != 60 {
				t.Fatalf("%d events, %d distinct; want 60 once each", len(ids), len(distinct))
			}
			// Resumed later (another process: only the cursor is kept), only what is new comes, once old enough.
			f.fake.AddAudit(celigotest.AuditEntry{ID: "65bb00000000000000000001", Time: f.clock.Now(), Event: "delete", ResourceType: "integration", ResourceID: intB})
			if more, _ := f.drain(t, "celigo_changes", time.Time{}, cursor, size); len(more) != 0 {
				t.Fatalf("a record younger than the lag was reported: %v", eventIDs(more))
			}
			f.afterLag()
			more, next := f.drain(t, "celigo_changes", time.Time{}, cursor, size)
			if got := eventIDs(more); !slices.Equal(got, []string{"65bb00000000000000000001"}) {
				t.Fatalf("resumed feed = %v, want only the new record", got)
			}
			if again, _ := f.drain(t, "celigo_changes", time.Time{}, next, size); len(again) != 0 {
				t.Fatalf("reported again: %v", eventIDs(again))
			}
		})
	}
}

func TestChangesFeedReportsLateRecordsWithinTheLag(t *testing.T) {
	f := newFeedFixture(t, provAccount())
	f.fake.AddAudit(celigotest.AuditEntry{ID: "65aa00000000000000000002", Time: feedEpoch, Event: "update", ResourceType: "integration", ResourceID: intA})
	f.afterLag()
	events, cursor := f.drain(t, "celigo_changes", feedEpoch.Add(-time.Hour), "", 0)
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	// Written now, but with a time 30 seconds ago: newer than the lag, so not read past yet.
	late := f.clock.Now().Add(-30 * time.Second)
	f.fake.AddAudit(celigotest.AuditEntry{ID: "65aa00000000000000000001", Time: late, Event: "update", ResourceType: "integration", ResourceID: intB})
	f.afterLag()
	events, _ = f.drain(t, "celigo_changes", time.Time{}, cursor, 0)
	if got := eventIDs(events); !slices.Equal(got, []string{"65aa00000000000000000001"}) {
		t.Errorf("late record: events %v, want it once", got)
	}
}

func TestFeedStartIsClampedToWhatCeligoKeeps(t *testing.T) {
	f := newFeedFixture(t, provAccount())
	f.fake.ResetRequests()
	if _, err := f.list("celigo_changes", feedEpoch.AddDate(-3, 0, 0), "", 0); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.fake.Requests() {
		if r.Path != "/v1/audit" {
			continue
		}
		q := r.RawQuery
		from := q[strings.Index(q, "from=")+5:]
		from = strings.ReplaceAll(from[:strings.IndexByte(from+"&", '&')], "%3A", ":")
		got, err := time.Parse(time.RFC3339, from)
		if err != nil {
			t.Fatalf("from %q: %v", from, err)
		}
		if floor := feedEpoch.AddDate(0, 0, -366); got.Before(floor) {
			t.Errorf("audit read from %s, before Celigo's year of log", got)
		}
		return
	}
	t.Fatal("the audit log was not read")
}

func TestFeedsNeedTheAuditPermission(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		f := newFeedFixture(t, provAccount())
		f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/audit" {
				return &celigotest.Fault{Status: code, Body: `{"message":"Forbidden"}`}
			}
			return nil
		})
		for _, feed := range []string{"celigo_changes", "celigo_signins"} {
			_, err := f.list(feed, time.Time{}, "", 0)
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "audit log") || !strings.Contains(err.Error(), "Full access") {
				t.Errorf("%s, HTTP %d: %v; want FailedPrecondition naming the audit log permission", feed, code, err)
			}
			if strings.Contains(err.Error(), token) {
				t.Error("the token leaked into the error")
			}
		}
	}
}

func TestFeedRefusesAnotherFeedsCursor(t *testing.T) {
	f := newFeedFixture(t, provAccount())
	f.afterLag()
	resp, err := f.list("celigo_signins", feedEpoch.Add(-time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{resp.GetCursor(), "not a cursor", `{"f":"celigo_changes","t":1,"x":2}`} {
		if _, err := f.list("celigo_changes", time.Time{}, bad, 0); status.Code(err) != codes.InvalidArgument {
			t.Errorf("cursor %q: %v, want InvalidArgument", bad, err)
		}
	}
}

func TestChangesFeedReadsUsersOnlyWhenNeeded(t *testing.T) {
	f := newFeedFixture(t, provAccount())
	f.fake.AddAudit(
		celigotest.AuditEntry{Time: feedEpoch, Event: "update", ResourceType: "integration", ResourceID: intA, Support: true},
		celigotest.AuditEntry{Time: feedEpoch, Event: "create", ResourceType: "connection", ResourceID: intA})
	f.afterLag()
	f.fake.ResetRequests()
	events, _ := f.drain(t, "celigo_changes", feedEpoch.Add(-time.Hour), "", 0)
	if got := changedResources(events); !slices.Equal(got, []string{"integration/" + intA}) {
		t.Fatalf("changed = %v", got)
	}
	for _, r := range f.fake.Requests() {
		if r.Path != "/v1/audit" {
			t.Errorf("%s %s read although no record needs it", r.Method, r.Path)
		}
	}
	if !supportMarked(t, events[0]) {
		t.Error("a change by Celigo support is not marked")
	}

	// A user change needs the users list: read once however many records.
	for range 5 {
		f.fake.AddAudit(celigotest.AuditEntry{Time: f.clock.Now(), Event: "update", ResourceType: "user", ResourceID: chosen})
	}
	f.fake.AddAudit(celigotest.AuditEntry{Time: f.clock.Now(), Event: "delete", ResourceType: "user", ResourceID: "65cc00000000000000000009"})
	f.afterLag()
	f.fake.ResetRequests()
	events, _ = f.drain(t, "celigo_changes", feedEpoch.Add(time.Minute), "", 0)
	want := []string{"user/" + chosen, "user/" + chosen, "user/" + chosen, "user/" + chosen, "user/" + chosen, "user/65cc00000000000000000009"}
	if got := changedResources(events); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("changed = %v, want %v (a removed user still yields its change)", got, want)
	}
	users := 0
	for _, r := range f.fake.Requests() {
		if r.Path == "/v1/ashares" {
			users++
		}
	}
	if users != 1 {
		t.Errorf("users list read %d times, want once", users)
	}
}

func supportMarked(t *testing.T, e *v2.Event) bool {
	t.Helper()
	for _, a := range e.GetAnnotations() {
		var s structpb.Struct
		if a.UnmarshalTo(&s) == nil && s.GetFields()["celigo_support"].GetBoolValue() {
			return true
		}
	}
	return false
}

var _ = connector.AuditLag
