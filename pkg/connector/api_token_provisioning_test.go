package connector_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// Token ids of the provisioning account.
const (
	tokInForce = "65f0000000000000000000b1" // Full access, in force, with a field Celigo may add later
	tokRevoked = "65f0000000000000000000b2" // Custom, revoked, of an integration app
	tokOwn     = "65f0000000000000000000b3" // the token the connector runs with, when tokenInfo says so
)

func tokenAccount(callerKnown bool) celigotest.Account {
	acct := provAccount()
	inForce := celigotest.NewAPIToken(tokInForce, "CI deploys")
	inForce["futureSetting"] = map[string]any{"ip": []any{"10.0.0.0/8"}}
	inForce["token"] = "****************************3f9a"
	revoked := celigotest.CustomScope(celigotest.NewAPIToken(tokRevoked, "Shopify app"), []string{"65f0000000000000000000f4"}, nil, nil, nil, nil)
	revoked["revoked"] = true
	revoked["_integrationId"] = intA
	acct.APITokens = []map[string]any{inForce, revoked, celigotest.NewAPIToken(tokOwn, "Baton")}
	if callerKnown {
		acct.CallerTokenID = tokOwn
	}
	return acct
}

func newTokenFixture(t *testing.T, callerKnown bool) *fixture {
	t.Helper()
	ctx := context.Background()
	fake := celigotest.NewServer(token, tokenAccount(callerKnown))
	t.Cleanup(fake.Close)
	w := &celigotest.SleepRecorder{}
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token, Sleep: w.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client, connector.WithSecrets(true)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	fake.ResetRequests()
	return &fixture{fake: fake, cc: cc, ctx: ctx, waits: w}
}

// tokenAction runs a token action to its end and returns its failure as an error.
func (f *fixture) tokenAction(name, id string) error {
	args, _ := structpb.NewStruct(map[string]any{"token_id": map[string]any{"resource_type_id": "api_token", "resource_id": id}})
	resp, err := f.cc.InvokeAction(f.ctx, v2.InvokeActionRequest_builder{
		Name: name, ResourceTypeId: "api_token", Args: args, InlineWait: durationpb.New(time.Hour),
	}.Build())
	switch {
	case err != nil:
		return err
	case resp.GetStatus() == v2.BatonActionStatus_BATON_ACTION_STATUS_COMPLETE:
		return nil
	case resp.GetStatus() == v2.BatonActionStatus_BATON_ACTION_STATUS_FAILED:
		return errors.New(resp.GetResponse().GetFields()["error"].GetStringValue())
	}
	return fmt.Errorf("action %s ended in status %v", name, resp.GetStatus())
}

func (f *fixture) deleteToken(id string) error {
	_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("api_token", id).GetId()}.Build())
	return err
}

// tokenRecord is a token record as plain JSON values, without lastModified (Celigo sets it on each write).
func (f *fixture) tokenRecord(t *testing.T, id string) map[string]any {
	t.Helper()
	rec, ok := f.fake.APIToken(id)
	if !ok {
		t.Fatalf("token %s missing", id)
	}
	p := plain(t, rec)
	delete(p, "lastModified")
	return p
}

func TestRevokeAndReactivateAPIToken(t *testing.T) {
	f := newTokenFixture(t, false)
	before := f.tokenRecord(t, tokInForce)
	if err := f.tokenAction("revoke_api_token", tokInForce); err != nil {
		t.Fatal(err)
	}
	after := f.tokenRecord(t, tokInForce)
	want := maps.Clone(before)
	want["revoked"] = true
	if !reflect.DeepEqual(after, want) {
		t.Fatalf("after revoke:\n got %v\nwant %v", after, want)
	}
	if w := f.writes(); !slices.Equal(w, []string{"PUT /v1/accesstokens/" + tokInForce}) {
		t.Errorf("writes %v", w)
	}

	// Already revoked: nothing is written.
	f.fake.ResetRequests()
	if err := f.tokenAction("revoke_api_token", tokInForce); err != nil {
		t.Fatal(err)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("revoking a revoked token wrote %v", w)
	}

	if err := f.tokenAction("reactivate_api_token", tokInForce); err != nil {
		t.Fatal(err)
	}
	if got := f.tokenRecord(t, tokInForce); !reflect.DeepEqual(got, before) {
		t.Fatalf("after re-activate:\n got %v\nwant %v", got, before)
	}
	f.fake.ResetRequests()
	if err := f.tokenAction("reactivate_api_token", tokInForce); err != nil {
		t.Fatal(err)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("re-activating an active token wrote %v", w)
	}
	if n := f.fake.RevealingCalls(); n != 0 {
		t.Errorf("%d revealing calls", n)
	}
}

