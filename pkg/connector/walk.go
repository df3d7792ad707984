package connector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// A sync reads /v1/ashares, /v1/integrations and /v1/mcpservers once each, while listing their resources.
// The walk keeps what grants need from those pages (a few strings per user), so grants come from it instead
// of a second read or one call per resource.
//
// Each page List reads goes to the sync's session store, which every process serving the sync shares
// (ConductorOne's, when hosted; the c1z's, when run from the command line), and to this process's memory
// in front of it. Grants take a list only when it is complete: every page from the first to the last, each
// page's next link leading to the page stored after it. A list found incomplete (a store that is missing, a
// targeted sync) is read again from Celigo rather than emit grants from half the data.

// The lists a sync walks: how each is named in the store, tells its records apart and reads one page.
var (
	usersList        = listSpec[userAccess]{name: "users", key: userAccess.key, read: readUsersPage}
	integrationsList = listSpec[string]{name: "integrations", key: itself, read: readIntegrationIDs}
	mcpServersList   = listSpec[mcpServerEntry]{name: "MCP servers", key: mcpServerEntry.key, read: readMCPServers}
)

// userAccess is what grants need of one access record.
type userAccess struct {
	recordID string
	personID string
	role     string            // accessLevel; "" when absent
	direct   map[string]string // integration id → level, only entries Celigo honours
	extra    userExtras        // MCP server access and permissions
}

func (u userAccess) key() string { return u.recordID }

func itself(id string) string { return id }

func accessOf(u *celigo.UserSummary) userAccess {
	return userAccess{recordID: u.ID, personID: u.SharedWithUser.ID, role: u.AccessLevel,
		direct: celigo.DirectEntries(u.AccessLevel, u.IntegrationAccessLevel), extra: extrasOf(&u.RecordExtras)}
}

func accessOfAll(page []*celigo.UserSummary) []userAccess {
	out := make([]userAccess, len(page))
	for i, u := range page {
		out[i] = accessOf(u)
	}
	return out
}

// storedUser is userAccess as the session store keeps it: thousands of users are stored per page, so the
// keys are one letter and empty values are left out. Every field of userAccess must be here (a test checks).
type storedUser struct {
	Record      string              `json:"r"`
	Person      string              `json:"p,omitempty"`
	Role        string              `json:"l,omitempty"`
	Direct      map[string]string   `json:"d,omitempty"`
	MCP         map[string][]string `json:"m,omitempty"`
	AllMCP      bool                `json:"a,omitempty"`
	Permissions []string            `json:"x,omitempty"`
}

func (u userAccess) MarshalJSON() ([]byte, error) {
	return json.Marshal(storedUser{Record: u.recordID, Person: u.personID, Role: u.role, Direct: u.direct,
		MCP: u.extra.mcp, AllMCP: u.extra.allMCP, Permissions: u.extra.permissions})
}

func (u *userAccess) UnmarshalJSON(b []byte) error {
	var s storedUser
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s.Record == "" {
		return fmt.Errorf("a stored user has no record id")
	}
	*u = userAccess{recordID: s.Record, personID: s.Person, role: s.Role, direct: s.Direct,
		extra: userExtras{mcp: s.MCP, allMCP: s.AllMCP, permissions: s.Permissions}}
	return nil
}

// readUsersPage reads one page of users for a re-read of the list.
func readUsersPage(ctx context.Context, c *Connector, s syncScope, token string) ([]userAccess, string, error) {
	page, next, err := c.client.ListUsers(ctx, token)
	if err != nil {
		return nil, "", wrapErr(err, "list users")
	}
	if token == "" && next == "" && len(page) == 0 {
		if err := c.usersVanished(); err != nil {
			return nil, "", err
		}
	}
	c.odd.noteUsers(ctx, s.id, page)
	return accessOfAll(page), next, nil
}

func readIntegrationIDs(ctx context.Context, c *Connector, _ syncScope, token string) ([]string, string, error) {
	page, next, err := c.client.ListIntegrations(ctx, token)
	if err != nil {
		return nil, "", wrapErr(err, "list integrations")
	}
	return integrationIDs(page), next, nil
}

func integrationIDs(page []*celigo.Integration) []string {
	out := make([]string, len(page))
	for i, it := range page {
		out[i] = it.ID
	}
	return out
}

// walkedUsers returns the complete users list of the sync.
func (c *Connector) walkedUsers(ctx context.Context, opts rs.SyncOpAttrs) ([]userAccess, error) {
	l, err := walked(ctx, c, usersList, scopeOf(opts))
	if err != nil {
		return nil, err
	}
	return l.items, nil
}

// walkedIntegrations returns the complete integrations list of the sync: ids in list order, and a lookup.
func (c *Connector) walkedIntegrations(ctx context.Context, opts rs.SyncOpAttrs) (*walkedList[string], error) {
	return walked(ctx, c, integrationsList, scopeOf(opts))
}

// maxUnknownNamed is how many ids user records may name that a non-empty list lacks before a list missing
// most of them is taken for one cut short rather than for deletions.
const maxUnknownNamed = 3

func loopError(list string) error {
	return status.Errorf(codes.Internal, "baton-celigo: list %s: Celigo's next-page links lead back to a page already read; stopping instead of looping", list)
}

// walkReplaced: another sync took the walk over while this one re-read a list. Failing beats returning an
// empty list, which C1 would read as "nobody has access" and prune every grant.
func walkReplaced(list string) error {
	return status.Errorf(codes.Aborted, "baton-celigo: list %s: another sync replaced this sync's data while it was being read; retry the sync", list)
}

// checkNamed compares a walked list (integrations, MCP servers) with the ids user records name in it. A list
// that is empty while records name some, or lacks most of what they name, is a list Celigo cut short:
// serving it would have ConductorOne remove the access of everyone on the missing entries. A few unknown ids
// (a resource deleted since, whose entries outlived it) are logged with their count.
func checkNamed[T any](ctx context.Context, list string, l *walkedList[T], users []userAccess, named func(userAccess) []string) error {
	ids := map[string]bool{}
	for _, u := range users {
		for _, id := range named(u) {
			ids[id] = true
		}
	}
	var missing []string
	for id := range ids {
		if !l.has(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(l.items) == 0 || (len(missing) > maxUnknownNamed && 2*len(missing) > len(ids)) {
		return status.Errorf(codes.Aborted,
			"baton-celigo: list %s: Celigo listed %d, but user records name %d that it does not list (of %d named); failing the sync rather than reporting their access as gone",
			list, len(l.items), len(missing), len(ids))
	}
	slices.Sort(missing)
	logger(ctx).Warn("baton-celigo: user records name entries Celigo does not list (deleted since?); their access is not synced",
		zap.String("list", list), zap.Int("unknown", len(missing)), zap.Strings("ids", missing[:min(len(missing), 5)]))
	return nil
}
