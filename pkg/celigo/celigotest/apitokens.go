package celigotest

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
)

// API tokens (/v1/accesstokens): listed like every list, read, replaced (PUT) and deleted (only once
// revoked). The endpoints that reveal or re-generate a token's value answer an error and are counted: a
// client must never call them (RevealingCalls).

// AuditTypeAccessToken is how the audit log names API tokens.
const AuditTypeAccessToken = "accesstoken"

// TokenCreated is the audit record of token id's creation by by at at, as Celigo's log would hold it.
func TokenCreated(id string, by Person, at time.Time) AuditEntry {
	return AuditEntry{Time: at, Event: AuditCreate, Source: "ui", ResourceType: AuditTypeAccessToken, ResourceID: id, ByUser: by}
}

// NewAPIToken returns a Full access token record that never expires, as Celigo's JSON decodes into
// map[string]any. Tests change fields on the map for other shapes.
func NewAPIToken(id, name string) map[string]any {
	return map[string]any{
		"_id":            id,
		"name":           name,
		"autoPurgeAt":    "never",
		"fullAccess":     true,
		"revoked":        false,
		"_connectionIds": []any{},
		"_exportIds":     []any{},
		"_importIds":     []any{},
		"_apiIds":        []any{},
		"createdAt":      formatTime(fixedTime),
		"lastModified":   formatTime(fixedTime),
	}
}

// CustomScope makes rec a Custom token reaching the given records.
func CustomScope(rec map[string]any, connections, exports, imports, apis, mcpServers []string) map[string]any {
	rec["fullAccess"] = false
	rec["_connectionIds"] = anyList(connections)
	rec["_exportIds"] = anyList(exports)
	rec["_importIds"] = anyList(imports)
	rec["_apiIds"] = anyList(apis)
	rec["_mcpServerIds"] = anyList(mcpServers)
	return rec
}

// ExpiresAt makes rec purge itself at t.
func ExpiresAt(rec map[string]any, t time.Time) map[string]any {
	rec["autoPurgeAt"] = formatTime(t)
	return rec
}

func anyList(ids []string) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, id)
	}
	return out
}

// tokenWritable reports whether a PUT carries field k of a token record.
func tokenWritable(k string) bool {
	switch k {
	case "name", "description", "autoPurgeAt", "fullAccess", "revoked",
		"_connectionIds", "_exportIds", "_importIds", "_apiIds", "_mcpServerIds":
		return true
	}
	return strings.HasPrefix(k, "future")
}

// tokenReadOnly: fields Celigo sets itself; a PUT carrying one is refused (400). The value is one of them.
func tokenReadOnly(k string) bool {
	switch k {
	case "_id", "createdAt", "lastModified", "token", "_integrationId", "_connectorId":
		return true
	}
	return false
}

// APITokens returns deep copies of every token record, in list order.
func (s *Server) APITokens() []map[string]any { return locked(s, s.tokens.copies) }

// APIToken returns a deep copy of one token record.
func (s *Server) APIToken(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens.copyOf(id)
}

// SetAPIToken inserts or replaces a token record as another writer would, unvalidated.
func (s *Server) SetAPIToken(rec map[string]any) { s.setRecord(s.tokens, rec) }

// RefuseAPITokens makes the token list answer status (401, 403 or 404, as Celigo may for a token that may
// not see tokens, or a deployment without the endpoint); 0 serves it again.
func (s *Server) RefuseAPITokens(status int) { setLocked(s, &s.tokensRefused, status) }

// RevealingCalls counts the requests made to the endpoints that reveal or re-generate a token.
func (s *Server) RevealingCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revealing
}

// listAPITokens serves the list, or the refusal a test asked for.
func (s *Server) listAPITokens(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	refused := s.tokensRefused
	s.mu.Unlock()
	switch refused {
	case 0:
		s.list(w, r, r.URL.Query(), tokensList)
	case http.StatusUnauthorized:
		writeJSON(w, refused, map[string]string{"message": "Unauthorized"})
	default:
		writeError(w, refused, "access_restricted", "You do not have access to API tokens", "")
	}
}

// refuseRevealing answers a call to /display or /generate: a client that makes one has a bug that would leak a
// token (and make Celigo email every administrator).
func (s *Server) refuseRevealing(w http.ResponseWriter) {
	s.mu.Lock()
	s.revealing++
	s.mu.Unlock()
	writeError(w, http.StatusTeapot, "celigotest_forbidden_call",
		"celigotest: this endpoint reveals or re-generates an API token; the connector must never call it", "")
}

