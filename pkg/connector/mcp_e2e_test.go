package connector_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// permissionFields maps the permission resources to the record flags that grant them.
var permissionFields = map[string]string{
	"edit_retry_data":   "allowToEditRetryData",
	"api_management":    "allowAccessToAPIM",
	"create_workspaces": "allowIntegrationWorkspaceCreation",
}

var scopeSlug = map[string]string{celigotest.ScopeRead: "read", celigotest.ScopeWrite: "write"}

// governedServers are the account's MCP servers whose users Celigo manages (not an external provider).
func governedServers(acct celigotest.Account) map[string]bool {
	out := map[string]bool{}
	for _, s := range acct.MCPServers {
		if s.ExternalProvider == "" {
			out[s.ID] = true
		}
	}
	return out
}

// wantExtraGrants are the grants a sync must emit (before expansion) for MCP servers, the all-servers role
// and permissions, keyed like TestSyncMatchesCeligo's: "<entitlement id>/<user id>" or ".../role:<role>".
func wantExtraGrants(acct celigotest.Account) map[string]bool {
	governed := governedServers(acct)
	want := map[string]bool{}
	for server := range governed {
		for _, role := range []string{"owner", "administrator", "all_mcp_servers"} {
			want["mcp_server:"+server+":read/role:"+role] = true
			want["mcp_server:"+server+":write/role:"+role] = true
		}
	}
	for _, rec := range acct.Shares {
		id := str(rec, "_id")
		if rec["allMcpServerAccess"] == true {
			want["role:all_mcp_servers:assigned/"+id] = true
		}
		entries, _ := rec["mcpServerAccessLevel"].([]any)
		for _, e := range entries {
			e := e.(map[string]any)
			server := str(e, "_mcpServerId")
			for _, scope := range e["scopes"].([]any) {
				if slug := scopeSlug[scope.(string)]; slug != "" && governed[server] {
					want["mcp_server:"+server+":"+slug+"/"+id] = true
				}
			}
		}
		for perm, field := range permissionFields {
			if rec[field] == true {
				want["permission:"+perm+":allowed/"+id] = true
			}
		}
	}
	return want
}

// grantKey names a grant like wantExtraGrants does.
func grantKey(g *v2.Grant) string {
	p := g.GetPrincipal().GetId()
	if p.GetResourceType() == "role" {
		return g.GetEntitlement().GetId() + "/role:" + p.GetResource()
	}
	return g.GetEntitlement().GetId() + "/" + p.GetResource()
}

// wantExtraEntitlements counts the entitlements of MCP servers and permissions.
func wantExtraEntitlements(acct celigotest.Account) int {
	return 2*len(governedServers(acct)) + len(permissionFields)
}

