package connector_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// faultOn installs a fault hook that sees the requests for one method and path, counted from 1, and may
// change the account (as another administrator would) before answering. Requests may be served on
// several goroutines, hence the lock.
func (f *fixture) faultOn(method, path string, fn func(n int) *celigotest.Fault) {
	var mu sync.Mutex
	n := 0
	f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.Method != method || r.URL.Path != path {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		n++
		return fn(n)
	})
}

// otherWriter changes a record the way another administrator in Celigo's UI would.
func (f *fixture) otherWriter(t *testing.T, id string, change func(rec map[string]any)) {
	t.Helper()
	rec, ok := f.fake.Share(id)
	if !ok {
		t.Fatalf("record %s missing", id)
	}
	change(rec)
	f.fake.SetShare(rec)
}

// original is a record as the account began, as plain JSON values.
func original(t *testing.T, id string) map[string]any {
	t.Helper()
	for _, rec := range provAccount().Shares {
		if rec["_id"] == id {
			return plain(t, rec)
		}
	}
	t.Fatalf("no record %s", id)
	return nil
}

func (f *fixture) count(method, path string) int {
	n := 0
	for _, r := range f.fake.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// everyPutFollowsARead: each PUT of the record was built from a read made just before it, never re-sent.
func (f *fixture) everyPutFollowsARead(t *testing.T, path string) {
	t.Helper()
	var onRecord []celigotest.Request
	for _, r := range f.fake.Requests() {
		if r.Path == path {
			onRecord = append(onRecord, r)
		}
	}
	for i, r := range onRecord {
		if r.Method == http.MethodPut && (i == 0 || onRecord[i-1].Method != http.MethodGet) {
			t.Errorf("PUT %d of %s was not preceded by a fresh read: %v", i, path, onRecord)
		}
	}
}

// A PUT answered 503 while another administrator revokes an entry and sets a flag: the retry reads the
// record again and applies only our change, so their revoke holds and their flag stays.
func TestRetriedPutStartsFromAFreshRead(t *testing.T) {
	f := newFixture(t, 0)
	path := "/v1/ashares/" + monitor
	f.faultOn(http.MethodPut, path, func(n int) *celigotest.Fault {
		if n > 1 {
			return nil
		}
		f.otherWriter(t, monitor, func(rec map[string]any) {
			rec["integrationAccessLevel"] = []any{}
			rec["allowToEditRetryData"] = true
		})
		return &celigotest.Fault{Status: http.StatusServiceUnavailable}
	})
	resp, err := f.grant(monitor, ent("integration", intB, "manage"))
	if err != nil {
		t.Fatal(err)
	}
	if alreadyExists(resp) {
		t.Error("our grant landed in the retry; it must not be reported as already there")
	}
	want := original(t, monitor)
	want["integrationAccessLevel"] = []any{}
	want["allowToEditRetryData"] = true
	(&recordChange{entry: intB, level: "manage"}).apply(want)
	if got := f.record(t, monitor); !reflect.DeepEqual(got, want) {
		t.Errorf("record:\n got  %v\n want %v", got, want)
	}
	bodies := f.putBodies(t)
	if len(bodies) != 2 {
		t.Fatalf("want 2 PUTs, got %d", len(bodies))
	}
	if strings.Contains(jsonOf(t, bodies[1]), intA) {
		t.Errorf("the retry re-granted the revoked entry: %v", bodies[1])
	}
	f.everyPutFollowsARead(t, path)
	if len(f.waits.Waits()) != 1 {
		t.Errorf("want one backoff wait, got %v", f.waits.Waits())
	}
	f.othersUnchanged(t, monitor)
}

// A PUT that Celigo stored but answered 503, after which another administrator revokes an entry: the
// fresh read shows our change in place, so nothing is sent again and their revoke holds.
func TestPutStoredButAnswered503(t *testing.T) {
	f := newFixture(t, 0)
	path := "/v1/ashares/" + monitor
	var mu sync.Mutex
	stored := false
	f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path != path {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPut && !stored:
			stored = true
			return &celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}
		case r.Method == http.MethodGet && stored:
			stored = false // once
			f.otherWriter(t, monitor, func(rec map[string]any) {
				kept := []any{}
				for _, e := range rec["integrationAccessLevel"].([]any) {
					if e.(map[string]any)["_integrationId"] != intA {
						kept = append(kept, e)
					}
				}
				rec["integrationAccessLevel"] = kept
			})
		}
		return nil
	})
	resp, err := f.grant(monitor, ent("integration", intB, "manage"))
	if err != nil {
		t.Fatal(err)
	}
	if alreadyExists(resp) {
		t.Error("our PUT may have landed: it is reported as made, not as already there")
	}
	want := original(t, monitor)
	want["integrationAccessLevel"] = []any{}
	(&recordChange{entry: intB, level: "manage"}).apply(want)
	if got := f.record(t, monitor); !reflect.DeepEqual(got, want) {
		t.Errorf("record:\n got  %v\n want %v", got, want)
	}
	if n := f.count(http.MethodPut, path); n != 1 {
		t.Errorf("the stored PUT was sent again: %d PUTs", n)
	}
	f.othersUnchanged(t, monitor)
}

