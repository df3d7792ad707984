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

	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/config"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

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