// withToken runs f on token id under the lock; an unknown id is Celigo's 404.
func (s *Server) withToken(w http.ResponseWriter, id string, f func(rec map[string]any)) {
	s.withRecord(w, s.tokens, id, f)
}

func (s *Server) getAPIToken(w http.ResponseWriter, id string) {
	s.withToken(w, id, func(rec map[string]any) { writeJSON(w, http.StatusOK, rec) })
}

// putAPIToken replaces the writable set: an omitted writable field is erased, a read-only one refused.
func (s *Server) putAPIToken(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	s.hook(r)
	s.withToken(w, id, func(old map[string]any) {
		in, ok := decodeObject(w, body)
		if !ok {
			return
		}
		if refusedReadOnly(w, in, tokenReadOnly) {
			return
		}
		for k := range in {
			if !tokenWritable(k) {
				writeError(w, http.StatusBadRequest, "invalid_field", "unknown field "+k, k)
				return
			}
		}
		if field, msg := validateToken(in); field != "" {
			writeError(w, http.StatusUnprocessableEntity, "invalid_field", msg, field)
			return
		}
		rec := replaced(old, in, tokenWritable)
		s.tokens.byID[id] = rec
		s.logTokenWrite(id, old, rec)
		w.WriteHeader(http.StatusNoContent)
	})
}

// validateToken checks a PUT body's writable fields like a schema would.
func validateToken(m map[string]any) (field, msg string) {
	if name, _ := m["name"].(string); name == "" {
		return "name", "name is required"
	}
	for _, k := range []string{"fullAccess", "revoked"} {
		if v, ok := m[k]; ok {
			if _, isBool := v.(bool); !isBool {
				return k, k + " must be a boolean"
			}
		}
	}
	for _, k := range []string{"_connectionIds", "_exportIds", "_importIds", "_apiIds", "_mcpServerIds"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		list, isList := v.([]any)
		if !isList {
			return k, k + " must be an array"
		}
		for i, item := range list {
			if _, isString := item.(string); !isString {
				return fmt.Sprintf("%s[%d]", k, i), "must be an id"
			}
		}
	}
	if v, ok := m["autoPurgeAt"]; ok {
		text, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, text); text != "never" && err != nil {
			return "autoPurgeAt", "autoPurgeAt must be never or a time"
		}
	}
	return "", ""
}

// deleteAPIToken deletes a revoked token; Celigo refuses to delete one still in force.
func (s *Server) deleteAPIToken(w http.ResponseWriter, r *http.Request, id string) {
	s.hook(r)
	s.withToken(w, id, func(rec map[string]any) {
		if rec["revoked"] != true {
			writeError(w, http.StatusUnprocessableEntity, "invalid_field", "Revoke the API token before deleting it", "revoked")
			return
		}
		s.tokens.remove(id)
		s.logTokenWrite(id, rec, nil)
		w.WriteHeader(http.StatusNoContent)
	})
}

// logTokenWrite records a write to token id through the API in the audit log: after is nil for a deletion;
// an update that changed no writable field is not recorded. The caller holds s.mu.
func (s *Server) logTokenWrite(id string, before, after map[string]any) {
	e := AuditEntry{ID: s.auditID(), Time: s.clockNow(), Event: AuditUpdate, Source: "api",
		ResourceType: AuditTypeAccessToken, ResourceID: id, ByUser: s.tokenPerson()}
	if after == nil {
		e.Event = AuditDelete
		e.DeletedName, _ = before["name"].(string)
		s.audit = append(s.audit, e)
		return
	}
	keys := map[string]bool{}
	for k := range maps.Keys(before) {
		keys[k] = tokenWritable(k)
	}
	for k := range maps.Keys(after) {
		keys[k] = tokenWritable(k)
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		ov, oldOK := before[k]
		nv, newOK := after[k]
		if !keys[k] || oldOK == newOK && reflect.DeepEqual(normalize(ov), normalize(nv)) {
			continue
		}
		e.FieldChanges = append(e.FieldChanges, FieldChange{FieldPath: k, OldValue: normalize(ov), NewValue: normalize(nv), OldAbsent: !oldOK, NewAbsent: !newOK})
	}
	if len(e.FieldChanges) > 0 {
		s.audit = append(s.audit, e)
	}
}
