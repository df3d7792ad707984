package connector

import (
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// auditResourceTypes maps the audit log's resourceType to the resource type a sync gives the resource:
// only these become resource-change events; the log's other types (flows, connections, ...) are skipped.
// enabled says whether this connector, as configured, syncs the type.
var auditResourceTypes = []struct {
	audit   string // as Celigo spells it (compared without case)
	typeID  string
	enabled func(c *Connector) bool
}{
	{celigo.AuditTypeUser, userTypeID, always},
	{celigo.AuditTypeIntegration, integrationTypeID, always},
	{celigo.AuditTypeMCPServer, mcpServerTypeID, always}, // [U] Celigo's spelling is not documented
	{"mcpServers", mcpServerTypeID, always},
	{celigo.AuditTypeAccessToken, apiTokenTypeID, func(c *Connector) bool { return c.syncSecrets }}, // only with --sync-secrets
}

func always(*Connector) bool { return true }

// resourceTypeOf is the resource type of an audit resourceType, "" when this connector does not sync it.
func (c *Connector) resourceTypeOf(auditType string) string {
	for _, t := range auditResourceTypes {
		if strings.EqualFold(t.audit, auditType) && t.enabled(c) {
			return t.typeID
		}
	}
	return ""
}

// auditEvent is the start of every event an audit record makes: its id, the record's time, and annotations
// describing the record.
func auditEvent(r *celigo.AuditRecord, id string) v2.Event_builder {
	return v2.Event_builder{Id: id, OccurredAt: timestamppb.New(r.Time.Time), Annotations: auditAnnotations(r)}
}

// auditAnnotations describe the audit record behind an event: its id, event, source and who acted (by
// Celigo user id), and whether Celigo support staff acted.
func auditAnnotations(r *celigo.AuditRecord) []*anypb.Any {
	fields := map[string]any{
		"celigo_audit_id": r.ID,
		"celigo_event":    r.Event,
		"celigo_source":   r.Source,
		"celigo_by_user":  r.ByUser.ID,
	}
	if r.Support {
		fields["celigo_support"] = true
		fields["description"] = "Done by Celigo support staff"
	}
	s, err := structpb.NewStruct(fields)
	if err != nil {
		return nil
	}
	a, err := anypb.New(s)
	if err != nil {
		return nil
	}
	return []*anypb.Any{a}
}
