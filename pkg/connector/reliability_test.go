package connector_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// summary reduces a dump to comparable strings: every resource with its traits, every entitlement, every grant.
func summary(d *synctest.Dump) map[string]bool {
	out := map[string]bool{}
	for k, r := range d.Resources {
		out["resource "+k+" "+r.GetDisplayName()+" "+r.GetStatus().String()] = true
	}
	for id := range d.Entitlements {
		out["entitlement "+id] = true
	}
	for _, g := range d.Grants {
		out["grant "+g.GetId()] = true
	}
	return out
}

func TestThrottledSyncEqualsCleanSync(t *testing.T) {
	acct := celigotest.Generate(21, 60, 12)
	clean := celigotest.NewServer(token, acct)
	defer clean.Close()
	clean.SetPageSize(5)
	want := summary(syncFake(t, clean))

	flaky := celigotest.NewServer(token, acct)
	defer flaky.Close()
	flaky.SetPageSize(5)
	var faults []int
	var mu sync.Mutex
	flaky.SetFault(func(r *http.Request, n int) *celigotest.Fault {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case n%6 == 0:
			faults = append(faults, 429)
			return &celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3"}
		case n%17 == 0:
			faults = append(faults, 503)
			return &celigotest.Fault{Status: http.StatusServiceUnavailable}
		}
		return nil
	})
	w := &celigotest.SleepRecorder{}
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: flaky.URL, Token: token, Sleep: w.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(syncClient(t, client))
	diff(t, "throttled sync", got, want)

	n429 := 0
	for _, f := range faults {
		if f == 429 {
			n429++
		}
	}
	if n429 < 3 || len(w.Waits()) != len(faults) {
		t.Fatalf("faults served %v, waits %v", faults, w.Waits())
	}
	told := 0
	for _, d := range w.Waits() {
		if d == 3*time.Second {
			told++
		}
	}
	if told != n429 {
		t.Errorf("every 429 must wait its Retry-After (3s): waits %v", w.Waits())
	}
}

// TestPersistentFaultsFailTheSync: a list that keeps failing, or answers nonsense, ends the sync with an
// error naming the endpoint — never a finished sync with data missing.
func TestPersistentFaultsFailTheSync(t *testing.T) {
	faults := map[string]celigotest.Fault{
		"401":           {Status: 401},
		"403":           {Status: 403},
		"404":           {Status: 404},
		"429 exhausted": {Status: 429, RetryAfter: "1"},
		"500":           {Status: 500},
		"503":           {Status: 503},
		"bad JSON":      {Status: 200, Body: `[{"_id": "x",`},
		"truncated":     {Status: 200, Body: `[{"_id":"6500000000000000000000a1","accessLevel":"monitor"`},
		"wrong types":   {Status: 200, Body: `[{"_id": 12, "accessLevel": ["monitor"], "integrationAccessLevel": "all"}]`},
		"object":        {Status: 200, Body: `{"users": []}`},
		"HTML page":     {Status: 200, Body: "<html><body>Maintenance</body></html>", ContentType: "text/html"},
	}
	for _, endpoint := range []string{"/v1/ashares", "/v1/integrations"} {
		for name, fault := range faults {
			t.Run(endpoint+" "+name, func(t *testing.T) {
				fake := celigotest.NewServer(token, celigotest.Generate(2, 9, 4))
				defer fake.Close()
				fake.SetPageSize(3)
				seen := 0
				var mu sync.Mutex
				fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
					mu.Lock()
					defer mu.Unlock()
					if r.URL.Path != endpoint {
						return nil
					}
					seen++
					// Let validation's read of the first users page through: the fault hits the sync's walk.
					if endpoint == "/v1/ashares" && seen == 1 {
						return nil
					}
					f := fault
					return &f
				})
				w := &celigotest.SleepRecorder{}
				client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token, Sleep: w.Sleep, RetryBudget: 5 * time.Second})
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
					t.Fatal("sync finished although a list kept failing")
				}
				if !strings.Contains(err.Error(), endpoint) {
					t.Errorf("error does not name %s: %v", endpoint, err)
				}
				if strings.Contains(err.Error(), token) {
					t.Error("error leaks the token")
				}
				if id, _ := synctest.FinishedSync(context.Background(), path); id != "" {
					t.Errorf("a failed sync was recorded as finished (%s)", id)
				}
			})
		}
	}
}

