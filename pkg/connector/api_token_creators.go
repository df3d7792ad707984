package connector

import (
	"context"
	"sync"

	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Who created each API token: a token record names no creator, Celigo's audit log does (its create event).
// The log is read with one bounded query per sync (resource type accesstoken, event create, every page),
// never once per token. A token the log says nothing of (created before the log's retention) has no creator;
// a token that may not read the log leaves every creator empty, said once in the log. A creator who has an
// access record in the account is also named as the user resource (the secret's created_by_id).

// tokenCreators holds the creators read for one sync.
type tokenCreators struct {
	mu      sync.Mutex
	syncID  string
	byToken map[string]celigo.AuditUser
	read    bool
}

// of returns who created each token, read from the audit log once per sync.
func (tc *tokenCreators) of(ctx context.Context, client *celigo.Client, syncID string) (map[string]celigo.AuditUser, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.read && tc.syncID == syncID {
		return tc.byToken, nil
	}
	byToken, err := readTokenCreators(ctx, client, "")
	if celigo.IsAccessRefused(err) {
		// Said once per sync: the result is kept for the sync like any other.
		logger(ctx).Info("baton-celigo: the access token may not read Celigo's audit log; API tokens are synced without who created them",
			zap.Error(err))
		byToken, err = map[string]celigo.AuditUser{}, nil
	}
	if err != nil {
		return nil, err
	}
	tc.syncID, tc.byToken, tc.read = syncID, byToken, true
	return byToken, nil
}

// readTokenCreators reads every create event of a token (of token only, when one is named); when a token has
// several (the log is not ordered), the earliest is its creation.
func readTokenCreators(ctx context.Context, client *celigo.Client, only string) (map[string]celigo.AuditUser, error) {
	q := celigo.AuditQuery{ResourceType: celigo.AuditTypeAccessToken, Event: celigo.AuditEventCreate, ResourceID: only}
	first := map[string]*celigo.AuditRecord{}
	err := eachPage(ctx, "audit log (API token creations)", func(ctx context.Context, token string) ([]*celigo.AuditRecord, string, error) {
		return client.ListAudit(ctx, q, token)
	}, func(page []*celigo.AuditRecord) bool {
		for _, r := range page {
			if r.ResourceType != celigo.AuditTypeAccessToken || r.Event != celigo.AuditEventCreate || r.ResourceID == "" ||
				only != "" && r.ResourceID != only {
				continue // a record the filter should have left out
			}
			if seen, ok := first[r.ResourceID]; !ok || r.Time.Before(seen.Time.Time) {
				first[r.ResourceID] = r
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]celigo.AuditUser, len(first))
	for id, r := range first {
		out[id] = r.ByUser
	}
	return out, nil
}

// creatorRecords maps each creator's Celigo user id to their access record in the sync's users list (the
// user resource's id), from the walk the users' List filled. The owner, or a person without a record, maps to
// none. Nothing is read when no token has a creator.
func (c *Connector) creatorRecords(ctx context.Context, opts rs.SyncOpAttrs, creators map[string]celigo.AuditUser) (map[string]string, error) {
	if len(creators) == 0 {
		return nil, nil
	}
	users, err := c.walkedUsers(ctx, opts)
	if err != nil {
		return nil, err
	}
	records := make(map[string]string, len(users))
	for _, u := range users {
		if _, taken := records[u.personID]; u.personID != "" && !taken {
			records[u.personID] = u.recordID
		}
	}
	return records, nil
}

// creatorOf is who created token id and their access record, for a targeted sync of the token, which has no
// sync's users at hand: the audit log's create events of that token alone, then the users list read until
// the person's record is found. A token that may not read the log has no creator, as in a full sync.
func (c *Connector) creatorOf(ctx context.Context, id string) (creator celigo.AuditUser, record string, err error) {
	creators, err := readTokenCreators(ctx, c.client, id)
	if celigo.IsAccessRefused(err) {
		return creator, "", nil
	}
	if creator = creators[id]; err != nil || creator.ID == "" {
		return creator, "", err
	}
	err = eachPage(ctx, usersList, c.client.ListUsers, func(page []*celigo.UserSummary) bool {
		for _, u := range page {
			if u.SharedWithUser.ID == creator.ID {
				record = u.ID
				return true
			}
		}
		return false
	})
	return creator, record, err
}
