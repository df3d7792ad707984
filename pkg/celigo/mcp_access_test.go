package celigo

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
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
			if got := MCPScopes(tc.u, mcpA); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("MCPScopes(tc.u, mcpA) = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnknownMCPScopes(t *testing.T) {
	u := mcpRec("", false, mcpEntry(mcpA, "mcp:admin", ScopeRead), mcpEntry(mcpB, "mcp:admin", "mcp:own"))
	if got, want := UnknownMCPScopes(&u.RecordExtras), []string{"mcp:admin", "mcp:own"}; !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownMCPScopes(&u.RecordExtras) = %q, want %q", got, want)
	}
	if got := UnknownMCPScopes(&mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite)).RecordExtras); len(got) != 0 {
		t.Errorf(`UnknownMCPScopes(&mcpRec("", false, mcpEntry(mcpA, ScopeRead, ScopeWrite)).RecordExtras) = %q, want empty`, got)
	}
}

func TestImplicitMCPSource(t *testing.T) {
	if got := ImplicitMCPSource(mcpRec(LevelAdministrator, false)); got != MCPFromAdministrator {
		t.Errorf("ImplicitMCPSource(mcpRec(LevelAdministrator, false)) = %q, want %q", got, MCPFromAdministrator)
	}
	if got := ImplicitMCPSource(mcpRec(LevelAdministrator, true)); got != MCPFromAdministrator {
		t.Errorf("the role is named first: revoking the flag would not take access away: ImplicitMCPSource(mcpRec(LevelAdministrator, true)) = %q, want %q", got, MCPFromAdministrator)
	}
	if got := ImplicitMCPSource(mcpRec(LevelManage, true)); got != MCPFromAllServers {
		t.Errorf("ImplicitMCPSource(mcpRec(LevelManage, true)) = %q, want %q", got, MCPFromAllServers)
	}
	if got := ImplicitMCPSource(mcpRec(LevelManage, false)); got != "" {
		t.Errorf("ImplicitMCPSource(mcpRec(LevelManage, false)) = %q, want %q", got, "")
	}
	if got := ImplicitMCPSource(mcpRec("", false, mcpEntry(mcpA, ScopeRead))); got != "" {
		t.Errorf(`ImplicitMCPSource(mcpRec("", false, mcpEntry(mcpA, ScopeRead))) = %q, want %q`, got, "")
	}
	if want := []string{ScopeRead, ScopeWrite}; !reflect.DeepEqual(ImplicitMCPScopes, want) {
		t.Errorf("ImplicitMCPScopes = %q, want %q", ImplicitMCPScopes, want)
	}
}

func TestDirectMCPAccess(t *testing.T) {
	x := &RecordExtras{MCPServerAccessLevel: []MCPServerAccess{
		mcpEntry(mcpA, ScopeWrite, ScopeRead), mcpEntry(mcpB, "mcp:other"), mcpEntry("", ScopeRead), mcpEntry(mcpB, ScopeRead),
	}}
	if got, want := DirectMCPAccess(x), map[string][]string{mcpA: readWrite, mcpB: readOnlyScope}; !reflect.DeepEqual(got, want) {
		t.Errorf("DirectMCPAccess(x) = %v, want %v", got, want)
	}
	if got := DirectMCPAccess(&RecordExtras{}); got != nil {
		t.Errorf("DirectMCPAccess(&RecordExtras{}) = %v, want nil", got)
	}
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
			if err != nil {
				t.Fatalf("GrantMCP: %v", err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %t, want %t", changed, tc.changed)
			}
			if !reflect.DeepEqual(tc.u.MCPServerAccessLevel, tc.want) {
				t.Errorf("tc.u.MCPServerAccessLevel = %v, want %v", tc.u.MCPServerAccessLevel, tc.want)
			}
			if tc.u.AccessLevel != before.AccessLevel {
				t.Errorf("tc.u.AccessLevel = %q, want %q", tc.u.AccessLevel, before.AccessLevel)
			}
			if tc.u.AllMCPServerAccess != before.AllMCPServerAccess {
				t.Errorf("tc.u.AllMCPServerAccess = %t, want %t", tc.u.AllMCPServerAccess, before.AllMCPServerAccess)
			}
		})
	}
}

