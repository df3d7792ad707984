package celigo

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	mcpA = "65f0000000000000000000c1"
	mcpB = "65f0000000000000000000c2"
)

var (
	readOnlyScope = []string{ScopeRead}
	readWrite     = []string{ScopeRead, ScopeWrite}
)

func mcpEntry(id string, scopes ...string) MCPServerAccess {
	return MCPServerAccess{ServerID: id, Scopes: scopes}
}

// mcpRec is a record with a role, the all-servers flag and MCP entries.
func mcpRec(role string, all bool, entries ...MCPServerAccess) *User {
	u := rec(role)
	u.AllMCPServerAccess = all
	u.MCPServerAccessLevel = entries
	return u
}

func TestMCPScopes(t *testing.T) {
	cases := []struct {
		name string
		u    *User
		want []string
	}{
		{"administrator: implicit read and write", mcpRec(LevelAdministrator, false), readWrite},
		{"all servers: implicit read and write", mcpRec(LevelMonitor, true), readWrite},
		{"all servers without a role", mcpRec("", true), readWrite},
		{"manage role gives nothing", mcpRec(LevelManage, false), nil},
		{"monitor role gives nothing", mcpRec(LevelMonitor, false), nil},
		{"read entry", mcpRec(LevelMonitor, false, mcpEntry(mcpA, ScopeRead)), readOnlyScope},
		{"read and write entry", mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite)), readWrite},
		{"scopes listed write first", mcpRec("", false, mcpEntry(mcpA, ScopeWrite, ScopeRead)), readWrite},
		{"write alone implies read", mcpRec("", false, mcpEntry(mcpA, ScopeWrite)), readWrite},
		{"write beside an unknown scope implies read", mcpRec("", false, mcpEntry(mcpA, "mcp:admin", ScopeWrite)), readWrite},
		{"entry for another server", mcpRec(LevelManage, false, mcpEntry(mcpB, ScopeRead, ScopeWrite)), nil},
		{"two entries for the server merge", mcpRec("", false, mcpEntry(mcpA, ScopeRead), mcpEntry(mcpA, ScopeWrite)), readWrite},
		{"unknown scope ignored", mcpRec("", false, mcpEntry(mcpA, "mcp:admin")), nil},
		{"duplicated scope counted once", mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeRead)), readOnlyScope},
		{"administrator with a read entry", mcpRec(LevelAdministrator, false, mcpEntry(mcpA, ScopeRead)), readWrite},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, MCPScopes(tc.u, mcpA))
		})
	}
}

func TestUnknownMCPScopes(t *testing.T) {
	u := mcpRec("", false, mcpEntry(mcpA, "mcp:admin", ScopeRead), mcpEntry(mcpB, "mcp:admin", "mcp:own"))
	assert.Equal(t, []string{"mcp:admin", "mcp:own"}, UnknownMCPScopes(&u.RecordExtras))
	assert.Empty(t, UnknownMCPScopes(&mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite)).RecordExtras))
}

func TestImplicitMCPSource(t *testing.T) {
	assert.Equal(t, MCPFromAdministrator, ImplicitMCPSource(mcpRec(LevelAdministrator, false)))
	assert.Equal(t, MCPFromAdministrator, ImplicitMCPSource(mcpRec(LevelAdministrator, true)), "the role is named first: revoking the flag would not take access away")
	assert.Equal(t, MCPFromAllServers, ImplicitMCPSource(mcpRec(LevelManage, true)))
	assert.Equal(t, "", ImplicitMCPSource(mcpRec(LevelManage, false)))
	assert.Equal(t, "", ImplicitMCPSource(mcpRec("", false, mcpEntry(mcpA, ScopeRead))))
	assert.Equal(t, []string{ScopeRead, ScopeWrite}, ImplicitMCPScopes)
}

func TestDirectMCPAccess(t *testing.T) {
	x := &RecordExtras{MCPServerAccessLevel: []MCPServerAccess{
		mcpEntry(mcpA, ScopeWrite, ScopeRead), mcpEntry(mcpB, "mcp:other"), mcpEntry("", ScopeRead), mcpEntry(mcpB, ScopeRead),
	}}
	assert.Equal(t, map[string][]string{mcpA: readWrite, mcpB: readOnlyScope}, DirectMCPAccess(x))
	assert.Nil(t, DirectMCPAccess(&RecordExtras{}))
}