// A PUT throttled (429) while another administrator adds an entry and changes an unknown field: the
// retry waits as told, reads again and keeps both.
func TestThrottledPutKeepsAConcurrentChange(t *testing.T) {
	f := newFixture(t, 0)
	path := "/v1/ashares/" + monitor
	theirs := map[string]any{"theme": "light"}
	f.faultOn(http.MethodPut, path, func(n int) *celigotest.Fault {
		if n > 1 {
			return nil
		}
		f.otherWriter(t, monitor, func(rec map[string]any) {
			(&recordChange{entry: intB, level: "monitor"}).apply(rec)
			rec["futureSettings"] = theirs
		})
		return &celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "2"}
	})
	resp, err := f.revoke(monitor, ent("role", "monitor", "assigned"))
	if err != nil {
		t.Fatal(err)
	}
	if alreadyRevoked(resp) {
		t.Error("the revoke was made in the retry")
	}
	want := original(t, monitor)
	delete(want, "accessLevel")
	(&recordChange{entry: intB, level: "monitor"}).apply(want)
	want["futureSettings"] = theirs
	if got := f.record(t, monitor); !reflect.DeepEqual(got, want) {
		t.Errorf("record:\n got  %v\n want %v", got, want)
	}
	if len(f.waits.Waits()) != 1 || f.waits.Waits()[0] != 2*time.Second {
		t.Errorf("want one wait of Retry-After (2s), got %v", f.waits.Waits())
	}
	f.everyPutFollowsARead(t, path)
	f.othersUnchanged(t, monitor)
}

// A PUT that keeps failing: the write gives up with an error, every attempt built from a fresh read, and
// the record is as it was.
func TestPersistentPutFailureIsAnErrorAndChangesNothing(t *testing.T) {
	f := newFixture(t, 0)
	path := "/v1/ashares/" + chosen
	f.faultOn(http.MethodPut, path, func(int) *celigotest.Fault { return &celigotest.Fault{Status: http.StatusServiceUnavailable} })
	_, err := f.grant(chosen, ent("integration", intA, "monitor"))
	if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "giving up") {
		t.Fatalf("got %v (%v), want Aborted, giving up", status.Code(err), err)
	}
	if n := f.count(http.MethodPut, path); n < 2 {
		t.Errorf("want several rounds, got %d PUTs", n)
	}
	f.everyPutFollowsARead(t, path)
	f.othersUnchanged(t)
}

// The disable toggle flips whatever the state: one throttled while another administrator disables the
// user must not be sent again, or it would enable them.
func TestThrottledToggleIsNotResent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault celigotest.Fault
	}{
		{"429 while someone else disables", celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}},
		{"stored but answered 503", celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			path := "/v1/ashares/" + admin + "/disable"
			f.faultOn(http.MethodPut, path, func(n int) *celigotest.Fault {
				if n > 1 {
					return nil
				}
				if !tc.fault.Applied {
					f.otherWriter(t, admin, func(rec map[string]any) { rec["disabled"] = true })
				}
				fault := tc.fault
				return &fault
			})
			if err := f.action("disable_user", admin); err != nil {
				t.Fatal(err)
			}
			want := original(t, admin)
			want["disabled"] = true
			if got := f.record(t, admin); !reflect.DeepEqual(got, want) {
				t.Errorf("record:\n got  %v\n want %v", got, want)
			}
			if n := f.count(http.MethodPut, path); n != 1 {
				t.Errorf("the toggle was sent %d times", n)
			}
			f.othersUnchanged(t, admin)
		})
	}
}

