package connector_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// MCP servers of the provisioning account: mcpServer (every rich record reads and writes it), a second one
// nobody uses yet, one signing users in with an external provider, and an id Celigo does not list.
const (
	mcpServer2  = "65f0000000000000000000c2"
	mcpExternal = "65f0000000000000000000c3"
	mcpGone     = "65f00000000000000000dead"
)

func mcpProvAccount() celigotest.Account {
	acct := provAccount()
	acct.MCPServers = []celigotest.MCPServer{
		{ID: mcpServer, Name: "Orders assistant", RelativeURI: "/orders"},
		{ID: mcpServer2, Name: "Finance copilot", RelativeURI: "/finance"},
		{ID: mcpExternal, Name: "Partner agents", RelativeURI: "/partners", ExternalProvider: "66a0000000000000000000d1"},
	}
	return acct
}

func mcpEnt(server, slug string) *v2.Entitlement { return ent("mcp_server", server, slug) }

func permEnt(p string) *v2.Entitlement { return ent("permission", p, "allowed") }

func mcpEntries(entries ...any) []any { return append([]any{}, entries...) }

func mcpScopes(server string, scopes ...any) map[string]any {
	return map[string]any{"_mcpServerId": server, "scopes": scopes}
}

const read, write = "mcp:read", "mcp:write"

func TestMCPAndPermissionProvisioningTable(t *testing.T) {
	grantOp := func(user string, e *v2.Entitlement) func(f *fixture) (bool, error) {
		return func(f *fixture) (bool, error) {
			r, err := f.grant(user, e)
			return alreadyExists(r), err
		}
	}
	revokeOp := func(user string, e *v2.Entitlement) func(f *fixture) (bool, error) {
		return func(f *fixture) (bool, error) {
			r, err := f.revoke(user, e)
			return alreadyRevoked(r), err
		}
	}
	setEntries := func(entries ...any) func(rec map[string]any) {
		return func(rec map[string]any) { rec["mcpServerAccessLevel"] = mcpEntries(entries...) }
	}
	allMCP := ent("role", "all_mcp_servers", "assigned")

	cases := []struct {
		name   string
		user   string
		setup  func(rec map[string]any) // the record as another writer left it before the request; nil: as it began
		op     func(f *fixture) (noop bool, err error)
		change func(rec map[string]any) // expected change; nil: none, and nothing written
	}{
		{"grant read adds an entry", chosen, nil, grantOp(chosen, mcpEnt(mcpServer2, "read")),
			func(rec map[string]any) {
				rec["mcpServerAccessLevel"] = append(rec["mcpServerAccessLevel"].([]any), mcpScopes(mcpServer2, read))
			}},
		{"grant write adds an entry with read", chosen, nil, grantOp(chosen, mcpEnt(mcpServer2, "write")),
			func(rec map[string]any) {
				rec["mcpServerAccessLevel"] = append(rec["mcpServerAccessLevel"].([]any), mcpScopes(mcpServer2, read, write))
			}},
		{"grant write to a reader keeps read", chosen, setEntries(mcpScopes(mcpServer, read)), grantOp(chosen, mcpEnt(mcpServer, "write")),
			setEntries(mcpScopes(mcpServer, read, write))},
		{"grant write already listed", chosen, nil, grantOp(chosen, mcpEnt(mcpServer, "write")), nil},
		{"grant read already listed", monitor, nil, grantOp(monitor, mcpEnt(mcpServer, "read")), nil},
		{"grant to an administrator: already, on every server", admin, nil, grantOp(admin, mcpEnt(mcpServer2, "write")), nil},
		{"the manage role gives no MCP access", manager, nil, grantOp(manager, mcpEnt(mcpServer2, "read")),
			func(rec map[string]any) {
				rec["mcpServerAccessLevel"] = append(rec["mcpServerAccessLevel"].([]any), mcpScopes(mcpServer2, read))
			}},
		{"revoke write leaves read", chosen, nil, revokeOp(chosen, mcpEnt(mcpServer, "write")), setEntries(mcpScopes(mcpServer, read))},
		{"revoke read removes the entry", chosen, nil, revokeOp(chosen, mcpEnt(mcpServer, "read")), setEntries()},
		{"revoke read keeps other servers' entries", monitor, setEntries(mcpScopes(mcpServer, read, write), mcpScopes(mcpServer2, read)),
			revokeOp(monitor, mcpEnt(mcpServer, "read")), setEntries(mcpScopes(mcpServer2, read))},
		{"revoke read nobody gave", chosen, nil, revokeOp(chosen, mcpEnt(mcpServer2, "read")), nil},
		{"revoke write from a reader", chosen, setEntries(mcpScopes(mcpServer, read)), revokeOp(chosen, mcpEnt(mcpServer, "write")), nil},
		{"revoke a stale entry on an external server", chosen, setEntries(mcpScopes(mcpExternal, read)),
			revokeOp(chosen, mcpEnt(mcpExternal, "read")), setEntries()},
		{"revoke on an external server from an administrator: nothing held here", admin, nil, revokeOp(admin, mcpEnt(mcpExternal, "read")), nil},
		{"revoke a stale entry on a server Celigo no longer lists", monitor, setEntries(mcpScopes(mcpGone, read, write)),
			revokeOp(monitor, mcpEnt(mcpGone, "write")), setEntries(mcpScopes(mcpGone, read))},
		{"grant all MCP servers sets the flag and empties the list", monitor, nil, grantOp(monitor, allMCP),
			func(rec map[string]any) { rec["allMcpServerAccess"] = true; rec["mcpServerAccessLevel"] = []any{} }},
		{"grant all MCP servers already held", admin, nil, grantOp(admin, allMCP), nil},
		{"revoke all MCP servers clears the flag", admin, nil, revokeOp(admin, allMCP),
			func(rec map[string]any) { rec["allMcpServerAccess"] = false }},
		{"revoke all MCP servers not held", monitor, nil, revokeOp(monitor, allMCP), nil},
		{"grant edit retry data", chosen, nil, grantOp(chosen, permEnt("edit_retry_data")),
			func(rec map[string]any) { rec["allowToEditRetryData"] = true }},
		{"grant edit retry data already allowed", admin, nil, grantOp(admin, permEnt("edit_retry_data")), nil},
		{"revoke edit retry data", admin, nil, revokeOp(admin, permEnt("edit_retry_data")),
			func(rec map[string]any) { rec["allowToEditRetryData"] = false }},
		{"grant the API Management console", manager, nil, grantOp(manager, permEnt("api_management")),
			func(rec map[string]any) { rec["allowAccessToAPIM"] = true }},
		{"revoke the API Management console not allowed", chosen, nil, revokeOp(chosen, permEnt("api_management")), nil},
		{"grant workspace creation already allowed", monitor, nil, grantOp(monitor, permEnt("create_workspaces")), nil},
		{"revoke workspace creation", monitor, nil, revokeOp(monitor, permEnt("create_workspaces")),
			func(rec map[string]any) { rec["allowIntegrationWorkspaceCreation"] = false }},
		{"an absent flag is added when granted", chosen, func(rec map[string]any) { delete(rec, "allowAccessToAPIM") },
			grantOp(chosen, permEnt("api_management")), func(rec map[string]any) { rec["allowAccessToAPIM"] = true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFor(t, mcpProvAccount(), 0)
			if tc.setup != nil {
				f.otherWriter(t, tc.user, tc.setup)
			}
			before := f.record(t, tc.user)
			noop, err := tc.op(f)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			want := plain(t, before)
			if tc.change != nil {
				tc.change(want)
			}
			if got := f.record(t, tc.user); !reflect.DeepEqual(got, want) {
				t.Errorf("record after write:\n got  %v\n want %v", got, want)
			}
			writes := f.writes()
			switch {
			case tc.change == nil && (!noop || len(writes) != 0):
				t.Errorf("a no-op must say so and write nothing: already=%v writes=%v", noop, writes)
			case tc.change != nil && (noop || len(writes) != 1):
				t.Errorf("want exactly one write: already=%v writes=%v", noop, writes)
			}
			f.othersUnchanged(t, tc.user)
			f.everyPutFollowsARead(t, "/v1/ashares/"+tc.user)
			for _, body := range f.putBodies(t) {
				for _, k := range readOnlyFields {
					if _, has := body[k]; has {
						t.Errorf("PUT carried read-only %s", k)
					}
				}
			}
		})
	}
}

