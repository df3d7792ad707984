package connector

import (
	"context"
	"maps"
	"slices"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/protobuf/proto"
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

// grantPositionOf reads a Grants page token.
func grantPositionOf(token string) (grantPosition, error) {
	var pos grantPosition
	if token == "" {
		return pos, nil
	}
	if err := decodeToken(token, &pos); err != nil || pos.Source < 0 || pos.Skip < 0 {
		return grantPosition{}, notIssued(token)
	}
	return pos, nil
}

// grantCall is one Grants call under way: its context (counting rate-limit waits) and the position it
// serves, checked against the sync's account.
type grantCall struct {
	ctx   context.Context
	waits *rateLimitWaits
	pos   grantPosition
}

// startGrants begins a Grants call.
func (c *Connector) startGrants(ctx context.Context, opts rs.SyncOpAttrs) (*grantCall, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	pos, err := grantPositionOf(opts.PageToken.Token)
	if err != nil {
		return nil, err
	}
	if pos.Account, err = c.syncAccount(ctx, opts, pos.Account); err != nil {
		return nil, err
	}
	return &grantCall{ctx: ctx, waits: waits, pos: pos}, nil
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

// serve answers with one cut of the grants of a list of total sources, from the call's position on: head
// first (a few fixed grants, only at the start), then grantsOf(i) for each source i, each in a fixed order.
func (g *grantCall) serve(head []*v2.Grant, total int, grantsOf func(i int) []*v2.Grant) ([]*v2.Grant, *rs.SyncOpResults, error) {
	var out []*v2.Grant
	size := 0
	fits := func(gr *v2.Grant) bool {
		n := proto.Size(gr)
		if len(out) > 0 && (len(out) >= maxGrantsPerPage || size+n > grantBytesPerPage) {
			return false
		}
		size += n
		out = append(out, gr)
		return true
	}
	if g.first() {
		for _, gr := range head {
			fits(gr)
		}
	}
	for i := g.pos.Source; i < total; i++ {
		skip := 0
		if i == g.pos.Source {
			skip = g.pos.Skip
		}
		gs := grantsOf(i)
		for k := skip; k < len(gs); k++ {
			if !fits(gs[k]) {
				return out, g.waits.results(encodeToken(grantPosition{Account: g.pos.Account, Source: i, Skip: k})), nil
			}
		}
	}
	return out, g.waits.results(""), nil
}

// sortedKeys gives a map's grants a fixed order, so an answer cut inside one user goes on where it stopped.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
