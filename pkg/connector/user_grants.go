package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/types/grant"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// The grants one access record holds directly, per resource type: a full sync serves them from the users
// walk, and the change feed diffs them between a record's state before and after a change. One function per
// type, used by both, so the feed can never report a grant the sync would not hold.

// grantOn is the grant of entitlement slug on the resource id to principal.
func grantOn(id *v2.ResourceId, slug string, principal *v2.ResourceId) *v2.Grant {
	return grant.NewGrant(v2.Resource_builder{Id: id}.Build(), slug, principal)
}

// passedOn is role's grant of entitlement slug on res, which every holder of the role gets: marked
// expandable, so the SDK (and C1) pass it on to the role's holders, with no user × resource rows from the
// connector.
func passedOn(res *v2.Resource, slug, role string) *v2.Grant {
	return grant.NewGrant(res, slug, roleID(role),
		grant.WithAnnotation(v2.GrantExpandable_builder{EntitlementIds: []string{roleEntitlementID(role)}}.Build()))
}

// roleGrantsOf is the record's role grants (role `only`, "" for all).
func roleGrantsOf(u userAccess, only string) []*v2.Grant {
	var gs []*v2.Grant
	if u.extra.allMCP && (only == "" || only == allMCPRoleID) {
		gs = append(gs, roleGrant(allMCPRoleID, userID(u.recordID)))
	}
	if celigo.IsAccountRole(u.role) && (only == "" || u.role == only) {
		gs = append(gs, roleGrant(u.role, userID(u.recordID)))
	}
	return gs
}

// integrationGrantsOf is the record's direct integration grants, on integrations Celigo lists (exists).
func integrationGrantsOf(u userAccess, exists func(id string) bool) []*v2.Grant {
	var gs []*v2.Grant
	for _, intID := range sortedKeys(u.direct) {
		// An entry can outlive its integration; a grant on a missing resource would be noise.
		if exists(intID) {
			gs = append(gs, directGrant(intID, u.direct[intID], u.recordID))
		}
	}
	return gs
}

// mcpGrantsOf is the record's direct MCP server grants, on servers Celigo lists and governs.
func mcpGrantsOf(u userAccess, governs func(id string) bool) []*v2.Grant {
	var gs []*v2.Grant
	for _, id := range sortedKeys(u.extra.mcp) {
		// An entry can outlive its server, and an external provider, not the entry, decides who uses an
		// external server.
		if !governs(id) {
			continue
		}
		for _, scope := range u.extra.mcp[id] {
			gs = append(gs, mcpGrant(id, mcpSlugOf(scope), u.recordID))
		}
	}
	return gs
}

// permissionGrantsOf is the record's permission grants (permission `only`, "" for all).
func permissionGrantsOf(u userAccess, only string) []*v2.Grant {
	var gs []*v2.Grant
	for _, p := range u.extra.permissions {
		if only == "" || p == only {
			gs = append(gs, permissionGrant(p, u.recordID))
		}
	}
	return gs
}

// userGrantsOf is every grant the record holds directly.
func userGrantsOf(u userAccess, integrationExists, mcpGoverned func(id string) bool) []*v2.Grant {
	gs := roleGrantsOf(u, "")
	gs = append(gs, integrationGrantsOf(u, integrationExists)...)
	gs = append(gs, mcpGrantsOf(u, mcpGoverned)...)
	return append(gs, permissionGrantsOf(u, "")...)
}

// serveUserGrants serves grants that come from the walked users: first head's grants (fixed ones, asked for
// only at the start of the grants; nil for none), then grantsOf each user.
func (c *Connector) serveUserGrants(ctx context.Context, opts rs.SyncOpAttrs, head func(ctx context.Context, users []userAccess) ([]*v2.Grant, error),
	grantsOf func(u userAccess) []*v2.Grant) ([]*v2.Grant, *rs.SyncOpResults, error) {
	g, users, err := c.startUserGrants(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	var first []*v2.Grant
	if head != nil && g.first() {
		if first, err = head(g.ctx, users); err != nil {
			return nil, nil, err
		}
	}
	return g.serve(first, len(users), func(i int) []*v2.Grant { return grantsOf(users[i]) })
}

// entryGrants is how a full sync serves every grant of a type users hold entries on (integrations, MCP
// servers), from the walk alone: each user's direct grants, then for each listed item the grants the roles
// pass on to their holders.
type entryGrants[T any] struct {
	list      string // the list's name, for checkNamed
	complete  func(ctx context.Context) (*walk.List[T], error)
	named     func(u userAccess) []string                          // the ids the user's entries name
	direct    func(u userAccess, listed *walk.List[T]) []*v2.Grant // the user's direct grants
	inherited func(item T) []*v2.Grant                             // what the roles pass on, on one item
}

func (e entryGrants[T]) serve(ctx context.Context, c *Connector, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	g, users, err := c.startUserGrants(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	listed, err := e.complete(g.ctx)
	if err != nil {
		return nil, nil, err
	}
	if g.first() {
		if err := checkNamed(g.ctx, e.list, listed, users, e.named); err != nil {
			return nil, nil, err
		}
	}
	// One list of sources: users, then the listed items.
	return g.serve(nil, len(users)+len(listed.Items), func(i int) []*v2.Grant {
		if i >= len(users) {
			return e.inherited(listed.Items[i-len(users)])
		}
		return e.direct(users[i], listed)
	})
}
