package celigo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// writeCalls are every write the client makes, each on a record id.
var writeCalls = map[string]func(c *Client) error{
	"UpdateUser": func(c *Client) error {
		return c.UpdateUser(context.Background(), "rec1", &User{UserSummary: UserSummary{ID: "rec1", AccessLevel: LevelManage}})
	},
	"DeleteUser":     func(c *Client) error { return c.DeleteUser(context.Background(), "rec1") },
	"ToggleDisabled": func(c *Client) error { return c.ToggleDisabled(context.Background(), "rec1") },
	"Invite": func(c *Client) error {
		_, err := c.Invite(context.Background(), Invitation{Email: "a@example.com", AccessLevel: LevelMonitor})
		return err
	},
}

// A write is sent exactly once whatever the answer: repeating it with the body built before the failure
// could undo a change made meanwhile. The caller retries from a fresh read (WriteRetry).
func TestWritesAreSentOnce(t *testing.T) {
	for name, call := range writeCalls {
		for _, st := range []int{429, 408, 500, 502, 503, 504} {
			t.Run(fmt.Sprintf("%s/%d", name, st), func(t *testing.T) {
				api := scripted(t, `{"_id":"x"}`, "1", st, 204)
				c, sl := newTestClient(t, api.URL)
				err := call(c)
				if err == nil {
					t.Fatal("call: err = nil, want an error")
				}
				if got := api.Count(); got != 1 {
					t.Errorf("sent again by the client: api.Count() = %d, want %d", got, 1)
				}
				if got := sl.Waits(); len(got) != 0 {
					t.Errorf("sl.Waits() = %v, want empty", got)
				}
				if !IsStatus(err, st) {
					t.Errorf("%v: IsStatus(err, st) is false", err)
				}
				requireNoToken(t, err)
			})
		}
	}
}

// Go turns a 301/302/303 on a write into a GET, whose answer would pass for the write's; 307/308 would
// re-send the body elsewhere. No redirect is followed on a write, and the error names it.
func TestWritesFollowNoRedirect(t *testing.T) {
	for name, call := range writeCalls {
		for _, st := range []int{301, 302, 303, 307, 308} {
			t.Run(fmt.Sprintf("%s/%d", name, st), func(t *testing.T) {
				api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
					if r.Method == http.MethodGet {
						writeJSONBody(w, 200, `{"_id":"rec1","accepted":false,"sharedWithUser":{"email":"a@example.com"}}`)
						return
					}
					w.Header().Set("Location", "/v1/ashares/rec1?token=should-not-show")
					w.WriteHeader(st)
				})
				c, _ := newTestClient(t, api.URL)
				err := call(c)
				if err == nil {
					t.Fatal("a redirected write must not pass for done: err = nil, want an error")
				}
				if got := api.Count(); got != 1 {
					t.Errorf("the redirect was followed: api.Count() = %d, want %d", got, 1)
				}
				if !IsStatus(err, st) {
					t.Errorf("%v: IsStatus(err, st) is false", err)
				}
				if !strings.Contains(err.Error(), "redirect to "+api.URL+"/v1/ashares/rec1") {
					t.Errorf("err = %q, want it to contain %q", err, "redirect to "+api.URL+"/v1/ashares/rec1")
				}
				if !strings.Contains(err.Error(), "not known to be done") {
					t.Errorf("err = %q, want it to contain %q", err, "not known to be done")
				}
				if strings.Contains(err.Error(), "should-not-show") {
					t.Errorf("the target's query is left out: err = %q, want it not to contain %q", err, "should-not-show")
				}
				requireNoToken(t, err)
			})
		}
	}
}

