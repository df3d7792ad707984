package celigotest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// The audit log (/v1/audit): every write the fake performs is recorded like Celigo records it (who, when,
// which fields from what to what), and tests can add records of their own: other people's changes,
// sign-ins, records sharing one time, and late records (a time earlier than records already served).

// AuditEntry is one audit record.
type AuditEntry struct {
	ID           string
	Time         time.Time
	Event        string // create, update, delete, signin, signout, view
	Source       string // ui, api, connector, stack, system, sso
	ResourceType string // user, integration, accesstoken, ...
	ResourceID   string
	Support      bool // Celigo support staff acted
	ByUser       Person
	FieldChanges []FieldChange
	DeletedName  string // deletedInfo.name, for deletions
}

// FieldChange is one changed field. Absent says the field was not there before (Old) or is not there after
// (New); it is then left out of the JSON.
type FieldChange struct {
	FieldPath          string
	OldValue, NewValue any
	OldAbsent          bool
	NewAbsent          bool
}

// Audit event kinds and resource types the fake writes.
const (
	AuditCreate = "create"
	AuditUpdate = "update"
	AuditDelete = "delete"
	AuditSignIn = "signin"

	AuditTypeUser = "user"
)

// SetClock makes the audit log (and only it) take its times from now: a test controls it to give many
// records one time, or to move time on. nil restores the wall clock.
func (s *Server) SetClock(now func() time.Time) { setLocked(s, &s.clock, now) }

// SetAuditNamesPerson makes user records in the audit log name the person's user id (sharedWithUser._id)
// instead of the access-record id: Celigo does not document which one it uses.
func (s *Server) SetAuditNamesPerson(b bool) { setLocked(s, &s.auditNamesPerson, b) }

// SetAuditToExclusive makes the "to" filter leave out records at exactly "to" (by default they are in):
// Celigo does not document which.
func (s *Server) SetAuditToExclusive(b bool) { setLocked(s, &s.auditToExclusive, b) }

// AddAudit adds records as Celigo would for changes made elsewhere; a record without an ID gets one. A
// record may carry any time, earlier ones included (a late record).
func (s *Server) AddAudit(entries ...AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		if e.ID == "" {
			e.ID = s.auditID()
		}
		s.audit = append(s.audit, copyEntry(e))
	}
}

// Audit returns a copy of the audit log, in the order records were added.
func (s *Server) Audit() []AuditEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAudit(s.audit)
}

func copyAudit(in []AuditEntry) []AuditEntry {
	out := make([]AuditEntry, len(in))
	for i, e := range in {
		out[i] = copyEntry(e)
	}
	return out
}

func copyEntry(e AuditEntry) AuditEntry {
	e.FieldChanges = slices.Clone(e.FieldChanges)
	for i, c := range e.FieldChanges {
		e.FieldChanges[i].OldValue, e.FieldChanges[i].NewValue = normalize(c.OldValue), normalize(c.NewValue)
	}
	return e
}

// auditID is a new record id, unique within the log. Ids do not grow with time (the counter is scrambled
// by an odd multiplier, a bijection): clients must not order records by id. The caller holds s.mu.
func (s *Server) auditID() string {
	s.auditSeq++
	return fmt.Sprintf("a0d1%020x", s.auditSeq*0x9e3779b97f4a7c15)
}

