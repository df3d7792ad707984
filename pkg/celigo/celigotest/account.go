package celigotest

import "net/http"

// The token's own user: /v1/tokenInfo and /v1/profile.

func (s *Server) tokenInfo(w http.ResponseWriter) {
	s.mu.Lock()
	answer := map[string]any{"_userId": s.tokenUser(), "scope": "*"}
	if s.callerToken != "" {
		answer["_accessTokenId"] = s.callerToken
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) tokenUser() string {
	if s.tokenUserID != "" {
		return s.tokenUserID
	}
	return s.owner.ID
}

func (s *Server) profile(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profileDeny {
		writeError(w, http.StatusForbidden, "forbidden", "This API token is not allowed to read the profile", "")
		return
	}
	id := s.tokenUser()
	if id == s.owner.ID {
		writeJSON(w, http.StatusOK, profileJSON(s.owner))
		return
	}
	for i := range s.shares.order {
		u, _ := s.shares.at(i)["sharedWithUser"].(map[string]any)
		if uid, _ := u["_id"].(string); uid == id {
			email, _ := u["email"].(string)
			name, _ := u["name"].(string)
			writeJSON(w, http.StatusOK, profileJSON(Person{ID: id, Email: email, Name: name}))
			return
		}
	}
	// The token's user is gone from the account.
	writeError(w, http.StatusNotFound, "access_restricted", "User not found", "")
}

func profileJSON(p Person) map[string]any {
	m := map[string]any{"_id": p.ID, "email": p.Email}
	if p.Name != "" {
		m["name"] = p.Name
	}
	return m
}
