package connector_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestGrantAnswersFitGRPCAtAnyEntriesPerUser: 2,500 users, each with 11 integration entries Celigo honours
// and read and write on 6 MCP servers, sync under gRPC's real 4 MB limit (synctest keeps it): Grants
// answers are cut by grants and bytes, not by users. Every direct grant arrives once.
func TestGrantAnswersFitGRPCAtAnyEntriesPerUser(t *testing.T) {
	const users, integrations, servers = 2500, 11, 6
	acct := celigotest.Generate(20, users, integrations)
	acct.MCPServers = nil
	var mcpEntries []any
	for i := range servers {
		id := fmt.Sprintf("65f1%020x", i)
		acct.MCPServers = append(acct.MCPServers, celigotest.MCPServer{ID: id, Name: "Server " + id, RelativeURI: "/s" + id})
		mcpEntries = append(mcpEntries, map[string]any{"_mcpServerId": id, "scopes": []any{"mcp:read", "mcp:write"}})
	}
	for i, rec := range acct.Shares {
		delete(rec, "accessLevel") // entries are the user's only access: Celigo honours them, and no role grant needs expanding
		var entries []any
		for j, it := range acct.Integrations {
			entries = append(entries, map[string]any{"_integrationId": it.ID, "accessLevel": []string{"monitor", "manage"}[(i+j)%2]})
		}
		rec["integrationAccessLevel"] = entries
		rec["mcpServerAccessLevel"] = mcpEntries
		rec["allMcpServerAccess"] = false
	}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	d := syncFake(t, fake)

	seen := map[string]int{}
	for _, g := range d.Grants {
		if isExpanded(g) || g.GetPrincipal().GetId().GetResourceType() != "user" {
			continue
		}
		typ := g.GetEntitlement().GetResource().GetId().GetResourceType()
		if typ == "integration" || typ == "mcp_server" {
			seen[g.GetId()]++
		}
	}
	direct := map[string]int{}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("grant %s served %d times", id, n)
		}
		direct[strings.SplitN(id, ":", 2)[0]]++
	}
	if direct["integration"] != users*integrations || direct["mcp_server"] != users*servers*2 {
		t.Errorf("direct grants %v, want %d integration and %d MCP server grants", direct, users*integrations, users*servers*2)
	}
}
