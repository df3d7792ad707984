// Package celigotest is a strict in-process fake of Celigo integrator.io's REST API
// (the subset the connector uses) plus a deterministic data generator.
//
// The fake behaves like the real service as Celigo documents it and as it answers: bare 401
// bodies, Link-header paging with opaque cursors, 204 with no body for an empty list,
// PUT that replaces the writable set, a toggling disable endpoint, and error envelopes.
// It rejects what Celigo would reject, so client bugs surface in tests rather than in
// production. Tests can also make it hostile: broken Link headers, endless lists,
// faults and truncated answers.
package celigotest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Access levels as Celigo spells them.
const (
	LevelAdministrator = "administrator"
	LevelManage        = "manage"
	LevelMonitor       = "monitor"
)

// Person is a Celigo user: the account owner or an ashare's sharedWithUser.
type Person struct {
	ID, Email, Name string
}

// IntegrationAccess is one integrationAccessLevel entry.
type IntegrationAccess struct {
	IntegrationID string
	AccessLevel   string // "manage" | "monitor"
}

// Integration is one /v1/integrations item.
type Integration struct {
	ID, Name, Description string
	Sandbox               bool
	CreatedAt             time.Time
	LastModified          time.Time
}

// Account is the whole state of a fake Celigo account (one environment).
type Account struct {
	// Owner is the account owner; Celigo never lists it among the ashares.
	Owner Person
	// TokenUserID is the user the token belongs to (tokenInfo._userId); "" means Owner.ID.
	TokenUserID string
	// ProfileRefused makes GET /v1/profile answer 403, as Celigo may for API tokens.
	ProfileRefused bool
	// SandboxToken makes the token belong to a sandbox environment: every write is refused with 403.
	SandboxToken bool
	// Shares are ashare records exactly as Celigo's JSON decodes into map[string]any.
	Shares       []map[string]any
	Integrations []Integration
	MCPServers   []MCPServer
	// APITokens are /v1/accesstokens records exactly as Celigo's JSON decodes into map[string]any.
	APITokens []map[string]any
	// CallerTokenID, when set, is the calling token's own id, which tokenInfo then names (_accessTokenId):
	// Celigo does not document whether it does.
	CallerTokenID string
	// Audit is the audit log; every write the fake performs adds to it (audit.go).
	Audit []AuditEntry
}

// timeFormat is how Celigo writes timestamps: RFC 3339, milliseconds, UTC "Z".
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// fixedTime keeps NewShare deterministic so tests can compare whole records.
var fixedTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// NewShare returns a plausible accepted ashare record for p. accessLevel "" leaves the
// key out, as Celigo does for users who only have per-integration access.
func NewShare(id string, p Person, accessLevel string, entries ...IntegrationAccess) map[string]any {
	user := map[string]any{
		"_id":               p.ID,
		"email":             p.Email,
		"allowedToResetMFA": true,
		"accountSSOLinked":  "not_linked",
		// The person's last sign-in to any account: later than the one to this account (lastSignIn below).
		"lastSignIn": formatTime(fixedTime.Add(48 * time.Hour)),
	}
	if p.Name != "" {
		user["name"] = p.Name
	}
	rec := map[string]any{
		"_id":                    id,
		"accepted":               true,
		"dismissed":              false,
		"disabled":               false,
		"integrationAccessLevel": entriesJSON(entries),
		"accountSSORequired":     false,
		"accountMFARequired":     false,
		"allowToEditRetryData":   false,
		"allowAccessToAPIM":      false,
		"createdVia":             "existing_account_invite",
		"isProductionAdmin":      false,
		"userType":               "user", // read-only; its values are not documented
		"createdAt":              formatTime(fixedTime),
		"lastModified":           formatTime(fixedTime),
		"lastSignIn":             formatTime(fixedTime.Add(24 * time.Hour)),
		"sharedWithUser":         user,
	}
	if accessLevel != "" {
		rec["accessLevel"] = accessLevel
	}
	return rec
}

func entriesJSON(entries []IntegrationAccess) []any {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		out = append(out, map[string]any{"_integrationId": e.IntegrationID, "accessLevel": e.AccessLevel})
	}
	return out
}

// EffectiveAccess computes Celigo's effective access table independently of the
// connector, so tests can compare what a sync produced against the rule itself.
// Keys are the ashare _id (the owner under Owner.ID); values are "manage" or
// "monitor". A missing integration key means no access, and users without any
// access are left out. Account status (pending, disabled, ...) does not matter here.
func EffectiveAccess(acct Account) map[string]map[string]string {
	out := map[string]map[string]string{}
	exists := make(map[string]bool, len(acct.Integrations))
	for _, in := range acct.Integrations {
		exists[in.ID] = true
	}
	all := func(level string) map[string]string {
		m := make(map[string]string, len(acct.Integrations))
		for _, in := range acct.Integrations {
			m[in.ID] = level
		}
		return m
	}
	if acct.Owner.ID != "" && len(acct.Integrations) > 0 {
		out[acct.Owner.ID] = all(LevelManage)
	}
	for _, rec := range acct.Shares {
		id, _ := rec["_id"].(string)
		var m map[string]string
		switch level, _ := rec["accessLevel"].(string); level {
		case LevelAdministrator, LevelManage:
			// Celigo ignores the entries of these roles.
			m = all(LevelManage)
		case LevelMonitor:
			m = all(LevelMonitor)
			for _, e := range recordEntries(rec) {
				if exists[e.IntegrationID] && e.AccessLevel == LevelManage {
					m[e.IntegrationID] = LevelManage
				}
			}
		default:
			m = map[string]string{}
			for _, e := range recordEntries(rec) {
				if !exists[e.IntegrationID] || (e.AccessLevel != LevelManage && e.AccessLevel != LevelMonitor) {
					continue
				}
				// A duplicated entry (invalid, but hand-made data may have it) grants the higher level.
				if m[e.IntegrationID] != LevelManage {
					m[e.IntegrationID] = e.AccessLevel
				}
			}
		}
		if len(m) > 0 {
			out[id] = m
		}
	}
	return out
}

// recordEntries reads integrationAccessLevel whatever Go type the caller built it with.
func recordEntries(rec map[string]any) []IntegrationAccess {
	raw, ok := normalize(rec["integrationAccessLevel"]).([]any)
	if !ok {
		return nil
	}
	var out []IntegrationAccess
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		id, _ := m["_integrationId"].(string)
		level, _ := m["accessLevel"].(string)
		out = append(out, IntegrationAccess{IntegrationID: id, AccessLevel: level})
	}
	return out
}

// normalize deep-copies v into the types encoding/json decodes into (map[string]any,
// []any, string, float64, bool, nil). Native values are copied directly for speed;
// anything else (structs, typed slices) takes a JSON round trip.
func normalize(v any) any {
	switch t := v.(type) {
	case nil, string, bool, float64, json.Number:
		return t
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = normalize(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = normalize(x)
		}
		return s
	case []map[string]any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = normalize(x)
		}
		return s
	default:
		b, err := json.Marshal(t)
		if err != nil {
			panic(fmt.Sprintf("celigotest: value %T is not JSON: %v", v, err))
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			panic(fmt.Sprintf("celigotest: value %T does not round-trip: %v", v, err))
		}
		return out
	}
}

func copyRecord(rec map[string]any) map[string]any {
	return normalize(rec).(map[string]any)
}