func TestGrantMCP(t *testing.T) {
	cases := []struct {
		name    string
		u       *User
		scope   string
		changed bool
		want    []MCPServerAccess
	}{
		{"read to a user with nothing adds an entry", mcpRec(LevelMonitor, false), ScopeRead, true,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead)}},
		{"write to a user with nothing adds read and write", mcpRec("", false, mcpEntry(mcpB, ScopeRead)), ScopeWrite, true,
			[]MCPServerAccess{mcpEntry(mcpB, ScopeRead), mcpEntry(mcpA, ScopeRead, ScopeWrite)}},
		{"write to a reader keeps read", mcpRec("", false, mcpEntry(mcpA, ScopeRead)), ScopeWrite, true,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead, ScopeWrite)}},
		{"read to a write-only entry is already so (write implies read)", mcpRec("", false, mcpEntry(mcpA, ScopeWrite)), ScopeRead, false,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeWrite)}},
		{"an unknown scope on the entry stays", mcpRec("", false, mcpEntry(mcpA, "mcp:future")), ScopeRead, true,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead, "mcp:future")}},
		{"read already listed", mcpRec("", false, mcpEntry(mcpA, ScopeRead)), ScopeRead, false,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead)}},
		{"write already listed", mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite)), ScopeWrite, false,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead, ScopeWrite)}},
		{"administrator already has write", mcpRec(LevelAdministrator, false), ScopeWrite, false, nil},
		{"all servers already has read", mcpRec(LevelMonitor, true), ScopeRead, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.u.Clone()
			changed, err := GrantMCP(tc.u, mcpA, tc.scope)
			require.NoError(t, err)
			assert.Equal(t, tc.changed, changed)
			assert.Equal(t, tc.want, tc.u.MCPServerAccessLevel)
			assert.Equal(t, before.AccessLevel, tc.u.AccessLevel)
			assert.Equal(t, before.AllMCPServerAccess, tc.u.AllMCPServerAccess)
		})
	}
}

func TestGrantMCPDoesNotChangeTheCallersEntries(t *testing.T) {
	entries := []MCPServerAccess{mcpEntry(mcpA, ScopeRead)}
	u := mcpRec("", false, entries...)
	_, err := GrantMCP(u, mcpA, ScopeWrite)
	require.NoError(t, err)
	assert.Equal(t, readOnlyScope, entries[0].Scopes)
}

func TestRevokeMCP(t *testing.T) {
	cases := []struct {
		name    string
		u       *User
		scope   string
		changed bool
		want    []MCPServerAccess
		source  string // an MCPImplicitError from this source
	}{
		{"read removes the entry", mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite), mcpEntry(mcpB, ScopeRead)), ScopeRead, true,
			[]MCPServerAccess{mcpEntry(mcpB, ScopeRead)}, ""},
		{"write leaves read", mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite)), ScopeWrite, true,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead)}, ""},
		{"write of a write-only entry leaves read", mcpRec("", false, mcpEntry(mcpA, ScopeWrite), mcpEntry(mcpB, ScopeRead)), ScopeWrite, true,
			[]MCPServerAccess{mcpEntry(mcpB, ScopeRead), mcpEntry(mcpA, ScopeRead)}, ""},
		{"write of merged entries leaves the read entry", mcpRec("", false, mcpEntry(mcpA, ScopeRead), mcpEntry(mcpA, ScopeWrite)), ScopeWrite, true,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead)}, ""},
		{"read removes duplicated entries", mcpRec("", false, mcpEntry(mcpA, ScopeRead), mcpEntry(mcpA, ScopeWrite)), ScopeRead, true,
			[]MCPServerAccess{}, ""},
		{"write not listed", mcpRec("", false, mcpEntry(mcpA, ScopeRead)), ScopeWrite, false,
			[]MCPServerAccess{mcpEntry(mcpA, ScopeRead)}, ""},
		{"no entry", mcpRec(LevelManage, false, mcpEntry(mcpB, ScopeRead)), ScopeRead, false,
			[]MCPServerAccess{mcpEntry(mcpB, ScopeRead)}, ""},
		{"administrator without entry", mcpRec(LevelAdministrator, false), ScopeRead, false, nil, MCPFromAdministrator},
		{"all servers without entry", mcpRec(LevelMonitor, true), ScopeWrite, false, nil, MCPFromAllServers},
		{"administrator's own entry goes", mcpRec(LevelAdministrator, false, mcpEntry(mcpA, ScopeRead)), ScopeRead, true,
			[]MCPServerAccess{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed, err := RevokeMCP(tc.u, mcpA, tc.scope)
			if tc.source != "" {
				var implicit *MCPImplicitError
				require.True(t, errors.As(err, &implicit), "err %v", err)
				assert.Equal(t, tc.source, implicit.Source)
				assert.Contains(t, err.Error(), mcpA)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.changed, changed)
			assert.Equal(t, tc.want, tc.u.MCPServerAccessLevel)
		})
	}
}

func TestRemoveMCPScopeIgnoresImplicitAccess(t *testing.T) {
	u := mcpRec(LevelAdministrator, true)
	changed, err := RemoveMCPScope(u, mcpA, ScopeRead)
	require.NoError(t, err)
	assert.False(t, changed, "a server outside Celigo's sign-in: nothing to take away, nothing refused")
}

