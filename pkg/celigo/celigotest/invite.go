package celigotest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/mail"
	"strings"
	"time"
)

// POST /v1/invite: a new pending access record, and the ids the fake hands out; re-sending an invitation.

// inviteFields are what POST /v1/invite takes besides email.
var inviteFields = map[string]bool{"email": true, "accessLevel": true, "integrationAccessLevel": true,
	"accountSSORequired": true, "accountMFARequired": true}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, body []byte) {
	s.hook(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := decodeObject(w, body)
	if !ok {
		return
	}
	for k := range in {
		if !inviteFields[k] {
			writeError(w, http.StatusUnprocessableEntity, "invalid_field", "unknown field "+k, k)
			return
		}
	}
	email, _ := in["email"].(string)
	if !validEmail(email) {
		writeError(w, http.StatusUnprocessableEntity, "invalid_field", "a valid email is required", "email")
		return
	}
	if field, msg := s.validate(in); field != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid_field", msg, field)
		return
	}
	if strings.EqualFold(email, s.owner.Email) || s.emailTaken(email) {
		writeError(w, http.StatusConflict, "already_exists", "A user with this email already has access to this account", "email")
		return
	}
	ts := now()
	rec := map[string]any{
		"_id":                    s.newID(),
		"accepted":               false,
		"dismissed":              false,
		"disabled":               false,
		"integrationAccessLevel": []any{},
		"accountSSORequired":     false,
		"accountMFARequired":     false,
		"allowToEditRetryData":   false,
		"allowAccessToAPIM":      false,
		"createdVia":             "existing_account_invite",
		"createdAt":              ts,
		"lastModified":           ts,
		"sharedWithUser": map[string]any{
			"_id":              s.newID(),
			"email":            email,
			"accountSSOLinked": "not_linked",
		},
	}
	for k, v := range in {
		if k != "email" {
			rec[k] = v
		}
	}
	id := rec["_id"].(string)
	s.shares.put(id, rec)
	s.logShareWrite(id, nil, rec)
	writeJSON(w, http.StatusCreated, rec)
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && strings.Contains(e[at+1:], ".") && !strings.HasSuffix(e, ".")
}

func (s *Server) emailTaken(email string) bool {
	for _, rec := range s.shares.byID {
		u, _ := rec["sharedWithUser"].(map[string]any)
		if e, _ := u["email"].(string); strings.EqualFold(e, email) {
			return true
		}
	}
	return false
}

// newID returns an unused ObjectId-like id: current time then random bytes.
// The caller holds s.mu.
func (s *Server) newID() string {
	for {
		var b [12]byte
		binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
		_, _ = rand.Read(b[4:])
		id := hex.EncodeToString(b[:])
		if _, taken := s.shares.byID[id]; !taken && !s.userIDTaken(id) {
			return id
		}
	}
}

func (s *Server) userIDTaken(id string) bool {
	if id == s.owner.ID {
		return true
	}
	for _, rec := range s.shares.byID {
		if u, _ := rec["sharedWithUser"].(map[string]any); u["_id"] == id {
			return true
		}
	}
	return false
}

// reinvite is PUT /v1/ashares/{id}/reinvite: the invitation is sent again. A declined invitation becomes
// pending again (dismissed false, accepted false); a pending one stays as it is; nothing else on the
// record changes. Celigo documents no answer for an accepted record: the fake refuses it (400), so a client
// that sends one is caught.
func (s *Server) reinvite(w http.ResponseWriter, r *http.Request, id string) {
	s.writeShare(w, r, id, func(rec map[string]any) {
		if accepted, _ := rec["accepted"].(bool); accepted {
			writeError(w, http.StatusBadRequest, "invalid_request", "The invitation was already accepted", "")
			return
		}
		before := copyRecord(rec)
		rec["accepted"] = false
		rec["dismissed"] = false
		s.logShareWrite(id, before, rec) // only when it changed something
		w.WriteHeader(http.StatusNoContent)
	})
}
