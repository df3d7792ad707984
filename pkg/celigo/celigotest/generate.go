package celigotest

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
)

// genBase anchors generated timestamps so output depends on the seed only.
var genBase = time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)

// Names that exercise Unicode handling end to end (NFC/NFD-sensitive letters,
// CJK, emoji, right-to-left script).
var (
	unicodeNames = []string{"Zoë Ångström", "山田太郎", "Raj 🚀 Patel", "José Müller-Lüdenscheidt", "Ølga Ðorđević", "محمد علي", "Ірина Шевченко", "Nguyễn Văn An"}
	plainFirst   = []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter"}
	plainLast    = []string{"Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Johnson", "Roberts"}
	integNames   = []string{"Salesforce ↔ NetSuite", "Shopify - NetSuite", "Zendesk → Jira", "HubSpot sync", "楽天 orders", "💳 Stripe payouts", "Ünïcödé ERP bridge", "Amazon Seller Central", "Workday HR feed", "SAP Concur expenses"}
	ssoLinked    = []string{"not_linked", "this_account", "other_account"}
	createdVias  = []string{"existing_account_invite", "existing_account_share_request", "invited_during_signup", "new_account_auto_join"}
)

// generator holds the seeded source and the ids handed out so far (ids must be unique).
type generator struct {
	rng         *rand.Rand
	seen        map[string]bool
	seq         uint32
	rolePercent int // share of random users with an account-wide role
}

// id returns an ObjectId-like 24-hex id: a growing counter prefix (like Mongo's
// timestamp) followed by seeded random bytes.
func (g *generator) id() string {
	for {
		g.seq++
		var b [12]byte
		// 0x65... reads like a 2023-2025 Mongo timestamp; the counter keeps ids ordered.
		ts := 0x65000000 + g.seq
		b[0], b[1], b[2], b[3] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		r := g.rng.Uint64()
		for i := range 8 {
			b[4+i] = byte(r >> (8 * i))
		}
		s := hex.EncodeToString(b[:])
		if !g.seen[s] {
			g.seen[s] = true
			return s
		}
	}
}

func (g *generator) time(maxDays int) time.Time {
	return genBase.Add(time.Duration(g.rng.Int64N(int64(maxDays) * 24 * int64(time.Hour)))).Truncate(time.Millisecond)
}

// userKind is one of the record shapes the connector must handle.
type userKind int

const (
	kindAdmin userKind = iota
	kindManage
	kindMonitor
	kindMonitorEntries
	kindAbsentEntries
	kindAbsentNone
	kindAdminEntries
	kindManageEntries
	kindPending
	kindDeclined
	kindDisabled
	kindNoName
	numKinds // users >= numKinds guarantees every kind appears
)

// Generate builds a deterministic account for seed with exactly users ashare records
// and integrations integrations. The first 12 users cover every record shape the
// connector must handle (see userKind); the rest are a realistic random mix.
func Generate(seed int64, users, integrations int) Account {
	return GenerateMix(seed, users, integrations, 70)
}

// GenerateMix is Generate with rolePercent of the random users holding an account-wide role (administrator,
// manage and monitor in the ratio 1:2:4) and the rest integration-only: benchmarks use it to match a
// workload's density of grants after expansion.
func GenerateMix(seed int64, users, integrations, rolePercent int) Account {
	g := &generator{
		rng:         rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		seen:        make(map[string]bool, users*2+integrations+1),
		rolePercent: min(max(rolePercent, 0), 100),
	}
	acct := Account{
		Owner:        Person{ID: g.id(), Email: "owner@example.com", Name: "Olivia Owner"},
		Integrations: make([]Integration, 0, integrations),
		Shares:       make([]map[string]any, 0, users),
		MCPServers:   mcpServers(),
	}
	for i := range integrations {
		acct.Integrations = append(acct.Integrations, g.integration(i))
	}
	for i := range users {
		acct.Shares = append(acct.Shares, g.share(i, acct.Integrations))
	}
	acct.APITokens = apiTokens(acct.Integrations)
	return acct
}

// apiTokens are the generated account's API tokens: Full access for ever, Custom with an expiry, a revoked
// one, and one of an integration app (when there is an integration). Fixed, so the rest of the account does
// not depend on them. One list answer carries a masked value, as Celigo's may.
func apiTokens(integs []Integration) []map[string]any {
	at := func(days int) time.Time { return genBase.Add(time.Duration(days) * 24 * time.Hour) }
	full := NewAPIToken("65f0000000000000000000e1", "CI deploys")
	full["description"] = "Used by the deployment pipeline"
	full["token"] = "****************************3f9a"
	custom := ExpiresAt(CustomScope(NewAPIToken("65f0000000000000000000e2", "Orders export"),
		[]string{"65f0000000000000000000f1"}, []string{"65f0000000000000000000f2", "65f0000000000000000000f3"}, nil, nil,
		[]string{mcpServers()[0].ID}), at(400))
	revoked := NewAPIToken("65f0000000000000000000e3", "Old partner key")
	revoked["revoked"] = true
	out := []map[string]any{full, custom, revoked}
	if len(integs) > 0 {
		app := CustomScope(NewAPIToken("65f0000000000000000000e4", "Shopify app"), []string{"65f0000000000000000000f4"}, nil, nil, nil, nil)
		app["_integrationId"] = integs[0].ID
		app["_connectorId"] = "65f0000000000000000000f5"
		out = append(out, app)
	}
	return out
}