func TestMCPAndPermissionRefusals(t *testing.T) {
	cases := []struct {
		name  string
		user  string // whose record the setup changes ("" for none)
		setup func(rec map[string]any)
		op    func(f *fixture) error
		code  codes.Code
		msg   string
	}{
		{"revoke an administrator's implicit access", "", nil, func(f *fixture) error {
			_, err := f.revoke(admin, mcpEnt(mcpServer, "read"))
			return err
		}, codes.FailedPrecondition, `revoke the "administrator" role`},
		{"revoke access to all servers per server", monitor, func(rec map[string]any) {
			rec["allMcpServerAccess"] = true
			rec["mcpServerAccessLevel"] = []any{}
		}, func(f *fixture) error {
			_, err := f.revoke(monitor, mcpEnt(mcpServer2, "write"))
			return err
		}, codes.FailedPrecondition, `revoke "All MCP servers"`},
		{"revoke the owner's access", "", nil, func(f *fixture) error {
			_, err := f.revoke(ownerID, mcpEnt(mcpServer, "write"))
			return err
		}, codes.FailedPrecondition, `"owner" role`},
		{"revoke a role's access to a server", "", nil, func(f *fixture) error {
			g := v2.Grant_builder{Id: "g", Entitlement: mcpEnt(mcpServer, "read"), Principal: res("role", "administrator")}.Build()
			_, err := f.cc.Revoke(f.ctx, v2.GrantManagerServiceRevokeRequest_builder{Grant: g}.Build())
			return err
		}, codes.FailedPrecondition, `"administrator" role's access to every MCP server`},
		{"grant on an external server", "", nil, func(f *fixture) error {
			_, err := f.grant(chosen, mcpEnt(mcpExternal, "read"))
			return err
		}, codes.FailedPrecondition, "external identity provider"},
		{"grant on a server Celigo does not list", "", nil, func(f *fixture) error {
			_, err := f.grant(chosen, mcpEnt(mcpGone, "read"))
			return err
		}, codes.NotFound, "does not exist"},
		{"grant MCP access to a user Celigo would refuse to store", "", nil, func(f *fixture) error {
			_, err := f.grant(nobody, mcpEnt(mcpServer2, "read"))
			return err
		}, codes.FailedPrecondition, "no account role and no integration access"},
		{"grant a permission to a user Celigo would refuse to store", "", nil, func(f *fixture) error {
			_, err := f.grant(nobody, permEnt("edit_retry_data"))
			return err
		}, codes.FailedPrecondition, "grant a role or an integration first"},
		{"grant a permission to the owner", "", nil, func(f *fixture) error {
			_, err := f.grant(ownerID, permEnt("api_management"))
			return err
		}, codes.FailedPrecondition, "owner"},
		{"grant all MCP servers to the owner", "", nil, func(f *fixture) error {
			_, err := f.grant(ownerID, ent("role", "all_mcp_servers", "assigned"))
			return err
		}, codes.FailedPrecondition, "owner"},
		{"an MCP scope that does not exist", "", nil, func(f *fixture) error {
			_, err := f.grant(chosen, mcpEnt(mcpServer, "admin"))
			return err
		}, codes.InvalidArgument, "not an MCP server entitlement"},
		{"a permission that does not exist", "", nil, func(f *fixture) error {
			_, err := f.grant(chosen, permEnt("delete_account"))
			return err
		}, codes.InvalidArgument, "not a permission entitlement"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFor(t, mcpProvAccount(), 0)
			var before map[string]any
			if tc.setup != nil {
				f.otherWriter(t, tc.user, tc.setup)
				before = f.record(t, tc.user)
			}
			err := tc.op(f)
			if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (%v), want %v containing %q", status.Code(err), err, tc.code, tc.msg)
			}
			if w := f.writes(); len(w) != 0 {
				t.Errorf("refused request wrote: %v", w)
			}
			if tc.setup != nil {
				if got := f.record(t, tc.user); !reflect.DeepEqual(got, before) {
					t.Errorf("record changed:\n got  %v\n want %v", got, before)
				}
			}
			f.othersUnchanged(t, tc.user)
			if strings.Contains(err.Error(), token) {
				t.Error("error leaks the token")
			}
		})
	}
}

