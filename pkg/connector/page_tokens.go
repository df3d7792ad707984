package connector

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Grants come from the walk, served in answers cut by count and by bytes (gRPC refuses answers over 4 MB),
// whatever number of grants each user carries: a user with more grants than one answer holds is split
// across answers too.
const (
	maxGrantsPerPage  = 10_000
	grantBytesPerPage = 2 << 20
)

// grantPosition is the page token of a Grants call: the account the sync reads, the source (a user, an
// integration, ...) of the walk's list to go on from, and how many of its grants were already served.
type grantPosition struct {
	Account string `json:"a,omitempty"`
	Source  int    `json:"s,omitempty"`
	Skip    int    `json:"k,omitempty"`
}

// parseGrantPosition reads a Grants page token. A bare number is the token of earlier versions of this
// connector: the source to go on from.
func parseGrantPosition(token string) (grantPosition, error) {
	var pos grantPosition
	if token == "" {
		return pos, nil
	}
	if n, err := strconv.Atoi(token); err == nil && n >= 0 {
		return grantPosition{Source: n}, nil
	}
	dec := json.NewDecoder(strings.NewReader(token))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pos); err != nil || pos.Source < 0 || pos.Skip < 0 || !strings.HasPrefix(token, "{") {
		return grantPosition{}, status.Errorf(codes.InvalidArgument, "baton-celigo: page token %q is not one this connector issued", token)
	}
	return pos, nil
}

// serveGrants cuts one Grants answer from a list of total sources, from pos on: head first (a few fixed
// grants, only at the start), then grantsOf(i) for each source i, each in a fixed order. It returns the
// answer and the next page token ("" at the end).
func serveGrants(account string, pos grantPosition, head []*v2.Grant, total int, grantsOf func(i int) []*v2.Grant) ([]*v2.Grant, string) {
	var out []*v2.Grant
	size := 0
	fits := func(g *v2.Grant) bool {
		n := proto.Size(g)
		if len(out) > 0 && (len(out) >= maxGrantsPerPage || size+n > grantBytesPerPage) {
			return false
		}
		size += n
		out = append(out, g)
		return true
	}
	if pos.Source == 0 && pos.Skip == 0 {
		for _, g := range head {
			fits(g)
		}
	}
	for i := pos.Source; i < total; i++ {
		skip := 0
		if i == pos.Source {
			skip = pos.Skip
		}
		gs := grantsOf(i)
		for k := skip; k < len(gs); k++ {
			if !fits(gs[k]) {
				return out, grantPosition{Account: account, Source: i, Skip: k}.token()
			}
		}
	}
	return out, ""
}

func (p grantPosition) token() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // strings and ints only
	}
	return string(b)
}

// sortedKeys gives a map's grants a fixed order, so an answer cut inside one user goes on where it stopped.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// One Celigo page can be far larger than one gRPC message (10,000 users are about 6 MB of resources; gRPC
// refuses answers over 4 MB), so a List call serves at most this much of it and the next call goes on
// from memory.
const (
	maxResourcesPerPage  = 1000
	resourceBytesPerPage = 2 << 20
)

// maxListPages bounds the Celigo pages of one list. At Celigo's documented 1000 records a page it is ten
// million records, more than any real account has; a list that goes on past it never ends, and fails.
// A variable so tests can lower it.
var maxListPages = 10_000

// maxListRecords bounds the records one list holds in memory (about 1 KB each while a list is walked), so
// a list that never ends, page after full page, fails long before it exhausts memory. Far above any real
// account's users or integrations. A variable so tests can lower it.
var maxListRecords = 500_000

func tooManyRecords(list string) error {
	return status.Errorf(codes.Internal,
		"baton-celigo: list %s: Celigo has sent more than %d records, more than any real account has; stopping before they exhaust memory",
		list, maxListRecords)
}

// listPosition is the page token of a List call: which Celigo page to serve (its next link as Celigo sent it,
// "" for the first), how many Celigo pages came before it, how far into it earlier calls got, and which sweep
// over the list it belongs to (the walk stores each sweep's pages under its id, whichever process reads them).
type listPosition struct {
	URL    string `json:"url,omitempty"`
	Page   int    `json:"page,omitempty"`
	After  string `json:"after,omitempty"`  // id of the last record already served from this page
	Offset int    `json:"offset,omitempty"` // how many of its records were served
	Sweep  string `json:"sweep,omitempty"`
	// Account names the account the sync reads (see walk_account.go).
	Account string `json:"account,omitempty"`
	// Restarted: Celigo refused a stored position and the list was started again; it is not restarted twice.
	Restarted bool `json:"restarted,omitempty"`
}

