package celigo

import (
	"bytes"
	"context"
	"encoding/json"
)

const pathMCPServers = "/v1/mcpservers"

// MCPServer is one /v1/mcpservers item: a Model Context Protocol server Celigo hosts, which AI clients use
// to call Celigo tools on a user's behalf. Other fields are not needed.
type MCPServer struct {
	ID           string    `json:"_id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	RelativeURI  string    `json:"relativeURI"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    Timestamp `json:"createdAt"`
	LastModified Timestamp `json:"lastModified"`

	// ExternalProvider is the OAuth provider the server signs users in with instead of Celigo ("" when
	// Celigo is the identity provider). Then the provider, not Celigo, decides who may use the server.
	ExternalProvider string `json:"-"`

	personMarker // tells a users answer served in place of this list
}

// UnmarshalJSON also reads how users sign in to the server.
//
// Celigo does not document on the server record which identity provider it uses. Its developer reference
// describes MCP OAuth providers (issuer, audience) that servers reference through _mcpOAuthProviderId, and
// Celigo's own CLI reads that reference at oauth._mcpOAuthProviderId. A server carrying such a reference (at
// either place) is taken as using an external identity provider; a server without one as using Celigo.
func (s *MCPServer) UnmarshalJSON(b []byte) error {
	type plain MCPServer // no methods: decoding it does not come back here
	var f struct {
		plain
		ProviderID json.RawMessage `json:"_mcpOAuthProviderId"`
		OAuth      json.RawMessage `json:"oauth"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*s = MCPServer(f.plain)
	s.ExternalProvider = providerReference(f.ProviderID)
	if s.ExternalProvider == "" {
		var oauth struct {
			ProviderID json.RawMessage `json:"_mcpOAuthProviderId"`
		}
		if json.Unmarshal(f.OAuth, &oauth) == nil {
			s.ExternalProvider = providerReference(oauth.ProviderID)
		}
	}
	return nil
}

func (s *MCPServer) recordID() string { return s.ID }

// UsesExternalIdentityProvider reports whether an external provider, not Celigo, decides who may use the server.
func (s *MCPServer) UsesExternalIdentityProvider() bool { return s.ExternalProvider != "" }

// unreadableProvider names a provider reference of a shape this code does not know: it still says the
// server is not Celigo's to govern, which is the safe reading (no access is claimed from Celigo's records).
const unreadableProvider = "(unreadable provider reference)"

// providerReference reads an _mcpOAuthProviderId value: an id, or the referenced record itself (Celigo
// populates some references). Absent, null, "" and false mean no reference.
func providerReference(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "", "null", `""`, "false", "{}":
		return ""
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var rec struct {
		ID   string `json:"_id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &rec) == nil && (rec.ID != "" || rec.Name != "") {
		if rec.ID != "" {
			return rec.ID
		}
		return rec.Name
	}
	return unreadableProvider
}

// ListMCPServers reads one page of MCP servers. Celigo answers 204 with no body when there are none.
func (c *Client) ListMCPServers(ctx context.Context, pageToken string) ([]*MCPServer, string, error) {
	return listPage[MCPServer](ctx, c, pathMCPServers, pageToken)
}