func TestGrantMCPDoesNotChangeTheCallersEntries(t *testing.T) {
	entries := []MCPServerAccess{mcpEntry(mcpA, ScopeRead)}
	u := mcpRec("", false, entries...)
	_, err := GrantMCP(u, mcpA, ScopeWrite)
	if err != nil {
		t.Fatalf("GrantMCP: %v", err)
	}
	if !reflect.DeepEqual(entries[0].Scopes, readOnlyScope) {
		t.Errorf("entries[0].Scopes = %q, want %q", entries[0].Scopes, readOnlyScope)
	}
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
				if !errors.As(err, &implicit) {
					t.Fatalf("err %v", err)
				}
				if implicit.Source != tc.source {
					t.Errorf("implicit.Source = %q, want %q", implicit.Source, tc.source)
				}
				if !strings.Contains(err.Error(), mcpA) {
					t.Errorf("err = %q, want it to contain %q", err, mcpA)
				}
				return
			}
			if err != nil {
				t.Fatalf("RevokeMCP: %v", err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %t, want %t", changed, tc.changed)
			}
			if !reflect.DeepEqual(tc.u.MCPServerAccessLevel, tc.want) {
				t.Errorf("tc.u.MCPServerAccessLevel = %v, want %v", tc.u.MCPServerAccessLevel, tc.want)
			}
		})
	}
}

func TestRemoveMCPScopeIgnoresImplicitAccess(t *testing.T) {
	u := mcpRec(LevelAdministrator, true)
	changed, err := RemoveMCPScope(u, mcpA, ScopeRead)
	if err != nil {
		t.Fatalf("RemoveMCPScope: %v", err)
	}
	if changed {
		t.Error("a server outside Celigo's sign-in: nothing to take away, nothing refused")
	}
}

func TestMCPImplicitErrorNamesTheRole(t *testing.T) {
	admin := (&MCPImplicitError{Source: MCPFromAdministrator, ServerID: mcpA, Scope: ScopeRead}).Error()
	if !strings.Contains(admin, `revoke the "administrator" role`) {
		t.Errorf("admin = %q, want it to contain %q", admin, `revoke the "administrator" role`)
	}
	all := (&MCPImplicitError{Source: MCPFromAllServers, ServerID: mcpA, Scope: ScopeWrite}).Error()
	if !strings.Contains(all, `revoke "All MCP servers"`) {
		t.Errorf("all = %q, want it to contain %q", all, `revoke "All MCP servers"`)
	}
}

func TestMCPArgsChecked(t *testing.T) {
	for _, f := range []func(*User, string, string) (bool, error){GrantMCP, RevokeMCP, RemoveMCPScope} {
		_, err := f(rec(""), mcpA, "read")
		if err == nil || !strings.Contains(err.Error(), "not an MCP server scope") {
			t.Errorf("err = %v, want an error containing %q", err, "not an MCP server scope")
		}
		_, err = f(rec(""), "", ScopeRead)
		if err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("err = %v, want an error containing %q", err, "empty")
		}
	}
}

func TestAllMCPServers(t *testing.T) {
	u := mcpRec(LevelMonitor, false, mcpEntry(mcpA, ScopeRead))
	if !GrantAllMCPServers(u) {
		t.Error("GrantAllMCPServers(u) is false")
	}
	if !u.AllMCPServerAccess {
		t.Error("u.AllMCPServerAccess is false")
	}
	if want := []MCPServerAccess{}; !reflect.DeepEqual(u.MCPServerAccessLevel, want) {
		t.Errorf("Celigo lists no server for a user with all of them: u.MCPServerAccessLevel = %v, want %v", u.MCPServerAccessLevel, want)
	}
	if GrantAllMCPServers(u) {
		t.Error("GrantAllMCPServers(u) is true")
	}
	if !RevokeAllMCPServers(u) {
		t.Error("RevokeAllMCPServers(u) is false")
	}
	if u.AllMCPServerAccess {
		t.Error("u.AllMCPServerAccess is true")
	}
	if RevokeAllMCPServers(u) {
		t.Error("RevokeAllMCPServers(u) is true")
	}
	if u.AccessLevel != LevelMonitor {
		t.Errorf("u.AccessLevel = %q, want %q", u.AccessLevel, LevelMonitor)
	}
}

func TestPermissions(t *testing.T) {
	u := rec(LevelMonitor)
	for _, p := range Permissions {
		if HasPermission(&u.RecordExtras, p) {
			t.Errorf("%s: HasPermission(&u.RecordExtras, p) is true", p)
		}
		changed, err := SetPermission(u, p, true)
		if err != nil {
			t.Fatalf("SetPermission: %v", err)
		}
		if !changed {
			t.Errorf("%s: changed is false", p)
		}
		if !HasPermission(&u.RecordExtras, p) {
			t.Errorf("%s: HasPermission(&u.RecordExtras, p) is false", p)
		}
		changed, err = SetPermission(u, p, true)
		if err != nil {
			t.Fatalf("SetPermission: %v", err)
		}
		if changed {
			t.Errorf("already allowed: %s", p)
		}
	}
	if want := (RecordExtras{AllowToEditRetryData: true, AllowAccessToAPIM: true, AllowIntegrationWorkspaceCreation: true}); !reflect.DeepEqual(u.RecordExtras, want) {
		t.Errorf("u.RecordExtras = %+v, want %+v", u.RecordExtras, want)
	}
	changed, err := SetPermission(u, PermissionAPIManagement, false)
	if err != nil {
		t.Fatalf("SetPermission: %v", err)
	}
	if !changed {
		t.Error("changed is false")
	}
	if u.AllowAccessToAPIM {
		t.Error("u.AllowAccessToAPIM is true")
	}
	if !u.AllowToEditRetryData || !u.AllowIntegrationWorkspaceCreation {
		t.Error("the other flags stay")
	}
	_, err = SetPermission(u, "accountMFARequired", true)
	if err == nil || !strings.Contains(err.Error(), "not a Celigo account permission") {
		t.Errorf("err = %v, want an error containing %q", err, "not a Celigo account permission")
	}
	if HasPermission(&u.RecordExtras, "nope") {
		t.Error(`HasPermission(&u.RecordExtras, "nope") is true`)
	}
}

