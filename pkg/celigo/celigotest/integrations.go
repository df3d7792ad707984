package celigotest

import "net/http"

// /v1/integrations/{id} (the list is served by list).

// Integrations returns a copy of the integrations, in list order.
func (s *Server) Integrations() []Integration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Integration(nil), s.integrations...)
}

func integrationJSON(in Integration) map[string]any {
	m := map[string]any{
		"_id":                      in.ID,
		"name":                     in.Name,
		"sandbox":                  in.Sandbox,
		"createdAt":                formatTime(in.CreatedAt),
		"lastModified":             formatTime(in.LastModified),
		"_registeredConnectionIds": []any{},
		"installSteps":             []any{},
		"mode":                     "settings",
	}
	if in.Description != "" {
		m["description"] = in.Description
	}
	return m
}

func (s *Server) getIntegration(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.integrations {
		if in.ID == id {
			writeJSON(w, http.StatusOK, integrationJSON(in))
			return
		}
	}
	unknownID(w)
}