func TestMCPImplicitErrorNamesTheRole(t *testing.T) {
	admin := (&MCPImplicitError{Source: MCPFromAdministrator, ServerID: mcpA, Scope: ScopeRead}).Error()
	assert.Contains(t, admin, `revoke the "administrator" role`)
	all := (&MCPImplicitError{Source: MCPFromAllServers, ServerID: mcpA, Scope: ScopeWrite}).Error()
	assert.Contains(t, all, `revoke "All MCP servers"`)
}

func TestMCPArgsChecked(t *testing.T) {
	for _, f := range []func(*User, string, string) (bool, error){GrantMCP, RevokeMCP, RemoveMCPScope} {
		_, err := f(rec(""), mcpA, "read")
		assert.ErrorContains(t, err, "not an MCP server scope")
		_, err = f(rec(""), "", ScopeRead)
		assert.ErrorContains(t, err, "empty")
	}
}

func TestAllMCPServers(t *testing.T) {
	u := mcpRec(LevelMonitor, false, mcpEntry(mcpA, ScopeRead))
	assert.True(t, GrantAllMCPServers(u))
	assert.True(t, u.AllMCPServerAccess)
	assert.Equal(t, []MCPServerAccess{}, u.MCPServerAccessLevel, "Celigo lists no server for a user with all of them")
	assert.False(t, GrantAllMCPServers(u))
	assert.True(t, RevokeAllMCPServers(u))
	assert.False(t, u.AllMCPServerAccess)
	assert.False(t, RevokeAllMCPServers(u))
	assert.Equal(t, LevelMonitor, u.AccessLevel)
}

func TestPermissions(t *testing.T) {
	u := rec(LevelMonitor)
	for _, p := range Permissions {
		assert.False(t, HasPermission(&u.RecordExtras, p), p)
		changed, err := SetPermission(u, p, true)
		require.NoError(t, err)
		assert.True(t, changed, p)
		assert.True(t, HasPermission(&u.RecordExtras, p), p)
		changed, err = SetPermission(u, p, true)
		require.NoError(t, err)
		assert.False(t, changed, "already allowed: %s", p)
	}
	assert.Equal(t, RecordExtras{AllowToEditRetryData: true, AllowAccessToAPIM: true, AllowIntegrationWorkspaceCreation: true}, u.RecordExtras)
	changed, err := SetPermission(u, PermissionAPIManagement, false)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.False(t, u.AllowAccessToAPIM)
	assert.True(t, u.AllowToEditRetryData && u.AllowIntegrationWorkspaceCreation, "the other flags stay")
	_, err = SetPermission(u, "accountMFARequired", true)
	assert.ErrorContains(t, err, "not a Celigo account permission")
	assert.False(t, HasPermission(&u.RecordExtras, "nope"))
}

// writable decodes a record and returns it with its PUT body after change.
func writable(t *testing.T, record string, change func(u *User)) map[string]json.RawMessage {
	t.Helper()
	var u User
	require.NoError(t, json.Unmarshal([]byte(record), &u))
	cp := u.Clone()
	change(cp)
	return cp.WritableBody()
}

func TestWritableBodyCarriesChangedExtras(t *testing.T) {
	const record = `{"_id":"r","accessLevel":"monitor","allowToEditRetryData":false,` +
		`"mcpServerAccessLevel":[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read"],"futureNote":"x"}],"futureFlag":1}`

	body := writable(t, record, func(u *User) {})
	assert.Equal(t, `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read"],"futureNote":"x"}]`, string(body["mcpServerAccessLevel"]))
	assert.Equal(t, "false", string(body["allowToEditRetryData"]))
	assert.NotContains(t, body, "allMcpServerAccess", "an absent flag left alone stays absent")
	assert.NotContains(t, body, "allowAccessToAPIM")

	body = writable(t, record, func(u *User) {
		_, _ = GrantMCP(u, mcpA, ScopeWrite)
		_, _ = GrantMCP(u, mcpB, ScopeRead)
		_, _ = SetPermission(u, PermissionEditRetryData, true)
		_, _ = SetPermission(u, PermissionAPIManagement, true)
	})
	assert.JSONEq(t, `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read","mcp:write"],"futureNote":"x"},`+
		`{"_mcpServerId":"65f0000000000000000000c2","scopes":["mcp:read"]}]`, string(body["mcpServerAccessLevel"]),
		"a changed entry keeps its sub-fields; a new one is plain")
	assert.Equal(t, "true", string(body["allowToEditRetryData"]))
	assert.Equal(t, "true", string(body["allowAccessToAPIM"]))
	assert.Equal(t, "1", string(body["futureFlag"]))
	assert.Equal(t, `"monitor"`, string(body["accessLevel"]))

	body = writable(t, record, func(u *User) { GrantAllMCPServers(u) })
	assert.Equal(t, "true", string(body["allMcpServerAccess"]))
	assert.Equal(t, "[]", string(body["mcpServerAccessLevel"]))

	body = writable(t, record, func(u *User) { _, _ = RevokeMCP(u, mcpA, ScopeRead) })
	assert.Equal(t, "[]", string(body["mcpServerAccessLevel"]), "the last entry removed is an empty list, not an absent field")
}
