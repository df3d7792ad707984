package celigo

import (
	"encoding/json"
	"time"
)

// Account-wide access levels as the API sends them. The owner is not an ashare; "owner" here is ours.
const (
	LevelOwner         = "owner"
	LevelAdministrator = "administrator"
	LevelManage        = "manage"
	LevelMonitor       = "monitor"
)

// SharedUser is the person behind an access record.
type SharedUser struct {
	ID                string `json:"_id"`
	Email             string `json:"email"`
	Name              string `json:"name"`
	AllowedToResetMFA bool   `json:"allowedToResetMFA"`
	AccountSSOLinked  string `json:"accountSSOLinked"`
}

// IntegrationAccess is one integrationAccessLevel entry.
type IntegrationAccess struct {
	IntegrationID string `json:"_integrationId"`
	AccessLevel   string `json:"accessLevel"`
}

// Timestamp accepts Celigo's ISO times and tolerates absent, null or odd values: they are informative only,
// and one odd date must not fail a whole page of users. A number is read as epoch milliseconds.
type Timestamp struct{ time.Time }

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t.Time = parsed
		}
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err == nil && ms > 0 && ms < 1e15 {
		t.Time = time.UnixMilli(int64(ms)).UTC()
	}
	return nil
}

// User is one /v1/ashares record: one person's access to the account.
// Fields this code does not know are kept in extra and sent back on update, so a PUT (which replaces
// the record) never erases them.
type User struct {
	ID                     string              `json:"_id"`
	Accepted               *bool               `json:"accepted"`
	Dismissed              bool                `json:"dismissed"`
	Disabled               bool                `json:"disabled"`
	AccessLevel            string              `json:"accessLevel"`
	IntegrationAccessLevel []IntegrationAccess `json:"integrationAccessLevel"`
	AccountSSORequired     bool                `json:"accountSSORequired"`
	AccountMFARequired     bool                `json:"accountMFARequired"`
	LastSignIn             Timestamp           `json:"lastSignIn"`
	CreatedAt              Timestamp           `json:"createdAt"`
	LastModified           Timestamp           `json:"lastModified"`
	SharedWithUser         SharedUser          `json:"sharedWithUser"`
	RecordExtras                               // MCP server access and account permissions

	// fields holds every field of the record as Celigo sent it.
	fields map[string]json.RawMessage
}

// readOnlyFields are record fields Celigo sets itself (its published schema marks them readOnly). They are
// never sent back: Celigo rejects a PUT that echoes userType (400). Everything else is sent back on a PUT.
var readOnlyFields = map[string]bool{
	"_id": true, "accepted": true, "dismissed": true, "sharedWithUser": true, "createdAt": true,
	"lastModified": true, "lastSignIn": true, "createdVia": true, "isProductionAdmin": true, "userType": true,
}

// IsReadOnlyField reports whether Celigo sets a record field itself, so a PUT must never carry it.
func IsReadOnlyField(name string) bool { return readOnlyFields[name] }

// userFields is User without its methods, so decoding does not recurse.
type userFields User

func (u *User) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	var f userFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*u = User(f)
	u.fields = all
	return nil
}

func (u *User) recordID() string { return u.ID }

// IsPending reports an invitation not yet accepted.
func (u *User) IsPending() bool { return u.Accepted != nil && !*u.Accepted }

// Summary is the record's typed fields, as a list read would give them.
func (u *User) Summary() *UserSummary {
	return &UserSummary{
		ID: u.ID, Accepted: u.Accepted, Dismissed: u.Dismissed, Disabled: u.Disabled, AccessLevel: u.AccessLevel,
		IntegrationAccessLevel: u.IntegrationAccessLevel, AccountSSORequired: u.AccountSSORequired,
		AccountMFARequired: u.AccountMFARequired, LastSignIn: u.LastSignIn, CreatedAt: u.CreatedAt,
		LastModified: u.LastModified, SharedWithUser: u.SharedWithUser, RecordExtras: u.RecordExtras,
	}
}

// UserSummary is what a sync reads of an access record: its typed fields, without the raw copy of every field
// that User keeps to round-trip unknown fields on a PUT. Lists decode into it, so a page costs what is kept;
// writes read their one record with GetUser.
type UserSummary struct {
	ID                     string              `json:"_id"`
	Accepted               *bool               `json:"accepted"`
	Dismissed              bool                `json:"dismissed"`
	Disabled               bool                `json:"disabled"`
	AccessLevel            string              `json:"accessLevel"`
	IntegrationAccessLevel []IntegrationAccess `json:"integrationAccessLevel"`
	AccountSSORequired     bool                `json:"accountSSORequired"`
	AccountMFARequired     bool                `json:"accountMFARequired"`
	LastSignIn             Timestamp           `json:"lastSignIn"`
	CreatedAt              Timestamp           `json:"createdAt"`
	LastModified           Timestamp           `json:"lastModified"`
	SharedWithUser         SharedUser          `json:"sharedWithUser"`
	RecordExtras
}

