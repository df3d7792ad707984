package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"

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
	id, _, err := parseEntitlement(ent, permissionTypeID, func(id, slug string) bool {
		_, err := permissionByID(id)
		return err == nil && slug == permissionEntitlement
	}, "a permission", "permission:<edit_retry_data|api_management|create_workspaces>:allowed")
	if err != nil {
		return permissionInfo{}, err
	}
	return permissionByID(id)
}

// Grant sets the permission's flag on the user's record.
func (b *permissionBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) ([]*v2.Grant, annotations.Annotations, error) {
	return grantIn(ctx, b.conn.permissionFamily(), principal, ent)
}

// Revoke clears the permission's flag on the user's record.
func (b *permissionBuilder) Revoke(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	return revokeIn(ctx, b.conn.permissionFamily(), g)
}