func (g *generator) integration(i int) Integration {
	created := g.time(400)
	in := Integration{
		ID:           g.id(),
		Name:         fmt.Sprintf("%s %d", integNames[i%len(integNames)], i+1),
		CreatedAt:    created,
		LastModified: created.Add(time.Duration(g.rng.IntN(90*24)) * time.Hour),
		// The first few are fixed so small accounts still mix sandbox and descriptions.
		Sandbox: i == 1 || (i > 3 && g.rng.IntN(5) == 0),
	}
	if i == 0 || i == 2 || (i > 3 && g.rng.IntN(2) == 0) {
		in.Description = fmt.Sprintf("Flows for %s — synced nightly", in.Name)
	}
	return in
}

// pickKind returns the shape of user i: fixed for the first numKinds users, then rolePercent split 1:2:4
// between administrator, manage and monitor (by default 10%, 20%, 40%), the rest integration-only.
func (g *generator) pickKind(i int) userKind {
	if i < int(numKinds) {
		return userKind(i)
	}
	// Draw in tenths of a percent so every split of rolePercent is exact enough.
	r, roles := g.rng.IntN(1000), g.rolePercent*10
	switch {
	case r < roles/7:
		return kindAdmin
	case r < roles*3/7:
		return kindManage
	case r < roles:
		if g.rng.IntN(2) == 0 {
			return kindMonitorEntries
		}
		return kindMonitor
	case r < roles+(1000-roles)*5/6:
		return kindAbsentEntries
	default:
		return kindAbsentNone
	}
}

func (g *generator) share(i int, integs []Integration) map[string]any {
	kind := g.pickKind(i)
	p := Person{ID: g.id(), Email: fmt.Sprintf("user%d@example.com", i+1)}
	random := i >= int(numKinds)
	switch {
	case kind == kindNoName || (random && g.rng.IntN(20) == 0):
		// email only: the display name must fall back to it
	case i < 3:
		p.Name = unicodeNames[i] // accents, CJK and emoji always present
	case random && g.rng.IntN(10) == 0:
		p.Name = unicodeNames[g.rng.IntN(len(unicodeNames))]
	default:
		p.Name = plainFirst[g.rng.IntN(len(plainFirst))] + " " + plainLast[g.rng.IntN(len(plainLast))]
	}

	var level string
	var entries []IntegrationAccess
	switch kind {
	case kindAdmin:
		level = LevelAdministrator
	case kindManage, kindDeclined, kindNoName:
		level = LevelManage
	case kindMonitor, kindPending, kindDisabled:
		level = LevelMonitor
	case kindMonitorEntries:
		level = LevelMonitor
		entries = g.entries(integs, 2+g.rng.IntN(3), 50)
	case kindAbsentEntries:
		n := 2 + g.rng.IntN(3) // the fixed user needs two to mix manage and monitor
		if random {
			n = 1 + g.rng.IntN(4)
		}
		entries = g.entries(integs, n, 50)
	case kindAbsentNone, numKinds: // numKinds only counts the kinds: no user is given it
	case kindAdminEntries:
		level = LevelAdministrator
		entries = g.entries(integs, 2, 50)
	case kindManageEntries:
		level = LevelManage
		entries = g.entries(integs, 2, 50)
	}
	// Now and then a role carries entries Celigo ignores.
	if random && (level == LevelAdministrator || level == LevelManage) && g.rng.IntN(20) == 0 {
		entries = g.entries(integs, 1+g.rng.IntN(3), 50)
	}

	rec := NewShare(g.id(), p, level, entries...)
	created := g.time(500)
	rec["createdAt"] = formatTime(created)
	rec["lastModified"] = formatTime(created.Add(time.Duration(g.rng.IntN(30*24)) * time.Hour))
	rec["lastSignIn"] = formatTime(created.Add(time.Duration(1+g.rng.IntN(60*24)) * time.Hour))
	rec["accountMFARequired"] = g.rng.IntN(3) == 0
	rec["accountSSORequired"] = g.rng.IntN(8) == 0
	rec["allowToEditRetryData"] = g.rng.IntN(4) == 0
	user := rec["sharedWithUser"].(map[string]any)
	user["allowedToResetMFA"] = g.rng.IntN(2) == 0
	user["accountSSOLinked"] = ssoLinked[g.rng.IntN(len(ssoLinked))]
	if i < len(ssoLinked) {
		user["accountSSOLinked"] = ssoLinked[i] // every value appears in small accounts
	}

	// How they joined: every documented value appears (no draw, so the rest of the account is unchanged). The
	// last sign-in anywhere is a little after the one to this account.
	rec["createdVia"] = createdVias[i%len(createdVias)]
	signedIn, _ := time.Parse(timeFormat, rec["lastSignIn"].(string))
	user["lastSignIn"] = formatTime(signedIn.Add(time.Duration(1+i%48) * time.Hour))

	pending := kind == kindPending || (random && g.rng.IntN(20) == 0)
	declined := kind == kindDeclined || (!pending && random && g.rng.IntN(50) == 0)
	if pending || declined {
		// Invited, never signed in to this account; a person with another Celigo account has signed in there.
		rec["accepted"] = false
		rec["createdVia"] = "existing_account_invite"
		delete(rec, "lastSignIn")
	}
	if declined {
		rec["dismissed"] = true
	}
	if kind == kindDisabled || (random && g.rng.IntN(30) == 0) {
		rec["disabled"] = true
	}

	// Optional and future fields: a PUT must carry them back or they are erased.
	if i == 1 || i == 6 || (random && g.rng.IntN(15) == 0) {
		n := g.rng.IntN(2)
		all := g.rng.IntN(2) == 0
		switch i { // fixed users, so small accounts hold each shape (the draws above keep the sequence)
		case 1:
			n, all = 0, false // reads one server
		case 6:
			n, all = 1, false // reads and writes every server, the external one's entry included
		}
		rec["mcpServerAccessLevel"] = mcpAccess(n)
		rec["allMcpServerAccess"] = all
		if all {
			rec["mcpServerAccessLevel"] = []any{} // access to every server lists none
		}
	}
	if i == 4 { // an integration-only user with access to every MCP server
		rec["allMcpServerAccess"] = true
		rec["mcpServerAccessLevel"] = []any{}
	}
	if i == 5 {
		rec["allowToEditRetryData"] = true
	}
	if i%7 == 3 {
		rec["allowAccessToAPIM"] = true
	}
	if i == 2 || i == 7 || (random && g.rng.IntN(15) == 0) {
		rec["allowIntegrationWorkspaceCreation"] = true
	}
	if i == 3 || i == 6 || (random && g.rng.IntN(10) == 0) {
		rec["futureFlag"] = true
	}
	return rec
}

