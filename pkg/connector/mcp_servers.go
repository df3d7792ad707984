package connector

import (
	"context"
	"fmt"
	"net/http"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// MCP servers: who can drive Celigo from an AI agent. Ids and slugs are stored by ConductorOne.
const (
	mcpRead  = "read"  // mcp:read
	mcpWrite = "write" // mcp:write

	// allMCPRoleID is the role held by users with access to every MCP server (allMcpServerAccess).
	allMCPRoleID = "all_mcp_servers"
)

var allMCPServersRole = roleInfo{allMCPRoleID, "All MCP servers",
	"Uses every current and future MCP server, reading and writing (Celigo's allMcpServerAccess setting). Administrators and the owner have this access without it."}

// mcpSlugs maps entitlement slugs to the scopes Celigo stores, in the order entitlements are listed.
var mcpSlugs = []struct{ slug, scope string }{{mcpRead, celigo.ScopeRead}, {mcpWrite, celigo.ScopeWrite}}

func mcpScopeOf(slug string) string {
	for _, s := range mcpSlugs {
		if s.slug == slug {
			return s.scope
		}
	}
	return ""
}

func mcpSlugOf(scope string) string {
	for _, s := range mcpSlugs {
		if s.scope == scope {
			return s.slug
		}
	}
	return ""
}

// mcpServerEntry is what grants need of one MCP server: its id, and whether it signs users in with an
// external provider (Celigo's records then say nothing about who may use it).
type mcpServerEntry struct {
	ID       string `json:"i"`
	External bool   `json:"e,omitempty"`
}

func (s mcpServerEntry) key() string { return s.ID }

func mcpEntries(page []*celigo.MCPServer) []mcpServerEntry {
	out := make([]mcpServerEntry, len(page))
	for i, s := range page {
		out[i] = mcpServerEntry{ID: s.ID, External: s.UsesExternalIdentityProvider()}
	}
	return out
}

// governed reports whether Celigo lists server id and decides who uses it (no external provider does).
func governed(servers *walk.List[mcpServerEntry], id string) bool {
	s, ok := servers.ByKey[id]
	return ok && !s.External
}

// findMCPServer reads the MCP servers list until it meets id (Celigo documents no call for one server);
// nil when the account has no such server.
func (c *Connector) findMCPServer(ctx context.Context, id string) (*celigo.MCPServer, error) {
	var found *celigo.MCPServer
	err := eachPage(ctx, "MCP servers", c.client.ListMCPServers, func(page []*celigo.MCPServer) bool {
		for _, s := range page {
			if s.ID == id {
				found = s
				return true
			}
		}
		return false
	})
	return found, err
}

// mcpServerBuilder syncs MCP servers and who can use each.
type mcpServerBuilder struct {
	conn *Connector
}

func (b *mcpServerBuilder) ResourceType(_ context.Context) *v2.ResourceType {
	return mcpServerResourceType
}

func mcpServerID(id string) *v2.ResourceId { return resourceID(mcpServerTypeID, id) }

// Profile values of identity_provider.
const (
	idpCeligo   = "celigo"
	idpExternal = "external"
)

// mcpServerResource describes one server. Celigo documents no web address for a server's page, so there is
// no link; the relative URI is in the profile.
func mcpServerResource(s *celigo.MCPServer) (*v2.Resource, error) {
	profile := map[string]any{
		"mcp_server_id":           s.ID,
		"relative_uri":            s.RelativeURI,
		"description":             s.Description,
		"disabled":                s.Disabled,
		"identity_provider":       idpCeligo,
		"external_oauth_provider": "",
	}
	description := s.Description
	if s.UsesExternalIdentityProvider() {
		profile["identity_provider"] = idpExternal
		profile["external_oauth_provider"] = s.ExternalProvider
		note := fmt.Sprintf("Users sign in to this server with an external identity provider (MCP OAuth provider %s): who may use it is managed there, not in Celigo, so no access is synced or granted here.", s.ExternalProvider)
		description = joinSentences(description, note)
	}
	for key, t := range map[string]celigo.Timestamp{"created_at": s.CreatedAt, "last_modified": s.LastModified} {
		if !t.IsZero() {
			profile[key] = t.UTC().Format(time.RFC3339)
		}
	}
	name := s.Name
	if name == "" {
		name = s.ID
	}
	opts := []rs.ResourceOption{rs.WithExternalID(v2.ExternalId_builder{Id: s.ID}.Build()), rs.WithResourceProfile(profile)}
	if description != "" {
		opts = append(opts, rs.WithDescription(description))
	}
	if !s.CreatedAt.IsZero() {
		opts = append(opts, rs.WithResourceCreatedAt(s.CreatedAt.Time))
	}
	return rs.NewAppResource(name, mcpServerResourceType, s.ID, nil, opts...)
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + " — " + b
}

// usesExternalIdP reads back what mcpServerResource recorded.
func usesExternalIdP(res *v2.Resource) bool {
	return rs.GetProfile(res).AsMap()["identity_provider"] == idpExternal
}

// List serves one part of a page of MCP servers (read from Celigo once) and keeps what grants need of them
// in the sync's walk.
func (b *mcpServerBuilder) List(ctx context.Context, _ *v2.ResourceId, opts rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	part, err := serveList(ctx, b.conn, opts, b.conn.mcpServers(opts).listed(mcpServerKey, func(s *celigo.MCPServer) (*v2.Resource, error) {
		r, err := mcpServerResource(s)
		return r, wrapErr(err, "describe MCP server "+s.ID)
	}))
	if err != nil {
		return nil, nil, err
	}
	return part.resources, waits.results(part.next), nil
}

func mcpServerKey(s *celigo.MCPServer) string { return s.ID }

// mcpListRefused: Celigo answered the MCP server list with 403 or 404. The endpoint may be missing or
// forbidden on accounts that use no MCP server (Celigo's own clients spell it differently).
func mcpListRefused(err error) bool {
	return celigo.IsStatus(err, http.StatusForbidden) || celigo.IsStatus(err, http.StatusNotFound)
}

// noMCPAccess accepts a refused MCP server list only when no user record carries MCP server access: then the
// account uses none. Otherwise servers and grants would go missing, and the refusal (which names the endpoint
// and status) fails the sync.
func (c *Connector) noMCPAccess(ctx context.Context, opts rs.SyncOpAttrs, refusal error) error {
	users, err := c.walkedUsers(ctx, opts)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.extra.allMCP || len(u.extra.mcp) > 0 {
			return fmt.Errorf("refused while access record %s carries MCP server access, so its servers cannot be left out; "+
				"check that the token has Full access: %w", u.recordID, refusal)
		}
	}
	return nil
}