func (u *UserSummary) recordID() string { return u.ID }

// IsPending reports an invitation not yet accepted.
func (u *UserSummary) IsPending() bool { return u.Accepted != nil && !*u.Accepted }

// Email is the person's address.
func (u *User) Email() string { return u.SharedWithUser.Email }

// Clone copies the record deeply enough that changing the copy leaves u alone.
func (u *User) Clone() *User {
	cp := *u
	cp.IntegrationAccessLevel = append([]IntegrationAccess(nil), u.IntegrationAccessLevel...)
	cp.MCPServerAccessLevel = cloneMCPEntries(u.MCPServerAccessLevel)
	if u.Accepted != nil {
		accepted := *u.Accepted
		cp.Accepted = &accepted
	}
	cp.fields = make(map[string]json.RawMessage, len(u.fields))
	for k, v := range u.fields {
		cp.fields[k] = v
	}
	return &cp
}

// Field returns a raw field as Celigo sent it (nil when absent).
func (u *User) Field(name string) json.RawMessage { return u.fields[name] }

// WritableBody is what a PUT must carry: every field Celigo sent except the ones it sets itself, with
// the access fields taken from u (which the caller may have changed). An empty accessLevel is omitted,
// which is how Celigo's own UI takes the account-wide role away.
func (u *User) WritableBody() map[string]json.RawMessage {
	body := make(map[string]json.RawMessage, len(u.fields)+2)
	for k, v := range u.fields {
		if !readOnlyFields[k] {
			body[k] = v
		}
	}
	delete(body, "accessLevel")
	if u.AccessLevel != "" {
		body["accessLevel"] = mustJSON(u.AccessLevel)
	}
	_, had := u.fields["integrationAccessLevel"]
	if len(u.IntegrationAccessLevel) > 0 || had {
		body["integrationAccessLevel"] = u.entriesBody()
	}
	u.writeExtras(body, u.fields)
	return body
}

// entriesBody is integrationAccessLevel for a PUT. Each entry goes back as Celigo sent it, sub-fields this
// code does not know included; an entry whose level was changed keeps its other sub-fields; an entry made
// here is plain. Entries are matched to what Celigo sent by integration id (and level, first), which is
// all a change can alter: the rules keep, remove, re-level or add entries.
func (u *User) entriesBody() json.RawMessage {
	sent := sentEntries(u.fields["integrationAccessLevel"])
	used := make([]bool, len(sent))
	out := make([]json.RawMessage, 0, len(u.IntegrationAccessLevel))
	for _, e := range u.IntegrationAccessLevel {
		i := matchEntry(sent, used, e)
		if i < 0 {
			out = append(out, mustJSON(plainEntry(e)))
			continue
		}
		used[i] = true
		out = append(out, sent[i].as(e))
	}
	return mustJSON(out)
}

// sentEntry is one integrationAccessLevel entry as Celigo sent it.
type sentEntry struct {
	raw       json.RawMessage
	id, level string
}

func sentEntries(raw json.RawMessage) []sentEntry {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	out := make([]sentEntry, 0, len(list))
	for _, item := range list {
		var known plainEntry
		if json.Unmarshal(item, &known) != nil || string(item) == "null" {
			continue // not an entry we can match; the record decoder already refused worse
		}
		out = append(out, sentEntry{raw: item, id: known.IntegrationID, level: known.AccessLevel})
	}
	return out
}

// matchEntry finds the unused sent entry for e: same integration and level, else same integration.
func matchEntry(sent []sentEntry, used []bool, e IntegrationAccess) int {
	for _, sameLevel := range []bool{true, false} {
		for i, s := range sent {
			if !used[i] && s.id == e.IntegrationID && (!sameLevel || s.level == e.AccessLevel) {
				return i
			}
		}
	}
	return -1
}

// as is the sent entry carrying e's level: untouched when the level is the same.
func (s sentEntry) as(e IntegrationAccess) json.RawMessage {
	if s.level == e.AccessLevel {
		return s.raw
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(s.raw, &fields) != nil || fields == nil {
		return mustJSON(plainEntry(e))
	}
	fields["accessLevel"] = mustJSON(e.AccessLevel)
	return mustJSON(fields)
}

// plainEntry is IntegrationAccess as JSON, for entries made here.
type plainEntry struct {
	IntegrationID string `json:"_integrationId"`
	AccessLevel   string `json:"accessLevel"`
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings, plain structs and raw JSON already parsed go through here
	}
	return b
}
