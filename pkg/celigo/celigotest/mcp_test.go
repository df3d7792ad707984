package celigotest

import (
	"net/http"
	"reflect"
	"testing"
)

func TestMCPServersPaged(t *testing.T) {
	acct := Generate(3, 4, 2)
	s := newTestServer(t, acct)
	s.SetPageSize(1)
	var want []string
	for _, m := range acct.MCPServers {
		want = append(want, m.ID)
	}
	if got := walk(t, s, "/v1/mcpservers", false); !reflect.DeepEqual(got, want) || len(want) != 3 {
		t.Fatalf("mcpservers walk = %v, want %v", got, want)
	}

	s.SetPageSize(10)
	r := call(t, s, http.MethodGet, "/v1/mcpservers", nil)
	wantStatus(t, r, http.StatusOK)
	items := r.json(t).([]any)
	external := items[2].(map[string]any)
	oauth, _ := external["oauth"].(map[string]any)
	if oauth["_mcpOAuthProviderId"] != acct.MCPServers[2].ExternalProvider || acct.MCPServers[2].ExternalProvider == "" {
		t.Errorf("external server %v", external)
	}
	first := items[0].(map[string]any)
	if _, has := first["oauth"]; has || first["relativeURI"] != acct.MCPServers[0].RelativeURI || first["name"] != acct.MCPServers[0].Name {
		t.Errorf("Celigo-signed server %v", first)
	}
	if _, has := first["createdAt"].(string); !has {
		t.Errorf("no createdAt: %v", first)
	}
}

func TestMCPServersEmptyIs204(t *testing.T) {
	s := newTestServer(t, small())
	r := call(t, s, http.MethodGet, "/v1/mcpservers", nil)
	wantStatus(t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("a 204 has no body: %q", r.body)
	}
	wantError(t, call(t, s, http.MethodGet, "/v1/mcpservers?after=bogus", nil), http.StatusBadRequest, "invalid_query_params")
	wantStatus(t, callWith(t, s, http.MethodGet, "/v1/mcpservers", nil, nil), http.StatusUnauthorized)
}

func TestMCPServersCursorIsPerList(t *testing.T) {
	acct := Generate(3, 4, 4)
	s := newTestServer(t, acct)
	s.SetPageSize(1)
	r := call(t, s, http.MethodGet, "/v1/integrations", nil)
	m := linkRE.FindStringSubmatch(r.header.Get("Link"))
	if m == nil {
		t.Fatal("no next link")
	}
	// The same cursor on another list is a made-up value there.
	after := m[1][len(s.URL+"/v1/integrations"):]
	wantError(t, call(t, s, http.MethodGet, "/v1/mcpservers"+after, nil), http.StatusBadRequest, "invalid_query_params")
}

func TestEffectiveMCPAccess(t *testing.T) {
	const a, b, ext = "65f0000000000000000000c1", "65f0000000000000000000c2", "65f0000000000000000000c3"
	p := func(n string) Person { return Person{ID: "u" + n, Email: n + "@example.com"} }
	entry := func(id string, scopes ...any) map[string]any {
		return map[string]any{"_mcpServerId": id, "scopes": scopes}
	}
	withMCP := func(rec map[string]any, all bool, entries ...map[string]any) map[string]any {
		rec["allMcpServerAccess"] = all
		list := make([]any, 0, len(entries))
		for _, e := range entries {
			list = append(list, e)
		}
		rec["mcpServerAccessLevel"] = list
		return rec
	}
	acct := Account{
		Owner:      Person{ID: "owner", Email: "o@example.com"},
		MCPServers: []MCPServer{{ID: a}, {ID: b}, {ID: ext, ExternalProvider: "idp"}},
		Shares: []map[string]any{
			NewShare("admin", p("1"), LevelAdministrator),
			withMCP(NewShare("all", p("2"), LevelMonitor), true),
			withMCP(NewShare("reader", p("3"), ""), false, entry(a, ScopeRead)),
			withMCP(NewShare("writer", p("4"), LevelManage), false, entry(a, ScopeRead, ScopeWrite), entry(b, ScopeWrite)),
			withMCP(NewShare("externalOnly", p("5"), LevelMonitor), false, entry(ext, ScopeRead, ScopeWrite)),
			withMCP(NewShare("gone", p("6"), LevelMonitor), false, entry("ffffffffffffffffffffffff", ScopeRead)),
			withMCP(NewShare("odd", p("7"), LevelMonitor), false, entry(b, "mcp:admin"), entry(b, ScopeRead)),
			NewShare("manager", p("8"), LevelManage),
		},
	}
	rw := []string{ScopeRead, ScopeWrite}
	every := map[string][]string{a: rw, b: rw}
	want := map[string]map[string][]string{
		"owner":  every,
		"admin":  every,
		"all":    every,
		"reader": {a: {ScopeRead}},
		"writer": {a: rw, b: {ScopeWrite}},
		"odd":    {b: {ScopeRead}},
	}
	if got := EffectiveMCPAccess(acct); !reflect.DeepEqual(got, want) {
		t.Errorf("EffectiveMCPAccess =\n%v\nwant\n%v", got, want)
	}
	if got := EffectiveMCPAccess(Account{Owner: Person{ID: "owner"}}); len(got) != 0 {
		t.Errorf("no server, no access: %v", got)
	}
}

func TestGeneratedMCPAccess(t *testing.T) {
	acct := Generate(1, 12, 3)
	got := EffectiveMCPAccess(acct)
	shapes := map[string]bool{}
	for i, rec := range acct.Shares {
		access := got[rec["_id"].(string)]
		switch i {
		case 0:
			shapes["administrator: both Celigo-signed servers"] = len(access) == 2
		case 1:
			shapes["a reader of one server"] = reflect.DeepEqual(access, map[string][]string{acct.MCPServers[0].ID: {ScopeRead}})
		case 4:
			shapes["all servers without a role"] = len(access) == 2 && rec["accessLevel"] == nil
		case 6:
			shapes["an entry on the external server gives nothing"] = len(access) == 2 && len(recordMCPEntries(rec)) == 3
		}
	}
	for shape, ok := range shapes {
		if !ok {
			t.Errorf("generated account lacks: %s", shape)
		}
	}
	if len(shapes) != 4 {
		t.Errorf("shapes checked: %v", shapes)
	}
}
