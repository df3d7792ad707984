package celigo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// API tokens (/v1/accesstokens): the keys to the account. The list and the record endpoints are not in
// Celigo's public reference (its own UI uses them), so callers must take a refusal of the list calmly.
//
// No token value ever leaves Celigo through this code: the endpoints that reveal or re-generate a token
// (/v1/accesstokens/{id}/display, /v1/accesstokens/{id}/generate) are never called, a value a record
// carries (plain or masked) is dropped while decoding, and no error quotes an answer of these endpoints.

const pathAPITokens = "/v1/accesstokens"

// holdsSecrets says whether answers from path may carry a token value, so no error may quote them.
func holdsSecrets(path string) bool {
	return path == pathAPITokens || strings.HasPrefix(path, pathAPITokens+"/")
}

// secretField names a record field that may hold a token value: it is dropped at decoding.
func secretField(name string) bool {
	return strings.EqualFold(name, "token") || strings.EqualFold(name, "accessToken")
}

// tokenReadOnlyFields are token record fields Celigo sets itself (at creation), never sent back on a PUT.
// Celigo publishes no schema for tokens; the owner references are set when a token is created for an
// integration app and are taken as fixed.
var tokenReadOnlyFields = map[string]bool{
	"_id": true, "createdAt": true, "lastModified": true, "_integrationId": true, "_connectorId": true,
}