func TestSyncMCPServersAndPermissions(t *testing.T) {
	acct := celigotest.Generate(11, 30, 4)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(1) // one MCP server a page
	d := syncFake(t, fake)

	t.Run("MCP servers", func(t *testing.T) {
		if n := countType(d, "mcp_server"); n != len(acct.MCPServers) || n != 3 {
			t.Fatalf("%d MCP servers, want %d", n, len(acct.MCPServers))
		}
		for _, s := range acct.MCPServers {
			r := d.Resources[synctest.Key("mcp_server", s.ID)]
			if r == nil {
				t.Fatalf("MCP server %s missing", s.ID)
			}
			if _, err := rs.GetAppTrait(r); err != nil {
				t.Errorf("MCP server %s is not an app: %v", s.ID, err)
			}
			p := rs.GetProfile(r).AsMap()
			if r.GetDisplayName() != s.Name || p["relative_uri"] != s.RelativeURI || p["mcp_server_id"] != s.ID || p["created_at"] == nil || p["last_modified"] == nil {
				t.Errorf("MCP server %s: %q %v", s.ID, r.GetDisplayName(), p)
			}
			external := s.ExternalProvider != ""
			wantIdP := map[bool]string{false: "celigo", true: "external"}[external]
			if p["identity_provider"] != wantIdP || p["external_oauth_provider"] != s.ExternalProvider {
				t.Errorf("MCP server %s identity provider: %v", s.ID, p)
			}
			if said := strings.Contains(r.GetDescription(), "external identity provider"); said != external {
				t.Errorf("MCP server %s description %q (external %v)", s.ID, r.GetDescription(), external)
			}
			if external && !strings.Contains(r.GetDescription(), s.ExternalProvider) {
				t.Errorf("external server %s description does not name its provider: %q", s.ID, r.GetDescription())
			}
			for _, slug := range []string{"read", "write"} {
				if has := d.Entitlements["mcp_server:"+s.ID+":"+slug] != nil; has == external {
					t.Errorf("MCP server %s entitlement %s present=%v (external %v)", s.ID, slug, has, external)
				}
			}
		}
	})

	t.Run("permissions and the all-servers role", func(t *testing.T) {
		names := map[string]string{"edit_retry_data": "Edit retry data", "api_management": "API Management console", "create_workspaces": "Create integration workspaces"}
		for id, name := range names {
			r := d.Resources[synctest.Key("permission", id)]
			if r == nil || r.GetDisplayName() != name || d.Entitlements["permission:"+id+":allowed"] == nil {
				t.Errorf("permission %s: %v", id, r)
			}
		}
		if countType(d, "permission") != 3 {
			t.Errorf("permissions: %d", countType(d, "permission"))
		}
		if r := d.Resources[synctest.Key("role", "all_mcp_servers")]; r == nil || r.GetDisplayName() != "All MCP servers" || d.Entitlements["role:all_mcp_servers:assigned"] == nil {
			t.Errorf("role all_mcp_servers: %v", r)
		}
	})

	t.Run("grants as the connector emits them", func(t *testing.T) {
		got := map[string]bool{}
		for _, g := range d.Grants {
			typ := g.GetEntitlement().GetResource().GetId().GetResourceType()
			ent := g.GetEntitlement().GetId()
			extra := typ == "mcp_server" || typ == "permission" || strings.HasPrefix(ent, "role:all_mcp_servers:")
			if isExpanded(g) || !extra {
				continue
			}
			got[grantKey(g)] = true
		}
		diff(t, "MCP and permission grants", got, wantExtraGrants(acct))
	})

	t.Run("who can use which MCP server, after expansion, equals Celigo's rule", func(t *testing.T) {
		got := map[string]bool{}
		for _, g := range d.Grants {
			p, e := g.GetPrincipal().GetId(), g.GetEntitlement()
			if p.GetResourceType() != "user" || e.GetResource().GetId().GetResourceType() != "mcp_server" {
				continue
			}
			got[p.GetResource()+" "+e.GetId()] = true
		}
		want := map[string]bool{}
		for user, servers := range celigotest.EffectiveMCPAccess(acct) {
			for server, scopes := range servers {
				for _, scope := range scopes {
					want[user+" mcp_server:"+server+":"+scopeSlug[scope]] = true
				}
			}
		}
		if len(want) < 20 {
			t.Fatalf("the oracle found too little access to prove anything: %v", want)
		}
		diff(t, "effective MCP access", got, want)
	})

	t.Run("the MCP list is read once, one request a page", func(t *testing.T) {
		n := 0
		for _, r := range fake.Requests() {
			if r.Path == "/v1/mcpservers" {
				n++
			}
		}
		if n != len(acct.MCPServers) {
			t.Errorf("%d reads of /v1/mcpservers, want %d (one page each)", n, len(acct.MCPServers))
		}
	})
}

