package celigo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"
)

const pathAudit = "/v1/audit"

// Audit event kinds and resource types as Celigo spells them (others exist; callers skip what they do not know).
const (
	AuditEventCreate  = "create"
	AuditEventUpdate  = "update"
	AuditEventDelete  = "delete"
	AuditEventSignIn  = "signin"
	AuditEventSignOut = "signout"

	AuditTypeUser        = "user"
	AuditTypeIntegration = "integration"
	AuditTypeMCPServer   = "mcpserver" // [U] the spelling is not documented
	AuditTypeAccessToken = "accesstoken"
)

// AuditRecord is one /v1/audit item: who did what to which resource, and the fields it changed.
type AuditRecord struct {
	ID           string    `json:"_id"`
	Time         Timestamp `json:"time"`
	Event        string    `json:"event"`
	Source       string    `json:"source"` // ui, api, connector, stack, system, sso
	ResourceType string    `json:"resourceType"`
	// ResourceID is the resource the record is about. For a user record Celigo may name the access record
	// or the person's own user id (not documented): readers accept either.
	ResourceID   string        `json:"-"`
	Support      bool          `json:"support"` // Celigo support staff acted
	ByUser       AuditUser     `json:"byUser"`
	FieldChanges []FieldChange `json:"fieldChanges"`
	// OddFieldChanges: fieldChanges was there but could not be read, so what the change did is not known.
	OddFieldChanges bool         `json:"-"`
	DeletedInfo     *DeletedInfo `json:"deletedInfo"`

	personMarker // tells a users answer served in place of this list
}

// AuditUser is who acted: the person's user id (never an access-record id), email and name.
type AuditUser struct {
	ID    string `json:"_id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// FieldChange is one changed field: its path in the record and its JSON values before and after (absent
// or null when the field was not there).
type FieldChange struct {
	FieldPath string          `json:"fieldPath"`
	OldValue  json.RawMessage `json:"oldValue"`
	NewValue  json.RawMessage `json:"newValue"`
}

// DeletedInfo describes a deleted resource; only its name is read.
type DeletedInfo struct {
	Name string `json:"name"`
}

// UnmarshalJSON reads a record field by field, so that one field of an odd shape costs that field, not the
// page (and with it every later call of a feed, or a sync that reads token creators): _resourceId and byUser
// as an id or as the (populated) record, "action" where "event" is missing (Celigo's filters take either
// name). Fields that cannot be read are left zero; unreadable field changes are flagged (OddFieldChanges),
// since reading them as "none" would misstate what the change did.
func (a *AuditRecord) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	read := func(name string, into any) bool {
		raw, ok := m[name]
		return !ok || json.Unmarshal(raw, into) == nil
	}
	*a = AuditRecord{}
	read("_id", &a.ID)
	read("time", &a.Time)
	read("event", &a.Event)
	read("source", &a.Source)
	read("resourceType", &a.ResourceType)
	read("support", &a.Support)
	read("sharedWithUser", &a.SharedWithUser)
	if !read("deletedInfo", &a.DeletedInfo) {
		a.DeletedInfo = nil
	}
	if !read("fieldChanges", &a.FieldChanges) {
		a.FieldChanges, a.OddFieldChanges = nil, true
	}
	a.ResourceID = referenceID(m["_resourceId"])
	if !read("byUser", &a.ByUser) {
		a.ByUser = AuditUser{ID: referenceID(m["byUser"])}
	}
	if a.Event == "" {
		read("action", &a.Event)
	}
	return nil
}

// referenceID reads an id given as a string or as an object with an _id; anything else is "".
func referenceID(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var rec struct {
		ID string `json:"_id"`
	}
	if json.Unmarshal(raw, &rec) == nil {
		return rec.ID
	}
	return ""
}

func (a *AuditRecord) recordID() string { return a.ID }

// wrongKind refuses an item that names no event: every audit record says what happened.
func (a *AuditRecord) wrongKind() string {
	if why := a.personMarker.wrongKind(); why != "" {
		return why
	}
	if a.Event == "" {
		return "it names no event, as every audit record does"
	}
	return ""
}

// AuditQuery filters the audit log; zero fields are not sent. From and To are sent as ISO 8601 times;
// whether Celigo includes records at exactly To is not documented, so callers must not depend on it.
type AuditQuery struct {
	ResourceType, ResourceID, Event string
	From, To                        time.Time
}

// auditTimeFormat is how Celigo writes times: RFC 3339, milliseconds, UTC.
const auditTimeFormat = "2006-01-02T15:04:05.000Z"

func (q AuditQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("resourceType", q.ResourceType)
	set("_resourceId", q.ResourceID)
	set("event", q.Event)
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(auditTimeFormat))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(auditTimeFormat))
	}
	return v
}

// ListAudit reads one page of the account's audit log. The filters go on the first page; pageToken (a
// next link from an earlier page) carries them on. Records come in no promised order. A token that may not
// read the log answers 401 or 403: see IsAccessRefused.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery, pageToken string) ([]*AuditRecord, string, error) {
	return listPageQuery[AuditRecord](ctx, c, pathAudit, q.values(), pageToken)
}

// IsAccessRefused reports a 401 or 403 from Celigo: the token may not do what was asked.
func IsAccessRefused(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden)
}
