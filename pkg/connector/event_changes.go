package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// changesFeed reports every create, update and delete of a resource this connector syncs as a resource
// change (ConductorOne then reads just that resource again with the targeted Get), and the grants and
// revokes a user change made (event_grants.go).
type changesFeed struct{ conn *Connector }

func (f *changesFeed) EventFeedMetadata(_ context.Context) *v2.EventFeedMetadata {
	return eventMetadata(changesFeedID, v2.EventType_EVENT_TYPE_RESOURCE_CHANGE,
		v2.EventType_EVENT_TYPE_CREATE_GRANT, v2.EventType_EVENT_TYPE_CREATE_REVOKE)
}

func (f *changesFeed) ListEvents(ctx context.Context, earliest *timestamppb.Timestamp, tok *pagination.StreamToken) (
	[]*v2.Event, *pagination.StreamState, annotations.Annotations, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	records, state, err := f.conn.readFeed(ctx, changesFeedID, celigo.AuditQuery{}, earliest, tok)
	if err != nil {
		return nil, nil, nil, err
	}
	events, err := f.conn.changeEvents(ctx, records)
	if err != nil {
		return nil, nil, nil, err
	}
	return events, state, waits.annotations(), nil
}

// changeEvents turns audit records into events, in the records' order: each change, then its grants.
func (c *Connector) changeEvents(ctx context.Context, records []*celigo.AuditRecord) ([]*v2.Event, error) {
	call := &feedCall{conn: c}
	var changes []*celigo.AuditRecord
	for _, r := range records {
		switch {
		case r.Event != celigo.AuditEventCreate && r.Event != celigo.AuditEventUpdate && r.Event != celigo.AuditEventDelete:
			if r.Event != celigo.AuditEventSignIn && r.Event != celigo.AuditEventSignOut {
				c.events.skipOnce(ctx, "event", r.Event) // sign-ins and sign-outs are the other feed's
			}
		case c.resourceTypeOf(r.ResourceType) == "":
			c.events.skipOnce(ctx, "resourceType", r.ResourceType)
		case r.ResourceID == "":
			c.events.skipOnce(ctx, "resourceType without _resourceId", r.ResourceType)
		default:
			changes = append(changes, r)
		}
	}
	grants, err := call.grantEvents(ctx, changes)
	if err != nil {
		return nil, err
	}
	var out []*v2.Event
	for _, r := range changes {
		typeID := c.resourceTypeOf(r.ResourceType)
		id := r.ResourceID
		if typeID == userTypeID {
			idx, err := call.usersIndex(ctx)
			if err != nil {
				return nil, err
			}
			id = idx.resourceID(id)
		}
		out = append(out, v2.Event_builder{
			Id:          r.ID,
			OccurredAt:  timestamppb.New(r.Time.Time),
			Annotations: auditAnnotations(r),
			ResourceChangeEvent: v2.ResourceChangeEvent_builder{
				ResourceId: resourceID(typeID, id),
			}.Build(),
		}.Build())
		out = append(out, grants[r.ID]...)
	}
	return out, nil
}