// writable decodes a record and returns it with its PUT body after change.
func writable(t *testing.T, record string, change func(u *User)) map[string]json.RawMessage {
	t.Helper()
	var u User
	if err := json.Unmarshal([]byte(record), &u); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	cp := u.Clone()
	change(cp)
	return cp.WritableBody()
}

func TestWritableBodyCarriesChangedExtras(t *testing.T) {
	const record = `{"_id":"r","accessLevel":"monitor","allowToEditRetryData":false,` +
		`"mcpServerAccessLevel":[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read"],"futureNote":"x"}],"futureFlag":1}`

	body := writable(t, record, func(u *User) {})
	if string(body["mcpServerAccessLevel"]) != `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read"],"futureNote":"x"}]` {
		t.Errorf(`string(body["mcpServerAccessLevel"]) = %q, want %q`, string(body["mcpServerAccessLevel"]), `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read"],"futureNote":"x"}]`)
	}
	if string(body["allowToEditRetryData"]) != "false" {
		t.Errorf(`string(body["allowToEditRetryData"]) = %q, want %q`, string(body["allowToEditRetryData"]), "false")
	}
	if _, ok := body["allMcpServerAccess"]; ok {
		t.Errorf("an absent flag left alone stays absent: body has the key %q", "allMcpServerAccess")
	}
	if _, ok := body["allowAccessToAPIM"]; ok {
		t.Errorf("body has the key %q", "allowAccessToAPIM")
	}

	body = writable(t, record, func(u *User) {
		_, _ = GrantMCP(u, mcpA, ScopeWrite)
		_, _ = GrantMCP(u, mcpB, ScopeRead)
		_, _ = SetPermission(u, PermissionEditRetryData, true)
		_, _ = SetPermission(u, PermissionAPIManagement, true)
	})
	wantEntries := `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read","mcp:write"],"futureNote":"x"},` +
		`{"_mcpServerId":"65f0000000000000000000c2","scopes":["mcp:read"]}]`
	if got := string(body["mcpServerAccessLevel"]); !jsonEqual(t, wantEntries, got) {
		t.Errorf("a changed entry keeps its sub-fields; a new one is plain: mcpServerAccessLevel = %s, want JSON equal to %s", got, wantEntries)
	}
	if string(body["allowToEditRetryData"]) != "true" {
		t.Errorf(`string(body["allowToEditRetryData"]) = %q, want %q`, string(body["allowToEditRetryData"]), "true")
	}
	if string(body["allowAccessToAPIM"]) != "true" {
		t.Errorf(`string(body["allowAccessToAPIM"]) = %q, want %q`, string(body["allowAccessToAPIM"]), "true")
	}
	if string(body["futureFlag"]) != "1" {
		t.Errorf(`string(body["futureFlag"]) = %q, want %q`, string(body["futureFlag"]), "1")
	}
	if string(body["accessLevel"]) != `"monitor"` {
		t.Errorf(`string(body["accessLevel"]) = %q, want %q`, string(body["accessLevel"]), `"monitor"`)
	}

	body = writable(t, record, func(u *User) { GrantAllMCPServers(u) })
	if string(body["allMcpServerAccess"]) != "true" {
		t.Errorf(`string(body["allMcpServerAccess"]) = %q, want %q`, string(body["allMcpServerAccess"]), "true")
	}
	if string(body["mcpServerAccessLevel"]) != "[]" {
		t.Errorf(`string(body["mcpServerAccessLevel"]) = %q, want %q`, string(body["mcpServerAccessLevel"]), "[]")
	}

	body = writable(t, record, func(u *User) { _, _ = RevokeMCP(u, mcpA, ScopeRead) })
	if string(body["mcpServerAccessLevel"]) != "[]" {
		t.Errorf(`the last entry removed is an empty list, not an absent field: string(body["mcpServerAccessLevel"]) = %q, want %q`, string(body["mcpServerAccessLevel"]), "[]")
	}
}
