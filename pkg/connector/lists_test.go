package connector_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/proto"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/config"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// syncFails runs a sync of fake that must fail; it returns the error, having checked that no finished sync
// was recorded and that the token is nowhere in the message.
func syncFails(t *testing.T, fake *celigotest.Server, mods ...func(*celigo.Config)) error {
	t.Helper()
	cfg := celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep, RetryBudget: 5 * time.Second}
	for _, m := range mods {
		m(&cfg)
	}
	client, err := celigo.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cc, stop, err := synctest.Serve(context.Background(), connector.NewWithClient(client))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	path := filepath.Join(t.TempDir(), "sync.c1z")
	err = synctest.Sync(context.Background(), cc, path)
	if err == nil {
		t.Fatal("the sync finished")
	}
	if id, _ := synctest.FinishedSync(context.Background(), path); id != "" {
		t.Errorf("a failed sync was recorded as finished (%s)", id)
	}
	if strings.Contains(err.Error(), token) {
		t.Error("the error leaks the token")
	}
	return err
}

// TestEmptyListsSync: Celigo answers an empty list with 204 and no body (the fake's default) or 200 [].
// An account with no integrations syncs, and one whose only user is the owner validates and syncs.
func TestEmptyListsSync(t *testing.T) {
	owner := celigotest.Person{ID: "650000000000000000000001", Email: "owner@example.com", Name: "Olive Owner"}
	withUsers := celigotest.Generate(3, 5, 0)
	accounts := map[string]celigotest.Account{
		"no integrations": withUsers,
		"owner only":      {Owner: owner, Integrations: []celigotest.Integration{{ID: "6500000000000000000000c1", Name: "Orders"}}},
		"nothing":         {Owner: owner},
	}
	for name, acct := range accounts {
		for _, as200 := range []bool{false, true} {
			t.Run(name+map[bool]string{false: " (204)", true: " (200 [])"}[as200], func(t *testing.T) {
				fake := celigotest.NewServer(token, acct)
				defer fake.Close()
				fake.SetEmptyListAs200(as200)
				d := syncFake(t, fake)
				if n := countType(d, "user"); n != len(acct.Shares)+1 || d.Resources[synctest.Key("user", acct.Owner.ID)] == nil {
					t.Errorf("%d users, want the %d records and the owner", n, len(acct.Shares))
				}
				if n := countType(d, "integration"); n != len(acct.Integrations) {
					t.Errorf("%d integrations, want %d", n, len(acct.Integrations))
				}
				empty := 0
				for _, r := range fake.Requests() {
					if r.Status == http.StatusNoContent {
						empty++
					}
				}
				if !as200 && empty == 0 {
					t.Error("the fake answered no 204: the test does not test it")
				}
			})
		}
	}
}

// TestBrokenLinkHeaderFailsTheSync: a next link that cannot be read fails the sync with a message naming the
// header; the sync never finishes with the pages after it missing, and the owner is not invented from the
// first page of a list (here the token is an administrator's, listed on the last page).
func TestBrokenLinkHeaderFailsTheSync(t *testing.T) {
	formats := map[string]func(next string) string{
		"space in the target": func(next string) string { return "<" + strings.Replace(next, "after=", "after= ", 1) + `>; rel="next"` },
		"quote in the target": func(next string) string { return "<" + next + `">; rel="next"` },
		"single quotes":       func(next string) string { return "<" + next + ">; rel='next'" },
		"no angle brackets":   func(next string) string { return next + `; rel="next"` },
		"unterminated quote":  func(next string) string { return "<" + next + `>; rel="next` },
	}
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			acct := celigotest.Generate(5, 9, 3)
			admin := acct.Shares[len(acct.Shares)-1]
			admin["accessLevel"] = "administrator"
			acct.TokenUserID = admin["sharedWithUser"].(map[string]any)["_id"].(string)
			fake := celigotest.NewServer(token, acct)
			defer fake.Close()
			fake.SetPageSize(4)
			fake.SetLinkFormat(format)
			err := syncFails(t, fake)
			if !strings.Contains(err.Error(), "Link header") || !strings.Contains(err.Error(), "cannot be followed safely") {
				t.Errorf("the error does not name the Link header: %v", err)
			}
			for _, r := range fake.Requests() {
				if r.Path == "/v1/profile" {
					t.Error("owner discovery ran on a partial list")
				}
			}
		})
	}
}