func TestDeleteAPIToken(t *testing.T) {
	t.Run("in force: revoked, then deleted", func(t *testing.T) {
		f := newTokenFixture(t, false)
		if err := f.deleteToken(tokInForce); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.fake.APIToken(tokInForce); ok {
			t.Fatal("still there")
		}
		if w := f.writes(); !slices.Equal(w, []string{"PUT /v1/accesstokens/" + tokInForce, "DELETE /v1/accesstokens/" + tokInForce}) {
			t.Errorf("writes %v", w)
		}
		last := f.fake.Requests()[len(f.fake.Requests())-1]
		if last.Method != http.MethodGet || last.Status != http.StatusNotFound {
			t.Errorf("the delete was not confirmed by a 404 read: last request %s %s %d", last.Method, last.Path, last.Status)
		}
	})
	t.Run("revoked: deleted", func(t *testing.T) {
		f := newTokenFixture(t, false)
		if err := f.deleteToken(tokRevoked); err != nil {
			t.Fatal(err)
		}
		if w := f.writes(); !slices.Equal(w, []string{"DELETE /v1/accesstokens/" + tokRevoked}) {
			t.Errorf("writes %v", w)
		}
	})
	t.Run("answered 204 but still there: an error, never success", func(t *testing.T) {
		f := newTokenFixture(t, false)
		f.faultOn(http.MethodDelete, "/v1/accesstokens/"+tokRevoked, func(int) *celigotest.Fault { return &celigotest.Fault{Status: http.StatusNoContent} })
		err := f.deleteToken(tokRevoked)
		// The wording is the one this error has always had.
		if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "delete API token "+tokRevoked+": Celigo accepted the delete but the token is still there") {
			t.Fatalf("got %v (%v)", status.Code(err), err)
		}
		if _, ok := f.fake.APIToken(tokRevoked); !ok {
			t.Error("the token is gone")
		}
	})
	t.Run("gone: nothing written", func(t *testing.T) {
		f := newTokenFixture(t, false)
		if err := f.deleteToken("65f0000000000000000000bf"); err != nil {
			t.Fatal(err)
		}
		if w := f.writes(); len(w) != 0 {
			t.Errorf("writes %v", w)
		}
	})
	t.Run("not a token id", func(t *testing.T) {
		f := newTokenFixture(t, false)
		if err := f.deleteToken("../ashares"); status.Code(err) != codes.InvalidArgument {
			t.Errorf("err %v", err)
		}
	})
}

// TestOwnTokenIsRefusedWhenKnowable: when tokenInfo names the calling token, revoking or deleting it is
// refused before any write; re-activating it is allowed.
func TestOwnTokenIsRefusedWhenKnowable(t *testing.T) {
	f := newTokenFixture(t, true)
	err := f.tokenAction("revoke_api_token", tokOwn)
	if err == nil {
		t.Fatal("revoking the connector's own token was allowed")
	}
	if err := f.deleteToken(tokOwn); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("deleting the connector's own token: %v", err)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("writes %v", w)
	}
	if err := f.tokenAction("revoke_api_token", tokInForce); err != nil {
		t.Errorf("another token: %v", err)
	}

	// Where Celigo does not say which token calls, the connector cannot tell: the request goes ahead.
	f = newTokenFixture(t, false)
	if err := f.tokenAction("revoke_api_token", tokOwn); err != nil {
		t.Errorf("unknowable own token: %v", err)
	}
}

// TestTokenWriteAfterAFailureStartsFromAFreshRead: a PUT answered 503 (stored or not) is never re-sent
// blindly: the next round reads the token again, and a write that landed is not made twice.
func TestTokenWriteAfterAFailureStartsFromAFreshRead(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(fmt.Sprint("stored=", applied), func(t *testing.T) {
			f := newTokenFixture(t, false)
			puts := 0
			f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
				if r.Method == http.MethodPut {
					if puts++; puts == 1 {
						return &celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: applied}
					}
				}
				return nil
			})
			if err := f.tokenAction("revoke_api_token", tokInForce); err != nil {
				t.Fatal(err)
			}
			if rec := f.tokenRecord(t, tokInForce); rec["revoked"] != true {
				t.Fatalf("record %v", rec)
			}
			var seq []string
			for _, r := range f.fake.Requests() {
				seq = append(seq, r.Method)
			}
			wantPuts := 2
			if applied {
				wantPuts = 1 // the fresh read shows it landed
			}
			if n := countOf(seq, http.MethodPut); n != wantPuts {
				t.Errorf("%d PUTs, want %d: %v", n, wantPuts, seq)
			}
			for i := 1; i < len(seq); i++ {
				if seq[i] == http.MethodPut && seq[i-1] != http.MethodGet {
					t.Errorf("a PUT not preceded by a read: %v", seq)
				}
			}
		})
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
