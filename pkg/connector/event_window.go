package connector

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// How the feeds read Celigo's audit log so that no record is reported twice or skipped:
//   - A feed reports records in (time, _id) order and its cursor is the last one reported (feedPosition).
//     Celigo's order is never relied on: a window of the log is read whole, every page, then sorted here.
//   - Records are read only up to auditLag before now: a record Celigo writes late (with a time already
//     read) is still reported if it arrives within auditLag. Later than that, it is missed; that is the
//     price of reporting changes within minutes.
//   - A window spans at most windowSpan, and less when it holds too many records, so one call's memory is
//     bounded whatever the log holds.
//   - The start is the SDK's (or a day ago), never earlier than Celigo keeps the log (auditRetention).
//   - Both bounds of a query are widened by a millisecond and the records filtered here, because Celigo does
//     not document whether "from" and "to" include their own time.
const (
	auditLag         = 2 * time.Minute
	auditRetention   = 365 * 24 * time.Hour
	defaultFeedStart = 24 * time.Hour
	windowSpan       = 24 * time.Hour
	// lastID sorts after every Celigo id: a position at (t, lastID) has reported everything at t.
	lastID = "~"
)

// maxWindowRecords bounds the records of one window held at once (a variable so tests can lower it).
var maxWindowRecords = 50_000

// auditWindow is the part of the log after a position and up to end, sorted by (time, _id), each record once.
type auditWindow struct {
	end     time.Time
	records []*celigo.AuditRecord
}

// startPosition is where a feed starts without a cursor: just before start, clamped to what Celigo keeps.
func startPosition(feed string, start, now time.Time) feedPosition {
	if start.IsZero() {
		start = now.Add(-defaultFeedStart)
	}
	if floor := now.Add(-auditRetention); start.Before(floor) {
		start = floor
	}
	return feedPosition{Feed: feed, At: start.UnixMilli() - 1, ID: lastID}
}

// readAuditWindow reads the records q selects after pos, up to now minus auditLag.
func (c *Connector) readAuditWindow(ctx context.Context, q celigo.AuditQuery, pos feedPosition, now time.Time) (auditWindow, error) {
	limit := now.Add(-auditLag).Truncate(time.Millisecond)
	start := pos.time()
	if !limit.After(start) {
		return auditWindow{end: start}, nil // caught up: nothing old enough to be complete yet
	}
	for span := windowSpan; ; span /= 16 {
		end := start.Add(span)
		if end.After(limit) {
			end = limit
		}
		records, full, err := c.readAuditRange(ctx, q, pos, end)
		if err != nil {
			return auditWindow{}, err
		}
		if !full {
			return auditWindow{end: end, records: records}, nil
		}
		if span <= time.Millisecond {
			return auditWindow{}, status.Errorf(codes.ResourceExhausted,
				"baton-celigo: read the audit log: more than %d records in one millisecond; cannot report them in order", maxWindowRecords)
		}
		logger(ctx).Debug("baton-celigo: audit window too large, reading a shorter one", zap.Duration("span", span/16))
	}
}

// readAuditRange reads every page of q from pos to end; full says it held more than maxWindowRecords.
func (c *Connector) readAuditRange(ctx context.Context, q celigo.AuditQuery, pos feedPosition, end time.Time) ([]*celigo.AuditRecord, bool, error) {
	q.From, q.To = pos.time().Add(-time.Millisecond), end.Add(time.Millisecond)
	seen := map[string]bool{}
	var out []*celigo.AuditRecord
	trail := walk.NewTrail("audit log") // ends next links that loop back or go on past the page cap
	for token, pages := "", 0; ; pages++ {
		page, next, err := c.client.ListAudit(ctx, q, token)
		if err != nil {
			return nil, false, c.auditError(ctx, err)
		}
		if err := trail.Step(pages, token, next); err != nil {
			return nil, false, err
		}
		for _, r := range page {
			// A record can come twice when the log grows while it is paged; a record whose time cannot be
			// read cannot be placed (it is said once), and one outside the range is another call's.
			if r.Time.IsZero() {
				c.events.unplaceable(ctx, r)
				continue
			}
			if seen[r.ID] || r.Time.After(end) || !pos.after(r.Time.Time, r.ID) {
				continue
			}
			seen[r.ID] = true
			out = append(out, r)
		}
		// Only the records kept count: a server that ignores from and to sends the whole log, and a
		// shorter window would not make that smaller.
		if len(out) > maxWindowRecords {
			return nil, true, nil
		}
		if next == "" {
			break
		}
		token = next
	}
	sortRecords(out)
	return out, false, nil
}

func sortRecords(rs []*celigo.AuditRecord) {
	slices.SortFunc(rs, func(a, b *celigo.AuditRecord) int {
		return cmp.Or(a.Time.Compare(b.Time.Time), cmp.Compare(a.ID, b.ID))
	})
}

// take returns the first n records of the window and the position after them; more says whether the feed
// has more to report now (records left in this window, or windows left before the lag).
func (w auditWindow) take(pos feedPosition, n int, limit time.Time) ([]*celigo.AuditRecord, feedPosition, bool) {
	if n <= 0 || n >= len(w.records) {
		next := feedPosition{Feed: pos.Feed, At: w.end.UnixMilli(), ID: lastID}
		if w.end.Equal(pos.time()) && len(w.records) == 0 {
			next = pos // nothing new: keep the position as it was
		}
		return w.records, next, w.end.Before(limit)
	}
	last := w.records[n-1]
	return w.records[:n], feedPosition{Feed: pos.Feed, At: last.Time.UnixMilli(), ID: last.ID}, true
}

// auditError says which permission is missing when Celigo refuses the audit log; syncs do not need it. A
// 401 may also mean the token is not valid at all: the token's own description (tokenInfo) tells which, so
// a wrong or revoked token is named as such rather than as a missing permission.
func (c *Connector) auditError(ctx context.Context, err error) error {
	if celigo.IsStatus(err, http.StatusUnauthorized) {
		if _, tiErr := c.token(ctx); status.Code(tiErr) == codes.Unauthenticated {
			return tiErr
		}
	}
	if celigo.IsAccessRefused(err) {
		return status.Errorf(codes.FailedPrecondition,
			"baton-celigo: the access token may not read Celigo's audit log (GET /v1/audit), which the event feeds need: "+
				"use a Full access API token created by the account owner or an administrator. Syncs do not need it. (%v)", err)
	}
	return wrapErr(err, "read the audit log")
}
