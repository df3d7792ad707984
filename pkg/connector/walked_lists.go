package connector

import (
	"context"
	"slices"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// A sync reads /v1/ashares, /v1/integrations and /v1/mcpservers once each, while listing their resources.
// The walk (package walk) keeps what grants need from those pages (a few strings per user), so grants come
// from it instead of a second read or one call per resource.
const (
	usersList        = "users"
	integrationsList = "integrations"
	mcpServersList   = "MCP servers"
)

// walks is the walk of each list, one per connector.
type walks struct {
	users        *walk.Walk[userAccess]
	integrations *walk.Walk[string]
	mcpServers   *walk.Walk[mcpServerEntry]
}

func newWalks() walks {
	return walks{
		users:        walk.New(usersList, userAccess.key),
		integrations: walk.New(integrationsList, func(id string) string { return id }),
		mcpServers:   walk.New(mcpServersList, mcpServerEntry.key),
	}
}

// has says whether l lists an id.
func has[T any](l *walk.List[T]) func(id string) bool {
	return func(id string) bool { _, ok := l.ByKey[id]; return ok }
}

func syncOf(opts rs.SyncOpAttrs) walk.Sync { return walk.Sync{ID: opts.SyncID, Store: opts.Session} }

// walkedList is a Celigo list the walk keeps, for one call of a sync: how a page is read, and what grants
// need of a page.
type walkedList[R, T any] struct {
	walk *walk.Walk[T]
	opts rs.SyncOpAttrs
	read func(ctx context.Context, token string) ([]*R, string, error)
	need func([]*R) []T
}

// listed is the list as List serves it: each page read is added to the sync's walk.
func (w walkedList[R, T]) listed(id func(*R) string, describe func(*R) (*v2.Resource, error)) celigoList[R] {
	return celigoList[R]{name: w.walk.Name(), read: w.read, id: id, describe: describe,
		walked: func(ctx context.Context, pos listPosition, page walk.Page[*R]) error {
			return w.walk.Add(ctx, syncOf(w.opts), pos.Sweep, pos.Page, walk.Page[T]{Token: page.Token, Next: page.Next, Items: w.need(page.Items)})
		}}
}

// complete is the sync's complete list, read again from Celigo where the walk lacks it.
func (w walkedList[R, T]) complete(ctx context.Context) (*walk.List[T], error) {
	return w.walk.Complete(ctx, syncOf(w.opts), func(ctx context.Context, token string) ([]T, string, error) {
		page, next, err := w.read(ctx, token)
		if err != nil {
			return nil, "", wrapErr(err, "list "+w.walk.Name())
		}
		return w.need(page), next, nil
	})
}

// users is the users list of the sync. An empty list moments after validation saw users fails (usersVanished);
// values Celigo does not document are logged once per sync.
func (c *Connector) users(opts rs.SyncOpAttrs) walkedList[celigo.UserSummary, userAccess] {
	read := func(ctx context.Context, token string) ([]*celigo.UserSummary, string, error) {
		page, next, err := c.client.ListUsers(ctx, token)
		if err == nil && token == "" && next == "" && len(page) == 0 {
			err = c.usersVanished()
		}
		if err != nil {
			return nil, "", err
		}
		c.odd.noteUsers(ctx, opts.SyncID, page)
		return page, next, nil
	}
	return walkedList[celigo.UserSummary, userAccess]{walk: c.lists.users, opts: opts, read: read, need: accessOfAll}
}

// usersVanished fails a users list that came back empty moments after validation saw users: reporting an
// account with nobody in it would have ConductorOne take everyone's access away.
func (c *Connector) usersVanished() error {
	if !c.sawUsers.Load() {
		return nil
	}
	return status.Errorf(codes.Aborted,
		"an empty list, though Celigo listed users when the connection was validated moments ago; failing the sync rather than reporting an account without users")
}

func (c *Connector) integrations(opts rs.SyncOpAttrs) walkedList[celigo.Integration, string] {
	return walkedList[celigo.Integration, string]{walk: c.lists.integrations, opts: opts, read: c.client.ListIntegrations, need: integrationIDs}
}

func integrationIDs(page []*celigo.Integration) []string {
	out := make([]string, len(page))
	for i, it := range page {
		out[i] = it.ID
	}
	return out
}

// mcpServers is the MCP servers list of the sync. A refused first page is an empty list when no user record
// carries MCP server access (noMCPAccess).
func (c *Connector) mcpServers(opts rs.SyncOpAttrs) walkedList[celigo.MCPServer, mcpServerEntry] {
	read := func(ctx context.Context, token string) ([]*celigo.MCPServer, string, error) {
		page, next, err := c.client.ListMCPServers(ctx, token)
		if err != nil && token == "" && mcpListRefused(err) {
			if err := c.noMCPAccess(ctx, opts, err); err != nil {
				return nil, "", err
			}
			logger(ctx).Warn("baton-celigo: Celigo refused the MCP server list and no user has MCP server access; syncing without MCP servers",
				zap.Error(err))
			return nil, "", nil
		}
		return page, next, err
	}
	return walkedList[celigo.MCPServer, mcpServerEntry]{walk: c.lists.mcpServers, opts: opts, read: read, need: mcpEntries}
}

// walkedUsers returns the complete users list of the sync.
func (c *Connector) walkedUsers(ctx context.Context, opts rs.SyncOpAttrs) ([]userAccess, error) {
	l, err := c.users(opts).complete(ctx)
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// maxUnknownNamed is how many ids user records may name that a non-empty list lacks before a list missing
// most of them is taken for one cut short rather than for deletions.
const maxUnknownNamed = 3

// checkNamed compares a walked list (integrations, MCP servers) with the ids user records name in it. A list
// that is empty while records name some, or lacks most of what they name, is a list Celigo cut short:
// serving it would have ConductorOne remove the access of everyone on the missing entries. A few unknown ids
// (a resource deleted since, whose entries outlived it) are logged with their count.
func checkNamed[T any](ctx context.Context, list string, l *walk.List[T], users []userAccess, named func(userAccess) []string) error {
	ids := map[string]bool{}
	for _, u := range users {
		for _, id := range named(u) {
			ids[id] = true
		}
	}
	var missing []string
	listed := has(l)
	for id := range ids {
		if !listed(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(l.Items) == 0 || (len(missing) > maxUnknownNamed && 2*len(missing) > len(ids)) {
		return status.Errorf(codes.Aborted,
			"baton-celigo: list %s: Celigo listed %d, but user records name %d that it does not list (of %d named); failing the sync rather than reporting their access as gone",
			list, len(l.Items), len(missing), len(ids))
	}
	slices.Sort(missing)
	logger(ctx).Warn("baton-celigo: user records name entries Celigo does not list (deleted since?); their access is not synced",
		zap.String("list", list), zap.Int("unknown", len(missing)), zap.Strings("ids", missing[:min(len(missing), 5)]))
	return nil
}
