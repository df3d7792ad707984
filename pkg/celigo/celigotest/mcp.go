package celigotest

import (
	"slices"
	"time"
)

// MCP server access scopes as Celigo spells them.
const (
	ScopeRead  = "mcp:read"
	ScopeWrite = "mcp:write"
)

// MCPServer is one /v1/mcpservers item.
type MCPServer struct {
	ID, Name, Description, RelativeURI string
	CreatedAt, LastModified            time.Time
	// ExternalProvider, when set, is the MCP OAuth provider the server signs users in with instead of
	// Celigo (served as oauth._mcpOAuthProviderId): Celigo then does not govern who uses it.
	ExternalProvider string
}

func mcpServerJSON(s MCPServer) map[string]any {
	m := map[string]any{
		"_id":          s.ID,
		"name":         s.Name,
		"relativeURI":  s.RelativeURI,
		"disabled":     false,
		"createdAt":    formatTime(s.CreatedAt),
		"lastModified": formatTime(s.LastModified),
		"tools":        []any{},
		"apis":         []any{},
	}
	if s.Description != "" {
		m["description"] = s.Description
	}
	if s.ExternalProvider != "" {
		m["oauth"] = map[string]any{"_mcpOAuthProviderId": s.ExternalProvider}
	}
	return m
}

// EffectiveMCPAccess computes who can use which MCP server, independently of the connector: user id (the
// ashare _id, the owner under Owner.ID) → server id → scopes, read before write. Administrators, the owner
// and users with allMcpServerAccess hold read and write on every server (Celigo does not document the
// scopes; the connector assumes the same); others hold what their entries list. Servers that sign users in
// with an external provider are left out: Celigo's records do not say who may use them. Users without any
// access are left out.
func EffectiveMCPAccess(acct Account) map[string]map[string][]string {
	governed := map[string]bool{}
	for _, s := range acct.MCPServers {
		if s.ExternalProvider == "" {
			governed[s.ID] = true
		}
	}
	everything := func() map[string][]string {
		m := map[string][]string{}
		for id := range governed {
			m[id] = []string{ScopeRead, ScopeWrite}
		}
		return m
	}
	out := map[string]map[string][]string{}
	if acct.Owner.ID != "" && len(governed) > 0 {
		out[acct.Owner.ID] = everything()
	}
	for _, rec := range acct.Shares {
		id, _ := rec["_id"].(string)
		m := map[string][]string{}
		if level, _ := rec["accessLevel"].(string); level == LevelAdministrator || rec["allMcpServerAccess"] == true {
			m = everything()
		}
		for server, scopes := range recordMCPEntries(rec) {
			if governed[server] {
				m[server] = unionScopes(m[server], scopes)
			}
		}
		if len(m) > 0 {
			out[id] = m
		}
	}
	return out
}

// recordMCPEntries reads mcpServerAccessLevel: server id → the documented scopes listed for it.
func recordMCPEntries(rec map[string]any) map[string][]string {
	raw, _ := normalize(rec["mcpServerAccessLevel"]).([]any)
	out := map[string][]string{}
	for _, item := range raw {
		e, _ := item.(map[string]any)
		id, _ := e["_mcpServerId"].(string)
		list, _ := e["scopes"].([]any)
		var scopes []string
		for _, s := range list {
			if s == ScopeRead || s == ScopeWrite {
				scopes = append(scopes, s.(string))
			}
		}
		if id != "" && len(scopes) > 0 {
			out[id] = unionScopes(out[id], scopes)
		}
	}
	return out
}

func unionScopes(a, b []string) []string {
	var out []string
	for _, s := range []string{ScopeRead, ScopeWrite} {
		if slices.Contains(a, s) || slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// MCPServers returns a copy of the MCP servers, in list order.
func (s *Server) MCPServers() []MCPServer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MCPServer(nil), s.mcpServers...)
}
