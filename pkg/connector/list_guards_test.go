package connector_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

func observed() (context.Context, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.InfoLevel)
	return ctxzap.ToContext(context.Background(), zap.New(core)), logs
}

// warnings are the warn lines logged whose message holds part.
func warnings(logs *observer.ObservedLogs, part string) []observer.LoggedEntry {
	return logs.Filter(func(e observer.LoggedEntry) bool {
		return e.Level == zapcore.WarnLevel && strings.Contains(e.Message, part)
	}).All()
}

// TestRefusedStoredPositionStartsTheListAgain: a resumed List whose stored next link Celigo refuses (400
// for a cursor it no longer takes, or a link of another host after --base-url changed) reads the list again
// from its first page, once, with one log line; a second refusal in the same listing fails.
func TestRefusedStoredPositionStartsTheListAgain(t *testing.T) {
	acct := celigotest.Generate(41, 6, 2)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(4)
	positions := map[string]string{
		"cursor refused":   fake.URL + "/v1/ashares?after=bm90LWEtY3Vyc29y",
		"base URL changed": "https://api.integrator.io/v1/ashares?after=bm90LWEtY3Vyc29y",
	}
	for name, url := range positions {
		t.Run(name, func(t *testing.T) {
			ctx, logs := observed()
			users := newConnector(t, fake).ResourceSyncers(ctx)[0]
			tok := `{"url":"` + url + `","page":2,"sweep":"0123456789abcdef"}`
			out, res, err := users.List(ctx, nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 4 || out[0].GetId().GetResource() != str(acct.Shares[0], "_id") {
				t.Errorf("served %d users, not the first page", len(out))
			}
			if n := len(warnings(logs, "refused the stored position")); n != 1 {
				t.Errorf("%d log lines about the refusal, want 1", n)
			}
			// The listing goes on from the first page; refused again, it fails instead of starting over.
			again := strings.Replace(res.NextPageToken, `"url":"`+fake.URL, `"url":"https://api.integrator.io`, 1)
			if again == res.NextPageToken {
				t.Fatalf("next token %s", res.NextPageToken)
			}
			if _, _, err := users.List(ctx, nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(again)}); err == nil {
				t.Error("a second refusal started the list again")
			}
		})
	}
}

