package connector

import (
	"context"
	"fmt"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

type permissionInfo struct {
	id, field, name, description string
}

// permissions are the fixed permission resources. Celigo does not document that administrators or the
// owner hold any of them without the flag, so only the flag grants them.
var permissions = []permissionInfo{
	{"edit_retry_data", celigo.PermissionEditRetryData, "Edit retry data",
		"May edit retry data (the production records of failed flow runs) although the role only monitors; Celigo's allowToEditRetryData."},
	{"api_management", celigo.PermissionAPIManagement, "API Management console",
		"May open the API Management (APIM) console; Celigo's allowAccessToAPIM."},
	{"create_workspaces", celigo.PermissionCreateWorkspaces, "Create integration workspaces",
		"May create integration workspaces; Celigo's allowIntegrationWorkspaceCreation."},
}

func permissionByID(id string) (permissionInfo, error) {
	return fixedByID(permissionTypeID, permissions, func(p permissionInfo) string { return p.id }, id)
}

func permissionID(id string) *v2.ResourceId { return resourceID(permissionTypeID, id) }

func permissionResource(p permissionInfo) (*v2.Resource, error) {
	return rs.NewResource(p.name, permissionResourceType, p.id,
		rs.WithDescription(p.description),
		rs.WithExternalID(v2.ExternalId_builder{Id: p.field}.Build()))
}

// permissionBuilder syncs the three fixed permissions; their grants come from the users walk.
type permissionBuilder struct {
	conn *Connector
}

func (b *permissionBuilder) ResourceType(_ context.Context) *v2.ResourceType {
	return permissionResourceType
}

func (b *permissionBuilder) List(_ context.Context, _ *v2.ResourceId, _ rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	return describeAll(permissions, permissionResource)
}

func (b *permissionBuilder) Get(_ context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	p, err := permissionByID(id.GetResource())
	if err != nil {
		return nil, nil, err
	}
	r, err := permissionResource(p)
	return r, nil, err
}

func (b *permissionBuilder) Entitlements(_ context.Context, res *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	p, err := permissionByID(res.GetId().GetResource())
	if err != nil {
		return nil, nil, err
	}
	return []*v2.Entitlement{userEntitlement(res, permissionEntitlement, p.name,
		fmt.Sprintf("%s Granted by setting the user's %s in Celigo.", p.description, p.field)),
	}, &rs.SyncOpResults{}, nil
}

// Grants serves one permission's holders (targeted syncs); a full sync uses GrantsForResourceType.
func (b *permissionBuilder) Grants(ctx context.Context, res *v2.Resource, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return b.permissionGrants(ctx, res.GetId().GetResource(), opts)
}

// GrantsForResourceType serves every permission grant from the users walk.
func (b *permissionBuilder) GrantsForResourceType(ctx context.Context, _ string, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return b.permissionGrants(ctx, "", opts)
}

// permissionGrants lists grants of permission `only` ("" for all of them).
func (b *permissionBuilder) permissionGrants(ctx context.Context, only string, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return b.conn.serveUserGrants(ctx, opts, nil, func(u userAccess) []*v2.Grant { return permissionGrantsOf(u, only) })
}

func permissionGrant(permission, recordID string) *v2.Grant {
	return grantOn(permissionID(permission), permissionEntitlement, userID(recordID))
}