// APIToken is one /v1/accesstokens item, without its value.
type APIToken struct {
	ID            string    `json:"_id"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	AutoPurgeAt   Expiry    `json:"autoPurgeAt"`
	FullAccess    bool      `json:"fullAccess"`
	Revoked       bool      `json:"revoked"`
	ConnectionIDs IDList    `json:"_connectionIds"`
	ExportIDs     IDList    `json:"_exportIds"`
	ImportIDs     IDList    `json:"_importIds"`
	APIIDs        IDList    `json:"_apiIds"`
	MCPServerIDs  IDList    `json:"_mcpServerIds"`
	IntegrationID string    `json:"_integrationId"` // set for a token of an integration app
	ConnectorID   string    `json:"_connectorId"`
	CreatedAt     Timestamp `json:"createdAt"`
	LastModified  Timestamp `json:"lastModified"`

	personMarker // tells a users answer served in place of this list
}

func (t *APIToken) recordID() string { return t.ID }

// IDList is a list of references: ids, or the referenced records themselves (Celigo populates some
// references). An item of neither shape, or one reference not in a list, still counts (as "(unreadable
// reference)" when no id can be read): a token's reach is never under-reported. null is none.
type IDList []string

func (l *IDList) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*l = nil
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		raw = []json.RawMessage{b}
	}
	out := make(IDList, 0, len(raw))
	for _, item := range raw {
		var id string
		var rec struct {
			ID string `json:"_id"`
		}
		switch {
		case json.Unmarshal(item, &id) == nil && id != "":
		case json.Unmarshal(item, &rec) == nil && rec.ID != "":
			id = rec.ID
		default:
			id = "(unreadable reference)"
		}
		out = append(out, id)
	}
	*l = out
	return nil
}

// Expiry is autoPurgeAt: a time, or "never" (and absent or null, read the same way: no expiry known).
type Expiry struct {
	At   time.Time // zero when the token does not expire
	Text string    // what Celigo sent when it is not a time ("never")
}

func (e *Expiry) UnmarshalJSON(b []byte) error {
	var ts Timestamp
	_ = ts.UnmarshalJSON(b) // never fails: an odd value reads as no time
	e.At = ts.Time
	var s string
	if e.At.IsZero() && json.Unmarshal(b, &s) == nil {
		e.Text = s
	}
	return nil
}

// Expires reports whether the token is set to be purged at a time.
func (e Expiry) Expires() bool { return !e.At.IsZero() }

// APITokenRecord is one token record as read for a write: its typed fields and every other field as
// Celigo sent it (a PUT replaces the record), the value excepted.
type APITokenRecord struct {
	APIToken
	fields map[string]json.RawMessage
}

func (r *APITokenRecord) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k := range all {
		if secretField(k) {
			delete(all, k)
		}
	}
	clean, err := json.Marshal(all)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(clean, &r.APIToken); err != nil {
		return err
	}
	r.fields = all
	return nil
}

// Clone copies the record so that changing the copy leaves r alone.
func (r *APITokenRecord) Clone() *APITokenRecord {
	cp := *r
	cp.fields = make(map[string]json.RawMessage, len(r.fields))
	for k, v := range r.fields {
		cp.fields[k] = v
	}
	return &cp
}

// WritableBody is what a PUT carries: every field Celigo sent but the ones it sets itself and the value,
// with revoked taken from r (which the caller may have changed).
func (r *APITokenRecord) WritableBody() map[string]json.RawMessage {
	body := make(map[string]json.RawMessage, len(r.fields)+1)
	for k, v := range r.fields {
		if !tokenReadOnlyFields[k] && !secretField(k) {
			body[k] = v
		}
	}
	body["revoked"] = mustJSON(r.Revoked)
	return body
}

// SameWritableToken reports whether the token read back after a write holds exactly what was written.
func SameWritableToken(after, want, before *APITokenRecord) bool {
	return sameFields(after.WritableBody(), want.WritableBody(), before.WritableBody(), func(string) bool { return false })
}

// ListAPITokens reads one page of API tokens. Celigo answers 204 with no body when there are none.
func (c *Client) ListAPITokens(ctx context.Context, pageToken string) ([]*APIToken, string, error) {
	return listPage[APIToken](ctx, c, pathAPITokens, pageToken)
}

// GetAPIToken reads one token record, always from Celigo (writes depend on it).
func (c *Client) GetAPIToken(ctx context.Context, id string) (*APITokenRecord, error) {
	path, err := tokenPath(id)
	if err != nil {
		return nil, err
	}
	return getRecord[APITokenRecord](ctx, c, path, id)
}

// UpdateAPIToken PUTs the whole writable set of r to the token id. r must come from a fresh GetAPIToken of
// id: Celigo replaces the record. Sent once, never retried (see WriteRetry).
func (c *Client) UpdateAPIToken(ctx context.Context, id string, r *APITokenRecord) error {
	path, err := tokenPath(id)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, request{method: http.MethodPut, url: c.endpoint(path), path: path, body: r.WritableBody()})
	return err
}

// DeleteAPIToken deletes a token. Celigo refuses it unless the token is revoked.
func (c *Client) DeleteAPIToken(ctx context.Context, id string) error {
	path, err := tokenPath(id)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, request{method: http.MethodDelete, url: c.endpoint(path), path: path})
	return err
}

func tokenPath(id string) (string, error) { return recordPath(pathAPITokens, "API token", id, "") }

// bodySnippet quotes a little of an answer for an error, except an answer that may hold a token value.
func bodySnippet(path string, body []byte) string {
	if holdsSecrets(path) && len(bytes.TrimSpace(body)) > 0 {
		return "(not quoted: an answer about API tokens may hold a token value)"
	}
	return snippet(body)
}

// envelopeName is what a code or field name of Celigo's error envelope looks like ("invalid_value",
// "_integrationId"): letters, underscores and dots, no digits, so a token value or a masked one never passes.
var envelopeName = regexp.MustCompile(`^[A-Za-z_.]{1,60}$`)

// redactEnvelope keeps of an error answer about API tokens only what cannot be a token value: Celigo's
// message may echo what it refused (the value included), so it is not quoted, and a code or field that does
// not look like a name is dropped.
func redactEnvelope(e *APIError) {
	if e.Message != "" {
		e.Message = "(Celigo's message not quoted: an answer about API tokens may hold a token value)"
	}
	if !envelopeName.MatchString(e.Code) {
		e.Code = ""
	}
	if !envelopeName.MatchString(e.Field) {
		e.Field = ""
	}
}