// mcpServers are the generated account's MCP servers: two sign users in with Celigo, one with an external
// provider. Fixed, so the rest of the account does not depend on them.
func mcpServers() []MCPServer {
	at := func(days int) time.Time { return genBase.Add(time.Duration(days) * 24 * time.Hour) }
	return []MCPServer{
		{ID: "65f0000000000000000000c1", Name: "Orders assistant", RelativeURI: "/orders-assistant", CreatedAt: at(10), LastModified: at(40)},
		{ID: "65f0000000000000000000c2", Name: "Finance copilot 💶", Description: "Month-end tools for AI agents", RelativeURI: "/finance", CreatedAt: at(20), LastModified: at(20)},
		{ID: "65f0000000000000000000c3", Name: "Partner agents", RelativeURI: "/partners", CreatedAt: at(30), LastModified: at(31),
			ExternalProvider: "66a0000000000000000000d1"},
	}
}

// mcpAccess is an mcpServerAccessLevel value: read on the first server, or read and write on every server.
func mcpAccess(n int) []any {
	servers := mcpServers()
	if n == 0 {
		return []any{map[string]any{"_mcpServerId": servers[0].ID, "scopes": []any{"mcp:read"}}}
	}
	out := make([]any, 0, len(servers))
	for _, s := range servers {
		out = append(out, map[string]any{"_mcpServerId": s.ID, "scopes": []any{"mcp:read", "mcp:write"}})
	}
	return out
}

// entries picks n distinct integrations; the first is always manage and the second
// monitor (when n >= 2) so mixed lists are guaranteed, the rest manage with pct% odds.
func (g *generator) entries(integs []Integration, n, pct int) []IntegrationAccess {
	n = min(n, len(integs))
	out := make([]IntegrationAccess, 0, n)
	used := make(map[int]bool, n)
	for len(out) < n {
		j := g.rng.IntN(len(integs))
		if used[j] {
			continue
		}
		used[j] = true
		level := LevelMonitor
		switch {
		case len(out) == 0:
			level = LevelManage
		case len(out) == 1:
		case g.rng.IntN(100) < pct:
			level = LevelManage
		}
		out = append(out, IntegrationAccess{IntegrationID: integs[j].ID, AccessLevel: level})
	}
	return out
}