// clockNow is the audit log's time. The caller holds s.mu.
func (s *Server) clockNow() time.Time {
	if s.clock != nil {
		return s.clock().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// tokenPerson is the token's user as the audit log names it. The caller holds s.mu.
func (s *Server) tokenPerson() Person {
	id := s.tokenUser()
	if id == s.owner.ID {
		return s.owner
	}
	for _, rec := range s.shares.byID {
		if p := sharePerson(rec); p.ID == id {
			return p
		}
	}
	return Person{ID: id}
}

func sharePerson(rec map[string]any) Person {
	u, _ := rec["sharedWithUser"].(map[string]any)
	id, _ := u["_id"].(string)
	email, _ := u["email"].(string)
	name, _ := u["name"].(string)
	return Person{ID: id, Email: email, Name: name}
}

// logShareWrite records a write through the API to access record id: before is nil for a creation, after
// nil for a deletion. Only the fields a client can set (and the invitation state) are compared, with their
// exact old and new values; a write that changed nothing is not recorded. The caller holds s.mu.
func (s *Server) logShareWrite(id string, before, after map[string]any) {
	event := AuditUpdate
	switch {
	case before == nil:
		event = AuditCreate
	case after == nil:
		event = AuditDelete
	}
	changes := fieldChanges(before, after)
	if event == AuditUpdate && len(changes) == 0 {
		return
	}
	rec := after
	if rec == nil {
		rec = before
	}
	resourceID := id
	if s.auditNamesPerson {
		resourceID = sharePerson(rec).ID
	}
	e := AuditEntry{
		ID: s.auditID(), Time: s.clockNow(), Event: event, Source: "api", ResourceType: AuditTypeUser,
		ResourceID: resourceID, ByUser: s.tokenPerson(), FieldChanges: changes,
	}
	if event == AuditDelete {
		p := sharePerson(before)
		e.DeletedName = p.Email
		if p.Name != "" {
			e.DeletedName = p.Name
		}
	}
	s.audit = append(s.audit, e)
}

// fieldChanges lists the fields whose values differ between before and after (nil: no record), sorted by path.
func fieldChanges(before, after map[string]any) []FieldChange {
	keys := map[string]bool{}
	for _, m := range []map[string]any{before, after} {
		for k := range m {
			if writable(k) || k == "accepted" || k == "dismissed" {
				keys[k] = true
			}
		}
	}
	var out []FieldChange
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		ov, oldOK := before[k]
		nv, newOK := after[k]
		if oldOK == newOK && reflect.DeepEqual(normalize(ov), normalize(nv)) {
			continue
		}
		out = append(out, FieldChange{FieldPath: k, OldValue: normalize(ov), NewValue: normalize(nv), OldAbsent: !oldOK, NewAbsent: !newOK})
	}
	return out
}

func auditJSON(e AuditEntry) map[string]any {
	changes := make([]any, 0, len(e.FieldChanges))
	for _, c := range e.FieldChanges {
		m := map[string]any{"fieldPath": c.FieldPath}
		if !c.OldAbsent {
			m["oldValue"] = c.OldValue
		}
		if !c.NewAbsent {
			m["newValue"] = c.NewValue
		}
		changes = append(changes, m)
	}
	by := map[string]any{"_id": e.ByUser.ID, "email": e.ByUser.Email}
	if e.ByUser.Name != "" {
		by["name"] = e.ByUser.Name
	}
	m := map[string]any{
		"_id": e.ID, "time": formatTime(e.Time), "event": e.Event, "source": e.Source,
		"resourceType": e.ResourceType, "_resourceId": e.ResourceID, "support": e.Support,
		"byUser": by, "fieldChanges": changes,
	}
	if e.Event == AuditDelete {
		m["deletedInfo"] = map[string]any{"name": e.DeletedName}
	}
	return m
}

// auditFilters are the query parameters /v1/audit takes besides the paging cursor.
var auditFilters = []string{"resourceType", "_resourceId", "_byUserId", "source", "event", "from", "to"}

// auditView is the log as one request sees it: filtered, newest first (records of one time in the order
// they were added). Celigo promises no order; clients must not rely on this one either.
func (s *Server) auditView(q url.Values) ([]any, string) {
	var from, to time.Time
	for _, k := range []string{"from", "to"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, fmt.Sprintf("%s must be an ISO 8601 time, got %q", k, v)
		}
		if k == "from" {
			from = t
		} else {
			to = t
		}
	}
	var picked []AuditEntry
	for _, e := range s.audit {
		switch {
		case !from.IsZero() && e.Time.Before(from),
			!to.IsZero() && (e.Time.After(to) || s.auditToExclusive && e.Time.Equal(to)),
			!matches(q, "resourceType", e.ResourceType), !matches(q, "_resourceId", e.ResourceID),
			!matches(q, "_byUserId", e.ByUser.ID), !matches(q, "source", e.Source), !matches(q, "event", e.Event):
			continue
		}
		picked = append(picked, e)
	}
	sort.SliceStable(picked, func(i, j int) bool { return picked[i].Time.After(picked[j].Time) })
	out := make([]any, len(picked))
	for i, e := range picked {
		out[i] = auditJSON(e)
	}
	return out, ""
}

func matches(q url.Values, key, value string) bool {
	v := q.Get(key)
	return v == "" || strings.EqualFold(v, value)
}

var auditList = listKind{tag: 'l', filters: auditFilters, view: (*Server).auditView}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, q url.Values) {
	s.list(w, r, q, auditList)
}
