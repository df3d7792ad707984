package connector

import (
	"encoding/json"
	"errors"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// userExtras is what grants need of a record beyond its role and integration entries.
type userExtras struct {
	mcp         map[string][]string // MCP server id → scopes its entries list
	allMCP      bool
	permissions []string // permission resource ids the record allows
}

func extrasOf(x *celigo.RecordExtras) userExtras {
	e := userExtras{mcp: celigo.DirectMCPAccess(x), allMCP: x.AllMCPServerAccess}
	for _, p := range permissions {
		if celigo.HasPermission(x, p.field) {
			e.permissions = append(e.permissions, p.id)
		}
	}
	return e
}

// userAccess is what grants need of one access record.
type userAccess struct {
	recordID string
	personID string
	role     string            // accessLevel; "" when absent
	direct   map[string]string // integration id → level, only entries Celigo honours
	extra    userExtras        // MCP server access and permissions
}

func (u userAccess) key() string { return u.recordID }

func accessOf(u *celigo.UserSummary) userAccess {
	return userAccess{recordID: u.ID, personID: u.SharedWithUser.ID, role: u.AccessLevel,
		direct: celigo.DirectEntries(u.AccessLevel, u.IntegrationAccessLevel), extra: extrasOf(&u.RecordExtras)}
}

func accessOfAll(page []*celigo.UserSummary) []userAccess {
	out := make([]userAccess, len(page))
	for i, u := range page {
		out[i] = accessOf(u)
	}
	return out
}

// storedUser is userAccess as the session store keeps it: thousands of users are stored per page, so the
// keys are one letter and empty values are left out. Every field of userAccess must be here (a test checks).
type storedUser struct {
	Record      string              `json:"r"`
	Person      string              `json:"p,omitempty"`
	Role        string              `json:"l,omitempty"`
	Direct      map[string]string   `json:"d,omitempty"`
	MCP         map[string][]string `json:"m,omitempty"`
	AllMCP      bool                `json:"a,omitempty"`
	Permissions []string            `json:"x,omitempty"`
}

func (u userAccess) MarshalJSON() ([]byte, error) {
	return json.Marshal(storedUser{Record: u.recordID, Person: u.personID, Role: u.role, Direct: u.direct,
		MCP: u.extra.mcp, AllMCP: u.extra.allMCP, Permissions: u.extra.permissions})
}

func (u *userAccess) UnmarshalJSON(b []byte) error {
	var s storedUser
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s.Record == "" {
		return errors.New("a stored user has no record id")
	}
	*u = userAccess{recordID: s.Record, personID: s.Person, role: s.Role, direct: s.Direct,
		extra: userExtras{mcp: s.MCP, allMCP: s.AllMCP, permissions: s.Permissions}}
	return nil
}