// TestGrantsFailLoudly: when a grants call has to read Celigo (a resumed sync) and Celigo fails, the call
// fails: an empty page with a nil error would make C1 delete every grant it holds.
func TestGrantsFailLoudly(t *testing.T) {
	for _, st := range []int{401, 403, 404, 429, 500, 503} {
		fake := celigotest.NewServer(token, celigotest.Generate(2, 9, 4))
		fake.SetFault(func(*http.Request, int) *celigotest.Fault { return &celigotest.Fault{Status: st, RetryAfter: "1"} })
		client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep, RetryBudget: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range connector.NewWithClient(client).ResourceSyncers(context.Background()) {
			typed, ok := s.(connectorbuilder.TypeScopedGrantsSyncer)
			if !ok {
				continue
			}
			typ := s.ResourceType(context.Background()).GetId()
			grants, _, err := typed.GrantsForResourceType(context.Background(), typ, rs.SyncOpAttrs{SyncID: "resumed"})
			if err == nil || grants != nil {
				t.Errorf("%s grants with HTTP %d: grants=%d err=%v", typ, st, len(grants), err)
			}
			if status.Code(err) == codes.NotFound || status.Code(err) == codes.Unavailable {
				t.Errorf("%s grants with HTTP %d: code %v would be skipped or retried forever by the SDK", typ, st, status.Code(err))
			}
			res := v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: typ, Resource: "manage"}.Build()}.Build()
			if grants, _, err := s.Grants(context.Background(), res, rs.SyncOpAttrs{SyncID: "resumed"}); err == nil || grants != nil {
				t.Errorf("%s per-resource grants with HTTP %d: grants=%d err=%v", typ, st, len(grants), err)
			}
		}
		fake.Close()
	}
}

// TestResumedSyncReadsAgain: grants asked for a sync this process did not walk are computed from a fresh
// read, and equal those of a normal walk.
func TestResumedSyncReadsAgain(t *testing.T) {
	acct := celigotest.Generate(8, 20, 5)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(4)
	ctx := context.Background()
	grantIDs := func(c *connector.Connector, syncID string, walkFirst bool) map[string]bool {
		out := map[string]bool{}
		syncers := c.ResourceSyncers(ctx)
		if walkFirst {
			for _, s := range syncers {
				for tok := ""; ; {
					_, res, err := s.List(ctx, nil, rs.SyncOpAttrs{SyncID: syncID, PageToken: paginationToken(tok)})
					if err != nil {
						t.Fatal(err)
					}
					if tok = res.NextPageToken; tok == "" {
						break
					}
				}
			}
		}
		for _, s := range syncers {
			typed, ok := s.(connectorbuilder.TypeScopedGrantsSyncer)
			if !ok {
				continue
			}
			for tok := ""; ; {
				gs, res, err := typed.GrantsForResourceType(ctx, s.ResourceType(ctx).GetId(), rs.SyncOpAttrs{SyncID: syncID, PageToken: paginationToken(tok)})
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range gs {
					out[g.GetId()] = true
				}
				if tok = res.NextPageToken; tok == "" {
					break
				}
			}
		}
		return out
	}
	newConn := func() *connector.Connector {
		client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return connector.NewWithClient(client)
	}
	walked := grantIDs(newConn(), "s1", true)
	resumed := grantIDs(newConn(), "s2", false)
	if len(walked) == 0 || !reflect.DeepEqual(walked, resumed) {
		t.Fatalf("resumed grants differ: %d vs %d", len(resumed), len(walked))
	}
}

