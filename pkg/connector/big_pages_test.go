package connector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/protobuf/proto"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

func newConnector(t *testing.T, fake *celigotest.Server) *connector.Connector {
	t.Helper()
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep, RetryBudget: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return connector.NewWithClient(client)
}

// TestSyncOfOneTenThousandUserPage: a single API page of 10,000 users becomes several answers, each under
// gRPC's 4 MB limit (synctest keeps the real limits), and the sync holds every user, read from Celigo once.
func TestSyncOfOneTenThousandUserPage(t *testing.T) {
	const users = 10_000
	acct := celigotest.Generate(10, users, 4)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(users)
	d := syncFake(t, fake)
	for _, rec := range acct.Shares {
		if d.Resources[synctest.Key("user", str(rec, "_id"))] == nil {
			t.Fatalf("user %s missing", str(rec, "_id"))
		}
	}
	if n := countType(d, "user"); n != users+1 {
		t.Errorf("%d users, want %d and the owner", n, users)
	}
	if d.Resources[synctest.Key("user", acct.Owner.ID)] == nil {
		t.Error("the owner is missing")
	}
	reads := 0
	for _, r := range fake.Requests() {
		if r.Path == "/v1/ashares" {
			reads++
		}
	}
	if reads != 2 {
		t.Errorf("%d reads of /v1/ashares, want 2 (validation and the sync)", reads)
	}
	want := 0
	for _, rec := range acct.Shares {
		if lvl := str(rec, "accessLevel"); lvl != "" {
			want++
		}
	}
	got := 0
	for _, g := range d.Grants {
		p := g.GetPrincipal().GetId()
		account := strings.HasPrefix(g.GetEntitlement().GetId(), "role:") && !strings.HasPrefix(g.GetEntitlement().GetId(), "role:all_mcp_servers:")
		if p.GetResourceType() == "user" && account && p.GetResource() != acct.Owner.ID && !isExpanded(g) {
			got++
		}
	}
	if got != want {
		t.Errorf("%d role grants, want %d", got, want)
	}
}

// TestBigPageIsServedInParts: List answers cut from one big page stay under the size budget, go on from
// memory (one read), and cover every record exactly once.
func TestBigPageIsServedInParts(t *testing.T) {
	acct := celigotest.Generate(11, 3000, 2)
	for _, rec := range acct.Shares {
		swu := rec["sharedWithUser"].(map[string]any)
		swu["name"] = strings.Repeat("N", 1500) // large resources: the byte budget, not the count, cuts
	}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(3000)
	users := newConnector(t, fake).ResourceSyncers(context.Background())[0]
	seen := map[string]int{}
	answers := 0
	for tok := ""; ; answers++ {
		out, res, err := users.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
		if err != nil {
			t.Fatal(err)
		}
		size := proto.Size(v2.ResourcesServiceListResourcesResponse_builder{List: out, NextPageToken: res.NextPageToken}.Build())
		if size > connector.ResourceBytesPerPage+64<<10 {
			t.Errorf("answer %d is %d bytes", answers, size)
		}
		for _, r := range out {
			seen[r.GetId().GetResource()]++
		}
		if res.NextPageToken == tok {
			t.Fatal("a page token repeated")
		}
		if tok = res.NextPageToken; tok == "" {
			break
		}
	}
	if answers < 2 {
		t.Errorf("%d answers: the page was not cut", answers+1)
	}
	if len(seen) != 3000+1 {
		t.Errorf("%d distinct users, want 3001", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s served %d times", id, n)
		}
	}
	if n := len(fake.Requests()); n != 3 { // the page, then tokenInfo and profile for the owner
		t.Errorf("%d requests: %v", n, fake.Requests())
	}
}

// TestPartOfAPageResumedElsewhere: a token for the middle of a page, used by a process that has not read the
// page, reads it again and goes on after the last record served; if that record is gone, it serves the page
// again from the start rather than skip anyone.
func TestPartOfAPageResumedElsewhere(t *testing.T) {
	acct := celigotest.Generate(12, 2500, 2)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(2500)
	first := newConnector(t, fake).ResourceSyncers(context.Background())[0]
	out, res, err := first.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s"})
	if err != nil || res.NextPageToken == "" {
		t.Fatalf("first part: %d %v %v", len(out), res, err)
	}
	served := map[string]bool{}
	for _, r := range out {
		served[r.GetId().GetResource()] = true
	}
	rest := func(c *connector.Connector) map[string]bool {
		got := map[string]bool{}
		users := c.ResourceSyncers(context.Background())[0]
		for tok := res.NextPageToken; tok != ""; {
			out, r, err := users.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range out {
				got[x.GetId().GetResource()] = true
			}
			tok = r.NextPageToken
		}
		return got
	}
	got := rest(newConnector(t, fake))
	for _, rec := range acct.Shares {
		id := str(rec, "_id")
		if served[id] == got[id] {
			t.Fatalf("user %s: served first %v, then %v", id, served[id], got[id])
		}
	}
	// The last record served is deleted in Celigo before the other process goes on.
	last := out[len(out)-1].GetId().GetResource()
	if _, err := newConnector(t, fake).ResourceSyncers(context.Background())[0].(connectorbuilder.ResourceDeleterV2Limited).Delete(context.Background(), userIDOf(last), nil); err != nil {
		t.Fatal(err)
	}
	got = rest(newConnector(t, fake))
	for _, rec := range fake.Shares() {
		if !got[str(rec, "_id")] {
			t.Fatalf("user %s skipped after the page changed", str(rec, "_id"))
		}
	}
}

func userIDOf(id string) *v2.ResourceId {
	return v2.ResourceId_builder{ResourceType: "user", Resource: id}.Build()
}