// startListPosition is the position a List call serves: the token's, or, for the first call of a listing,
// the start of a new sweep.
func startListPosition(token string) (listPosition, error) {
	if token == "" {
		return listPosition{Sweep: newSweepID()}, nil
	}
	return parseListPosition(token)
}

func parseListPosition(token string) (listPosition, error) {
	var pos listPosition
	switch {
	case token == "":
		return pos, nil
	case !strings.HasPrefix(token, "{"):
		// A bare next link: the token of earlier versions of this connector, from a resumed sync. It names no
		// sweep, so its pages are not stored, and grants read the list again.
		return listPosition{URL: token, Page: 1}, nil
	}
	dec := json.NewDecoder(strings.NewReader(token))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pos); err != nil || pos.Page < 0 || pos.Offset < 0 || (pos.URL == "") != (pos.Page == 0) ||
		(pos.After == "") != (pos.Offset == 0) || (pos.Sweep != "" && !validSweepID(pos.Sweep)) {
		return listPosition{}, status.Errorf(codes.InvalidArgument, "baton-celigo: page token %q is not one this connector issued", token)
	}
	return pos, nil
}

// followedBy is the position of the Celigo page at next, which follows p's.
func (p listPosition) followedBy(next string) listPosition {
	return listPosition{URL: next, Page: p.Page + 1, Sweep: p.Sweep, Account: p.Account, Restarted: p.Restarted}
}

// listStart is the position a List call serves, its account checked against the sync's (walk_account.go).
func (c *Connector) listStart(ctx context.Context, opts rs.SyncOpAttrs) (listPosition, error) {
	pos, err := startListPosition(opts.PageToken.Token)
	if err != nil {
		return listPosition{}, err
	}
	pos.Account, err = c.syncAccount(ctx, opts, pos.Account)
	return pos, err
}

// grantCall is one Grants call under way: its context (counting rate-limit waits), the position it serves,
// checked against the sync's account, and what it needs to answer.
type grantCall struct {
	ctx   context.Context
	opts  rs.SyncOpAttrs
	waits *rateLimitWaits
	pos   grantPosition
}

// startGrants begins a Grants call.
func (c *Connector) startGrants(ctx context.Context, opts rs.SyncOpAttrs) (*grantCall, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	pos, err := parseGrantPosition(opts.PageToken.Token)
	if err != nil {
		return nil, err
	}
	if pos.Account, err = c.syncAccount(ctx, opts, pos.Account); err != nil {
		return nil, err
	}
	return &grantCall{ctx: ctx, opts: opts, waits: waits, pos: pos}, nil
}

// startUserGrants begins a Grants call whose grants come from the walked users, and returns them.
func (c *Connector) startUserGrants(ctx context.Context, opts rs.SyncOpAttrs) (*grantCall, []userAccess, error) {
	g, err := c.startGrants(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	users, err := c.walkedUsers(g.ctx, opts)
	return g, users, err
}

// first says whether the call serves the start of the grants (where fixed grants and checks go).
func (g *grantCall) first() bool { return g.pos.Source == 0 && g.pos.Skip == 0 }

// serve answers with one cut of the grants (see serveGrants).
func (g *grantCall) serve(head []*v2.Grant, total int, grantsOf func(i int) []*v2.Grant) ([]*v2.Grant, *rs.SyncOpResults, error) {
	out, next := serveGrants(g.pos.Account, g.pos, head, total, grantsOf)
	return out, g.waits.results(next), nil
}

// readListPage reads the Celigo page at pos. A stored position Celigo refuses (a cursor it no longer takes,
// or, after a --base-url change, a next link of another host) starts the list again from its first page, once,
// with a new sweep: what was served before is served again, which is harmless.
func readListPage[T any](ctx context.Context, list string, read func(ctx context.Context, token string) ([]*T, string, error), pos *listPosition) ([]*T, string, error) {
	items, next, err := read(ctx, pos.URL)
	if err == nil || pos.URL == "" || pos.Restarted || !refusedPosition(err) {
		return items, next, wrapErr(err, "list "+list)
	}
	logger(ctx).Warn("baton-celigo: Celigo refused the stored position of a list; reading the list again from its first page",
		zap.String("list", list), zap.Error(err))
	*pos = listPosition{Sweep: newSweepID(), Account: pos.Account, Restarted: true}
	items, next, err = read(ctx, "")
	return items, next, wrapErr(err, "list "+list)
}

// refusedPosition: Celigo answered 400 to a stored next link, or the link is not one of this endpoint.
func refusedPosition(err error) bool {
	return celigo.IsStatus(err, http.StatusBadRequest) || status.Code(err) == codes.InvalidArgument
}

func (p listPosition) token() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // strings and ints only
	}
	return string(b)
}

