package celigo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// An access record (/v1/ashares item) as JSON, in one place: which fields Celigo sets itself, which a PUT
// carries and how, and whether a write landed.
//   - Read-only fields (readOnlyFields) are set by Celigo; a PUT never carries them.
//   - Every other field is writable, fields this code does not know included: Celigo replaces the record on
//     a PUT and erases what is left out, so a PUT carries them all, each as Celigo sent it (WritableBody).
//   - Access fields are the writable fields the access rules change (accessLevel, integrationAccessLevel
//     and the RecordExtras fields, whose permission flags permissions.go names): a PUT takes them from
//     User's typed fields (a flag or the MCP entry list only where it differs from what Celigo sent).
//   - SameWritable says whether the record read back after a write holds what was written.

// Access field names, as the record spells them.
const (
	fieldAccessLevel       = "accessLevel"
	fieldIntegrationAccess = "integrationAccessLevel"
	fieldMCPServerAccess   = "mcpServerAccessLevel"
	fieldAllMCPServers     = "allMcpServerAccess"
)

// readOnlyFields are record fields Celigo sets itself (its published schema marks them readOnly). They are
// never sent back: Celigo rejects a PUT that echoes userType (400). Everything else is sent back on a PUT.
var readOnlyFields = map[string]bool{
	"_id": true, "accepted": true, "dismissed": true, "sharedWithUser": true, "createdAt": true,
	"lastModified": true, "lastSignIn": true, "createdVia": true, "isProductionAdmin": true, "userType": true,
}

// IsReadOnlyField reports whether Celigo sets a record field itself, so a PUT must never carry it.
func IsReadOnlyField(name string) bool { return readOnlyFields[name] }

// SharedUser is the person behind an access record.
type SharedUser struct {
	ID                string    `json:"_id"`
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	AllowedToResetMFA bool      `json:"allowedToResetMFA"`
	AccountSSOLinked  string    `json:"accountSSOLinked"`
	LastSignIn        Timestamp `json:"lastSignIn"` // the person's last sign-in to any Celigo account
}

// UnmarshalJSON trims the email: an address with spaces around it is the same address, and would otherwise
// reach C1 (and matching by email) as a different one.
func (p *SharedUser) UnmarshalJSON(b []byte) error {
	type plain SharedUser // no methods: decoding it does not come back here
	var f plain
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	f.Email = strings.TrimSpace(f.Email)
	*p = SharedUser(f)
	return nil
}

// IntegrationAccess is one integrationAccessLevel entry.
type IntegrationAccess struct {
	IntegrationID string `json:"_integrationId"`
	AccessLevel   string `json:"accessLevel"`
}

// RecordExtras are what a record grants beyond its account role and integration entries: MCP server
// access and account permissions. All are writable: a PUT that leaves one out erases it.
type RecordExtras struct {
	MCPServerAccessLevel              []MCPServerAccess `json:"mcpServerAccessLevel"`
	AllMCPServerAccess                bool              `json:"allMcpServerAccess"`
	AllowToEditRetryData              bool              `json:"allowToEditRetryData"`
	AllowAccessToAPIM                 bool              `json:"allowAccessToAPIM"`
	AllowIntegrationWorkspaceCreation bool              `json:"allowIntegrationWorkspaceCreation"`
}

// User is one /v1/ashares record: one person's access to the account.
// Fields this code does not know are kept in fields and sent back on update, so a PUT (which replaces
// the record) never erases them.
type User struct {
	UserSummary // the typed fields

	// fields holds every field of the record as Celigo sent it.
	fields map[string]json.RawMessage
}

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

// Email is the person's address.
func (u *User) Email() string { return u.SharedWithUser.Email }

// Summary is the record's typed fields, as a list read would give them.
func (u *User) Summary() *UserSummary {
	cp := u.UserSummary
	return &cp
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
	LastSignIn             Timestamp           `json:"lastSignIn"` // the last sign-in to this account
	CreatedAt              Timestamp           `json:"createdAt"`
	LastModified           Timestamp           `json:"lastModified"`
	CreatedVia             CreatedVia          `json:"createdVia"`
	SharedWithUser         SharedUser          `json:"sharedWithUser"`
	RecordExtras
}

func (u *UserSummary) recordID() string { return u.ID }

// An access record always names its person (sharedWithUser); an integration, an MCP server or any other
// record never does. That is how a users answer is told from another resource's.
func (u *UserSummary) wrongKind() string { return noPerson(u.SharedWithUser) }

func noPerson(p SharedUser) string {
	if p.ID == "" && p.Email == "" {
		return "it names no person (sharedWithUser), as every access record does"
	}
	return ""
}

// personMarker is set when an item carries sharedWithUser, which only access records do.
type personMarker struct {
	SharedWithUser *struct{} `json:"sharedWithUser,omitempty"`
}

func (m personMarker) wrongKind() string {
	if m.SharedWithUser != nil {
		return "it names a person (sharedWithUser): it is an access record"
	}
	return ""
}

// IsPending reports an invitation not yet accepted.
func (u *UserSummary) IsPending() bool { return u.Accepted != nil && !*u.Accepted }

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
	delete(body, fieldAccessLevel)
	if u.AccessLevel != "" {
		body[fieldAccessLevel] = mustJSON(u.AccessLevel)
	}
	_, had := u.fields[fieldIntegrationAccess]
	if len(u.IntegrationAccessLevel) > 0 || had {
		body[fieldIntegrationAccess] = u.entriesBody()
	}
	u.writeExtras(body, u.fields)
	return body
}