// TestUnusualLinkHeadersSync: next links in unusual but valid spellings are followed to the same result.
func TestUnusualLinkHeadersSync(t *testing.T) {
	acct := celigotest.Generate(6, 11, 7)
	clean := celigotest.NewServer(token, acct)
	defer clean.Close()
	clean.SetPageSize(3)
	want := summary(syncFake(t, clean))
	formats := map[string]func(next string) string{
		"path-absolute, upper-case REL": func(next string) string {
			return "</v1/" + strings.SplitN(next, "/v1/", 2)[1] + ">; REL=NEXT"
		},
		"among prev and last, with a quoted title": func(next string) string {
			return `<https://elsewhere.example/v1/ashares?p=0>; rel="prev", <` + next + `>; title="a, b; c"; rel="last next"`
		},
		"dot segments and a fragment": func(next string) string {
			return "<" + strings.Replace(next, "/v1/", "/v1/x/../", 1) + `#page>;rel=next`
		},
	}
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			fake := celigotest.NewServer(token, acct)
			defer fake.Close()
			fake.SetPageSize(3)
			fake.SetLinkFormat(format)
			diff(t, name, summary(syncFake(t, fake)), want)
		})
	}
}

// TestEndlessListsFail: a list that keeps linking to empty pages, or goes on past the page cap, fails the
// sync after a bounded number of requests, saying why.
func TestEndlessListsFail(t *testing.T) {
	t.Run("empty pages", func(t *testing.T) {
		fake := celigotest.NewServer(token, celigotest.Generate(7, 6, 3))
		defer fake.Close()
		fake.SetPageSize(4)
		fake.SetEndless(celigotest.EndlessEmpty)
		err := syncFails(t, fake)
		if !strings.Contains(err.Error(), "empty page that still links to a next page") {
			t.Errorf("error: %v", err)
		}
		if n := len(fake.Requests()); n > 10 {
			t.Errorf("%d requests before giving up", n)
		}
	})
	t.Run("pages without end", func(t *testing.T) {
		defer connector.SetMaxListPages(20)()
		fake := celigotest.NewServer(token, celigotest.Generate(7, 6, 3))
		defer fake.Close()
		fake.SetPageSize(4)
		fake.SetEndless(celigotest.EndlessRepeat)
		err := syncFails(t, fake)
		if !strings.Contains(err.Error(), "more than any real account has") || !strings.Contains(err.Error(), "after 20") {
			t.Errorf("error: %v", err)
		}
		lists := 0
		for _, r := range fake.Requests() {
			if r.Path == "/v1/ashares" || r.Path == "/v1/integrations" {
				lists++
			}
		}
		if lists > 2*20+1 {
			t.Errorf("%d list requests with a cap of 20 pages", lists)
		}
	})
	t.Run("the cap applies to grants' own reads", func(t *testing.T) {
		defer connector.SetMaxListPages(5)()
		fake := celigotest.NewServer(token, celigotest.Generate(7, 6, 3))
		defer fake.Close()
		fake.SetPageSize(1)
		fake.SetEndless(celigotest.EndlessRepeat)
		c := newConnector(t, fake)
		for _, s := range c.ResourceSyncers(context.Background()) {
			typed, ok := s.(connectorbuilder.TypeScopedGrantsSyncer)
			if !ok {
				continue
			}
			_, _, err := typed.GrantsForResourceType(context.Background(), s.ResourceType(context.Background()).GetId(), rs.SyncOpAttrs{SyncID: "resumed"})
			if err == nil || !strings.Contains(err.Error(), "more than any real account has") {
				t.Errorf("%s grants: %v", s.ResourceType(context.Background()).GetId(), err)
			}
		}
	})
}

func newConnector(t *testing.T, fake *celigotest.Server) *connector.Connector {
	t.Helper()
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep, RetryBudget: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return connector.NewWithClient(client)
}

// TestSyncOfOneTenThousandUserPage: a single API page of 10,000 users becomes several answers, each under
// gRPC's 4 MB limit (synctest keeps the real limits), and the sync holds every user, read from Celigo once.
func TestSyncOfOneTenThousandUserPage(t *testing.T) {
	const users = 10_000
	acct := celigotest.Generate(10, users, 4)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(users)
	d := syncFake(t, fake)
	for _, rec := range acct.Shares {
		if d.Resources[synctest.Key("user", str(rec, "_id"))] == nil {
			t.Fatalf("user %s missing", str(rec, "_id"))
		}
	}
	if n := countType(d, "user"); n != users+1 {
		t.Errorf("%d users, want %d and the owner", n, users)
	}
	if d.Resources[synctest.Key("user", acct.Owner.ID)] == nil {
		t.Error("the owner is missing")
	}
	reads := 0
	for _, r := range fake.Requests() {
		if r.Path == "/v1/ashares" {
			reads++
		}
	}
	if reads != 2 {
		t.Errorf("%d reads of /v1/ashares, want 2 (validation and the sync)", reads)
	}
	want := 0
	for _, rec := range acct.Shares {
		if lvl := str(rec, "accessLevel"); lvl != "" {
			want++
		}
	}
	got := 0
	for _, g := range d.Grants {
		p := g.GetPrincipal().GetId()
		account := strings.HasPrefix(g.GetEntitlement().GetId(), "role:") && !strings.HasPrefix(g.GetEntitlement().GetId(), "role:all_mcp_servers:")
		if p.GetResourceType() == "user" && account && p.GetResource() != acct.Owner.ID && !isExpanded(g) {
			got++
		}
	}
	if got != want {
		t.Errorf("%d role grants, want %d", got, want)
	}
}