// TestSyncWithoutMCPServers: Celigo answers 204 when an account has no MCP server; the all-servers role
// still shows its holders. (Entries naming servers an empty list lacks fail the sync: TestListsMissingWhatRecordsName.)
func TestSyncWithoutMCPServers(t *testing.T) {
	acct := celigotest.Generate(12, 14, 2)
	acct.MCPServers = nil
	for _, rec := range acct.Shares {
		rec["mcpServerAccessLevel"] = []any{}
	}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	d := syncFake(t, fake)
	if n := countType(d, "mcp_server"); n != 0 {
		t.Fatalf("%d MCP servers", n)
	}
	served := false
	for _, r := range fake.Requests() {
		served = served || (r.Path == "/v1/mcpservers" && r.Status == http.StatusNoContent)
	}
	if !served {
		t.Error("the fake did not answer 204 for the empty list")
	}
	holders := 0
	for _, g := range d.Grants {
		if g.GetEntitlement().GetResource().GetId().GetResourceType() == "mcp_server" {
			t.Errorf("grant on a server that does not exist: %s", g.GetId())
		}
		if g.GetEntitlement().GetId() == "role:all_mcp_servers:assigned" {
			holders++
		}
	}
	if holders == 0 {
		t.Error("no holder of the all_mcp_servers role")
	}
}

// TestOneMCPServerOrPermission: Get serves single MCP servers and permissions the way --sync-resources asks
// for them, and Grants serves one resource's grants, reading the lists itself (this process walked nothing
// for the sync id).
func TestOneMCPServerOrPermission(t *testing.T) {
	acct := celigotest.Generate(13, 12, 2)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(2)
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	syncers := map[string]connectorbuilder.ResourceTargetedSyncerLimited{}
	for _, s := range connector.NewWithClient(client).ResourceSyncers(ctx) {
		syncers[s.ResourceType(ctx).GetId()] = s.(connectorbuilder.ResourceTargetedSyncerLimited)
	}
	id := func(typ, id string) *v2.ResourceId {
		return v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build()
	}
	celigoSigned, external := acct.MCPServers[1], acct.MCPServers[2]
	for _, tc := range []struct{ typ, id, name string }{
		{"mcp_server", celigoSigned.ID, celigoSigned.Name},
		{"mcp_server", external.ID, external.Name},
		{"permission", "api_management", "API Management console"},
		{"role", "all_mcp_servers", "All MCP servers"},
	} {
		r, _, err := syncers[tc.typ].Get(ctx, id(tc.typ, tc.id), nil)
		if err != nil || r.GetDisplayName() != tc.name || r.GetId().GetResource() != tc.id {
			t.Errorf("get %s %s: %v %v", tc.typ, tc.id, r, err)
		}
	}
	for _, tc := range []struct{ typ, id string }{{"mcp_server", "65f00000000000000000dead"}, {"permission", "delete_account"}} {
		if _, _, err := syncers[tc.typ].Get(ctx, id(tc.typ, tc.id), nil); status.Code(err) != codes.NotFound {
			t.Errorf("get unknown %s: %v", tc.typ, err)
		}
	}

	got := map[string]bool{}
	for _, target := range []*v2.Resource{
		v2.Resource_builder{Id: id("mcp_server", celigoSigned.ID)}.Build(),
		v2.Resource_builder{Id: id("mcp_server", external.ID)}.Build(),
		v2.Resource_builder{Id: id("permission", "edit_retry_data")}.Build(),
	} {
		syncer := syncers[target.GetId().GetResourceType()].(connectorbuilder.ResourceSyncerV2)
		for tok := ""; ; {
			grants, results, err := syncer.Grants(ctx, target, rs.SyncOpAttrs{SyncID: "targeted", PageToken: paginationToken(tok)})
			if err != nil {
				t.Fatalf("grants of %v: %v", target.GetId(), err)
			}
			for _, g := range grants {
				got[grantKey(g)] = true
			}
			if tok = results.NextPageToken; tok == "" {
				break
			}
		}
	}
	want := map[string]bool{}
	for k := range wantExtraGrants(acct) {
		if strings.HasPrefix(k, "mcp_server:"+celigoSigned.ID+":") || strings.HasPrefix(k, "permission:edit_retry_data:") {
			want[k] = true
		}
	}
	if len(want) < 8 {
		t.Fatalf("too few grants expected to prove anything: %v", want)
	}
	diff(t, "targeted grants", got, want)
}
