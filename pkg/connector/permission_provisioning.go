package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Grant sets the permission's flag on the user's record.
func (b *permissionBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) (_ []*v2.Grant, annos annotations.Annotations, err error) {
	defer func() { logGrant(ctx, principal, ent, annos, err) }()
	p, err := permissionEntitlementOf(ent)
	if err != nil {
		return nil, nil, err
	}
	recordID, err := principalUser(principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	changed, err := b.conn.setPermission(ctx, recordID, p, true)
	if err != nil {
		return nil, nil, err
	}
	return grantResult(permissionGrant(p.id, recordID), changed)
}

// Revoke clears the permission's flag on the user's record.
func (b *permissionBuilder) Revoke(ctx context.Context, g *v2.Grant) (annos annotations.Annotations, err error) {
	defer func() { logRevoke(ctx, g, annos, err) }()
	p, err := permissionEntitlementOf(g.GetEntitlement())
	if err != nil {
		return nil, err
	}
	recordID, err := principalUser(g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	changed, err := b.conn.setPermission(ctx, recordID, p, false)
	if err != nil {
		return nil, err
	}
	return revokeResult(changed)
}

func (c *Connector) setPermission(ctx context.Context, recordID string, p permissionInfo, allowed bool) (bool, error) {
	return c.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
		return celigo.SetPermission(u, p.field, allowed)
	}))
}

// permissionEntitlementOf reads "permission:<id>:allowed".
func permissionEntitlementOf(ent *v2.Entitlement) (permissionInfo, error) {
	id := ent.GetResource().GetId().GetResource()
	p, err := permissionByID(id)
	if err != nil || ent.GetId() != permissionTypeID+":"+id+":"+permissionEntitlement {
		return permissionInfo{}, status.Errorf(codes.InvalidArgument,
			"baton-celigo: %q is not a permission entitlement (want permission:<edit_retry_data|api_management|create_workspaces>:allowed)", ent.GetId())
	}
	return p, nil
}