func TestDeleteIsConfirmedByARead(t *testing.T) {
	del := func(f *fixture, id string) error {
		_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", id).GetId()}.Build())
		return err
	}
	path := "/v1/ashares/" + chosen
	t.Run("503, not done: read again, delete again", func(t *testing.T) {
		f := newFixture(t, 0)
		f.faultOn(http.MethodDelete, path, func(n int) *celigotest.Fault {
			if n == 1 {
				return &celigotest.Fault{Status: http.StatusServiceUnavailable}
			}
			return nil
		})
		if err := del(f, chosen); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.fake.Share(chosen); ok || f.count(http.MethodDelete, path) != 2 {
			t.Errorf("still there or not retried: %d DELETEs", f.count(http.MethodDelete, path))
		}
		f.othersUnchanged(t, chosen)
	})
	t.Run("stored but answered 503: the read finds it gone", func(t *testing.T) {
		f := newFixture(t, 0)
		f.faultOn(http.MethodDelete, path, func(int) *celigotest.Fault {
			return &celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}
		})
		if err := del(f, chosen); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.fake.Share(chosen); ok || f.count(http.MethodDelete, path) != 1 {
			t.Errorf("still there or sent again: %d DELETEs", f.count(http.MethodDelete, path))
		}
		f.othersUnchanged(t, chosen)
	})
	t.Run("answered 204 but still there: an error, never success", func(t *testing.T) {
		f := newFixture(t, 0)
		f.faultOn(http.MethodDelete, path, func(int) *celigotest.Fault { return &celigotest.Fault{Status: http.StatusNoContent} })
		err := del(f, chosen)
		// The wording is the one this error has always had: the access record is still there.
		if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "delete user "+chosen+": Celigo accepted the delete but the record is still there") {
			t.Fatalf("got %v (%v)", status.Code(err), err)
		}
		f.othersUnchanged(t) // the record is whole
	})
}

func TestInviteRetryLooksTheAddressUpFirst(t *testing.T) {
	const email = "retry@example.com"
	invitees := func(f *fixture) []map[string]any {
		var out []map[string]any
		for _, rec := range f.fake.Shares() {
			if u, _ := rec["sharedWithUser"].(map[string]any); u["email"] == email {
				out = append(out, rec)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		fault         func(f *fixture) *celigotest.Fault
		posts         int
		alreadyExists bool
	}{
		{"stored but answered 503: found, not sent again", func(*fixture) *celigotest.Fault {
			return &celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}
		}, 1, false},
		{"throttled: not found, sent again", func(*fixture) *celigotest.Fault {
			return &celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}
		}, 2, false},
		{"throttled while someone else invites the address", func(f *fixture) *celigotest.Fault {
			rec := celigotest.NewShare("6500000000000000000000e9", celigotest.Person{ID: "6500000000000000000000f9", Email: email}, "monitor")
			rec["accepted"] = false
			f.fake.SetShare(rec)
			return &celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}
		}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			f.faultOn(http.MethodPost, "/v1/invite", func(n int) *celigotest.Fault {
				if n == 1 {
					return tc.fault(f)
				}
				return nil
			})
			resp, err := f.createAccount(email, "monitor")
			if err != nil {
				t.Fatal(err)
			}
			if got := invitees(f); len(got) != 1 {
				t.Fatalf("want exactly one record for %s, got %d", email, len(got))
			}
			id := invitees(f)[0]["_id"]
			if tc.alreadyExists {
				if resp.GetAlreadyExists().GetResource().GetId().GetResource() != id {
					t.Errorf("want AlreadyExists with %v, got %v", id, resp)
				}
			} else if resp.GetSuccess().GetResource().GetId().GetResource() != id {
				t.Errorf("want Success with %v, got %v", id, resp)
			}
			if n := f.count(http.MethodPost, "/v1/invite"); n != tc.posts {
				t.Errorf("%d POSTs, want %d", n, tc.posts)
			}
			f.othersUnchanged(t)
		})
	}
}