// entriesBody is integrationAccessLevel for a PUT. Each entry goes back as Celigo sent it, sub-fields this
// code does not know included; an entry whose level was changed keeps its other sub-fields; an entry made
// here is plain. Entries are matched to what Celigo sent by integration id (and level, first), which is
// all a change can alter: the rules keep, remove, re-level or add entries.
func (u *User) entriesBody() json.RawMessage {
	sent := sentEntries(u.fields[fieldIntegrationAccess])
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

// writeExtras puts into a PUT body the extras u holds where they differ from what Celigo sent; what did
// not change goes back exactly as it came (copied by WritableBody).
func (x *RecordExtras) writeExtras(body, sent map[string]json.RawMessage) {
	for _, f := range x.flags() {
		if *f.value != sentBool(sent[f.name]) {
			body[f.name] = mustJSON(*f.value)
		}
	}
	var before []MCPServerAccess
	_ = json.Unmarshal(sent[fieldMCPServerAccess], &before) // the record decoded, so this did too
	if !sameMCPEntries(before, x.MCPServerAccessLevel) {
		body[fieldMCPServerAccess] = mcpEntriesBody(sent[fieldMCPServerAccess], x.MCPServerAccessLevel)
	}
}

type flagField struct {
	name  string
	value *bool
}

func (x *RecordExtras) flags() []flagField {
	return []flagField{
		{fieldAllMCPServers, &x.AllMCPServerAccess},
		{PermissionEditRetryData, &x.AllowToEditRetryData},
		{PermissionAPIManagement, &x.AllowAccessToAPIM},
		{PermissionCreateWorkspaces, &x.AllowIntegrationWorkspaceCreation},
	}
}

func sentBool(raw json.RawMessage) bool {
	var b bool
	_ = json.Unmarshal(raw, &b) // absent or not a bool reads as false
	return b
}

func sameMCPEntries(a, b []MCPServerAccess) bool {
	return slices.EqualFunc(a, b, func(x, y MCPServerAccess) bool {
		return x.ServerID == y.ServerID && slices.Equal(x.Scopes, y.Scopes)
	})
}

// mcpEntriesBody is mcpServerAccessLevel for a PUT: an entry Celigo sent goes back with its other
// sub-fields, carrying the scopes now wanted; an entry made here is plain.
func mcpEntriesBody(sentRaw json.RawMessage, entries []MCPServerAccess) json.RawMessage {
	var sent []map[string]json.RawMessage
	_ = json.Unmarshal(sentRaw, &sent)
	used := make([]bool, len(sent))
	out := make([]json.RawMessage, 0, len(entries))
	for _, e := range entries {
		i := unusedEntry(sent, used, e.ServerID)
		if i < 0 {
			out = append(out, mustJSON(e))
			continue
		}
		used[i] = true
		sent[i]["scopes"] = mustJSON(e.Scopes)
		out = append(out, mustJSON(sent[i]))
	}
	return mustJSON(out)
}

// unusedEntry finds the first sent entry for serverID not matched yet, or -1.
func unusedEntry(sent []map[string]json.RawMessage, used []bool, serverID string) int {
	for i, m := range sent {
		var id string
		if m != nil && !used[i] && json.Unmarshal(m["_mcpServerId"], &id) == nil && id == serverID {
			return i
		}
	}
	return -1
}

func cloneMCPEntries(entries []MCPServerAccess) []MCPServerAccess {
	if entries == nil {
		return nil
	}
	out := make([]MCPServerAccess, len(entries))
	for i, e := range entries {
		out[i] = MCPServerAccess{ServerID: e.ServerID, Scopes: slices.Clone(e.Scopes)}
	}
	return out
}

// SameWritable reports whether the record read back after a write holds exactly what was written: every
// writable field the record had before or the write carried must read back equal, as JSON values. A field
// Celigo adds by itself on write (present in neither) is not ours to judge, and an absent field reads the
// same as an empty one (false, "", [], {}), since Celigo may store either; except the fields whose absence
// has a meaning of its own (exactField), which must match exactly. Integration entries may come back in
// another order.
func SameWritable(after, want, before *User) bool {
	return sameFields(after.WritableBody(), want.WritableBody(), before.WritableBody(), exactField)
}

// sameFields is SameWritable over any record's writable fields; exact names the fields whose absence has a
// meaning of its own.
func sameFields(after, want, before map[string]json.RawMessage, exact func(string) bool) bool {
	got, exp, old := plainValues(after), plainValues(want), plainValues(before)
	for k := range old {
		if _, ok := exp[k]; !ok {
			exp[k] = nil // erased by the write: must read back absent
		}
	}
	for k, v := range exp {
		if reflect.DeepEqual(got[k], v) {
			continue
		}
		if exact(k) || !emptyJSON(got[k]) || !emptyJSON(v) {
			return false
		}
	}
	return true
}

// exactField: no accessLevel is no role, and entries are the user's access: an empty value does not pass
// for either.
func exactField(k string) bool { return k == fieldAccessLevel || k == fieldIntegrationAccess }

// emptyJSON is JSON's zero: absent, null, false, "", 0, [] or {}.
func emptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// plainValues decodes fields into plain values; integration entries become order-free.
func plainValues(fields map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(fields))
	for k, raw := range fields {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			v = string(raw)
		}
		if list, ok := v.([]any); ok && k == fieldIntegrationAccess {
			slices.SortFunc(list, func(a, b any) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
		out[k] = v
	}
	return out
}
