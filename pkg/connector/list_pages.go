package connector

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// One Celigo page can be far larger than one gRPC message (10,000 users are about 6 MB of resources; gRPC
// refuses answers over 4 MB), so a List call serves at most this much of it and the next call goes on
// from memory.
const (
	maxResourcesPerPage  = 1000
	resourceBytesPerPage = 2 << 20
)

// celigoList is one Celigo list as List serves it: one Celigo page per call, read once however many answers
// it takes.
type celigoList[R any] struct {
	name     string
	read     func(ctx context.Context, token string) ([]*R, string, error)
	id       func(*R) string
	describe func(*R) (*v2.Resource, error) // its errors say which record
	// walked keeps what grants need of a page in the sync's walk: set only for a list whose grants need it
	// whole (walked_lists.go). It also checks the page's next link; without it the page cap is checked here.
	walked func(ctx context.Context, pos listPosition, page walk.Page[*R]) error
}

// listPart is one List answer: the resources, the SDK page token that goes on after them, and whether the
// answer ends the list.
type listPart struct {
	resources []*v2.Resource
	next      string
	end       bool
}

// serveList answers one List call of l: the records of the Celigo page at the token's position, from the
// record the token names on, as many as fit one answer. Every List of a Celigo list is this call.
func serveList[R any](ctx context.Context, c *Connector, opts rs.SyncOpAttrs, l celigoList[R]) (listPart, error) {
	pos, err := c.listStart(ctx, opts)
	if err != nil {
		return listPart{}, err
	}
	page, ok := servedPageOf[R](c, l.name, opts.SyncID, pos.URL)
	if !ok {
		if page, err = readListPage(ctx, l, &pos); err != nil {
			return listPart{}, err
		}
		if l.walked != nil {
			err = l.walked(ctx, pos, page)
		} else {
			err = walk.NewTrail(l.name).Step(pos.Page, pos.URL, page.Next)
		}
		if err != nil {
			return listPart{}, err
		}
	}
	start := resumeAt(page.Items, pos, l.id)
	out := make([]*v2.Resource, 0, min(len(page.Items)-start, maxResourcesPerPage))
	size, end := 0, start
	for ; end < len(page.Items) && len(out) < maxResourcesPerPage; end++ {
		r, err := l.describe(page.Items[end])
		if err != nil {
			return listPart{}, err
		}
		n := proto.Size(r)
		if len(out) > 0 && size+n > resourceBytesPerPage {
			break
		}
		size += n
		out = append(out, r)
	}
	more := end < len(page.Items)
	hold(c, l.name, opts.SyncID, page, more)
	switch {
	case more:
		next := pos
		next.After, next.Offset = l.id(page.Items[end-1]), end
		return listPart{resources: out, next: next.token()}, nil
	case page.Next == "":
		return listPart{resources: out, end: true}, nil
	}
	return listPart{resources: out, next: pos.followedBy(page.Next).token()}, nil
}

// readListPage reads the Celigo page at pos. A stored position Celigo refuses (a cursor it no longer takes,
// or, after a --base-url change, a next link of another host) starts the list again from its first page, once,
// with a new sweep: what was served before is served again, which is harmless.
func readListPage[R any](ctx context.Context, l celigoList[R], pos *listPosition) (walk.Page[*R], error) {
	items, next, err := l.read(ctx, pos.URL)
	if err != nil && pos.URL != "" && !pos.Restarted && refusedPosition(err) {
		logger(ctx).Warn("baton-celigo: Celigo refused the stored position of a list; reading the list again from its first page",
			zap.String("list", l.name), zap.Error(err))
		*pos = listPosition{Sweep: walk.NewSweepID(), Account: pos.Account, Restarted: true}
		items, next, err = l.read(ctx, "")
	}
	return walk.Page[*R]{Token: pos.URL, Next: next, Items: items}, wrapErr(err, "list "+l.name)
}

// refusedPosition: Celigo answered 400 to a stored next link, or the link is not one of this endpoint.
func refusedPosition(err error) bool {
	return celigo.IsStatus(err, http.StatusBadRequest) || status.Code(err) == codes.InvalidArgument
}