// TestBigPageIsServedInParts: List answers cut from one big page stay under the size budget, go on from
// memory (one read), and cover every record exactly once.
func TestBigPageIsServedInParts(t *testing.T) {
	acct := celigotest.Generate(11, 3000, 2)
	for _, rec := range acct.Shares {
		swu := rec["sharedWithUser"].(map[string]any)
		swu["name"] = strings.Repeat("N", 1500) // large resources: the byte budget, not the count, cuts
	}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(3000)
	users := newConnector(t, fake).ResourceSyncers(context.Background())[0]
	seen := map[string]int{}
	answers := 0
	for tok := ""; ; answers++ {
		out, res, err := users.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
		if err != nil {
			t.Fatal(err)
		}
		size := proto.Size(v2.ResourcesServiceListResourcesResponse_builder{List: out, NextPageToken: res.NextPageToken}.Build())
		if size > connector.ResourceBytesPerPage+64<<10 {
			t.Errorf("answer %d is %d bytes", answers, size)
		}
		for _, r := range out {
			seen[r.GetId().GetResource()]++
		}
		if res.NextPageToken == tok {
			t.Fatal("a page token repeated")
		}
		if tok = res.NextPageToken; tok == "" {
			break
		}
	}
	if answers < 2 {
		t.Errorf("%d answers: the page was not cut", answers+1)
	}
	if len(seen) != 3000+1 {
		t.Errorf("%d distinct users, want 3001", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s served %d times", id, n)
		}
	}
	if n := len(fake.Requests()); n != 3 { // the page, then tokenInfo and profile for the owner
		t.Errorf("%d requests: %v", n, fake.Requests())
	}
}

// TestPartOfAPageResumedElsewhere: a token for the middle of a page, used by a process that has not read the
// page, reads it again and goes on after the last record served; if that record is gone, it serves the page
// again from the start rather than skip anyone.
func TestPartOfAPageResumedElsewhere(t *testing.T) {
	acct := celigotest.Generate(12, 2500, 2)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(2500)
	first := newConnector(t, fake).ResourceSyncers(context.Background())[0]
	out, res, err := first.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s"})
	if err != nil || res.NextPageToken == "" {
		t.Fatalf("first part: %d %v %v", len(out), res, err)
	}
	served := map[string]bool{}
	for _, r := range out {
		served[r.GetId().GetResource()] = true
	}
	rest := func(c *connector.Connector) map[string]bool {
		got := map[string]bool{}
		users := c.ResourceSyncers(context.Background())[0]
		for tok := res.NextPageToken; tok != ""; {
			out, r, err := users.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range out {
				got[x.GetId().GetResource()] = true
			}
			tok = r.NextPageToken
		}
		return got
	}
	got := rest(newConnector(t, fake))
	for _, rec := range acct.Shares {
		id := str(rec, "_id")
		if served[id] == got[id] {
			t.Fatalf("user %s: served first %v, then %v", id, served[id], got[id])
		}
	}
	// The last record served is deleted in Celigo before the other process goes on.
	last := out[len(out)-1].GetId().GetResource()
	if _, err := newConnector(t, fake).ResourceSyncers(context.Background())[0].(connectorbuilder.ResourceDeleterV2Limited).Delete(context.Background(), userIDOf(last), nil); err != nil {
		t.Fatal(err)
	}
	got = rest(newConnector(t, fake))
	for _, rec := range fake.Shares() {
		if !got[str(rec, "_id")] {
			t.Fatalf("user %s skipped after the page changed", str(rec, "_id"))
		}
	}
}

func userIDOf(id string) *v2.ResourceId {
	return v2.ResourceId_builder{ResourceType: "user", Resource: id}.Build()
}