// TestListsMissingWhatRecordsName: an integrations or MCP server list that is empty, or lacks most of what
// user records name, fails the sync saying so; a few unknown ids are logged once with their count.
func TestListsMissingWhatRecordsName(t *testing.T) {
	t.Run("empty integrations list", func(t *testing.T) {
		acct := celigotest.Generate(42, 30, 8)
		acct.Integrations = nil
		fake := celigotest.NewServer(token, acct)
		defer fake.Close()
		err := syncFails(t, fake)
		if !strings.Contains(err.Error(), "list integrations: Celigo listed 0, but user records name") {
			t.Errorf("error: %v", err)
		}
	})
	t.Run("integrations list missing most", func(t *testing.T) {
		acct := celigotest.Generate(42, 30, 12)
		acct.Integrations = acct.Integrations[:2]
		fake := celigotest.NewServer(token, acct)
		defer fake.Close()
		if err := syncFails(t, fake); !strings.Contains(err.Error(), "that it does not list") {
			t.Errorf("error: %v", err)
		}
	})
	t.Run("empty MCP servers list", func(t *testing.T) {
		acct := celigotest.Generate(42, 30, 4)
		acct.MCPServers = nil
		fake := celigotest.NewServer(token, acct)
		defer fake.Close()
		if err := syncFails(t, fake); !strings.Contains(err.Error(), "list MCP servers: Celigo listed 0") {
			t.Errorf("error: %v", err)
		}
	})
	t.Run("one integration deleted", func(t *testing.T) {
		acct := celigotest.Generate(42, 30, 8)
		gone := acct.Integrations[0].ID
		acct.Integrations = acct.Integrations[1:]
		fake := celigotest.NewServer(token, acct)
		defer fake.Close()
		ctx, logs := observed()
		c := newConnector(t, fake)
		for _, s := range c.ResourceSyncers(ctx) {
			if s.ResourceType(ctx).GetId() != "integration" {
				continue
			}
			for tok := ""; ; {
				gs, res, err := s.(connectorbuilder.TypeScopedGrantsSyncer).GrantsForResourceType(ctx, "integration", rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range gs {
					if g.GetEntitlement().GetResource().GetId().GetResource() == gone {
						t.Errorf("grant on the deleted integration: %s", g.GetId())
					}
				}
				if tok = res.NextPageToken; tok == "" {
					break
				}
			}
		}
		w := warnings(logs, "does not list")
		if len(w) != 1 || w[0].ContextMap()["unknown"] != int64(1) {
			t.Errorf("warnings %v, want one counting 1 unknown id", w)
		}
	})
}

// TestListRecordCapBoundsMemory: a list that never ends, page after full page, fails once it holds more
// records than the cap, saying so, long before the page cap.
func TestListRecordCapBoundsMemory(t *testing.T) {
	defer connector.SetMaxListRecords(50)()
	defer connector.SetMaxListPages(1000)()
	fake := celigotest.NewServer(token, celigotest.Generate(43, 20, 3))
	defer fake.Close()
	fake.SetPageSize(10)
	fake.SetEndless(celigotest.EndlessRepeat)
	err := syncFails(t, fake)
	if !strings.Contains(err.Error(), "more than 50 records") {
		t.Errorf("error: %v", err)
	}
	if n := len(fake.Requests()); n > 20 {
		t.Errorf("%d requests with a cap of 50 records in pages of 10", n)
	}
}

// TestRefusedMCPServerList: a 403 or 404 on the MCP server list syncs without MCP servers, with one warning,
// when no user record carries MCP access; when one does, the sync fails naming the endpoint and status.
func TestRefusedMCPServerList(t *testing.T) {
	for _, st := range []int{http.StatusForbidden, http.StatusNotFound} {
		refuse := func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/mcpservers" {
				return &celigotest.Fault{Status: st}
			}
			return nil
		}
		t.Run(http.StatusText(st)+" without MCP access", func(t *testing.T) {
			acct := celigotest.Generate(44, 20, 3)
			for _, rec := range acct.Shares {
				rec["mcpServerAccessLevel"] = []any{}
				rec["allMcpServerAccess"] = false
			}
			fake := celigotest.NewServer(token, acct)
			defer fake.Close()
			fake.SetFault(refuse)
			d := syncFake(t, fake)
			if n := countType(d, "mcp_server"); n != 0 || countType(d, "user") != 21 {
				t.Errorf("%d MCP servers, %d users", n, countType(d, "user"))
			}
			// The warning, served the way the sync asks: users listed, then MCP servers, then their grants.
			ctx, logs := observed()
			syncers := newConnector(t, fake).ResourceSyncers(ctx)
			for _, s := range syncers {
				typ := s.ResourceType(ctx).GetId()
				if typ != "user" && typ != "mcp_server" {
					continue
				}
				for tok := ""; ; {
					_, res, err := s.List(ctx, nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
					if err != nil {
						t.Fatal(err)
					}
					if tok = res.NextPageToken; tok == "" {
						break
					}
				}
				if typ == "mcp_server" {
					if gs, _, err := s.(connectorbuilder.TypeScopedGrantsSyncer).GrantsForResourceType(ctx, typ, rs.SyncOpAttrs{SyncID: "s"}); err != nil || len(gs) != 0 {
						t.Errorf("MCP grants %d, %v", len(gs), err)
					}
				}
			}
			if n := len(warnings(logs, "refused the MCP server list")); n != 1 {
				t.Errorf("%d warnings, want 1", n)
			}
		})
		t.Run(http.StatusText(st)+" with MCP access", func(t *testing.T) {
			fake := celigotest.NewServer(token, celigotest.Generate(44, 20, 3))
			defer fake.Close()
			fake.SetFault(refuse)
			err := syncFails(t, fake)
			if !strings.Contains(err.Error(), "GET /v1/mcpservers: HTTP "+strconv.Itoa(st)) || !strings.Contains(err.Error(), "carries MCP server access") {
				t.Errorf("error: %v", err)
			}
		})
	}
}
