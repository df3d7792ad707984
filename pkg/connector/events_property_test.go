package connector_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestChangesFeedReplaysProvisioning is the change feed's property: after any sequence of provisioning
// requests, the feed from before the first one reports every user a request changed, and its grant and
// revoke events, replayed onto the sync before, give the sync after's grants for those users. Requests
// land in the same millisecond or in the next at random, so changes that share a time are covered.
// Seeded: a failure names its seed.
func TestChangesFeedReplaysProvisioning(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
			acct := provAccount()
			acct.MCPServers = []celigotest.MCPServer{{ID: mcpServer, Name: "Agent", RelativeURI: "/agent"}}
			f := newFeedFixture(t, acct)
			f.fake.SetAuditNamesPerson(seed%2 == 1) // Celigo may name a user record by either id
			before := directGrants(syncFake(t, f.fake))
			start := f.clock.Now()

			pf := &fixture{fake: f.fake, cc: f.cc, ctx: f.ctx}
			var steps []string
			for range 14 {
				if rng.IntN(2) == 1 {
					f.clock.Add(time.Millisecond)
				}
				steps = append(steps, randomRequest(rng, pf))
			}
			f.afterLag()
			after := directGrants(syncFake(t, f.fake))

			events, _ := f.drain(t, "celigo_changes", start, "", 1+rng.IntN(5))
			reported := map[string]bool{}
			for _, r := range changedResources(events) {
				reported[r] = true
			}
			for _, e := range f.fake.Audit() {
				if e.ResourceType == "user" && !reported["user/"+e.ResourceID] && !reported["user/"+recordOf(acct, f.fake, e.ResourceID)] {
					t.Errorf("user %s changed (%s) but the feed does not report it; requests: %v", e.ResourceID, e.Event, steps)
				}
			}
			replayed := map[string]bool{}
			for g := range before {
				if reported["user/"+g.principal] {
					replayed[g.String()] = true
				}
			}
			for _, e := range events {
				if g := e.GetCreateGrantEvent(); g != nil {
					replayed[heldGrant{g.GetEntitlement().GetId(), g.GetPrincipal().GetId().GetResource()}.String()] = true
				}
				if r := e.GetCreateRevokeEvent(); r != nil {
					delete(replayed, heldGrant{r.GetEntitlement().GetId(), r.GetPrincipal().GetId().GetResource()}.String())
				}
			}
			want := map[string]bool{}
			for g := range after {
				if reported["user/"+g.principal] {
					want[g.String()] = true
				}
			}
			if !mapsEqual(replayed, want) {
				t.Errorf("replayed grants differ from the later sync's\nrequests: %v\nextra:   %v\nmissing: %v",
					steps, minus(replayed, want), minus(want, replayed))
			}
		})
	}
}

// recordOf is the access-record id of a person's user id, among the records before and after the requests.
func recordOf(acct celigotest.Account, fake *celigotest.Server, person string) string {
	for _, rec := range append(acct.Shares, fake.Shares()...) {
		if rec["sharedWithUser"].(map[string]any)["_id"] == person {
			return rec["_id"].(string)
		}
	}
	return person
}

type heldGrant struct{ entitlement, principal string }

func (g heldGrant) String() string { return g.entitlement + " " + g.principal }

// directGrants are a sync's grants to users as the connector emitted them (not the SDK's expansion).
func directGrants(d *synctest.Dump) map[heldGrant]bool {
	out := map[heldGrant]bool{}
	for _, g := range d.Grants {
		if g.GetPrincipal().GetId().GetResourceType() == "user" && !isExpanded(g) {
			out[heldGrant{g.GetEntitlement().GetId(), g.GetPrincipal().GetId().GetResource()}] = true
		}
	}
	return out
}

func mapsEqual(a, b map[string]bool) bool {
	return len(minus(a, b)) == 0 && len(minus(b, a)) == 0
}

func minus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// randomRequest sends one provisioning request, refused or not, and says what it was.
func randomRequest(rng *rand.Rand, f *fixture) string {
	users := []string{admin, manager, monitor, chosen, nobody}
	for _, r := range f.fake.Shares() {
		if id := r["_id"].(string); !slices.Contains(users, id) {
			users = append(users, id) // invited by an earlier step
		}
	}
	user := users[rng.IntN(len(users))]
	entitlements := []*v2.Entitlement{
		ent("role", "administrator", "assigned"), ent("role", "manage", "assigned"), ent("role", "monitor", "assigned"),
		ent("role", "all_mcp_servers", "assigned"),
		ent("integration", intA, "manage"), ent("integration", intA, "monitor"),
		ent("integration", intB, "manage"), ent("integration", intB, "monitor"),
		ent("mcp_server", mcpServer, "read"), ent("mcp_server", mcpServer, "write"),
		ent("permission", "edit_retry_data", "allowed"), ent("permission", "api_management", "allowed"),
		ent("permission", "create_workspaces", "allowed"),
	}
	e := entitlements[rng.IntN(len(entitlements))]
	switch n := rng.IntN(20); {
	case n < 9:
		_, err := f.grant(user, e)
		return fmt.Sprintf("grant %s to %s (%v)", e.GetId(), user, err)
	case n < 17:
		_, err := f.revoke(user, e)
		return fmt.Sprintf("revoke %s from %s (%v)", e.GetId(), user, err)
	case n < 18:
		email := fmt.Sprintf("new%d@example.com", rng.IntN(1000))
		_, err := f.createAccount(email, []string{"monitor", "manage", ""}[rng.IntN(3)])
		return fmt.Sprintf("invite %s (%v)", email, err)
	case n < 19:
		err := f.action([]string{"disable_user", "enable_user"}[rng.IntN(2)], user)
		return fmt.Sprintf("toggle %s (%v)", user, err)
	default:
		_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", user).GetId()}.Build())
		return fmt.Sprintf("delete %s (%v)", user, err)
	}
}
