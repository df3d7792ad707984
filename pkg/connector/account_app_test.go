package connector_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

func TestSyncHasTheAccountApp(t *testing.T) {
	for _, ownerVisible := range []bool{true, false} {
		acct := celigotest.Generate(3, 4, 2)
		wantOwner := acct.Owner.ID
		if !ownerVisible {
			acct.TokenUserID = acct.Shares[0]["sharedWithUser"].(map[string]any)["_id"].(string)
			wantOwner = ""
		}
		fake := celigotest.NewServer(token, acct)
		d := syncFake(t, fake)
		fake.Close()
		if n := countType(d, "account"); n != 1 {
			t.Fatalf("%d account resources, want 1", n)
		}
		r := d.Resources[synctest.Key("account", "celigo")]
		if r == nil {
			t.Fatal("no account/celigo resource")
		}
		p := appProfile(t, r)
		if p["region"] != "us" || p["owner_user_id"] != wantOwner {
			t.Errorf("owner visible %v: profile %v, want region us and owner %q", ownerVisible, p, wantOwner)
		}
	}
}

func TestSigninsFeedReportsUsageOfTheAccount(t *testing.T) {
	f := newFeedFixture(t, provAccount())
	janePerson := "6500000000000000000000c4" // the person behind access record `chosen`
	f.fake.AddAudit(
		celigotest.AuditEntry{ID: "65dd00000000000000000001", Time: feedEpoch, Event: "signin", Source: "sso", ResourceType: "user",
			ByUser: celigotest.Person{ID: janePerson, Email: "user4@example.com", Name: "User 4"}},
		celigotest.AuditEntry{ID: "65dd00000000000000000002", Time: feedEpoch.Add(time.Second), Event: "signin", Source: "ui", ResourceType: "user",
			ByUser: celigotest.Person{ID: ownerID, Email: "owner@example.com"}},
		celigotest.AuditEntry{ID: "65dd00000000000000000003", Time: feedEpoch, Event: "update", ResourceType: "integration", ResourceID: intA})
	f.afterLag()
	events, _ := f.drain(t, "celigo_signins", feedEpoch.Add(-time.Hour), "", 0)
	var got []string
	for _, e := range events {
		u := e.GetUsageEvent()
		if u == nil {
			t.Fatalf("event %s is not a usage event", e.GetId())
		}
		got = append(got, u.GetActorResource().GetId().GetResource()+" "+u.GetActorResource().GetDisplayName()+" -> "+
			u.GetTargetResource().GetId().GetResourceType()+"/"+u.GetTargetResource().GetId().GetResource())
	}
	want := []string{chosen + " User 4 -> account/celigo", ownerID + " owner@example.com -> account/celigo"}
	if !slices.Equal(got, want) {
		t.Errorf("usage events = %v, want %v", got, want)
	}
	for _, r := range f.fake.Requests() {
		if q, _ := url.ParseQuery(r.RawQuery); r.Path == "/v1/audit" && q.Get("event") != "signin" && q.Get("after") == "" {
			t.Errorf("audit read without the signin filter: %s", r.RawQuery)
		}
	}
}

// appProfile is a resource's profile.
func appProfile(t *testing.T, r *v2.Resource) map[string]any {
	t.Helper()
	return r.GetProfile().AsMap()
}