func TestWriteRetryWait(t *testing.T) {
	errFor := func(t *testing.T, st int, retryAfter string) error {
		api := scripted(t, "", retryAfter, st)
		c, _ := newTestClient(t, api.URL)
		err := c.DeleteUser(context.Background(), "rec1")
		if err == nil {
			t.Fatal("c.DeleteUser: err = nil, want an error")
		}
		return err
	}
	t.Run("429 waits as told", func(t *testing.T) {
		c, sl := newTestClient(t, "http://127.0.0.1:1")
		w := c.NewWriteRetry()
		if err := w.Wait(context.Background(), errFor(t, 429, "2")); err != nil {
			t.Fatalf("w.Wait: %v", err)
		}
		if got, want := sl.Waits(), []time.Duration{2 * time.Second}; !reflect.DeepEqual(got, want) {
			t.Errorf("sl.Waits() = %v, want %v", got, want)
		}
	})
	t.Run("5xx, 408 and no answer back off", func(t *testing.T) {
		// Jittered backoff over three rounds can pass the tests' 3 s budget: give it room.
		c, sl := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.RetryBudget = time.Minute })
		w := c.NewWriteRetry()
		if err := w.Wait(context.Background(), errFor(t, 503, "")); err != nil {
			t.Fatalf("w.Wait: %v", err)
		}
		if err := w.Wait(context.Background(), errFor(t, 408, "")); err != nil {
			t.Fatalf("w.Wait: %v", err)
		}
		if err := w.Wait(context.Background(), &transportError{method: "PUT", path: "/v1/ashares/rec1", err: errors.New("connection reset")}); err != nil {
			t.Fatalf("w.Wait: %v", err)
		}
		if got := sl.Waits(); len(got) != 3 {
			t.Fatalf("len(sl.Waits()) = %d, want %d", len(got), 3)
		}
		for _, d := range sl.Waits() {
			if d <= 0 {
				t.Errorf("d = %v, want > 0", d)
			}
		}
	})
	t.Run("refusals are final", func(t *testing.T) {
		for _, st := range []int{400, 401, 403, 404, 422, 302} {
			c, sl := newTestClient(t, "http://127.0.0.1:1")
			err := errFor(t, st, "")
			if got := c.NewWriteRetry().Wait(context.Background(), err); got != err { //nolint:errorlint // the very error back, not one that wraps it
				t.Errorf("status %d: Wait(err) = %v (%p), want err itself (%p)", st, got, got, err)
			}
			if got := sl.Waits(); len(got) != 0 {
				t.Errorf("sl.Waits() = %v, want empty", got)
			}
		}
	})
	t.Run("a conflict starts a new round", func(t *testing.T) {
		c, sl := newTestClient(t, "http://127.0.0.1:1")
		if err := c.NewWriteRetry().Wait(context.Background(), errFor(t, 409, "")); err != nil {
			t.Fatalf("c.NewWriteRetry().Wait: %v", err)
		}
		if got := sl.Waits(); len(got) != 1 {
			t.Errorf("len(sl.Waits()) = %d, want %d", len(got), 1)
		}
	})
	t.Run("budget spent", func(t *testing.T) {
		c, _ := newTestClient(t, "http://127.0.0.1:1") // 3 s budget
		w := c.NewWriteRetry()
		throttled := errFor(t, 429, "2")
		if err := w.Wait(context.Background(), throttled); err != nil {
			t.Fatalf("w.Wait: %v", err)
		}
		err := w.Wait(context.Background(), throttled)
		if err == nil {
			t.Fatal("w.Wait: err = nil, want an error")
		}
		if got := status.Code(err); got != codes.ResourceExhausted {
			t.Errorf("status.Code(err) = %v, want %v", got, codes.ResourceExhausted)
		}
		if !strings.Contains(err.Error(), "giving up") {
			t.Errorf("err = %q, want it to contain %q", err, "giving up")
		}
		if !strings.Contains(err.Error(), "DELETE /v1/ashares/rec1") {
			t.Errorf("err = %q, want it to contain %q", err, "DELETE /v1/ashares/rec1")
		}
		if !IsStatus(err, 429) {
			t.Error("the last answer stays in the chain")
		}

		c, _ = newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.RetryBudget = -1 })
		err = c.NewWriteRetry().Wait(context.Background(), errFor(t, 503, ""))
		if got := status.Code(err); got != codes.Aborted {
			t.Errorf("status.Code(err) = %v, want %v", got, codes.Aborted)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		c, sl := newTestClient(t, "http://127.0.0.1:1")
		ctx, cancel := context.WithCancel(context.Background())
		sl.Hook = func(context.Context) { cancel() }
		err := c.NewWriteRetry().Wait(ctx, errFor(t, 503, ""))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v: errors.Is(err, context.Canceled) is false", err)
		}
	})
}

func TestMayHaveLanded(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&APIError{StatusCode: 429}, false},
		{&APIError{StatusCode: 400}, false},
		{&APIError{StatusCode: 403}, false},
		{&APIError{StatusCode: 422}, false},
		{&APIError{StatusCode: 302}, false},
		{&APIError{StatusCode: 408}, true},
		{&APIError{StatusCode: 500}, true},
		{&APIError{StatusCode: 503}, true},
		{&transportError{method: "PUT", path: "/p", err: errors.New("EOF")}, true},
		{fmt.Errorf("wrapped: %w", &APIError{StatusCode: 502}), true},
		{errors.New("encoding body"), false},
	} {
		if got := MayHaveLanded(tc.err); got != tc.want {
			t.Errorf("%v: MayHaveLanded(tc.err) = %t, want %t", tc.err, got, tc.want)
		}
	}
}

