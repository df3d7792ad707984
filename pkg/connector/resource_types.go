package connector

import (
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/types/entitlement"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Resource-type ids and entitlement slugs are stored by ConductorOne: they must stay exactly as the
// public connector had them.
const (
	userTypeID        = "user"
	roleTypeID        = "role"
	integrationTypeID = "integration"
	mcpServerTypeID   = "mcp_server"
	permissionTypeID  = "permission"
	apiTokenTypeID    = "api_token"
	accountTypeID     = "account" // the Celigo account itself, as an app (target of sign-in usage events)

	roleEntitlement       = "assigned"
	permissionEntitlement = "allowed"
)

// resourceID is the id of resource id of type typeID.
func resourceID(typeID, id string) *v2.ResourceId {
	return v2.ResourceId_builder{ResourceType: typeID, Resource: id}.Build()
}

// describeAll lists a type whose resources are fixed (roles, permissions): every item, described.
func describeAll[T any](items []T, describe func(T) (*v2.Resource, error)) ([]*v2.Resource, *rs.SyncOpResults, error) {
	out := make([]*v2.Resource, 0, len(items))
	for _, it := range items {
		r, err := describe(it)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
	}
	return out, &rs.SyncOpResults{}, nil
}

// fixedByID finds the item of a fixed type (roles, permissions) whose id is id; any other id is NotFound,
// naming the type's ids.
func fixedByID[T any](typeID string, items []T, idOf func(T) string, id string) (T, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		if idOf(it) == id {
			return it, nil
		}
		ids[i] = idOf(it)
	}
	var none T
	return none, status.Errorf(codes.NotFound, "baton-celigo: %s %q does not exist (%ss: %s)", typeID, id, typeID, strings.Join(ids, ", "))
}

// userEntitlement is an entitlement on res that users are granted (integrations, MCP servers, permissions).
func userEntitlement(res *v2.Resource, slug, displayName, description string) *v2.Entitlement {
	return entitlement.NewPermissionEntitlement(res, slug, entitlement.WithGrantableTo(userResourceType),
		entitlement.WithDisplayName(displayName), entitlement.WithDescription(description))
}

var (
	userResourceType = v2.ResourceType_builder{
		Id:          userTypeID,
		DisplayName: "User",
		Description: "A person with access to the Celigo account: an access record (ashare), or the account owner.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_USER},
		Annotations: annotations.New(&v2.SkipEntitlementsAndGrants{}),
	}.Build()

	roleResourceType = v2.ResourceType_builder{
		Id:          roleTypeID,
		DisplayName: "Role",
		Description: "An account-wide access level (owner, administrator, manage all, monitor all), or access to all MCP servers.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_ROLE},
		Annotations: annotations.New(&v2.TypeScopedGrants{}),
	}.Build()

	integrationResourceType = v2.ResourceType_builder{
		Id:          integrationTypeID,
		DisplayName: "Integration",
		Description: "A Celigo integration (a group of flows); users manage or monitor it.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_APP},
		Annotations: annotations.New(&v2.TypeScopedGrants{}),
	}.Build()

	mcpServerResourceType = v2.ResourceType_builder{
		Id:          mcpServerTypeID,
		DisplayName: "MCP server",
		Description: "A Model Context Protocol server Celigo hosts, through which AI clients (Claude, Cursor, ChatGPT, Copilot) call Celigo on a user's behalf; users may read or write through it.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_APP},
		Annotations: annotations.New(&v2.TypeScopedGrants{}),
	}.Build()

	// The Celigo account itself: one resource, the target of sign-in usage events (the celigo_signins feed).
	accountResourceType = v2.ResourceType_builder{
		Id:          accountTypeID,
		DisplayName: "Celigo account",
		Description: "The Celigo integrator.io account (environment) the connector reads, as an app: sign-ins are usage of it.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_APP},
		Annotations: annotations.New(&v2.SkipEntitlementsAndGrants{}),
	}.Build()

	// Synced only with --sync-secrets. A token holds no entitlements: what it may reach is in its profile.
	apiTokenResourceType = v2.ResourceType_builder{
		Id:          apiTokenTypeID,
		DisplayName: "API token",
		Description: "A Celigo API token: a key to the account with Full access or a Custom scope, which may expire, be revoked or belong to an integration app. Its value is never synced.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_SECRET},
		Annotations: annotations.New(&v2.SkipEntitlementsAndGrants{}),
	}.Build()

	// A permission has no trait: it is a flag on a user's record, neither an app nor a role.
	permissionResourceType = v2.ResourceType_builder{
		Id:          permissionTypeID,
		DisplayName: "Permission",
		Description: "An account permission Celigo sets per user, beyond the role: editing retry data, the API Management console, creating integration workspaces.",
		Annotations: annotations.New(&v2.TypeScopedGrants{}),
	}.Build()
)