// Get finds one server for a targeted sync.
func (b *mcpServerBuilder) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	s, err := b.conn.findMCPServer(ctx, id.GetResource())
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, status.Errorf(codes.NotFound, "baton-celigo: MCP server %s not found", id.GetResource())
	}
	r, err := mcpServerResource(s)
	return r, nil, err
}

// Entitlements: read and write, except on a server whose access an external identity provider manages.
func (b *mcpServerBuilder) Entitlements(_ context.Context, res *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	if usesExternalIdP(res) {
		return nil, &rs.SyncOpResults{}, nil
	}
	name := res.GetDisplayName()
	return []*v2.Entitlement{
		userEntitlement(res, mcpRead, fmt.Sprintf("Read through MCP server %s", name),
			fmt.Sprintf("Can connect an AI client to the Celigo MCP server %s and use its read tools (scope mcp:read).", name)),
		userEntitlement(res, mcpWrite, fmt.Sprintf("Write through MCP server %s", name),
			fmt.Sprintf("Can use the tools of the Celigo MCP server %s that change data (scope mcp:write); comes with read.", name)),
	}, &rs.SyncOpResults{}, nil
}

// Grants serves one server's grants (targeted syncs); a full sync uses GrantsForResourceType.
func (b *mcpServerBuilder) Grants(ctx context.Context, res *v2.Resource, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	id := res.GetId().GetResource()
	g, err := b.conn.startGrants(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	servers, err := b.conn.mcpServers(opts).complete(g.ctx)
	if err != nil {
		return nil, nil, err
	}
	if !governed(servers, id) {
		return nil, g.waits.results(""), nil
	}
	users, err := b.conn.walkedUsers(g.ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	return g.serve(inheritedMCPGrants(id), len(users), func(i int) []*v2.Grant {
		var gs []*v2.Grant
		for _, scope := range users[i].extra.mcp[id] {
			gs = append(gs, mcpGrant(id, mcpSlugOf(scope), users[i].recordID))
		}
		return gs
	})
}

// GrantsForResourceType serves every MCP server grant from the walk: the users' entries, then for each
// server the grants the owner, administrator and all-servers roles pass on to their holders.
func (b *mcpServerBuilder) GrantsForResourceType(ctx context.Context, _ string, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return entryGrants[mcpServerEntry]{list: mcpServersList, complete: b.conn.mcpServers(opts).complete,
		named: func(u userAccess) []string { return sortedKeys(u.extra.mcp) },
		direct: func(u userAccess, servers *walk.List[mcpServerEntry]) []*v2.Grant {
			return mcpGrantsOf(u, func(id string) bool { return governed(servers, id) })
		},
		inherited: func(s mcpServerEntry) []*v2.Grant {
			if s.External {
				return nil // an external provider, not Celigo's roles, decides who uses it
			}
			return inheritedMCPGrants(s.ID)
		},
	}.serve(ctx, b.conn, opts)
}

func mcpGrant(server, slug, recordID string) *v2.Grant {
	return grantOn(mcpServerID(server), slug, userID(recordID))
}

// mcpImplicitRoles hold access to every MCP server.
var mcpImplicitRoles = []string{celigo.LevelOwner, celigo.LevelAdministrator, allMCPRoleID}

// inheritedMCPGrants gives each role with access to every server that access on this one (passedOn).
func inheritedMCPGrants(server string) []*v2.Grant {
	res := v2.Resource_builder{Id: mcpServerID(server)}.Build()
	out := make([]*v2.Grant, 0, len(mcpImplicitRoles)*len(celigo.ImplicitMCPScopes))
	for _, role := range mcpImplicitRoles {
		for _, scope := range celigo.ImplicitMCPScopes {
			out = append(out, passedOn(res, mcpSlugOf(scope), role))
		}
	}
	return out
}
