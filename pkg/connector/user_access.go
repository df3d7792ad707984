package connector

import "github.com/conductorone/baton-celigo/pkg/celigo"

// userExtras is what grants need of a record beyond its role and integration entries.
type userExtras struct {
	mcp         map[string][]string // MCP server id → scopes its entries list
	allMCP      bool
	permissions []string // permission resource ids the record allows
}

func extrasOf(x *celigo.RecordExtras) userExtras {
	e := userExtras{mcp: celigo.DirectMCPAccess(x), allMCP: x.AllMCPServerAccess}
	for _, p := range permissions {
		if celigo.HasPermission(x, p.field) {
			e.permissions = append(e.permissions, p.id)
		}
	}
	return e
}
