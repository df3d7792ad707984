package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// mcpAccess is one MCP server entitlement: read or write (write comes with read) on one server.
type mcpAccess struct{ server, slug string }

// mcpFamily: "mcp_server:<id>:<read|write>", held through the user's entry for the server, or on every
// server (owner, administrator, all MCP servers).
func (c *Connector) mcpFamily() family[mcpAccess] {
	return family[mcpAccess]{
		parse: mcpEntitlement,
		grant: func(ctx context.Context, recordID string, a mcpAccess) (*v2.Grant, bool, error) {
			s, err := c.findMCPServer(ctx, a.server)
			switch {
			case err != nil:
				return nil, false, err
			case s == nil:
				return nil, false, status.Errorf(codes.NotFound, "baton-celigo: MCP server %s does not exist in Celigo", a.server)
			case s.UsesExternalIdentityProvider():
				return nil, false, externalIdPError(s)
			}
			g := mcpGrant(a.server, a.slug, recordID)
			owner, err := c.isOwner(ctx, recordID)
			if err != nil || owner {
				return g, false, err // the owner uses every MCP server already
			}
			changed, err := c.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
				return celigo.GrantMCP(u, a.server, mcpScopeOf(a.slug))
			}))
			return g, changed, err
		},
		revoke: func(ctx context.Context, recordID string, a mcpAccess) (bool, error) {
			owner, err := c.isOwner(ctx, recordID)
			if err != nil {
				return false, err
			}
			if owner {
				return false, ownerRefused("user %s is the account owner, who uses every MCP server through the %q role: that access cannot be revoked",
					recordID, celigo.LevelOwner)
			}
			s, err := c.findMCPServer(ctx, a.server)
			if err != nil {
				return false, err
			}
			rule := celigo.RevokeMCP
			if s == nil || s.UsesExternalIdentityProvider() {
				// No server, or one Celigo does not govern: nobody holds it through a role here; only a stale
				// entry can be taken away.
				rule = celigo.RemoveMCPScope
			}
			return c.changeUser(ctx, recordID, extrasChange(func(u *celigo.User) (bool, error) {
				return rule(u, a.server, mcpScopeOf(a.slug))
			}))
		},
		heldByRole: func(role string, _ mcpAccess) error {
			return status.Errorf(codes.FailedPrecondition,
				"baton-celigo: the %q role's access to every MCP server is how Celigo defines that role; revoke the role from users instead", role)
		},
	}
}

// mcpEntitlement reads "mcp_server:<id>:<read|write>" of an MCP server resource.
func mcpEntitlement(ent *v2.Entitlement) (mcpAccess, error) {
	server, slug, err := parseEntitlement(ent, mcpServerTypeID,
		func(_, slug string) bool { return mcpScopeOf(slug) != "" }, "an MCP server", "mcp_server:<id>:read or :write")
	return mcpAccess{server, slug}, err
}

// Grant gives the user read or write on one MCP server through their entry for it, unless they already
// have it (administrator, all MCP servers, or the entry).
func (b *mcpServerBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) ([]*v2.Grant, annotations.Annotations, error) {
	return grantIn(ctx, b.conn.mcpFamily(), principal, ent)
}

// Revoke takes read (and so the whole entry) or write away from the user's entry for the server. Access
// the user holds on every server (owner, administrator, all MCP servers) is refused with FailedPrecondition
// naming where it comes from.
func (b *mcpServerBuilder) Revoke(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	return revokeIn(ctx, b.conn.mcpFamily(), g)
}

func externalIdPError(s *celigo.MCPServer) error {
	return status.Errorf(codes.FailedPrecondition,
		"baton-celigo: MCP server %s signs users in with an external identity provider (MCP OAuth provider %s): who may use it is managed in that provider, not in Celigo",
		s.ID, s.ExternalProvider)
}
