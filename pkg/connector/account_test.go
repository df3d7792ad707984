package connector_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// TestResumeWithAnotherAccountNeverMixes: a sync of account A is stopped while its users are listed, then
// run again on the same file with account B's token on the same host (production and sandbox share one, and
// cursors may be valid in both). The file never ends with a finished sync holding both accounts' users: the
// resumed run fails, saying why.
func TestResumeWithAnotherAccountNeverMixes(t *testing.T) {
	const tokenA, tokenB = "token-of-account-a-5e1f", "token-of-account-b-77c2"
	acctA, acctB := celigotest.Generate(31, 40, 3), celigotest.Generate(32, 30, 3)
	acctB.Owner.ID, acctB.TokenUserID = "650000000000000000000b0b", "650000000000000000000b0b"
	fakeA, fakeB := celigotest.NewHandler(tokenA, acctA), celigotest.NewHandler(tokenB, acctB)
	fakeB.ShareCursorsWith(fakeA)
	for _, f := range []*celigotest.Server{fakeA, fakeB} {
		f.SetPageSize(5)
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+tokenB {
			fakeB.ServeHTTP(w, r)
			return
		}
		fakeA.ServeHTTP(w, r)
	}))
	defer host.Close()
	path := filepath.Join(t.TempDir(), "sync.c1z")
	run := func(ctx context.Context, tok string) error {
		client, err := celigo.New(ctx, celigo.Config{BaseURL: host.URL, Token: tok, Sleep: (&celigotest.SleepRecorder{}).Sleep, RetryBudget: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client))
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		return synctest.Sync(ctx, cc, path)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var pages atomic.Int32
	fakeA.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path == "/v1/ashares" && pages.Add(1) == 5 { // validation, then page 4 of the sync's 8
			cancel()
		}
		return nil
	})
	if err := run(ctx, tokenA); err == nil {
		t.Fatal("the stopped sync finished")
	}
	fakeA.SetFault(nil)

	err := run(context.Background(), tokenB)
	if id, _ := synctest.FinishedSync(context.Background(), path); id != "" {
		d, rerr := synctest.Read(context.Background(), path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		from := map[string]bool{}
		for _, acct := range map[string]celigotest.Account{"A": acctA, "B": acctB} {
			for _, rec := range acct.Shares {
				if d.Resources[synctest.Key("user", str(rec, "_id"))] != nil {
					from[acct.Owner.ID] = true
				}
			}
		}
		t.Fatalf("the resumed sync finished (err %v) holding users of %d accounts", err, len(from))
	}
	if err == nil || !strings.Contains(err.Error(), "started with another Celigo account") {
		t.Errorf("resumed with another account: %v", err)
	}
	if errors.Is(err, context.Canceled) || strings.Contains(err.Error(), tokenA) || strings.Contains(err.Error(), tokenB) {
		t.Errorf("error: %v", err)
	}
}
