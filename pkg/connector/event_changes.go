package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// changeEvents are the celigo_changes feed's events: every create, update and delete of a resource this
// connector syncs as a resource change (ConductorOne then reads just that resource again with the targeted
// Get), and the grants and revokes a user change made (event_grants.go), in the records' order: each
// change, then its grants.
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
		e := auditEvent(r, r.ID)
		e.ResourceChangeEvent = v2.ResourceChangeEvent_builder{ResourceId: resourceID(typeID, id)}.Build()
		out = append(out, e.Build())
		out = append(out, grants[r.ID]...)
	}
	return out, nil
}
