package celigo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
				require.Error(t, err)
				assert.Equal(t, 1, api.Count(), "sent again by the client")
				assert.Empty(t, sl.Waits())
				assert.True(t, IsStatus(err, st), "%v", err)
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
				require.Error(t, err, "a redirected write must not pass for done")
				assert.Equal(t, 1, api.Count(), "the redirect was followed")
				assert.True(t, IsStatus(err, st), "%v", err)
				assert.Contains(t, err.Error(), "redirect to "+api.URL+"/v1/ashares/rec1")
				assert.Contains(t, err.Error(), "not known to be done")
				assert.NotContains(t, err.Error(), "should-not-show", "the target's query is left out")
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
		require.Error(t, err)
		return err
	}
	t.Run("429 waits as told", func(t *testing.T) {
		c, sl := newTestClient(t, "http://127.0.0.1:1")
		w := c.NewWriteRetry()
		require.NoError(t, w.Wait(context.Background(), errFor(t, 429, "2")))
		assert.Equal(t, []time.Duration{2 * time.Second}, sl.Waits())
	})
	t.Run("5xx, 408 and no answer back off", func(t *testing.T) {
		// Jittered backoff over three rounds can pass the tests' 3 s budget: give it room.
		c, sl := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.RetryBudget = time.Minute })
		w := c.NewWriteRetry()
		require.NoError(t, w.Wait(context.Background(), errFor(t, 503, "")))
		require.NoError(t, w.Wait(context.Background(), errFor(t, 408, "")))
		require.NoError(t, w.Wait(context.Background(), &transportError{method: "PUT", path: "/v1/ashares/rec1", err: errors.New("connection reset")}))
		require.Len(t, sl.Waits(), 3)
		for _, d := range sl.Waits() {
			assert.Positive(t, d)
		}
	})
	t.Run("refusals are final", func(t *testing.T) {
		for _, st := range []int{400, 401, 403, 404, 422, 302} {
			c, sl := newTestClient(t, "http://127.0.0.1:1")
			err := errFor(t, st, "")
			assert.Same(t, err, c.NewWriteRetry().Wait(context.Background(), err), "status %d", st)
			assert.Empty(t, sl.Waits())
		}
	})
	t.Run("a conflict starts a new round", func(t *testing.T) {
		c, sl := newTestClient(t, "http://127.0.0.1:1")
		require.NoError(t, c.NewWriteRetry().Wait(context.Background(), errFor(t, 409, "")))
		assert.Len(t, sl.Waits(), 1)
	})
	t.Run("budget spent", func(t *testing.T) {
		c, _ := newTestClient(t, "http://127.0.0.1:1") // 3 s budget
		w := c.NewWriteRetry()
		throttled := errFor(t, 429, "2")
		require.NoError(t, w.Wait(context.Background(), throttled))
		err := w.Wait(context.Background(), throttled)
		require.Error(t, err)
		assert.Equal(t, codes.ResourceExhausted, status.Code(err))
		assert.Contains(t, err.Error(), "giving up")
		assert.Contains(t, err.Error(), "DELETE /v1/ashares/rec1")
		assert.True(t, IsStatus(err, 429), "the last answer stays in the chain")

		c, _ = newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.RetryBudget = -1 })
		err = c.NewWriteRetry().Wait(context.Background(), errFor(t, 503, ""))
		assert.Equal(t, codes.Aborted, status.Code(err))
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		c, sl := newTestClient(t, "http://127.0.0.1:1")
		ctx, cancel := context.WithCancel(context.Background())
		sl.Hook = func(context.Context) { cancel() }
		err := c.NewWriteRetry().Wait(ctx, errFor(t, 503, ""))
		assert.True(t, errors.Is(err, context.Canceled), "%v", err)
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
		assert.Equal(t, tc.want, MayHaveLanded(tc.err), "%v", tc.err)
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
		assert.Equal(t, tc.want, IsSandboxRefusal(tc.err), tc.name)
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
		require.NoError(t, json.Unmarshal([]byte(record), &u))
		change(&u)
		return string(u.WritableBody()["integrationAccessLevel"])
	}
	must := func(changed bool, err error) {
		require.NoError(t, err)
		require.True(t, changed)
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
			assert.Equal(t, tc.want, got, "byte for byte (compacted), big numbers intact")
		})
	}
	// Duplicated entries for one integration (not valid, but sent back as they came) match one to one.
	var u User
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"r","integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"monitor","futureA":1},{"_integrationId":"i1","accessLevel":"manage","futureB":2},null]}`), &u))
	assert.Equal(t, `[{"_integrationId":"i1","accessLevel":"monitor","futureA":1},{"_integrationId":"i1","accessLevel":"manage","futureB":2},{"_integrationId":"","accessLevel":""}]`,
		string(u.WritableBody()["integrationAccessLevel"]))
}
