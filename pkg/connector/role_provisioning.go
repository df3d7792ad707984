package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// roleFamily: "role:<role>:assigned". The account-wide role is one per user (a grant replaces another);
// integration entries are left as they are, so a user keeps access granted integration by integration.
// all_mcp_servers is a flag beside the role, not a role in Celigo.
func (c *Connector) roleFamily() family[string] {
	return family[string]{
		parse: roleEntitlementOf,
		grant: func(ctx context.Context, recordID, role string) (*v2.Grant, bool, error) {
			changed, err := c.changeUser(ctx, recordID, roleChange(role, celigo.GrantRole, celigo.GrantAllMCPServers))
			return roleGrant(role, userID(recordID)), changed, err
		},
		revoke: func(ctx context.Context, recordID, role string) (bool, error) {
			return c.changeUser(ctx, recordID, roleChange(role, celigo.RevokeRole, celigo.RevokeAllMCPServers))
		},
	}
}

// roleChange is the change for a role: the account-wide role through rule, or the all-MCP-servers flag
// through mcp (Celigo lists no server for such a user, so their per-server entries go with it).
func roleChange(role string, rule func(*celigo.User, string) (bool, error), mcp func(*celigo.User) bool) changeFunc {
	if role == allMCPRoleID {
		return extrasChange(func(u *celigo.User) (bool, error) { return mcp(u), nil })
	}
	return func(u *celigo.User) (bool, error) { return rule(u, role) }
}

// roleEntitlementOf reads "role:<role>:assigned". The owner role is refused here: ownership moves only in
// Celigo.
func roleEntitlementOf(ent *v2.Entitlement) (string, error) {
	role, _, err := parseEntitlement(ent, roleTypeID,
		func(_, slug string) bool { return slug == roleEntitlement }, "a role", "role:<role>:"+roleEntitlement)
	if err == nil && role == celigo.LevelOwner {
		return "", ruleError(celigo.ErrOwnership) // the README quotes this message: keep it the rule's own
	}
	return role, err
}

// Grant sets the user's account-wide role to this role, or gives access to all MCP servers.
func (b *roleBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) ([]*v2.Grant, annotations.Annotations, error) {
	return grantIn(ctx, b.conn.roleFamily(), principal, ent)
}

// Revoke removes the account-wide role if the user holds this one, or access to all MCP servers.
func (b *roleBuilder) Revoke(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	return revokeIn(ctx, b.conn.roleFamily(), g)
}