// resumeAt is where serving page goes on: just after the record pos names. The page may have been read again
// in another process and changed since; when that record is gone, the page is served again from its start:
// a record served twice is harmless, a record skipped would be reported as gone.
func resumeAt[R any](items []*R, pos listPosition, id func(*R) string) int {
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

// servedPages holds, for each list, the Celigo page List calls are serving in parts, so it is read once
// however many answers it takes. One page per list is enough: the SDK asks for one list's pages in order.
type servedPages struct {
	mu    sync.Mutex
	pages map[string]heldPage // by list name
}

type heldPage struct {
	syncID string
	page   any // a walk.Page[*R]
}

func servedPageOf[R any](c *Connector, list, syncID, url string) (walk.Page[*R], bool) {
	c.served.mu.Lock()
	defer c.served.mu.Unlock()
	held := c.served.pages[list]
	p, ok := held.page.(walk.Page[*R])
	return p, ok && held.syncID == syncID && p.Token == url
}

// hold keeps page while parts of it remain to be served (more), and lets it go after its last part.
func hold[R any](c *Connector, list, syncID string, page walk.Page[*R], more bool) {
	c.served.mu.Lock()
	defer c.served.mu.Unlock()
	delete(c.served.pages, list)
	if more {
		if c.served.pages == nil {
			c.served.pages = map[string]heldPage{}
		}
		c.served.pages[list] = heldPage{syncID, page}
	}
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
	// Account names the account the sync reads (sync_account.go).
	Account string `json:"account,omitempty"`
	// Restarted: Celigo refused a stored position and the list was started again; it is not restarted twice.
	Restarted bool `json:"restarted,omitempty"`
}

// listPositionOf reads a List page token; "" starts a new sweep.
func listPositionOf(token string) (listPosition, error) {
	if token == "" {
		return listPosition{Sweep: walk.NewSweepID()}, nil
	}
	var pos listPosition
	if err := decodeToken(token, &pos); err != nil || pos.Page < 0 || pos.Offset < 0 || (pos.URL == "") != (pos.Page == 0) ||
		(pos.After == "") != (pos.Offset == 0) || !walk.ValidSweepID(pos.Sweep) {
		return listPosition{}, notIssued(token)
	}
	return pos, nil
}

// decodeToken reads a page token this connector issued: JSON with no field it does not know.
func decodeToken(token string, into any) error {
	if !strings.HasPrefix(token, "{") {
		return notIssued(token)
	}
	dec := json.NewDecoder(strings.NewReader(token))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func notIssued(token string) error {
	return status.Errorf(codes.InvalidArgument, "baton-celigo: page token %q is not one this connector issued", token)
}

// followedBy is the position of the Celigo page at next, which follows p's.
func (p listPosition) followedBy(next string) listPosition {
	return listPosition{URL: next, Page: p.Page + 1, Sweep: p.Sweep, Account: p.Account, Restarted: p.Restarted}
}

func (p listPosition) token() string { return encodeToken(p) }

func encodeToken(p any) string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // strings, ints and bools only
	}
	return string(b)
}

// listStart is the position a List call serves, its account checked against the sync's (sync_account.go).
func (c *Connector) listStart(ctx context.Context, opts rs.SyncOpAttrs) (listPosition, error) {
	pos, err := listPositionOf(opts.PageToken.Token)
	if err != nil {
		return listPosition{}, err
	}
	pos.Account, err = c.syncAccount(ctx, opts, pos.Account)
	return pos, err
}

// eachPage reads every page of a list outside the sync's walk (targeted reads, invitations, provisioning),
// stopping early when fn says so. A walk.Trail refuses next links that lead back and pages past the cap.
func eachPage[R any](ctx context.Context, list string, read func(ctx context.Context, token string) ([]*R, string, error),
	fn func(page []*R) (stop bool),
) error {
	trail := walk.NewTrail(list)
	for n, token := 0, ""; ; n++ {
		page, next, err := read(ctx, token)
		if err != nil {
			return wrapErr(err, "list "+list)
		}
		if fn(page) || next == "" {
			return nil
		}
		if err := trail.Step(n, token, next); err != nil {
			return err
		}
		token = next
	}
}