// TestPagingLoopIsRefused: next links that cycle between pages end the list with an error.
func TestPagingLoopIsRefused(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/tokenInfo":
			_, _ = w.Write([]byte(`{"_userId":"6500000000000000000000ff"}`))
			return
		case "/v1/ashares":
		default:
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"errors":[{"code":"not_found","message":"no"}]}`))
			return
		}
		after := r.URL.Query().Get("after")
		next := map[string]string{"": "b", "b": "c", "c": "b"}[after]
		w.Header().Set("Link", "<"+srv.URL+"/v1/ashares?after="+next+`>; rel="next"`)
		_, _ = w.Write([]byte(`[{"_id":"user-` + after + `","sharedWithUser":{"_id":"p-` + after + `"}}]`))
	}))
	defer srv.Close()
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	c := connector.NewWithClient(client)
	users := c.ResourceSyncers(context.Background())[0]
	tok := ""
	for i := 0; i < 10; i++ {
		_, res, err := users.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "s", PageToken: paginationToken(tok)})
		if err != nil {
			if !strings.Contains(err.Error(), "already read") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		tok = res.NextPageToken
	}
	t.Fatal("a paging loop was followed ten times")
}

// detectableFaults are what a GET may meet on the way: throttling, server and proxy errors, and answers
// garbled in transit. Each is detectable: none looks like a valid answer.
var detectableFaults = []celigotest.Fault{
	{Status: http.StatusTooManyRequests, RetryAfter: "1"},
	{Status: http.StatusTooManyRequests, RetryAfter: "0.001"},
	{Status: http.StatusInternalServerError},
	{Status: http.StatusBadGateway},
	{Status: http.StatusServiceUnavailable},
	{Status: http.StatusGatewayTimeout},
	{Truncate: true},
	{Status: http.StatusOK, Body: "<html><body>Service temporarily unavailable</body></html>", ContentType: "text/html"},
	{Status: http.StatusOK, Body: " "},
	{Status: http.StatusOK, Body: "null"},
	{Status: http.StatusOK, Body: `"Service temporarily unavailable"`}, // JSON, but not the shape asked for
	wrongShapeForAList,
}

// wrongShapeForAList is an object where a list was asked for; it is served to list endpoints only (an object
// is the right shape for a record).
var wrongShapeForAList = celigotest.Fault{Status: http.StatusOK, Body: `{"errors":[],"items":[]}`}

func isListPath(p string) bool {
	return p == "/v1/ashares" || p == "/v1/integrations" || p == "/v1/mcpservers"
}

// TestRandomDetectableFaults: with 15 % of GETs given a random detectable fault, a sync either completes
// with exactly the data of a clean sync or fails loudly (never recorded as finished); all 8 seeded syncs
// complete. A failing seed is logged, so it can be replayed.
func TestRandomDetectableFaults(t *testing.T) {
	acct := celigotest.Generate(31, 45, 9)
	clean := celigotest.NewServer(token, acct)
	defer clean.Close()
	clean.SetPageSize(2)
	want := summary(syncFake(t, clean))

	exact, failed := 0, 0
	for seed := uint64(1); seed <= 8; seed++ {
		fake := celigotest.NewServer(token, acct)
		fake.SetPageSize(2)
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		var mu sync.Mutex
		faults := 0
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			mu.Lock()
			defer mu.Unlock()
			if r.Method != http.MethodGet || rng.Float64() >= 0.15 {
				return nil
			}
			faults++
			f := detectableFaults[rng.IntN(len(detectableFaults))]
			if f == wrongShapeForAList && !isListPath(r.URL.Path) {
				f = detectableFaults[0]
			}
			return &f
		})
		client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep})
		if err != nil {
			t.Fatal(err)
		}
		cc, stop, err := synctest.Serve(context.Background(), connector.NewWithClient(client))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "sync.c1z")
		err = synctest.Sync(context.Background(), cc, path)
		stop()
		fake.Close()
		switch finished, _ := synctest.FinishedSync(context.Background(), path); {
		case err != nil && finished != "":
			t.Errorf("seed %d: the sync failed (%v) but was recorded as finished", seed, err)
		case err != nil:
			failed++
			t.Logf("seed %d: failed loudly after %d faults: %v", seed, faults, err)
		default:
			d, err := synctest.Read(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			got := summary(d)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("seed %d: the sync completed with different data (%d faults)", seed, faults)
				diff(t, fmt.Sprintf("seed %d", seed), got, want)
				continue
			}
			exact++
			t.Logf("seed %d: exact after %d faults", seed, faults)
		}
	}
	if exact < 8 {
		t.Errorf("%d of 8 seeded syncs completed exactly (%d failed loudly), want all 8", exact, failed)
	}
}

// TestAPITokenListFaults: with --sync-secrets, transient faults on the token list (429, 503, a cut answer)
// are waited out and the sync equals a clean one; a fault that persists fails the sync naming the list,
// except the refusals (401, 403, 404), which end it without tokens.
func TestAPITokenListFaults(t *testing.T) {
	acct := celigotest.Generate(23, 8, 3)
	clean := celigotest.NewServer(token, acct)
	defer clean.Close()
	clean.SetPageSize(2)
	want, _, err := syncSecrets(t, clean)
	if err != nil {
		t.Fatal(err)
	}

	flaky := celigotest.NewServer(token, acct)
	defer flaky.Close()
	flaky.SetPageSize(2)
	var mu sync.Mutex
	seen := 0
	flaky.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/v1/accesstokens" {
			return nil
		}
		seen++
		switch seen {
		case 1:
			return &celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "2"}
		case 2:
			return &celigotest.Fault{Status: http.StatusServiceUnavailable}
		case 4:
			return &celigotest.Fault{Truncate: true}
		}
		return nil
	})
	got, _, err := syncSecrets(t, flaky)
	if err != nil {
		t.Fatalf("transient faults on the token list failed the sync: %v", err)
	}
	diff(t, "token list with transient faults", summary(got), summary(want))
	if countType(got, "api_token") != len(acct.APITokens) {
		t.Errorf("%d tokens", countType(got, "api_token"))
	}

	for name, fault := range map[string]celigotest.Fault{
		"500":         {Status: 500},
		"429":         {Status: 429, RetryAfter: "1"},
		"bad JSON":    {Status: 200, Body: `[{"_id": "x",`},
		"wrong types": {Status: 200, Body: `[{"_id": 12, "revoked": "no"}]`},
		"HTML page":   {Status: 200, Body: "<html>Maintenance</html>", ContentType: "text/html"},
	} {
		t.Run(name, func(t *testing.T) {
			fake := celigotest.NewServer(token, acct)
			defer fake.Close()
			fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
				if r.URL.Path == "/v1/accesstokens" {
					f := fault
					return &f
				}
				return nil
			})
			_, path, err := syncSecrets(t, fake)
			if err == nil || !strings.Contains(err.Error(), "/v1/accesstokens") {
				t.Fatalf("sync error %v, want one naming the token list", err)
			}
			if id, _ := synctest.FinishedSync(context.Background(), path); id != "" {
				t.Errorf("a failed sync was recorded as finished (%s)", id)
			}
		})
	}
}