// TestUsersVanishingAfterValidationFailTheSync: validation saw users; moments later the sync's read of the
// list comes back empty. The sync fails instead of reporting an account without users.
func TestUsersVanishingAfterValidationFailTheSync(t *testing.T) {
	for _, answer := range []string{"204", "[]"} {
		t.Run(answer, func(t *testing.T) {
			fake := celigotest.NewServer(token, celigotest.Generate(13, 8, 2))
			defer fake.Close()
			var mu sync.Mutex
			reads := 0
			fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
				mu.Lock()
				defer mu.Unlock()
				if r.URL.Path != "/v1/ashares" {
					return nil
				}
				if reads++; reads == 1 {
					return nil // validation sees the users
				}
				if answer == "204" {
					return &celigotest.Fault{Status: http.StatusNoContent, Body: " "}
				}
				return &celigotest.Fault{Status: http.StatusOK, Body: "[]"}
			})
			err := syncFails(t, fake)
			if !strings.Contains(err.Error(), "validated moments ago") {
				t.Errorf("error: %v", err)
			}
		})
	}
	t.Run("grants that read the list again", func(t *testing.T) {
		fake := celigotest.NewServer(token, celigotest.Generate(13, 8, 2))
		defer fake.Close()
		c := newConnector(t, fake)
		if _, err := c.Validate(context.Background()); err != nil {
			t.Fatal(err)
		}
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/ashares" {
				return &celigotest.Fault{Status: http.StatusOK, Body: "[]"}
			}
			return nil
		})
		roles := c.ResourceSyncers(context.Background())[1].(connectorbuilder.TypeScopedGrantsSyncer)
		grants, _, err := roles.GrantsForResourceType(context.Background(), "role", rs.SyncOpAttrs{SyncID: "resumed"})
		if err == nil || grants != nil || !strings.Contains(err.Error(), "validated moments ago") {
			t.Errorf("grants %d, error %v", len(grants), err)
		}
	})
	t.Run("an account that really has no users", func(t *testing.T) {
		fake := celigotest.NewServer(token, celigotest.Account{Owner: celigotest.Person{ID: "650000000000000000000001", Email: "o@example.com"}})
		defer fake.Close()
		if n := countType(syncFake(t, fake), "user"); n != 1 {
			t.Errorf("%d users, want the owner", n)
		}
	})
}

