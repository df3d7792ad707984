package celigo

import (
	"errors"
	"fmt"
	"slices"
)

// MCP server access scopes, as mcpServerAccessLevel lists them.
const (
	ScopeRead  = "mcp:read"
	ScopeWrite = "mcp:write"
)

// ImplicitMCPScopes are what a user holds on every MCP server without a per-server entry: administrators
// (and so the owner) and users with allMcpServerAccess. Celigo documents that they have access to every
// server, not which scopes that access carries: read and write is assumed. Change it here only.
var ImplicitMCPScopes = []string{ScopeRead, ScopeWrite}

// IsMCPScope reports whether scope is one Celigo documents for MCP server access.
func IsMCPScope(scope string) bool { return scope == ScopeRead || scope == ScopeWrite }

// MCPServerAccess is one mcpServerAccessLevel entry.
type MCPServerAccess struct {
	ServerID string   `json:"_mcpServerId"`
	Scopes   []string `json:"scopes"`
}

// Where implicit access to every MCP server comes from.
const (
	MCPFromAdministrator = "administrator"      // the account role
	MCPFromAllServers    = "allMcpServerAccess" // access to every current and future server
)

// ImplicitMCPSource says why a record holds ImplicitMCPScopes on every MCP server: MCPFromAdministrator,
// MCPFromAllServers, or "" when it holds only what its entries list. The owner is not a record; it holds
// the administrator's access and more.
func ImplicitMCPSource(u *User) string {
	switch {
	case u.AccessLevel == LevelAdministrator:
		return MCPFromAdministrator
	case u.AllMCPServerAccess:
		return MCPFromAllServers
	}
	return ""
}

// DirectMCPAccess is what a record's own entries give: server id → scopes, known scopes only, read before
// write. Entries for one server are merged.
func DirectMCPAccess(x *RecordExtras) map[string][]string {
	if len(x.MCPServerAccessLevel) == 0 {
		return nil
	}
	out := make(map[string][]string, len(x.MCPServerAccessLevel))
	for _, e := range x.MCPServerAccessLevel {
		if e.ServerID == "" {
			continue
		}
		if scopes := knownScopes(append(out[e.ServerID], e.Scopes...)); len(scopes) > 0 {
			out[e.ServerID] = scopes
		}
	}
	return out
}

// knownScopes keeps the documented scopes of list, once each, read before write. Write implies read (a
// server's tools cannot be written to by someone who cannot read them, and Celigo's UI offers read or read
// and write), so an entry that lists write alone holds both.
func knownScopes(list []string) []string {
	switch {
	case slices.Contains(list, ScopeWrite):
		return []string{ScopeRead, ScopeWrite}
	case slices.Contains(list, ScopeRead):
		return []string{ScopeRead}
	}
	return nil
}

