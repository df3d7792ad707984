package connector

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// A sync reads /v1/ashares and /v1/integrations once each, while listing users and integrations. The walk
// keeps what grants need from those pages (a few strings per user), scoped to one sync id, so role and
// integration grants come from memory instead of a second read or one call per resource.
//
// A walk is complete only when this process saw the list from its first page to its last. A sync resumed
// from a checkpoint in another process, or a targeted sync, finds it incomplete and reads the list again
// (readAll) rather than emit grants from half the data.

// userAccess is what grants need of one access record.
type userAccess struct {
	recordID string
	personID string
	role     string            // accessLevel; "" when absent
	direct   map[string]string // integration id → level, only entries Celigo honours
	extra    userExtras        // MCP server access and permissions
}

type listState struct {
	started, done bool
	read          map[string]struct{} // page tokens already read in this walk, to catch a paging loop
}

// loops records that the page at token was read and reports whether its next link points back at a page
// already read: a server whose links cycle (A → B → A) would otherwise keep a sync busy forever. Reading
// the same page twice (a retry) is not a loop.
func (l *listState) loops(token, next string) bool {
	if l.read == nil {
		l.read = map[string]struct{}{}
	}
	l.read[token] = struct{}{}
	if next == "" {
		return false
	}
	_, seen := l.read[next]
	return seen
}

func loopError(list string) error {
	return status.Errorf(codes.Internal, "baton-celigo: list %s: Celigo's next-page links lead back to a page already read; stopping instead of looping", list)
}

type walk struct {
	fill         sync.Mutex // serialises re-reads, so two grant calls never walk the same list at once
	mu           sync.Mutex
	syncID       string
	users        []userAccess
	userIndex    map[string]int
	usersState   listState
	integrations []string
	intIndex     map[string]struct{}
	intState     listState
	mcp          mcpWalk
}

func newWalk() *walk { return &walk{} }

// forSync switches the walk to syncID, dropping any other sync's data. Caller holds mu.
func (w *walk) forSync(syncID string) {
	if w.syncID == syncID && w.userIndex != nil {
		return
	}
	w.syncID = syncID
	w.users, w.userIndex, w.usersState = nil, map[string]int{}, listState{}
	w.integrations, w.intIndex, w.intState = nil, map[string]struct{}{}, listState{}
	w.mcp = mcpWalk{external: map[string]bool{}}
}

func accessOf(u *celigo.UserSummary) userAccess {
	return userAccess{recordID: u.ID, personID: u.SharedWithUser.ID, role: u.AccessLevel,
		direct: celigo.DirectEntries(u.AccessLevel, u.IntegrationAccessLevel), extra: extrasOf(&u.RecordExtras)}
}

// addUsers records one page of the users list. first: the page was requested without a token;
// last: it had no next page.
func (w *walk) addUsers(syncID string, page []*celigo.UserSummary, token, next string) error {
	first, last := token == "", next == ""
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forSync(syncID)
	if first {
		w.users, w.userIndex, w.usersState = nil, map[string]int{}, listState{started: true}
	} else if w.usersState.done {
		return nil // a page read again after the walk completed adds nothing new
	}
	if w.usersState.loops(token, next) {
		return loopError("users")
	}
	for _, u := range page {
		ua := accessOf(u)
		if i, ok := w.userIndex[u.ID]; ok {
			w.users[i] = ua // the same page read twice (a retry): keep one copy
			continue
		}
		w.userIndex[u.ID] = len(w.users)
		w.users = append(w.users, ua)
	}
	if last && w.usersState.started {
		w.usersState.done = true
	}
	return nil
}

func (w *walk) addIntegrations(syncID string, page []*celigo.Integration, token, next string) error {
	first, last := token == "", next == ""
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forSync(syncID)
	if first {
		w.integrations, w.intIndex, w.intState = nil, map[string]struct{}{}, listState{started: true}
	} else if w.intState.done {
		return nil
	}
	if w.intState.loops(token, next) {
		return loopError("integrations")
	}
	for _, it := range page {
		if _, ok := w.intIndex[it.ID]; ok {
			continue
		}
		w.intIndex[it.ID] = struct{}{}
		w.integrations = append(w.integrations, it.ID)
	}
	if last && w.intState.started {
		w.intState.done = true
	}
	return nil
}

// completeUsers returns the users of syncID's walk, or false when the walk did not see the whole list.
func (w *walk) completeUsers(syncID string) ([]userAccess, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.syncID != syncID || !w.usersState.done {
		return nil, false
	}
	return w.users, true
}

// completeIntegrations returns the ids of syncID's integrations walk in list order and as a set (callers
// only read them), or false when the walk did not see the whole list. Both come from one look under the
// lock, so they always describe the same walk.
func (w *walk) completeIntegrations(syncID string) ([]string, map[string]struct{}, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.syncID != syncID || !w.intState.done {
		return nil, nil, false
	}
	return w.integrations, w.intIndex, true
}

// walkedUsers returns the complete users list of syncID, reading it from Celigo when this process did not see it all.
func (c *Connector) walkedUsers(ctx context.Context, syncID string) ([]userAccess, error) {
	if users, ok := c.walk.completeUsers(syncID); ok {
		return users, nil
	}
	c.walk.fill.Lock()
	defer c.walk.fill.Unlock()
	if users, ok := c.walk.completeUsers(syncID); ok {
		return users, nil
	}
	token := ""
	for n := 1; ; n++ {
		page, next, err := c.client.ListUsers(ctx, token)
		if err != nil {
			return nil, wrapErr(err, "list users")
		}
		if err := c.walk.addUsers(syncID, page, token, next); err != nil {
			return nil, err
		}
		c.odd.noteUsers(ctx, syncID, page)
		if next == "" {
			break
		}
		if err := tooManyPages("users", n); err != nil {
			return nil, err
		}
		token = next
	}
	users, ok := c.walk.completeUsers(syncID)
	if !ok {
		return nil, walkReplaced("users")
	}
	if len(users) == 0 {
		if err := c.usersVanished(); err != nil {
			return nil, err
		}
	}
	return users, nil
}

// walkedIntegrations is walkedUsers for integrations: their ids in list order and as a set.
func (c *Connector) walkedIntegrations(ctx context.Context, syncID string) ([]string, map[string]struct{}, error) {
	if ids, set, ok := c.walk.completeIntegrations(syncID); ok {
		return ids, set, nil
	}
	c.walk.fill.Lock()
	defer c.walk.fill.Unlock()
	if ids, set, ok := c.walk.completeIntegrations(syncID); ok {
		return ids, set, nil
	}
	token := ""
	for n := 1; ; n++ {
		page, next, err := c.client.ListIntegrations(ctx, token)
		if err != nil {
			return nil, nil, wrapErr(err, "list integrations")
		}
		if err := c.walk.addIntegrations(syncID, page, token, next); err != nil {
			return nil, nil, err
		}
		if next == "" {
			break
		}
		if err := tooManyPages("integrations", n); err != nil {
			return nil, nil, err
		}
		token = next
	}
	ids, set, ok := c.walk.completeIntegrations(syncID)
	if !ok {
		return nil, nil, walkReplaced("integrations")
	}
	return ids, set, nil
}

// walkReplaced: another sync took the walk over while this one re-read a list. Failing beats returning an
// empty list, which C1 would read as "nobody has access" and prune every grant.
func walkReplaced(list string) error {
	return status.Errorf(codes.Aborted, "baton-celigo: list %s: another sync replaced this sync's data while it was being read; retry the sync", list)
}
