package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"go.uber.org/zap"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Grant and revoke events are derived, not guessed. For each user a change touched, the record's state
// after every later change is rebuilt backwards from what Celigo holds now, undoing each change with its
// old values (a deleted user starts from its deletion's old values); the state before a change is the
// state after it with the change's old values applied. The grants the sync's own functions (user_grants.go)
// compute for both states are compared: what only the state after holds was granted, what only the state
// before holds was revoked. So a change implies what the sync would: a monitor made manager loses the
// direct integration grants its entries gave.
//
// Limits: a change already in the record but not yet in the log (Celigo logging it late) cannot be undone,
// so the states rebuilt for that user are off until it is logged; a deletion whose record lists no old
// values revokes nothing here (the resource change makes ConductorOne find the user gone).

// grantCatalog is what grants need besides the record: which integrations Celigo lists and which MCP
// servers it governs. Read once per call, and only when a user change needs it.
type grantCatalog struct {
	integrations map[string]bool
	mcpGoverned  map[string]bool
}

func (f *feedCall) grantCatalog(ctx context.Context) (*grantCatalog, error) {
	if f.catalog != nil {
		return f.catalog, nil
	}
	cat := &grantCatalog{integrations: map[string]bool{}, mcpGoverned: map[string]bool{}}
	err := eachPage(ctx, integrationsList, f.conn.client.ListIntegrations, func(page []*celigo.Integration) bool {
		for _, it := range page {
			cat.integrations[it.ID] = true
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	err = eachPage(ctx, mcpServersList, f.conn.client.ListMCPServers, func(page []*celigo.MCPServer) bool {
		for _, s := range page {
			cat.mcpGoverned[s.ID] = !s.UsesExternalIdentityProvider()
		}
		return false
	})
	if err != nil && !mcpListRefused(err) { // refused: the account uses no MCP server (as in a sync)
		return nil, err
	}
	f.catalog = cat
	return cat, nil
}

// recordState is an access record as top-level JSON fields; nil means no record (before a creation,
// after a deletion).
type recordState map[string]json.RawMessage

// grantsOf computes the grants of state for access record id with the sync's functions.
func (cat *grantCatalog) grantsOf(id string, state recordState) map[string]*v2.Grant {
	out := map[string]*v2.Grant{}
	if state == nil {
		return out
	}
	b, err := json.Marshal(state)
	if err != nil {
		return out
	}
	var u celigo.UserSummary
	if json.Unmarshal(b, &u) != nil {
		return out
	}
	u.ID = id
	has := func(id string) bool { return cat.integrations[id] }
	gov := func(id string) bool { return cat.mcpGoverned[id] }
	for _, g := range userGrantsOf(accessOf(&u), has, gov) {
		out[g.GetId()] = g
	}
	return out
}

// isUserChange: a record of a create, update or delete of an access record.
func isUserChange(r *celigo.AuditRecord) bool {
	return strings.EqualFold(r.ResourceType, celigo.AuditTypeUser) &&
		(r.Event == celigo.AuditEventCreate || r.Event == celigo.AuditEventUpdate || r.Event == celigo.AuditEventDelete)
}

// grantEvents derives the grant and revoke events of the user changes among picked, by audit record id.
func (f *feedCall) grantEvents(ctx context.Context, picked []*celigo.AuditRecord) (map[string][]*v2.Event, error) {
	var first time.Time
	report := map[string]bool{}
	for _, r := range picked {
		if isUserChange(r) {
			report[r.ID] = true
			if first.IsZero() || r.Time.Before(first) {
				first = r.Time.Time
			}
		}
	}
	if len(report) == 0 {
		return nil, nil
	}
	idx, err := f.usersIndex(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := f.grantCatalog(ctx)
	if err != nil {
		return nil, err
	}
	history, err := f.userHistory(ctx, first, picked)
	if err != nil {
		return nil, err
	}
	byUser := map[string][]*celigo.AuditRecord{}
	for _, r := range history {
		id := idx.resourceID(r.ResourceID)
		byUser[id] = append(byUser[id], r)
	}
	out := map[string][]*v2.Event{}
	for id, recs := range byUser {
		if !slices.ContainsFunc(recs, func(r *celigo.AuditRecord) bool { return report[r.ID] }) {
			continue
		}
		// A change whose field changes cannot be read cannot be undone: derive nothing for this user rather
		// than a guess (its resource change still makes ConductorOne read it again).
		if i := slices.IndexFunc(recs, func(r *celigo.AuditRecord) bool { return r.OddFieldChanges }); i >= 0 {
			if f.conn.events.firstTime("fieldChanges\x00" + recs[i].ID) {
				logger(ctx).Warn("baton-celigo: an audit record's field changes cannot be read; the user's grant changes are not derived from the log",
					zap.String("audit_id", recs[i].ID), zap.String("user_id", id))
			}
			continue
		}
		f.replayUser(ctx, id, recs, idx, cat, report, out)
	}
	return out, nil
}

// userHistory reads every user change from `from` on (up to now: later changes are undone too), with the
// picked records, each once.
func (f *feedCall) userHistory(ctx context.Context, from time.Time, picked []*celigo.AuditRecord) ([]*celigo.AuditRecord, error) {
	seen := map[string]bool{}
	var out []*celigo.AuditRecord
	add := func(r *celigo.AuditRecord) {
		if !seen[r.ID] && isUserChange(r) && !r.Time.IsZero() {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	for _, r := range picked {
		add(r)
	}
	q := celigo.AuditQuery{ResourceType: celigo.AuditTypeUser, From: from.Add(-time.Millisecond)}
	read := func(ctx context.Context, token string) ([]*celigo.AuditRecord, string, error) {
		page, next, err := f.conn.client.ListAudit(ctx, q, token)
		return page, next, f.conn.auditError(ctx, err)
	}
	err := eachPage(ctx, "audit log", read, func(page []*celigo.AuditRecord) bool {
		for _, r := range page {
			add(r)
		}
		return false
	})
	return out, err
}

// replayUser walks one user's changes backwards from its current state, adding the grant and revoke events
// of the reported ones to out.
func (f *feedCall) replayUser(ctx context.Context, id string, recs []*celigo.AuditRecord, idx *usersIndex, cat *grantCatalog,
	report map[string]bool, out map[string][]*v2.Event) {
	sortRecords(recs)
	var state recordState
	switch u, ok := idx.byRecord[id]; {
	case ok:
		state = currentState(u)
	case recs[len(recs)-1].Event == celigo.AuditEventDelete:
		state = nil // gone: its deletion's old values say what it held
	default:
		logger(ctx).Debug("baton-celigo: a changed user is neither in Celigo's list nor deleted in the log; its grant changes are not derived",
			zap.String("user_id", id))
		return
	}
	for len(recs) > 0 {
		i := lastOf(recs, state)
		r := recs[i]
		recs = slices.Delete(recs, i, i+1)
		after := state
		var before recordState
		switch r.Event {
		case celigo.AuditEventDelete:
			after = nil
			before = applyOld(recordState{}, r.FieldChanges)
		case celigo.AuditEventCreate:
			before = nil
		default:
			if after == nil {
				return // an update of a record that is not there: the log is incomplete; derive nothing older
			}
			before = applyOld(after, r.FieldChanges)
		}
		if report[r.ID] {
			out[r.ID] = grantDiff(r, cat.grantsOf(id, before), cat.grantsOf(id, after))
		}
		state = before
	}
}

// lastOf picks the change to undo next: of the latest time, the one whose new values the state holds (when
// several changes share a millisecond, their values chain them), else the greatest id.
func lastOf(recs []*celigo.AuditRecord, state recordState) int {
	last := len(recs) - 1
	for i := last; i >= 0 && recs[i].Time.Equal(recs[last].Time.Time); i-- {
		if holdsNew(state, recs[i].FieldChanges) {
			return i
		}
	}
	return last
}

func holdsNew(state recordState, changes []celigo.FieldChange) bool {
	for _, c := range changes {
		if !strings.Contains(c.FieldPath, ".") && !strings.Contains(c.FieldPath, "[") && !sameJSON(state[c.FieldPath], c.NewValue) {
			return false
		}
	}
	return true
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	errA, errB := json.Unmarshal(a, &x), json.Unmarshal(b, &y)
	if errA != nil || errB != nil {
		return len(bytes.TrimSpace(a)) == 0 && (len(bytes.TrimSpace(b)) == 0 || string(bytes.TrimSpace(b)) == "null") ||
			len(bytes.TrimSpace(b)) == 0 && string(bytes.TrimSpace(a)) == "null"
	}
	return reflect.DeepEqual(x, y)
}

// currentState is the record as Celigo holds it now.
func currentState(u *celigo.UserSummary) recordState {
	b, err := json.Marshal(u)
	if err != nil {
		return nil
	}
	var s recordState
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	// A field the record does not have is absent, not its zero value.
	if u.AccessLevel == "" {
		delete(s, "accessLevel")
	}
	return s
}

// applyOld returns a copy of state with each change's old value put back (absent or null: the field removed).
func applyOld(state recordState, changes []celigo.FieldChange) recordState {
	out := make(recordState, len(state))
	for k, v := range state {
		out[k] = v
	}
	for _, c := range changes {
		setPath(out, c.FieldPath, c.OldValue)
	}
	return out
}

// setPath sets a field, top-level ("accessLevel") or nested ("integrationAccessLevel.0.accessLevel",
// "integrationAccessLevel[0].accessLevel"), to value; an absent or null value removes it.
func setPath(state recordState, path string, value json.RawMessage) {
	remove := len(bytes.TrimSpace(value)) == 0 || string(bytes.TrimSpace(value)) == "null"
	parts := strings.Split(strings.NewReplacer("[", ".", "]", "").Replace(path), ".")
	top := parts[0]
	if len(parts) == 1 {
		if remove {
			delete(state, top)
		} else {
			state[top] = value
		}
		return
	}
	var root any
	_ = json.Unmarshal(state[top], &root)
	var v any
	if !remove {
		_ = json.Unmarshal(value, &v)
	}
	root = setIn(root, parts[1:], v, remove)
	if b, err := json.Marshal(root); err == nil {
		state[top] = b
	}
}

func setIn(node any, path []string, v any, remove bool) any {
	key := path[0]
	if i, err := strconv.Atoi(key); err == nil && i >= 0 {
		arr, _ := node.([]any)
		for len(arr) <= i {
			arr = append(arr, nil)
		}
		if len(path) == 1 {
			if remove {
				return slices.Delete(arr, i, i+1)
			}
			arr[i] = v
			return arr
		}
		arr[i] = setIn(arr[i], path[1:], v, remove)
		return arr
	}
	m, _ := node.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	if len(path) == 1 {
		if remove {
			delete(m, key)
		} else {
			m[key] = v
		}
		return m
	}
	m[key] = setIn(m[key], path[1:], v, remove)
	return m
}

// grantDiff is the grant events for what after holds and before does not, and the revoke events for the
// reverse, in a fixed order.
func grantDiff(r *celigo.AuditRecord, before, after map[string]*v2.Grant) []*v2.Event {
	var out []*v2.Event
	for _, id := range onlyIn(after, before) {
		out = append(out, grantEvent(r, id, after[id], true))
	}
	for _, id := range onlyIn(before, after) {
		out = append(out, grantEvent(r, id, before[id], false))
	}
	return out
}

// onlyIn is the ids a holds and b does not, sorted.
func onlyIn(a, b map[string]*v2.Grant) []string {
	var out []string
	for _, id := range sortedKeys(a) {
		if _, ok := b[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// grantEvent is the event of grant g (id) made (granted) or revoked by the change of audit record r.
func grantEvent(r *celigo.AuditRecord, id string, g *v2.Grant, granted bool) *v2.Event {
	if granted {
		e := auditEvent(r, r.ID+":grant:"+id)
		e.CreateGrantEvent = v2.CreateGrantEvent_builder{Entitlement: g.GetEntitlement(), Principal: g.GetPrincipal()}.Build()
		return e.Build()
	}
	e := auditEvent(r, r.ID+":revoke:"+id)
	e.CreateRevokeEvent = v2.CreateRevokeEvent_builder{Entitlement: g.GetEntitlement(), Principal: g.GetPrincipal()}.Build()
	return e.Build()
}
