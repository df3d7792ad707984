package connector

import (
	"context"
	"errors"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Grant gives the user read or write on one MCP server through their entry for it (write comes with read),
// unless they already have it (administrator, all MCP servers, or the entry).
func (b *mcpServerBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) (_ []*v2.Grant, annos annotations.Annotations, err error) {
	defer func() { logGrant(ctx, principal, ent, annos, err) }()
	server, slug, err := mcpEntitlement(ent)
	if err != nil {
		return nil, nil, err
	}
	recordID, err := principalUser(principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	s, err := b.conn.findMCPServer(ctx, server)
	switch {
	case err != nil:
		return nil, nil, err
	case s == nil:
		return nil, nil, status.Errorf(codes.NotFound, "baton-celigo: MCP server %s does not exist in Celigo", server)
	case s.UsesExternalIdentityProvider():
		return nil, nil, externalIdPError(s)
	}
	g := mcpGrant(server, slug, recordID)
	owner, err := b.conn.isOwner(ctx, recordID)
	if err != nil {
		return nil, nil, err
	}
	if owner {
		return grantResult(g, false) // the owner uses every MCP server already
	}
	changed, err := b.conn.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
		return celigo.GrantMCP(u, server, mcpScopeOf(slug))
	}))
	if err != nil {
		return nil, nil, err
	}
	return grantResult(g, changed)
}

// Revoke takes read (and so the whole entry) or write away from the user's entry for the server. Access
// the user holds on every server (owner, administrator, all MCP servers) is refused with FailedPrecondition
// naming where it comes from.
func (b *mcpServerBuilder) Revoke(ctx context.Context, g *v2.Grant) (annos annotations.Annotations, err error) {
	defer func() { logRevoke(ctx, g, annos, err) }()
	server, slug, err := mcpEntitlement(g.GetEntitlement())
	if err != nil {
		return nil, err
	}
	if p := g.GetPrincipal().GetId(); p.GetResourceType() == roleTypeID {
		return nil, status.Errorf(codes.FailedPrecondition,
			"baton-celigo: the %q role's access to every MCP server is how Celigo defines that role; revoke the role from users instead", p.GetResource())
	}
	recordID, err := principalUser(g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	owner, err := b.conn.isOwner(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if owner {
		return nil, status.Errorf(codes.FailedPrecondition,
			"baton-celigo: user %s is the account owner, who uses every MCP server through the %q role: that access cannot be revoked (%v)",
			recordID, celigo.LevelOwner, celigo.ErrOwnership)
	}
	s, err := b.conn.findMCPServer(ctx, server)
	if err != nil {
		return nil, err
	}
	rule := celigo.RevokeMCP
	if s == nil || s.UsesExternalIdentityProvider() {
		// No server, or one Celigo does not govern: nobody holds it through a role here; only a stale
		// entry can be taken away.
		rule = celigo.RemoveMCPScope
	}
	changed, err := b.conn.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
		return rule(u, server, mcpScopeOf(slug))
	}))
	if err != nil {
		return nil, err
	}
	return revokeResult(changed)
}

// isOwner reports whether id is the account owner, who has no access record (the token's user when no
// record is theirs; refuseOwner treats the id the same way).
func (c *Connector) isOwner(ctx context.Context, id string) (bool, error) {
	ti, err := c.token(ctx)
	if err != nil {
		return false, wrapErr(err, "read token info")
	}
	return id == ti.UserID, nil
}

func externalIdPError(s *celigo.MCPServer) error {
	return status.Errorf(codes.FailedPrecondition,
		"baton-celigo: MCP server %s signs users in with an external identity provider (MCP OAuth provider %s): who may use it is managed in that provider, not in Celigo",
		s.ID, s.ExternalProvider)
}

// extrasChange wraps a change to a record's MCP access or permissions. Such access is not what Celigo
// counts as access on a record (a role or an integration entry), and Celigo refuses to store a record with
// neither: that is said plainly here, before writing, instead of as a failed revoke.
func extrasChange(change changeFunc) changeFunc {
	return func(u *celigo.User) (bool, error) {
		changed, err := change(u)
		var implicit *celigo.MCPImplicitError
		switch {
		case errors.As(err, &implicit):
			return false, status.Error(codes.FailedPrecondition, "baton-celigo: "+err.Error())
		case err != nil:
			return false, err
		case changed && !celigo.HasAccess(u):
			return false, status.Error(codes.FailedPrecondition,
				"baton-celigo: the user has no account role and no integration access, and Celigo does not store a user record without one of them (MCP server access and permissions do not count): grant a role or an integration first")
		}
		return changed, nil
	}
}

// mcpEntitlement reads "mcp_server:<id>:<read|write>" into its parts.
func mcpEntitlement(ent *v2.Entitlement) (string, string, error) {
	server := ent.GetResource().GetId().GetResource()
	slug := strings.TrimPrefix(ent.GetId(), mcpServerTypeID+":"+server+":")
	if server == "" || ent.GetResource().GetId().GetResourceType() != mcpServerTypeID || mcpScopeOf(slug) == "" {
		return "", "", status.Errorf(codes.InvalidArgument,
			"baton-celigo: %q is not an MCP server entitlement (want mcp_server:<id>:read or :write)", ent.GetId())
	}
	return server, slug, nil
}

// grantAllMCPServers sets allMcpServerAccess (the all_mcp_servers role). Celigo lists no server for such a
// user, so their per-server entries go.
func (c *Connector) grantAllMCPServers(ctx context.Context, principal *v2.Resource) ([]*v2.Grant, annotations.Annotations, error) {
	recordID, err := principalUser(principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	changed, err := c.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
		return celigo.GrantAllMCPServers(u), nil
	}))
	if err != nil {
		return nil, nil, err
	}
	return grantResult(roleGrant(allMCPRoleID, userID(recordID)), changed)
}

// revokeAllMCPServers clears allMcpServerAccess. An administrator keeps using every server through the role.
func (c *Connector) revokeAllMCPServers(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	recordID, err := principalUser(g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	changed, err := c.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
		return celigo.RevokeAllMCPServers(u), nil
	}))
	if err != nil {
		return nil, err
	}
	return revokeResult(changed)
}
