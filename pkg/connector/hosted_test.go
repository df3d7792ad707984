package connector_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"google.golang.org/protobuf/proto"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// hostedPageSize gives the hosted account 20 pages of users, 5 of integrations and 2 of MCP servers.
const hostedPageSize = 2

// hostedAccount is an account with several pages of each list, and how many pages each has.
func hostedAccount() (acct celigotest.Account, userPages, intPages, mcpPages int) {
	return celigotest.Generate(7, 40, 9), 20, 5, 2
}

// TestHostedSyncEveryCallInAFreshConnector runs a whole sync in which every RPC is served by a connector built
// for that call alone, sharing nothing with the others but the sync's session store: what a hosted
// connector may see. The c1z equals a normal sync's, and Celigo's lists are each read once.
func TestHostedSyncEveryCallInAFreshConnector(t *testing.T) {
	acct, userPages, intPages, mcpPages := hostedAccount()
	normal := celigotest.NewServer(token, acct)
	defer normal.Close()
	normal.SetPageSize(hostedPageSize)
	want := syncFake(t, normal)

	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(hostedPageSize)
	ctx := context.Background()
	var builds atomic.Int64
	cc, stop, err := synctest.ServeFresh(ctx, func() (connectorbuilder.ConnectorBuilderV2, error) {
		builds.Add(1)
		client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token})
		return connector.NewWithClient(client), err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	path := filepath.Join(t.TempDir(), "hosted.c1z")
	if err := synctest.Sync(ctx, cc, path); err != nil {
		t.Fatalf("hosted sync: %v", err)
	}
	got, err := synctest.Read(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sameDump(t, got, want)

	// One connector per RPC: at least one per page of each list, plus validation, entitlements and grants.
	if n := builds.Load(); n < int64(userPages+intPages+mcpPages+10) {
		t.Errorf("%d connectors built: the RPCs did not each get their own", n)
	}
	counts := getCounts(t, fake)
	if counts["/v1/ashares"] != userPages+1 || counts["/v1/integrations"] != intPages || counts["/v1/mcpservers"] != mcpPages {
		t.Errorf("list reads %v: want %d pages of users and the validation's first page, %d of integrations, %d of MCP servers",
			counts, userPages, intPages, mcpPages)
	}
	// The rest: the token's user, read once by each connector that serves a list or grants, to check the
	// sync's account (a fresh connector knows nothing of the others), and the owner's profile, read by each
	// call that names the owner.
	if counts["/v1/tokenInfo"] > int(builds.Load()) || counts["/v1/profile"] > 3 || len(counts) > 5 {
		t.Errorf("reads beyond the lists: %v", counts)
	}
}

// TestHostedSyncResumedAfterUsersListReadsNoListTwice stops a sync once its users are listed and resumes it
// from the c1z in a new connector: the users come from the session store kept in the c1z, not from Celigo.
func TestHostedSyncResumedAfterUsersListReadsNoListTwice(t *testing.T) {
	acct, userPages, intPages, mcpPages := hostedAccount()
	normal := celigotest.NewServer(token, acct)
	defer normal.Close()
	normal.SetPageSize(hostedPageSize)
	want := syncFake(t, normal)

	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(hostedPageSize)
	path := filepath.Join(t.TempDir(), "resumed.c1z")

	// The first run stops at its first request for integrations: the users list is behind it.
	first, stopFirst := context.WithCancel(context.Background())
	defer stopFirst()
	var once sync.Once
	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path != "/v1/integrations" {
			return nil
		}
		var f *celigotest.Fault
		once.Do(func() {
			stopFirst()
			f = &celigotest.Fault{Status: http.StatusServiceUnavailable}
		})
		return f
	})
	if err := syncOnce(first, fake, path); err == nil {
		t.Fatal("the interrupted sync finished")
	}
	if id, err := synctest.FinishedSync(context.Background(), path); err != nil || id != "" {
		t.Fatalf("a finished sync after the interruption: %q %v", id, err)
	}
	if counts := getCounts(t, fake); counts["/v1/ashares"] != userPages+1 {
		t.Fatalf("first run read %v: want every page of users (and validation's)", counts)
	}

	if err := syncOnce(context.Background(), fake, path); err != nil {
		t.Fatalf("resumed sync: %v", err)
	}
	got, err := synctest.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	sameDump(t, got, want)

	pages := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Status == http.StatusOK && (r.Path == "/v1/ashares" || r.Path == "/v1/integrations" || r.Path == "/v1/mcpservers") {
			pages[r.Path+"?"+r.RawQuery]++
		}
	}
	if len(pages) != userPages+intPages+mcpPages {
		t.Errorf("%d distinct pages read, want %d", len(pages), userPages+intPages+mcpPages)
	}
	for page, n := range pages {
		want := 1
		if page == "/v1/ashares?" {
			want = 3 // the sync's read and each run's validation
		}
		if n != want {
			t.Errorf("%s read %d times, want %d", page, n, want)
		}
	}
}

// syncOnce runs one sync (a new one, or the unfinished one in path) with a connector of its own.
func syncOnce(ctx context.Context, fake *celigotest.Server, path string) error {
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token})
	if err != nil {
		return err
	}
	cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client))
	if err != nil {
		return err
	}
	defer stop()
	return synctest.Sync(ctx, cc, path)
}

// getCounts counts the fake's requests by path; the sync makes nothing but GETs.
func getCounts(t *testing.T, fake *celigotest.Server) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("sync wrote: %s %s", r.Method, r.Path)
		}
		counts[r.Path]++
	}
	return counts
}

// sameDump fails unless got holds exactly want's resources, entitlements and grants, each equal.
func sameDump(t *testing.T, got, want *synctest.Dump) {
	t.Helper()
	for k, r := range want.Resources {
		if !proto.Equal(got.Resources[k], r) {
			t.Errorf("resource %s: got %v, want %v", k, got.Resources[k], r)
		}
	}
	for id, e := range want.Entitlements {
		if !proto.Equal(got.Entitlements[id], e) {
			t.Errorf("entitlement %s differs", id)
		}
	}
	if len(got.Resources) != len(want.Resources) || len(got.Entitlements) != len(want.Entitlements) {
		t.Errorf("%d resources and %d entitlements, want %d and %d", len(got.Resources), len(got.Entitlements), len(want.Resources), len(want.Entitlements))
	}
	grants := map[string]bool{}
	for _, g := range got.Grants {
		grants[g.GetId()] = true
	}
	for _, g := range want.Grants {
		if !grants[g.GetId()] {
			t.Errorf("grant %s missing", g.GetId())
		}
	}
	if len(got.Grants) != len(want.Grants) {
		t.Errorf("%d grants, want %d", len(got.Grants), len(want.Grants))
	}
	if len(want.Grants) == 0 {
		t.Error(errors.New("the reference sync has no grants: nothing was compared"))
	}
}