// A same-origin redirect on a write is not followed (Go would re-send DELETE and POST as a GET and take
// its answer for the write's): the request fails naming the redirect, and nothing changed.
func TestRedirectedWritesFail(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, location string
		status                       int
		op                           func(f *fixture) error
		disabled                     bool // start with the user disabled
	}{
		{"role grant", http.MethodPut, "/v1/ashares/" + nobody, "/v1/ashares/" + nobody, http.StatusFound, func(f *fixture) error {
			_, err := f.grant(nobody, ent("role", "monitor", "assigned"))
			return err
		}, false},
		{"integration revoke", http.MethodPut, "/v1/ashares/" + monitor, "/v1/ashares/" + monitor, http.StatusPermanentRedirect, func(f *fixture) error {
			_, err := f.revoke(monitor, ent("integration", intA, "manage"))
			return err
		}, false},
		{"delete", http.MethodDelete, "/v1/ashares/" + chosen, "/v1/ashares/" + chosen, http.StatusSeeOther, func(f *fixture) error {
			_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", chosen).GetId()}.Build())
			return err
		}, false},
		{"invite redirected to an existing record", http.MethodPost, "/v1/invite", "/v1/ashares/" + manager, http.StatusFound, func(f *fixture) error {
			_, err := f.createAccount("redirected@example.com", "monitor")
			return err
		}, false},
		{"disable", http.MethodPut, "/v1/ashares/" + admin + "/disable", "/v1/ashares/" + admin + "/disable", http.StatusTemporaryRedirect, func(f *fixture) error {
			return f.action("disable_user", admin)
		}, false},
		{"enable", http.MethodPut, "/v1/ashares/" + admin + "/disable", "/v1/ashares/" + admin + "/disable", http.StatusMovedPermanently, func(f *fixture) error {
			return f.action("enable_user", admin)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			if tc.disabled {
				f.otherWriter(t, admin, func(rec map[string]any) { rec["disabled"] = true })
			}
			f.faultOn(tc.method, tc.path, func(int) *celigotest.Fault {
				return &celigotest.Fault{Status: tc.status, Location: tc.location}
			})
			before := f.fake.Shares()
			err := tc.op(f)
			if err == nil || !strings.Contains(err.Error(), "redirect to") || !strings.Contains(err.Error(), tc.location) {
				t.Fatalf("want an error naming the redirect to %s, got %v", tc.location, err)
			}
			if n := f.count(tc.method, tc.path); n != 1 {
				t.Errorf("%d %s requests, want 1", n, tc.method)
			}
			if got := f.fake.Shares(); !reflect.DeepEqual(got, before) {
				t.Error("a redirected write changed the account")
			}
		})
	}
}

// A token of a sandbox environment: Celigo refuses every write with 403; the message says why and what to do.
func TestSandboxTokenRefusalSaysSo(t *testing.T) {
	acct := provAccount()
	acct.SandboxToken = true
	for _, tc := range []struct {
		name string
		op   func(f *fixture) error
	}{
		{"grant", func(f *fixture) error { _, err := f.grant(nobody, ent("role", "monitor", "assigned")); return err }},
		{"revoke", func(f *fixture) error { _, err := f.revoke(monitor, ent("integration", intA, "manage")); return err }},
		{"invite", func(f *fixture) error { _, err := f.createAccount("sandbox@example.com", ""); return err }},
		{"delete", func(f *fixture) error {
			_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", chosen).GetId()}.Build())
			return err
		}},
		{"disable", func(f *fixture) error { return f.action("disable_user", admin) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFor(t, acct, 0)
			err := tc.op(f)
			// An action's failure reaches the caller as text, without its gRPC code.
			if err == nil || (tc.name != "disable" && status.Code(err) != codes.PermissionDenied) {
				t.Fatalf("got %v (%v), want PermissionDenied", status.Code(err), err)
			}
			for _, want := range []string{"sandbox environment", "production environment", "inferred"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message lacks %q: %v", want, err)
				}
			}
			f.othersUnchanged(t)
		})
	}
}

// A 403 that does not mention a sandbox still names the likely causes, without claiming either.
func TestForbiddenWriteNamesTheCauses(t *testing.T) {
	f := newFixture(t, 0)
	f.faultOn(http.MethodPut, "/v1/ashares/"+nobody, func(int) *celigotest.Fault { return &celigotest.Fault{Status: http.StatusForbidden} })
	_, err := f.grant(nobody, ent("role", "monitor", "assigned"))
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "Full access") || !strings.Contains(err.Error(), "sandbox") {
		t.Fatalf("got %v (%v)", status.Code(err), err)
	}
	if n := f.count(http.MethodPut, "/v1/ashares/"+nobody); n != 1 {
		t.Errorf("a refusal was retried: %d PUTs", n)
	}
	f.othersUnchanged(t)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