func TestIsSandboxRefusal(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"403 message", &APIError{StatusCode: 403, Code: "forbidden", Message: "Not allowed in a Sandbox environment"}, true},
		{"403 code", &APIError{StatusCode: 403, Code: "sandbox_not_allowed"}, true},
		{"403 other", &APIError{StatusCode: 403, Code: "forbidden", Message: "insufficient scope"}, false},
		{"400 mentioning a sandbox", &APIError{StatusCode: 400, Message: "sandbox"}, false},
		{"wrapped", fmt.Errorf("x: %w", &APIError{StatusCode: 403, Message: "sandbox"}), true},
		{"not an API error", errors.New("sandbox"), false},
	} {
		if got := IsSandboxRefusal(tc.err); got != tc.want {
			t.Errorf("%s: IsSandboxRefusal(tc.err) = %t, want %t", tc.name, got, tc.want)
		}
	}
}

// Unknown sub-fields of integration entries go back as Celigo sent them; only the entries a change is about
// change, and an entry whose level changes keeps its other sub-fields.
func TestEntriesKeepUnknownSubFields(t *testing.T) {
	const record = `{"_id":"r1","accessLevel":"monitor","integrationAccessLevel":[` +
		`{"_integrationId":"i1","accessLevel":"manage","futureNote":{"n":12345678901234567890}},` +
		`{"accessLevel":"monitor","_integrationId":"i2","futureFlag":true}]}`
	entriesAfter := func(t *testing.T, change func(u *User)) string {
		t.Helper()
		var u User
		if err := json.Unmarshal([]byte(record), &u); err != nil {
			t.Fatalf("json.Unmarshal: %v", err)
		}
		change(&u)
		return string(u.WritableBody()["integrationAccessLevel"])
	}
	must := func(changed bool, err error) {
		if err != nil {
			t.Fatalf("change: %v", err)
		}
		if !changed {
			t.Fatal("changed is false")
		}
	}
	cases := []struct {
		name   string
		change func(u *User)
		want   string
	}{
		{"no change", func(*User) {},
			`[{"_integrationId":"i1","accessLevel":"manage","futureNote":{"n":12345678901234567890}},{"accessLevel":"monitor","_integrationId":"i2","futureFlag":true}]`},
		{"role change", func(u *User) { must(GrantRole(u, LevelAdministrator)) },
			`[{"_integrationId":"i1","accessLevel":"manage","futureNote":{"n":12345678901234567890}},{"accessLevel":"monitor","_integrationId":"i2","futureFlag":true}]`},
		{"role removed", func(u *User) { must(RevokeRole(u, LevelMonitor)) },
			`[{"_integrationId":"i1","accessLevel":"manage","futureNote":{"n":12345678901234567890}},{"accessLevel":"monitor","_integrationId":"i2","futureFlag":true}]`},
		{"another integration added", func(u *User) { must(GrantIntegration(u, "i3", LevelManage)) },
			`[{"_integrationId":"i1","accessLevel":"manage","futureNote":{"n":12345678901234567890}},{"accessLevel":"monitor","_integrationId":"i2","futureFlag":true},{"_integrationId":"i3","accessLevel":"manage"}]`},
		{"an entry raised keeps its sub-fields", func(u *User) { must(GrantIntegration(u, "i2", LevelManage)) },
			`[{"_integrationId":"i1","accessLevel":"manage","futureNote":{"n":12345678901234567890}},{"_integrationId":"i2","accessLevel":"manage","futureFlag":true}]`},
		{"an entry removed", func(u *User) { must(RevokeIntegration(u, "i1", LevelManage)) },
			`[{"accessLevel":"monitor","_integrationId":"i2","futureFlag":true}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := entriesAfter(t, tc.change)
			if got != tc.want {
				t.Errorf("byte for byte (compacted), big numbers intact: got %q, want %q", got, tc.want)
			}
		})
	}
	// Duplicated entries for one integration (not valid, but sent back as they came) match one to one.
	var u User
	if err := json.Unmarshal([]byte(`{"_id":"r","integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"monitor","futureA":1},{"_integrationId":"i1","accessLevel":"manage","futureB":2},null]}`), &u); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	want := `[{"_integrationId":"i1","accessLevel":"monitor","futureA":1},{"_integrationId":"i1","accessLevel":"manage","futureB":2},{"_integrationId":"","accessLevel":""}]`
	if got := string(u.WritableBody()["integrationAccessLevel"]); got != want {
		t.Errorf("integrationAccessLevel = %s, want %s", got, want)
	}
}
