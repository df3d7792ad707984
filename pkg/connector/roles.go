package connector

import (
	"context"
	"fmt"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/types/entitlement"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// roleInfo describes the account-wide roles; the owner is not a value of accessLevel but is a role here,
// so reviewers see who holds everything.
type roleInfo struct {
	id, name, description string
}

var roles = []roleInfo{
	{celigo.LevelOwner, "Account owner", "Owns the Celigo account: every permission, including ownership. Transferred only in Celigo itself."},
	{celigo.LevelAdministrator, "Administrator", "Everything but ownership: manages all integrations, account settings and users."},
	{celigo.LevelManage, "Manage all", "Creates and edits every integration; no account settings or user management."},
	{celigo.LevelMonitor, "Monitor all", "Views and runs every integration, retries errors; no edits."},
}

// allRoles are the role resources: the account roles and "All MCP servers".
func allRoles() []roleInfo { return append(roles[:len(roles):len(roles)], allMCPServersRole) }

func roleByID(id string) (roleInfo, error) {
	return fixedByID(roleTypeID, allRoles(), func(r roleInfo) string { return r.id }, id)
}

func roleID(role string) *v2.ResourceId { return resourceID(roleTypeID, role) }

// roleEntitlementID is the id of a role's assigned entitlement, e.g. role:administrator:assigned.
func roleEntitlementID(role string) string {
	return entitlement.NewEntitlementID(v2.Resource_builder{Id: roleID(role)}.Build(), roleEntitlement)
}

func userID(id string) *v2.ResourceId { return resourceID(userTypeID, id) }

func roleResource(r roleInfo) (*v2.Resource, error) {
	return rs.NewRoleResource(r.name, roleResourceType, r.id, nil,
		rs.WithResourceProfile(map[string]any{"access_level": r.id}),
		rs.WithDescription(r.description))
}

// roleBuilder syncs the fixed roles; their grants come from the users walk.
type roleBuilder struct {
	conn *Connector
}

func (b *roleBuilder) ResourceType(_ context.Context) *v2.ResourceType { return roleResourceType }

func (b *roleBuilder) List(_ context.Context, _ *v2.ResourceId, _ rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	return describeAll(allRoles(), roleResource)
}

func (b *roleBuilder) Get(_ context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	r, err := roleByID(id.GetResource())
	if err != nil {
		return nil, nil, err
	}
	res, err := roleResource(r)
	return res, nil, err
}

func (b *roleBuilder) Entitlements(_ context.Context, res *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	r, err := roleByID(res.GetId().GetResource())
	if err != nil {
		return nil, nil, err
	}
	description := fmt.Sprintf("Holds the Celigo %q account role. %s", r.id, r.description)
	if r.id == allMCPRoleID {
		description = "Has access to all MCP servers. " + r.description
	}
	ent := entitlement.NewAssignmentEntitlement(res, roleEntitlement,
		entitlement.WithGrantableTo(userResourceType),
		entitlement.WithDisplayName(fmt.Sprintf("%s role", r.name)),
		entitlement.WithDescription(description),
	)
	return []*v2.Entitlement{ent}, &rs.SyncOpResults{}, nil
}

// Grants serves one role's holders (targeted syncs); a full sync uses GrantsForResourceType.
func (b *roleBuilder) Grants(ctx context.Context, res *v2.Resource, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return b.roleGrants(ctx, res.GetId().GetResource(), opts)
}

// GrantsForResourceType serves every role grant from the users walk, without calling Celigo again.
func (b *roleBuilder) GrantsForResourceType(ctx context.Context, _ string, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return b.roleGrants(ctx, "", opts)
}

// roleGrants lists grants of role `only` ("" for all roles).
func (b *roleBuilder) roleGrants(ctx context.Context, only string, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	ownerGrant := func(ctx context.Context, users []userAccess) ([]*v2.Grant, error) {
		if only != "" && only != celigo.LevelOwner {
			return nil, nil
		}
		ownerID, err := b.conn.ownerUserID(ctx, users)
		if err != nil || ownerID == "" {
			return nil, err
		}
		return []*v2.Grant{roleGrant(celigo.LevelOwner, userID(ownerID))}, nil
	}
	return b.conn.serveUserGrants(ctx, opts, ownerGrant, func(u userAccess) []*v2.Grant { return roleGrantsOf(u, only) })
}

func roleGrant(role string, principal *v2.ResourceId) *v2.Grant {
	return grantOn(roleID(role), roleEntitlement, principal)
}