func TestMCPGrantReturnsTheGrantAndTheOwnerHasIt(t *testing.T) {
	f := newFixtureFor(t, mcpProvAccount(), 0)
	r, err := f.grant(chosen, mcpEnt(mcpServer2, "write"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.GetGrants()) != 1 || r.GetGrants()[0].GetId() != "mcp_server:"+mcpServer2+":write:user:"+chosen || alreadyExists(r) {
		t.Fatalf("grant: %v", r)
	}
	f.fake.ResetRequests()
	r, err = f.grant(ownerID, mcpEnt(mcpServer, "write"))
	if err != nil || !alreadyExists(r) || len(r.GetGrants()) != 1 {
		t.Fatalf("the owner uses every MCP server: %v %v", r, err)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("wrote for the owner: %v", w)
	}
	for _, p := range []string{"edit_retry_data", "api_management", "create_workspaces"} {
		r, err := f.grant(monitor, permEnt(p))
		if err != nil || len(r.GetGrants()) != 1 || r.GetGrants()[0].GetId() != "permission:"+p+":allowed:user:"+monitor {
			t.Fatalf("grant %s: %v %v", p, r, err)
		}
	}
}

// An MCP grant whose PUT Celigo stored but answered 503: the next round reads the change in place and
// reports the grant as made, with no second PUT.
func TestMCPGrantStoredButAnswered503(t *testing.T) {
	f := newFixtureFor(t, mcpProvAccount(), 0)
	path := "/v1/ashares/" + chosen
	f.faultOn(http.MethodPut, path, func(n int) *celigotest.Fault {
		if n == 1 {
			return &celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}
		}
		return nil
	})
	r, err := f.grant(chosen, mcpEnt(mcpServer2, "read"))
	if err != nil || alreadyExists(r) {
		t.Fatalf("grant: %v %v", r, err)
	}
	want := original(t, chosen)
	want["mcpServerAccessLevel"] = append(want["mcpServerAccessLevel"].([]any), mcpScopes(mcpServer2, read))
	if got := f.record(t, chosen); !reflect.DeepEqual(got, want) {
		t.Errorf("record:\n got  %v\n want %v", got, want)
	}
	if n := f.count(http.MethodPut, path); n != 1 {
		t.Errorf("%d PUTs, want 1", n)
	}
	f.everyPutFollowsARead(t, path)
}
