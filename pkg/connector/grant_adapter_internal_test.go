package connector

import (
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Every family's parser reads only its own entitlements: the resource's type, the id's prefix and the slug
// must all agree.
func TestEntitlementParsersAreStrict(t *testing.T) {
	const id = "6500000000000000000000a1"
	entOn := func(typ, resID, entID string) *v2.Entitlement {
		return v2.Entitlement_builder{Id: entID, Resource: v2.Resource_builder{
			Id: v2.ResourceId_builder{ResourceType: typ, Resource: resID}.Build(),
		}.Build()}.Build()
	}
	parsers := map[string]func(*v2.Entitlement) error{
		roleTypeID:        func(e *v2.Entitlement) error { _, err := roleEntitlementOf(e); return err },
		integrationTypeID: func(e *v2.Entitlement) error { _, err := integrationEntitlement(e); return err },
		mcpServerTypeID:   func(e *v2.Entitlement) error { _, err := mcpEntitlement(e); return err },
		permissionTypeID:  func(e *v2.Entitlement) error { _, err := permissionEntitlementOf(e); return err },
	}
	good := map[string]*v2.Entitlement{
		roleTypeID:        entOn(roleTypeID, "monitor", "role:monitor:assigned"),
		integrationTypeID: entOn(integrationTypeID, id, "integration:"+id+":manage"),
		mcpServerTypeID:   entOn(mcpServerTypeID, id, "mcp_server:"+id+":write"),
		permissionTypeID:  entOn(permissionTypeID, "api_management", "permission:api_management:allowed"),
	}
	for typ, parse := range parsers {
		if err := parse(good[typ]); err != nil {
			t.Errorf("%s: its own entitlement refused: %v", typ, err)
		}
		for other, e := range good {
			if other != typ && status.Code(parse(e)) != codes.InvalidArgument {
				t.Errorf("%s parser accepted %s entitlement %q", typ, other, e.GetId())
			}
		}
	}
	for name, tc := range map[string]struct {
		parse func(*v2.Entitlement) error
		ent   *v2.Entitlement
	}{
		"integration id on a role resource":     {parsers[integrationTypeID], entOn(roleTypeID, id, "integration:"+id+":manage")},
		"integration id of another resource":    {parsers[integrationTypeID], entOn(integrationTypeID, id, "integration:6500000000000000000000a2:manage")},
		"integration level that is no level":    {parsers[integrationTypeID], entOn(integrationTypeID, id, "integration:"+id+":admin")},
		"role with another slug":                {parsers[roleTypeID], entOn(roleTypeID, "monitor", "role:monitor:member")},
		"MCP id on an integration resource":     {parsers[mcpServerTypeID], entOn(integrationTypeID, id, "mcp_server:"+id+":read")},
		"permission id on a role resource":      {parsers[permissionTypeID], entOn(roleTypeID, "api_management", "permission:api_management:allowed")},
		"permission with another slug":          {parsers[permissionTypeID], entOn(permissionTypeID, "api_management", "permission:api_management:denied")},
		"integration entitlement without an id": {parsers[integrationTypeID], entOn(integrationTypeID, "", "integration::manage")},
	} {
		if status.Code(tc.parse(tc.ent)) != codes.InvalidArgument {
			t.Errorf("%s: %q accepted", name, tc.ent.GetId())
		}
	}
	if err := parsers[roleTypeID](entOn(roleTypeID, "owner", "role:owner:assigned")); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("owner role: got %v, want FailedPrecondition", err)
	}
}
