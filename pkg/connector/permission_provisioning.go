package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// permissionFamily: "permission:<id>:allowed", a flag on the user's record.
func (c *Connector) permissionFamily() family[permissionInfo] {
	set := func(ctx context.Context, recordID string, p permissionInfo, allowed bool) (bool, error) {
		return c.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
			return celigo.SetPermission(u, p.field, allowed)
		}))
	}
	return family[permissionInfo]{
		parse: permissionEntitlementOf,
		grant: func(ctx context.Context, recordID string, p permissionInfo) (*v2.Grant, bool, error) {
			changed, err := set(ctx, recordID, p, true)
			return permissionGrant(p.id, recordID), changed, err
		},
		revoke: func(ctx context.Context, recordID string, p permissionInfo) (bool, error) {
			return set(ctx, recordID, p, false)
		},
	}
}

// permissionEntitlementOf reads "permission:<id>:allowed".
func permissionEntitlementOf(ent *v2.Entitlement) (permissionInfo, error) {
	id, slug, ok := entitlementOf(ent, permissionTypeID)
	p, err := permissionByID(id)
	if !ok || err != nil || slug != permissionEntitlement {
		return permissionInfo{}, status.Errorf(codes.InvalidArgument,
			"baton-celigo: %q is not a permission entitlement (want permission:<edit_retry_data|api_management|create_workspaces>:allowed)", ent.GetId())
	}
	return p, nil
}

// Grant sets the permission's flag on the user's record.
func (b *permissionBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) ([]*v2.Grant, annotations.Annotations, error) {
	return grantIn(ctx, b.conn.permissionFamily(), principal, ent)
}

// Revoke clears the permission's flag on the user's record.
func (b *permissionBuilder) Revoke(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	return revokeIn(ctx, b.conn.permissionFamily(), g)
}