// TestUnknownValuesAreLoggedOncePerSync: values Celigo is not documented to send are logged once per sync
// each, with the value and what was made of it.
func TestUnknownValuesAreLoggedOncePerSync(t *testing.T) {
	intA, intB := "6500000000000000000000c1", "6500000000000000000000c2"
	person := func(n string) celigotest.Person {
		return celigotest.Person{ID: "6500000000000000000000b" + n, Email: "u" + n + "@example.com"}
	}
	acct := celigotest.Account{
		Owner:        celigotest.Person{ID: "650000000000000000000001", Email: "o@example.com"},
		Integrations: []celigotest.Integration{{ID: intA, Name: "A"}, {ID: intB, Name: "B"}},
		Shares: []map[string]any{
			celigotest.NewShare("6500000000000000000000a1", person("1"), "tile", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "manage"}),
			celigotest.NewShare("6500000000000000000000a2", person("2"), "tile"),
			celigotest.NewShare("6500000000000000000000a3", person("3"), "Manage"),
			celigotest.NewShare("6500000000000000000000a4", person("4"), "", celigotest.IntegrationAccess{IntegrationID: intB, AccessLevel: "edit"}),
			celigotest.NewShare("6500000000000000000000a5", person("5"), "monitor", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "Monitor"}),
			celigotest.NewShare("6500000000000000000000a6", person("6"), "", celigotest.IntegrationAccess{AccessLevel: "manage"}),
			// Celigo ignores the entries of a manager: an odd level there changes nothing and is not noise.
			celigotest.NewShare("6500000000000000000000a7", person("7"), "manage", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "owner"}),
		},
	}
	mcpUser := celigotest.NewShare("6500000000000000000000a8", person("8"), "monitor")
	mcpUser["mcpServerAccessLevel"] = []any{map[string]any{"_mcpServerId": "65f0000000000000000000c1", "scopes": []any{"mcp:read", "mcp:admin"}}}
	acct.Shares = append(acct.Shares, mcpUser)
	// How a person joined is informative: an undocumented value is kept and said once (an info line).
	acct.Shares[1]["createdVia"] = "carrier_pigeon"
	acct.Shares[5]["createdVia"] = "carrier_pigeon"
	delete(acct.Shares[6], "createdVia")
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(2)
	core, logs := observer.New(zap.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	c := newConnector(t, fake)
	syncers := c.ResourceSyncers(ctx)
	listAll := func(syncID string) {
		for tok := ""; ; {
			_, res, err := syncers[0].List(ctx, nil, rs.SyncOpAttrs{SyncID: syncID, PageToken: paginationToken(tok)})
			if err != nil {
				t.Fatal(err)
			}
			if tok = res.NextPageToken; tok == "" {
				return
			}
		}
	}
	listAll("s1")
	listAll("s1") // the same sync reading again: nothing new to say
	// Grants of a resumed sync read the list again: they log for their own sync.
	if _, _, err := syncers[1].(connectorbuilder.TypeScopedGrantsSyncer).GrantsForResourceType(ctx, "role", rs.SyncOpAttrs{SyncID: "s2"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"tile":    "no role; the user's integration entries count, as for a user without a role",
		"Manage":  "no role; the user's integration entries count, as for a user without a role",
		"edit":    "no access to that integration from this entry",
		"Monitor": "no access to that integration from this entry",
		"":        "no access: it names no integration",
	}
	times, viaTimes := map[string]int{}, 0
	for _, e := range logs.All() {
		f := e.ContextMap()
		if _, odd := f["treated_as"]; !odd {
			continue // another line, not about an odd value
		}
		if via, ok := f["created_via"]; ok {
			if via != "carrier_pigeon" || e.Level != zap.InfoLevel || !strings.Contains(f["treated_as"].(string), "kept as is") {
				t.Errorf("createdVia line %q %v at %s", e.Message, f, e.Level)
			}
			viaTimes++
			continue
		}
		if scope, ok := f["scope"].(string); ok {
			if scope != "mcp:admin" || f["treated_as"] != "no access from this scope; the entry's other scopes count" {
				t.Errorf("%q: %v", e.Message, f)
			}
			times["scope "+scope]++
			continue
		}
		if e.Level != zap.WarnLevel {
			t.Errorf("%q at %s, want a warning: it changes access", e.Message, e.Level)
		}
		value, _ := f["access_level"].(string)
		treated, _ := f["treated_as"].(string)
		if want[value] != treated {
			t.Errorf("%q: value %q treated as %q, want %q", e.Message, value, treated, want[value])
		}
		times[value]++
	}
	if times["scope mcp:admin"] != 2 {
		t.Errorf("the scope mcp:admin logged %d times, want once in each of the two syncs", times["scope mcp:admin"])
	}
	for value := range want {
		if times[value] != 2 {
			t.Errorf("value %q logged %d times, want once in each of the two syncs", value, times[value])
		}
	}
	if len(times) != len(want)+1 { // and the MCP scope
		t.Errorf("logged values %v, want %v", times, want)
	}
	if viaTimes != 2 {
		t.Errorf("undocumented createdVia logged %d times, want once in each of the two syncs", viaTimes)
	}
}

// TestValidationFailsFastOnPermanentFaults: a host that refuses connections, or a plain-HTTP server answering
// an https URL, fails validation quickly with a message naming the cause.
func TestValidationFailsFastOnPermanentFaults(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	_ = l.Close()
	fake := celigotest.NewServer(token, celigotest.Generate(14, 3, 1))
	defer fake.Close()
	cases := map[string]struct{ base, want string }{
		"connection refused":         {"http://" + refused, "cannot reach " + refused},
		"plain http on an https URL": {"https://" + strings.TrimPrefix(fake.URL, "http://"), "did not answer in TLS"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := &celigotest.SleepRecorder{}
			client, err := celigo.New(context.Background(), celigo.Config{BaseURL: tc.base, Token: token, Sleep: w.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = connector.NewWithClient(client).Validate(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error: %v", err)
			}
			if len(w.Waits()) > 2 || w.Total() > 5*time.Second {
				t.Errorf("waited %v before failing", w.Waits())
			}
		})
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the plain-HTTP server saw %d requests", n)
	}
}

// TestTokenWithTrailingNewlineSyncs: a token pasted with a line break after it works (it is trimmed).
func TestTokenWithTrailingNewlineSyncs(t *testing.T) {
	fake := celigotest.NewServer(token, celigotest.Generate(15, 4, 2))
	defer fake.Close()
	b, _, err := connector.New(context.Background(), &config.Celigo{CeligoAccessToken: token + "\n", BaseUrl: fake.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cc, stop, err := synctest.Serve(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := synctest.Sync(context.Background(), cc, filepath.Join(t.TempDir(), "sync.c1z")); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.Requests() {
		if !r.Authorized {
			t.Errorf("%s %s was not authorized", r.Method, r.Path)
		}
	}
}