// apiPage is one Celigo page as read: its records and its checked next link.
type apiPage[T any] struct {
	items []*T
	next  string
}

// servedPage is one List answer cut from a Celigo page.
type servedPage struct {
	resources []*v2.Resource
	next      string // the SDK page token
	lastOfAPI bool   // the answer ends the Celigo page
}

// servePart describes the records of page from pos on, as many as fit one List answer, and the token that
// goes on after them. id names a record; describe builds its resource.
func servePart[T any](list string, page apiPage[T], pos listPosition, id func(*T) string, describe func(*T) (*v2.Resource, error)) (servedPage, error) {
	start := resumeAt(page.items, pos, id)
	out := make([]*v2.Resource, 0, min(len(page.items)-start, maxResourcesPerPage))
	size, end := 0, start
	for ; end < len(page.items) && len(out) < maxResourcesPerPage; end++ {
		r, err := describe(page.items[end])
		if err != nil {
			return servedPage{}, err
		}
		n := proto.Size(r)
		if len(out) > 0 && size+n > resourceBytesPerPage {
			break
		}
		size += n
		out = append(out, r)
	}
	if end < len(page.items) {
		next := pos
		next.After, next.Offset = id(page.items[end-1]), end
		return servedPage{resources: out, next: next.token()}, nil
	}
	if page.next == "" {
		return servedPage{resources: out, lastOfAPI: true}, nil
	}
	if err := tooManyPages(list, pos.Page+1); err != nil {
		return servedPage{}, err
	}
	return servedPage{resources: out, next: pos.followedBy(page.next).token(), lastOfAPI: true}, nil
}

// resumeAt is where serving page goes on: just after the record pos names. The page may have been read again
// in another process and changed since; when that record is gone, the page is served again from its start:
// a record served twice is harmless, a record skipped would be reported as gone.
func resumeAt[T any](items []*T, pos listPosition, id func(*T) string) int {
	if pos.After == "" {
		return 0
	}
	if pos.Offset <= len(items) && id(items[pos.Offset-1]) == pos.After {
		return pos.Offset
	}
	for i, it := range items {
		if id(it) == pos.After {
			return i + 1
		}
	}
	return 0
}

// tooManyPages fails list when the page it is about to read, counted from 0, is past maxListPages.
func tooManyPages(list string, page int) error {
	if page < maxListPages {
		return nil
	}
	return status.Errorf(codes.Internal,
		"baton-celigo: list %s: Celigo is still linking to more pages after %d, more than any real account has; stopping instead of reading for ever",
		list, maxListPages)
}

// pageCache keeps the Celigo page that List calls are serving in parts, so it is read once however many
// answers it takes. One page per list is enough: the SDK asks for one list's pages in order.
type pageCache[T any] struct {
	mu     sync.Mutex
	syncID string
	url    string
	page   *apiPage[T]
}

func (c *pageCache[T]) get(syncID, url string) (apiPage[T], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.page == nil || c.syncID != syncID || c.url != url {
		return apiPage[T]{}, false
	}
	return *c.page, true
}

// keep holds page while parts of it remain to be served, and lets it go after its last part.
func (c *pageCache[T]) keep(syncID, url string, page apiPage[T], more bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !more {
		c.page = nil
		return
	}
	c.syncID, c.url, c.page = syncID, url, &page
}

// eachPage reads every page of a list outside the sync's walk (targeted reads, invitations, provisioning),
// stopping early when fn says so. A next link that leads back to a page already read, or more pages than
// any real account has, fails the read.
func eachPage[T any](ctx context.Context, list string, read func(ctx context.Context, token string) ([]*T, string, error),
	fn func(page []*T) (stop bool),
) error {
	seen := map[string]bool{}
	token := ""
	for n := 1; ; n++ {
		page, next, err := read(ctx, token)
		if err != nil {
			return wrapErr(err, "list "+list)
		}
		if fn(page) || next == "" {
			return nil
		}
		seen[token] = true
		if seen[next] {
			return loopError(list)
		}
		if err := tooManyPages(list, n); err != nil {
			return err
		}
		token = next
	}
}
