package connector_test

import (
	"context"
	"strings"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestUnknownValuesAreLoggedOncePerSync: values Celigo is not documented to send are logged once per sync
// each, with the value and what was made of it.
func TestUnknownValuesAreLoggedOncePerSync(t *testing.T) {
	intA, intB := "6500000000000000000000c1", "6500000000000000000000c2"
	person := func(n string) celigotest.Person {
		return celigotest.Person{ID: "6500000000000000000000b" + n, Email: "u" + n + "@example.com"}
	}
	acct := celigotest.Account{
		Owner:        celigotest.Person{ID: "650000000000000000000001", Email: "o@example.com"},
		Integrations: []celigotest.Integration{{ID: intA, Name: "A"}, {ID: intB, Name: "B"}},
		Shares: []map[string]any{
			celigotest.NewShare("6500000000000000000000a1", person("1"), "tile", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "manage"}),
			celigotest.NewShare("6500000000000000000000a2", person("2"), "tile"),
			celigotest.NewShare("6500000000000000000000a3", person("3"), "Manage"),
			celigotest.NewShare("6500000000000000000000a4", person("4"), "", celigotest.IntegrationAccess{IntegrationID: intB, AccessLevel: "edit"}),
			celigotest.NewShare("6500000000000000000000a5", person("5"), "monitor", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "Monitor"}),
			celigotest.NewShare("6500000000000000000000a6", person("6"), "", celigotest.IntegrationAccess{AccessLevel: "manage"}),
			// Celigo ignores the entries of a manager: an odd level there changes nothing and is not noise.
			celigotest.NewShare("6500000000000000000000a7", person("7"), "manage", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "owner"}),
		},
	}
	mcpUser := celigotest.NewShare("6500000000000000000000a8", person("8"), "monitor")
	mcpUser["mcpServerAccessLevel"] = []any{map[string]any{"_mcpServerId": "65f0000000000000000000c1", "scopes": []any{"mcp:read", "mcp:admin"}}}
	acct.Shares = append(acct.Shares, mcpUser)
	// How a person joined is informative: an undocumented value is kept and said once (an info line).
	acct.Shares[1]["createdVia"] = "carrier_pigeon"
	acct.Shares[5]["createdVia"] = "carrier_pigeon"
	delete(acct.Shares[6], "createdVia")
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(2)
	core, logs := observer.New(zap.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	c := newConnector(t, fake)
	syncers := c.ResourceSyncers(ctx)
	listAll := func(syncID string) {
		for tok := ""; ; {
			_, res, err := syncers[0].List(ctx, nil, rs.SyncOpAttrs{SyncID: syncID, PageToken: paginationToken(tok)})
			if err != nil {
				t.Fatal(err)
			}
			if tok = res.NextPageToken; tok == "" {
				return
			}
		}
	}
	listAll("s1")
	listAll("s1") // the same sync reading again: nothing new to say
	// Grants of a resumed sync read the list again: they log for their own sync.
	if _, _, err := syncers[1].(connectorbuilder.TypeScopedGrantsSyncer).GrantsForResourceType(ctx, "role", rs.SyncOpAttrs{SyncID: "s2"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"tile":    "no role; the user's integration entries count, as for a user without a role",
		"Manage":  "no role; the user's integration entries count, as for a user without a role",
		"edit":    "no access to that integration from this entry",
		"Monitor": "no access to that integration from this entry",
		"":        "no access: it names no integration",
	}
	times, viaTimes := map[string]int{}, 0
	for _, e := range logs.All() {
		f := e.ContextMap()
		if _, odd := f["treated_as"]; !odd {
			continue // another line, not about an odd value
		}
		if via, ok := f["created_via"]; ok {
			if via != "carrier_pigeon" || e.Level != zap.InfoLevel || !strings.Contains(f["treated_as"].(string), "kept as is") {
				t.Errorf("createdVia line %q %v at %s", e.Message, f, e.Level)
			}
			viaTimes++
			continue
		}
		if scope, ok := f["scope"].(string); ok {
			if scope != "mcp:admin" || f["treated_as"] != "no access from this scope; the entry's other scopes count" {
				t.Errorf("%q: %v", e.Message, f)
			}
			times["scope "+scope]++
			continue
		}
		if e.Level != zap.WarnLevel {
			t.Errorf("%q at %s, want a warning: it changes access", e.Message, e.Level)
		}
		value, _ := f["access_level"].(string)
		treated, _ := f["treated_as"].(string)
		if want[value] != treated {
			t.Errorf("%q: value %q treated as %q, want %q", e.Message, value, treated, want[value])
		}
		times[value]++
	}
	if times["scope mcp:admin"] != 2 {
		t.Errorf("the scope mcp:admin logged %d times, want once in each of the two syncs", times["scope mcp:admin"])
	}
	for value := range want {
		if times[value] != 2 {
			t.Errorf("value %q logged %d times, want once in each of the two syncs", value, times[value])
		}
	}
	if len(times) != len(want)+1 { // and the MCP scope
		t.Errorf("logged values %v, want %v", times, want)
	}
	if viaTimes != 2 {
		t.Errorf("undocumented createdVia logged %d times, want once in each of the two syncs", viaTimes)
	}
}
