package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Grant sets the user's account-wide role to this role (Celigo holds one; it replaces another).
// Integration entries are left as they are.
func (b *roleBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) (_ []*v2.Grant, annos annotations.Annotations, err error) {
	defer func() { logGrant(ctx, principal, ent, annos, err) }()
	role := ent.GetResource().GetId().GetResource()
	if role == celigo.LevelOwner {
		return nil, nil, ruleError(celigo.ErrOwnership)
	}
	if role == allMCPRoleID {
		return b.conn.grantAllMCPServers(ctx, principal)
	}
	recordID, err := principalUser(principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	changed, err := b.conn.changeUser(ctx, recordID, func(u *celigo.User) (bool, error) { return celigo.GrantRole(u, role) })
	if err != nil {
		return nil, nil, err
	}
	return grantResult(roleGrant(role, userID(recordID)), changed)
}

// Revoke removes the account-wide role if the user holds this one; integration entries stay, so a user
// keeps access granted integration by integration.
func (b *roleBuilder) Revoke(ctx context.Context, g *v2.Grant) (annos annotations.Annotations, err error) {
	defer func() { logRevoke(ctx, g, annos, err) }()
	role := g.GetEntitlement().GetResource().GetId().GetResource()
	if role == celigo.LevelOwner {
		return nil, ruleError(celigo.ErrOwnership)
	}
	if role == allMCPRoleID {
		return b.conn.revokeAllMCPServers(ctx, g)
	}
	recordID, err := principalUser(g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	changed, err := b.conn.changeUser(ctx, recordID, func(u *celigo.User) (bool, error) { return celigo.RevokeRole(u, role) })
	if err != nil {
		return nil, err
	}
	return revokeResult(changed)
}

// principalUser checks the principal is a user and returns its id (an access record id).
func principalUser(id *v2.ResourceId) (string, error) {
	if id.GetResourceType() != userTypeID || id.GetResource() == "" {
		return "", status.Errorf(codes.InvalidArgument,
			"baton-celigo: only users can be granted Celigo access, not %s %q", id.GetResourceType(), id.GetResource())
	}
	return id.GetResource(), checkCeligoID(id.GetResource())
}
