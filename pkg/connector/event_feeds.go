package connector

import (
	"context"
	"sync"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// The event feeds: Celigo's audit log (GET /v1/audit) streamed to ConductorOne between syncs.
//   - celigo_changes: a resource change per create, update or delete of a resource this connector syncs,
//     and the grants and revokes the change made (event_changes.go, event_grants.go);
//   - celigo_signins: sign-ins as usage of the Celigo account by the user (signinEvents, below).
//
// Both read the log the same way (event_window.go) and keep the same kind of cursor (event_cursor.go).
const (
	changesFeedID = "celigo_changes"
	signinsFeedID = "celigo_signins"

	// defaultEventsPerCall is how many audit records a call reports when the SDK names no page size.
	defaultEventsPerCall = 100
	maxEventsPerCall     = 1000
)

// eventState is what the feeds keep between calls: the clock (tests set it) and the kinds (and records
// without a time) already logged as skipped, so each is logged once.
type eventState struct {
	mu      sync.Mutex
	now     func() time.Time
	skipped map[string]bool
}

func (e *eventState) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// maxRemembered bounds what firstTime remembers: keys come from audit records, so a server sending endless
// odd records would otherwise grow a long-running process's memory without end. Past it, memory starts over
// and a record may be logged once more.
const maxRemembered = 10_000

// firstTime reports whether key is seen for the first time in this process, and remembers it.
func (e *eventState) firstTime(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.skipped == nil || len(e.skipped) >= maxRemembered && !e.skipped[key] {
		e.skipped = map[string]bool{}
	}
	first := !e.skipped[key]
	e.skipped[key] = true
	return first
}

// skipOnce logs, once per process, that records of a kind are not reported.
func (e *eventState) skipOnce(ctx context.Context, what, kind string) {
	if e.firstTime(what + "\x00" + kind) {
		logger(ctx).Info("baton-celigo: audit records of this kind are not reported by the event feeds",
			zap.String("field", what), zap.String("kind", kind))
	}
}

// unplaceable warns, once per record and process, that a record without a readable time is not reported:
// the feeds report in time order, and a change nobody hears of must at least be said.
func (e *eventState) unplaceable(ctx context.Context, r *celigo.AuditRecord) {
	if e.firstTime("time\x00" + r.ID) {
		logger(ctx).Warn("baton-celigo: an audit record has no readable time; the event feeds cannot place it and do not report it",
			zap.String("audit_id", r.ID), zap.String("event", r.Event), zap.String("resource_type", r.ResourceType),
			zap.String("resource_id", r.ResourceID))
	}
}

// nobody says, once per record, that a sign-in names no user: a usage event needs who signed in.
func (e *eventState) nobody(ctx context.Context, r *celigo.AuditRecord) {
	if e.firstTime("nobody\x00" + r.ID) {
		logger(ctx).Warn("baton-celigo: an audit sign-in record names no user (byUser); the sign-ins feed does not report it",
			zap.String("audit_id", r.ID))
	}
}

// EventFeeds lists the feeds (connectorbuilder.EventProviderV2).
func (c *Connector) EventFeeds(_ context.Context) []connectorbuilder.EventFeed {
	return []connectorbuilder.EventFeed{
		&auditFeed{conn: c, id: changesFeedID, events: c.changeEvents,
			types: []v2.EventType{v2.EventType_EVENT_TYPE_RESOURCE_CHANGE, v2.EventType_EVENT_TYPE_CREATE_GRANT, v2.EventType_EVENT_TYPE_CREATE_REVOKE}},
		&auditFeed{conn: c, id: signinsFeedID, events: c.signinEvents,
			query: celigo.AuditQuery{Event: celigo.AuditEventSignIn}, types: []v2.EventType{v2.EventType_EVENT_TYPE_USAGE}},
	}
}

// auditFeed is one event feed over the audit log: the records its query selects, read through readFeed,
// turned into events by events.
type auditFeed struct {
	conn   *Connector
	id     string
	query  celigo.AuditQuery
	types  []v2.EventType
	events func(ctx context.Context, records []*celigo.AuditRecord) ([]*v2.Event, error)
}

func (f *auditFeed) EventFeedMetadata(_ context.Context) *v2.EventFeedMetadata {
	return v2.EventFeedMetadata_builder{Id: f.id, SupportedEventTypes: f.types}.Build()
}

func (f *auditFeed) ListEvents(ctx context.Context, earliest *timestamppb.Timestamp, tok *pagination.StreamToken) (
	[]*v2.Event, *pagination.StreamState, annotations.Annotations, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	records, state, err := f.conn.readFeed(ctx, f.id, f.query, earliest, tok)
	if err != nil {
		return nil, nil, nil, err
	}
	events, err := f.events(ctx, records)
	if err != nil {
		return nil, nil, nil, err
	}
	return events, state, waits.annotations(), nil
}

// feedCall is what one ListEvents call shares among its records: the users list is read at most once, and
// only when a record needs it; so are the integrations and MCP servers.
type feedCall struct {
	conn    *Connector
	users   *usersIndex
	catalog *grantCatalog
}

// pageSize is how many records one call reports.
func pageSize(tok *pagination.StreamToken) int {
	if tok == nil || tok.Size <= 0 {
		return defaultEventsPerCall
	}
	return min(tok.Size, maxEventsPerCall)
}

// readFeed is the part of ListEvents both feeds share: where to start, the window read, the records to
// report this call, and the stream state after them.
func (c *Connector) readFeed(ctx context.Context, feed string, q celigo.AuditQuery, earliest *timestamppb.Timestamp,
	tok *pagination.StreamToken) ([]*celigo.AuditRecord, *pagination.StreamState, error) {
	now := c.events.clock()
	var pos feedPosition
	if tok != nil && tok.Cursor != "" {
		var err error
		if pos, err = parseFeedPosition(feed, tok.Cursor); err != nil {
			return nil, nil, err
		}
	} else {
		var start time.Time
		if earliest != nil && earliest.IsValid() && earliest.AsTime().Unix() > 0 {
			start = earliest.AsTime()
		}
		pos = startPosition(feed, start, now)
	}
	win, err := c.readAuditWindow(ctx, q, pos, now)
	if err != nil {
		return nil, nil, err
	}
	records, next, more := win.take(pos, pageSize(tok), now.Add(-auditLag).Truncate(time.Millisecond))
	return records, &pagination.StreamState{Cursor: next.cursor(), HasMore: more}, nil
}

// signinEvents are the celigo_signins feed's events: sign-ins to the Celigo account as usage events, the
// actor the user resource, the target the account's app resource (celigo_account.go). Celigo does not
// document whether sign-ins appear in the audit log read through the API; when they do not, this feed is
// empty.
func (c *Connector) signinEvents(ctx context.Context, records []*celigo.AuditRecord) ([]*v2.Event, error) {
	call := &feedCall{conn: c}
	var out []*v2.Event
	for _, r := range records {
		if r.Event != celigo.AuditEventSignIn {
			continue // the filter is Celigo's: a record it let through is checked here
		}
		if r.ByUser.ID == "" {
			c.events.nobody(ctx, r)
			continue
		}
		idx, err := call.usersIndex(ctx)
		if err != nil {
			return nil, err
		}
		actor := v2.Resource_builder{Id: userID(idx.resourceID(r.ByUser.ID)), DisplayName: actorName(r.ByUser)}.Build()
		e := auditEvent(r, r.ID)
		e.UsageEvent = v2.UsageEvent_builder{TargetResource: accountAppRef(), ActorResource: actor}.Build()
		out = append(out, e.Build())
	}
	return out, nil
}

func actorName(u celigo.AuditUser) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}