// UnknownMCPScopes lists the scopes of a record's entries that Celigo does not document (mcp:admin, ...):
// they give no access here, and the caller says so in its log.
func UnknownMCPScopes(x *RecordExtras) []string {
	var out []string
	for _, e := range x.MCPServerAccessLevel {
		for _, s := range e.Scopes {
			if !IsMCPScope(s) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// MCPScopes is what a user can do on one MCP server that uses Celigo as its identity provider: the
// implicit scopes if any, and what its entries list.
func MCPScopes(u *User, serverID string) []string {
	have := DirectMCPAccess(&u.RecordExtras)[serverID]
	if ImplicitMCPSource(u) != "" {
		have = append(have, ImplicitMCPScopes...)
	}
	return knownScopes(have)
}

// MCPImplicitError says MCP access cannot be revoked per server because the user holds it on every server.
type MCPImplicitError struct {
	Source, ServerID, Scope string
}

func (e *MCPImplicitError) Error() string {
	if e.Source == MCPFromAdministrator {
		return fmt.Sprintf("%s on MCP server %s comes from the user's account-wide %q role (administrators use every MCP server), not from a per-server entry: revoke the %q role instead",
			e.Scope, e.ServerID, LevelAdministrator, LevelAdministrator)
	}
	return fmt.Sprintf("%s on MCP server %s comes from the user's access to all MCP servers (allMcpServerAccess), not from a per-server entry: revoke \"All MCP servers\" instead",
		e.Scope, e.ServerID)
}

func checkMCPArgs(serverID, scope string) error {
	if !IsMCPScope(scope) {
		return fmt.Errorf("%q is not an MCP server scope (use %s or %s)", scope, ScopeRead, ScopeWrite)
	}
	if serverID == "" {
		return errors.New("MCP server id is empty")
	}
	return nil
}

// GrantMCP gives scope on one MCP server through the user's entry for it, unless the user already has it.
// Write comes with read: an entry is ["mcp:read"] or ["mcp:read","mcp:write"].
func GrantMCP(u *User, serverID, scope string) (bool, error) {
	if err := checkMCPArgs(serverID, scope); err != nil {
		return false, err
	}
	if slices.Contains(MCPScopes(u, serverID), scope) {
		return false, nil
	}
	want := []string{ScopeRead}
	if scope == ScopeWrite {
		want = append(want, ScopeWrite)
	}
	entries := slices.Clone(u.MCPServerAccessLevel)
	if i := slices.IndexFunc(entries, func(e MCPServerAccess) bool { return e.ServerID == serverID }); i >= 0 {
		entries[i].Scopes = mergeScopes(entries[i].Scopes, want)
	} else {
		entries = append(entries, MCPServerAccess{ServerID: serverID, Scopes: want})
	}
	u.MCPServerAccessLevel = entries
	return true, nil
}

// mergeScopes adds want to have, keeping scopes this code does not know where they were.
func mergeScopes(have, want []string) []string {
	out := slices.Clone(have)
	for _, s := range want {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	// Keep read before write, as Celigo lists them.
	slices.SortStableFunc(out, func(a, b string) int { return scopeRank(a) - scopeRank(b) })
	return out
}

func scopeRank(s string) int {
	switch s {
	case ScopeRead:
		return 0
	case ScopeWrite:
		return 1
	}
	return 2
}

// RemoveMCPScope takes scope away from the user's entries for one server: revoking read removes the
// entries (write needs read), revoking write leaves read (an entry that listed write alone then lists read). It reports whether an entry changed.
func RemoveMCPScope(u *User, serverID, scope string) (bool, error) {
	if err := checkMCPArgs(serverID, scope); err != nil {
		return false, err
	}
	if !slices.Contains(DirectMCPAccess(&u.RecordExtras)[serverID], scope) {
		return false, nil
	}
	kept := make([]MCPServerAccess, 0, len(u.MCPServerAccessLevel))
	for _, e := range u.MCPServerAccessLevel {
		if e.ServerID == serverID {
			if scope == ScopeRead {
				continue
			}
			e.Scopes = slices.DeleteFunc(slices.Clone(e.Scopes), func(s string) bool { return s == scope })
			if len(knownScopes(e.Scopes)) == 0 {
				continue
			}
		}
		kept = append(kept, e)
	}
	if scope == ScopeWrite && len(knownScopes(scopesFor(kept, serverID))) == 0 {
		// Write implied read: the entry that listed write alone now lists read.
		kept = append(kept, MCPServerAccess{ServerID: serverID, Scopes: []string{ScopeRead}})
	}
	u.MCPServerAccessLevel = kept
	return true, nil
}

// scopesFor gathers the scopes entries list for one server.
func scopesFor(entries []MCPServerAccess, serverID string) []string {
	var out []string
	for _, e := range entries {
		if e.ServerID == serverID {
			out = append(out, e.Scopes...)
		}
	}
	return out
}

// RevokeMCP is RemoveMCPScope for a server that uses Celigo as its identity provider: access the user
// holds on every server (administrator, all MCP servers) and not through an entry cannot be revoked per
// server, which is an MCPImplicitError.
func RevokeMCP(u *User, serverID, scope string) (bool, error) {
	changed, err := RemoveMCPScope(u, serverID, scope)
	if err != nil || changed {
		return changed, err
	}
	if src := ImplicitMCPSource(u); src != "" && slices.Contains(ImplicitMCPScopes, scope) {
		return false, &MCPImplicitError{Source: src, ServerID: serverID, Scope: scope}
	}
	return false, nil
}

// GrantAllMCPServers sets allMcpServerAccess. Celigo documents that such a user's per-server list is
// empty, so the entries go: every server is covered, now and later.
func GrantAllMCPServers(u *User) bool {
	if u.AllMCPServerAccess {
		return false
	}
	u.AllMCPServerAccess = true
	u.MCPServerAccessLevel = []MCPServerAccess{}
	return true
}

// RevokeAllMCPServers clears allMcpServerAccess.
func RevokeAllMCPServers(u *User) bool {
	if !u.AllMCPServerAccess {
		return false
	}
	u.AllMCPServerAccess = false
	return true
}
