package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// signinsFeed reports sign-ins to the Celigo account as usage events: the actor is the user resource, the
// target the account's app resource (account.go). Celigo does not document whether sign-ins appear in the
// audit log read through the API; when they do not, this feed is empty.
type signinsFeed struct{ conn *Connector }

func (f *signinsFeed) EventFeedMetadata(_ context.Context) *v2.EventFeedMetadata {
	return eventMetadata(signinsFeedID, v2.EventType_EVENT_TYPE_USAGE)
}

func (f *signinsFeed) ListEvents(ctx context.Context, earliest *timestamppb.Timestamp, tok *pagination.StreamToken) (
	[]*v2.Event, *pagination.StreamState, annotations.Annotations, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	records, state, err := f.conn.readFeed(ctx, signinsFeedID, celigo.AuditQuery{Event: celigo.AuditEventSignIn}, earliest, tok)
	if err != nil {
		return nil, nil, nil, err
	}
	call := &feedCall{conn: f.conn}
	var out []*v2.Event
	for _, r := range records {
		if r.Event != celigo.AuditEventSignIn {
			continue // the filter is Celigo's: a record it let through is checked here
		}
		if r.ByUser.ID == "" {
			f.conn.events.nobody(ctx, r)
			continue
		}
		idx, err := call.usersIndex(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		actor := v2.Resource_builder{Id: userID(idx.resourceID(r.ByUser.ID)), DisplayName: actorName(r.ByUser)}.Build()
		out = append(out, v2.Event_builder{
			Id: r.ID, OccurredAt: timestamppb.New(r.Time.Time), Annotations: auditAnnotations(r),
			UsageEvent: v2.UsageEvent_builder{TargetResource: accountAppRef(), ActorResource: actor}.Build(),
		}.Build())
	}
	return out, state, waits.annotations(), nil
}

func actorName(u celigo.AuditUser) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}
