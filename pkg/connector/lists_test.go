package connector_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
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
