package celigotest

import (
	"fmt"
	"net/http"
	"strings"
)

// Access records (/v1/ashares/{id}): read, replace (PUT), delete and toggle disabled, validated like
// Celigo's schema. The list is served by list.

// Share returns a deep copy of one ashare record.
func (s *Server) Share(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shares.copyOf(id)
}

// Shares returns deep copies of every ashare record, in list order.
func (s *Server) Shares() []map[string]any { return locked(s, s.shares.copies) }

// SetShare inserts or replaces a record as another writer (Celigo's UI) would; a new
// record goes to the end of the list. The record is stored as given, unvalidated.
func (s *Server) SetShare(rec map[string]any) { s.setRecord(s.shares, rec) }

func (s *Server) getShare(w http.ResponseWriter, id string) {
	s.withShare(w, id, func(rec map[string]any) { writeJSON(w, http.StatusOK, rec) })
}

// writable reports whether a PUT carries field k; everything else is read-only.
func writable(k string) bool {
	switch k {
	case "accessLevel", "integrationAccessLevel", "accountSSORequired", "accountMFARequired",
		"allowToEditRetryData", "allowAccessToAPIM", "disabled", "mcpServerAccessLevel",
		"allMcpServerAccess", "allowIntegrationWorkspaceCreation":
		return true
	}
	// Stands for a field Celigo adds later: clients must round-trip what they do not know.
	return strings.HasPrefix(k, "future")
}

// readOnly reports a field Celigo sets itself; a PUT that carries one is rejected (400), as Celigo does for userType.
func readOnly(k string) bool {
	switch k {
	case "_id", "accepted", "dismissed", "lastSignIn", "isProductionAdmin", "createdVia", "sharedWithUser",
		"createdAt", "lastModified", "userType":
		return true
	}
	return false
}

var boolFields = []string{"accountSSORequired", "accountMFARequired", "allowToEditRetryData",
	"allowAccessToAPIM", "disabled", "allMcpServerAccess", "allowIntegrationWorkspaceCreation"}

// validate checks the writable fields present in m like Celigo's schema would;
// it returns the offending field and a message, or "" when m is valid.
// The caller holds s.mu (integration ids are checked).
func (s *Server) validate(m map[string]any) (field, msg string) {
	if v, ok := m["accessLevel"]; ok {
		if l, _ := v.(string); l != LevelAdministrator && l != LevelManage && l != LevelMonitor {
			return "accessLevel", fmt.Sprintf("accessLevel must be administrator, manage or monitor, got %s", jsonText(v))
		}
	}
	if v, ok := m["integrationAccessLevel"]; ok {
		list, ok := v.([]any)
		if !ok {
			return "integrationAccessLevel", "integrationAccessLevel must be an array"
		}
		seen := map[string]bool{}
		for i, item := range list {
			f := fmt.Sprintf("integrationAccessLevel[%d]", i)
			e, ok := item.(map[string]any)
			if !ok {
				return f, "entry must be an object"
			}
			for k := range e {
				// future* stands for a sub-field Celigo adds later: clients must send it back as they got it.
				if k != "_integrationId" && k != "accessLevel" && !strings.HasPrefix(k, "future") {
					return f + "." + k, "unknown field " + k
				}
			}
			id, _ := e["_integrationId"].(string)
			if !s.integByID[id] {
				return f + "._integrationId", fmt.Sprintf("unknown integration %s", jsonText(e["_integrationId"]))
			}
			if seen[id] {
				return f + "._integrationId", "duplicate integration " + id
			}
			seen[id] = true
			if l, _ := e["accessLevel"].(string); l != LevelManage && l != LevelMonitor {
				return f + ".accessLevel", fmt.Sprintf("accessLevel must be manage or monitor, got %s", jsonText(e["accessLevel"]))
			}
		}
	}
	for _, k := range boolFields {
		if v, ok := m[k]; ok {
			if _, isBool := v.(bool); !isBool {
				return k, k + " must be a boolean"
			}
		}
	}
	if v, ok := m["mcpServerAccessLevel"]; ok {
		if field, msg := validateMCPAccess(v); field != "" {
			return field, msg
		}
	}
	return "", ""
}

// validateMCPAccess checks mcpServerAccessLevel: [{"_mcpServerId": "...", "scopes": ["mcp:read", "mcp:write"]}].
func validateMCPAccess(v any) (field, msg string) {
	list, ok := v.([]any)
	if !ok {
		return "mcpServerAccessLevel", "mcpServerAccessLevel must be an array"
	}
	for i, item := range list {
		f := fmt.Sprintf("mcpServerAccessLevel[%d]", i)
		e, ok := item.(map[string]any)
		if !ok {
			return f, "entry must be an object"
		}
		if id, _ := e["_mcpServerId"].(string); id == "" {
			return f + "._mcpServerId", "an MCP server id is required"
		}
		scopes, ok := e["scopes"].([]any)
		if !ok || len(scopes) == 0 {
			return f + ".scopes", "scopes must be a non-empty array"
		}
		for _, sc := range scopes {
			if sc != "mcp:read" && sc != "mcp:write" {
				return f + ".scopes", fmt.Sprintf("scope must be mcp:read or mcp:write, got %s", jsonText(sc))
			}
		}
	}
	return "", ""
}

// writeShare runs a write to access record id, after the write hook (see withShare).
func (s *Server) writeShare(w http.ResponseWriter, r *http.Request, id string, write func(rec map[string]any)) {
	s.hook(r)
	s.withShare(w, id, write)
}

// withShare runs f on access record id under the lock; an unknown id is Celigo's 404.
func (s *Server) withShare(w http.ResponseWriter, id string, f func(rec map[string]any)) {
	s.withRecord(w, s.shares, id, f)
}

func (s *Server) putShare(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	s.writeShare(w, r, id, func(old map[string]any) { s.replaceShare(w, id, old, body) })
}

// replaceShare is a PUT: the body replaces the writable set. The caller holds s.mu.
func (s *Server) replaceShare(w http.ResponseWriter, id string, old map[string]any, body []byte) {
	in, ok := decodeObject(w, body)
	if !ok {
		return
	}
	if refusedReadOnly(w, in, readOnly) {
		return
	}
	if field, msg := s.validate(in); field != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid_field", msg, field)
		return
	}
	if entries, _ := in["integrationAccessLevel"].([]any); in["accessLevel"] == nil && len(entries) == 0 {
		// A user must keep some access; taking all of it away is removing the user.
		writeError(w, http.StatusUnprocessableEntity, "invalid_field",
			"a user needs an accessLevel or at least one integrationAccessLevel entry", "accessLevel")
		return
	}
	rec := replaced(old, in, writable)
	s.shares.byID[id] = rec
	s.logShareWrite(id, old, rec)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteShare(w http.ResponseWriter, r *http.Request, id string) {
	s.writeShare(w, r, id, func(old map[string]any) {
		s.logShareWrite(id, old, nil)
		s.shares.remove(id)
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) toggleDisable(w http.ResponseWriter, r *http.Request, id string) {
	s.writeShare(w, r, id, func(rec map[string]any) {
		// A toggle, not a set: callers must read first.
		before := copyRecord(rec)
		disabled, _ := rec["disabled"].(bool)
		rec["disabled"] = !disabled
		rec["lastModified"] = now()
		s.logShareWrite(id, before, rec)
		w.WriteHeader(http.StatusNoContent)
	})
}
