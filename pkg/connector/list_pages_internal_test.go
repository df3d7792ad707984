package connector

import (
	"context"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// TestOnePageListWithoutTheWalk: a list grants never need whole is served by serveList without the walk:
// one Celigo page per call, every record once, nothing kept for grants, and the page cap still applies.
func TestOnePageListWithoutTheWalk(t *testing.T) {
	acct := celigotest.Generate(51, 4, 7)
	fake := celigotest.NewServer("tok", acct)
	defer fake.Close()
	fake.SetPageSize(2)
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: "tok", RetryBudget: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := NewWithClient(client)
	list := celigoList[celigo.Integration]{name: "integrations", read: client.ListIntegrations, id: integrationKey,
		describe: func(it *celigo.Integration) (*v2.Resource, error) {
			return rs.NewAppResource(it.Name, integrationResourceType, it.ID, nil)
		}}
	serveAll := func() (map[string]int, error) {
		seen := map[string]int{}
		for tok := ""; ; {
			part, err := serveList(context.Background(), c, rs.SyncOpAttrs{SyncID: "s", PageToken: pagination.Token{Token: tok}}, list)
			if err != nil {
				return seen, err
			}
			for _, r := range part.resources {
				seen[r.GetId().GetResource()]++
			}
			if part.end != (part.next == "") {
				t.Fatalf("end %v with next %q", part.end, part.next)
			}
			if tok = part.next; tok == "" {
				return seen, nil
			}
		}
	}
	fake.ResetRequests()
	seen, err := serveAll()
	if err != nil || len(seen) != len(acct.Integrations) {
		t.Fatalf("%d of %d integrations: %v", len(seen), len(acct.Integrations), err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s served %d times", id, n)
		}
	}
	if n := getsOf(fake, "/v1/integrations"); n != 4 {
		t.Errorf("%d reads of 4 pages", n)
	}
	if l, _ := c.lists.integrations.Complete(context.Background(), walk.Sync{ID: "s"}, func(context.Context, string) ([]string, string, error) {
		return nil, "", nil
	}); len(l.Items) != 0 {
		t.Errorf("the walk kept %d integrations of a list served without it", len(l.Items))
	}

	defer SetMaxListPages(3)()
	if _, err := serveAll(); err == nil || !strings.Contains(err.Error(), "after 3") {
		t.Errorf("past the page cap: %v", err)
	}
}

func getsOf(fake *celigotest.Server, path string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}
