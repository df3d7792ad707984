package celigo

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func serveOnce(t *testing.T, contentType, body string) *fakeAPI {
	t.Helper()
	return newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		serveAnswer(w, http.StatusOK, contentType, body)
	})
}

func TestDecodeErrorsNameTheEndpoint(t *testing.T) {
	const jsonCT = "application/json; charset=utf-8"
	type result struct {
		n    int
		next string
		err  error
	}
	listUsers := func(c *Client) result {
		us, next, err := c.ListUsers(context.Background(), "")
		return result{len(us), next, err}
	}
	listIntegs := func(c *Client) result {
		is, next, err := c.ListIntegrations(context.Background(), "")
		return result{len(is), next, err}
	}
	getUser := func(c *Client) result {
		u, err := c.GetUser(context.Background(), "abc")
		if u != nil {
			return result{1, "", err}
		}
		return result{0, "", err}
	}
	getInteg := func(c *Client) result {
		it, err := c.GetIntegration(context.Background(), "i1")
		if it != nil {
			return result{1, "", err}
		}
		return result{0, "", err}
	}
	tokenInfo := func(c *Client) result {
		ti, err := c.TokenInfo(context.Background())
		if ti != nil {
			return result{1, "", err}
		}
		return result{0, "", err}
	}
	cases := []struct {
		name, ct, body, path string
		call                 func(*Client) result
	}{
		{"users: malformed", jsonCT, `not json`, "/v1/ashares", listUsers},
		{"users: truncated", jsonCT, `[{"_id":"a","accessLevel":"mon`, "/v1/ashares", listUsers},
		{"users: truncated array", jsonCT, `[{"_id":"a","sharedWithUser":{"_id":"pa"}},`, "/v1/ashares", listUsers},
		{"users: empty body", jsonCT, ``, "/v1/ashares", listUsers},
		{"users: object instead of array", jsonCT, `{"_id":"a"}`, "/v1/ashares", listUsers},
		{"users: envelope with 200", jsonCT, `{"errors":[{"code":"x","message":"y"}]}`, "/v1/ashares", listUsers},
		{"users: string instead of array", jsonCT, `"[]"`, "/v1/ashares", listUsers},
		{"users: null", jsonCT, `null`, "/v1/ashares", listUsers},
		{"users: null item", jsonCT, `[{"_id":"a"},null]`, "/v1/ashares", listUsers},
		{"users: accessLevel number", jsonCT, `[{"_id":"a","accessLevel":5}]`, "/v1/ashares", listUsers},
		{"users: entries a string", jsonCT, `[{"_id":"a","integrationAccessLevel":"x"}]`, "/v1/ashares", listUsers},
		{"users: entries an object", jsonCT, `[{"_id":"a","integrationAccessLevel":{"_integrationId":"i","accessLevel":"manage"}}]`, "/v1/ashares", listUsers},
		{"users: entry level number", jsonCT, `[{"_id":"a","integrationAccessLevel":[{"_integrationId":"i","accessLevel":3}]}]`, "/v1/ashares", listUsers},
		{"users: disabled a string", jsonCT, `[{"_id":"a","disabled":"yes"}]`, "/v1/ashares", listUsers},
		{"users: sharedWithUser an array", jsonCT, `[{"_id":"a","sharedWithUser":[]}]`, "/v1/ashares", listUsers},
		{"users: id a number", jsonCT, `[{"_id":12}]`, "/v1/ashares", listUsers},
		{"users: record without _id", jsonCT, `[{"_id":"a"},{"accessLevel":"monitor"}]`, "/v1/ashares", listUsers},
		{"users: record with empty _id", jsonCT, `[{"_id":""}]`, "/v1/ashares", listUsers},
		{"users: HTML with 200", "text/html", `<html><body>Login</body></html>`, "/v1/ashares", listUsers},
		{"users: no content type", "", `[{"_id":"a"}]`, "/v1/ashares", listUsers},
		{"integrations: malformed", jsonCT, `[{`, "/v1/integrations", listIntegs},
		{"integrations: object", jsonCT, `{"integrations":[]}`, "/v1/integrations", listIntegs},
		{"integrations: null", jsonCT, `null`, "/v1/integrations", listIntegs},
		{"integrations: no _id", jsonCT, `[{"name":"x"}]`, "/v1/integrations", listIntegs},
		{"integrations: name a number", jsonCT, `[{"_id":"i","name":1}]`, "/v1/integrations", listIntegs},
		{"integrations: sandbox a string", jsonCT, `[{"_id":"i","sandbox":"no"}]`, "/v1/integrations", listIntegs},
		{"integrations: text/plain", "text/plain", `[]`, "/v1/integrations", listIntegs},
		{"user: array", jsonCT, `[{"_id":"abc"}]`, "/v1/ashares/abc", getUser},
		{"user: no _id", jsonCT, `{"accessLevel":"monitor"}`, "/v1/ashares/abc", getUser},
		{"user: null", jsonCT, `null`, "/v1/ashares/abc", getUser},
		{"user: truncated", jsonCT, `{"_id":"abc",`, "/v1/ashares/abc", getUser},
		{"user: wrong type", jsonCT, `{"_id":"abc","accessLevel":["monitor"]}`, "/v1/ashares/abc", getUser},
		{"user: HTML", "text/html", `<html></html>`, "/v1/ashares/abc", getUser},
		{"integration: no _id", jsonCT, `{}`, "/v1/integrations/i1", getInteg},
		{"tokenInfo: no _userId", jsonCT, `{"scope":"*"}`, "/v1/tokenInfo", tokenInfo},
		{"tokenInfo: malformed", jsonCT, `{"_userId":`, "/v1/tokenInfo", tokenInfo},
	}
	// What a proxy or a cut connection produces, an answer of another shape at the top included (an object
	// or a scalar for a list, a list for a record), is asked again (a GET is safe to repeat) and fails only
	// when it persists; a field of the wrong type inside a record would read the same the next time, so it
	// fails at once.
	garbledAnswers := map[string]bool{
		"users: object instead of array": true, "users: envelope with 200": true, "users: string instead of array": true,
		"integrations: object": true, "user: array": true,
		"users: malformed": true, "users: truncated": true, "users: truncated array": true, "users: empty body": true,
		"users: null": true, "users: HTML with 200": true, "users: no content type": true,
		"integrations: malformed": true, "integrations: null": true, "integrations: text/plain": true,
		"user: null": true, "user: truncated": true, "user: HTML": true, "tokenInfo: malformed": true,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := serveOnce(t, tc.ct, tc.body)
			c, _ := newTestClient(t, api.URL)
			r := tc.call(c)
			require.Error(t, r.err, "a bad answer must never decode into an empty success")
			assert.Zero(t, r.n, "no data alongside an error")
			assert.Empty(t, r.next)
			assert.Contains(t, r.err.Error(), tc.path)
			assert.NotEqual(t, codes.OK, status.Code(r.err))
			assert.NotEqual(t, codes.NotFound, status.Code(r.err), "NotFound would be skipped by the SDK")
			if garbledAnswers[tc.name] {
				assert.Greater(t, api.Count(), 1, "a garbled answer to a GET is asked again")
				assert.Contains(t, r.err.Error(), "giving up")
				assert.Equal(t, codes.Aborted, status.Code(r.err), "%v", r.err)
			} else {
				assert.Equal(t, 1, api.Count(), "JSON of the wrong shape is not asked again")
			}
			requireNoToken(t, r.err)
		})
	}
}

// TestGarbledAnswerThenGoodOne: each kind of garbage, once, then the real answer: the call succeeds with it.
func TestGarbledAnswerThenGoodOne(t *testing.T) {
	garbage := map[string]struct{ ct, body string }{
		"truncated JSON":  {"application/json", `[{"_id":"a","accessLevel":"mon`},
		"HTML proxy page": {"text/html", "<html><body>502 Bad Gateway</body></html>"},
		"empty 200":       {"application/json", ""},
		"null":            {"application/json", "null"},
		"trailing junk":   {"application/json", `[{"_id":"a","sharedWithUser":{"_id":"pa"}}] <html>`},
	}
	for name, g := range garbage {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, n int, _ []byte) {
				if n == 1 {
					w.Header().Set("Content-Type", g.ct)
					_, _ = w.Write([]byte(g.body))
					return
				}
				writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}},{"_id":"b","sharedWithUser":{"_id":"pb"}}]`)
			})
			c, sl := newTestClient(t, api.URL)
			users, next, err := c.ListUsers(context.Background(), "")
			require.NoError(t, err)
			require.Len(t, users, 2)
			assert.Empty(t, next)
			assert.Equal(t, 2, api.Count())
			require.Len(t, sl.Waits(), 1)
			assert.Positive(t, sl.Waits()[0], "the retry waits like after a 5xx")
		})
	}
}

// TestWritesAreNotRepeatedOnGarbledAnswers: a POST whose answer cannot be read may have acted; it is not sent again.
func TestWritesAreNotRepeatedOnGarbledAnswers(t *testing.T) {
	api := serveOnce(t, "application/json", `{"_id":"n1",`)
	c, sl := newTestClient(t, api.URL)
	_, err := c.Invite(context.Background(), Invitation{Email: "a@example.com"})
	require.Error(t, err)
	assert.Equal(t, 1, api.Count())
	assert.Empty(t, sl.Waits())
}

func TestDecodeNonJSONNamesContentType(t *testing.T) {
	api := serveOnce(t, "text/html; charset=utf-8", "<html><body>Please sign in</body></html>")
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListUsers(context.Background(), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "text/html")
	assert.Contains(t, err.Error(), "Please sign in")
	assert.Contains(t, err.Error(), "HTTP 200")
}

func TestEmptyListIsNotAnError(t *testing.T) {
	api := serveOnce(t, "application/json", `[]`)
	c, _ := newTestClient(t, api.URL)
	users, next, err := c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	assert.Empty(t, users)
	assert.Empty(t, next)
}

func TestTimestampsTolerated(t *testing.T) {
	body := `[
	 {"_id":"a","sharedWithUser":{"_id":"pa"},"lastSignIn":"2026-05-02T17:02:59.370Z","createdAt":"2025-11-01T09:00:00Z","lastModified":"2026-01-05T10:00:01.000+01:00"},
	 {"_id":"b","sharedWithUser":{"_id":"pb"},"lastSignIn":null,"createdAt":null,"lastModified":null},
	 {"_id":"c","sharedWithUser":{"_id":"pc"}},
	 {"_id":"d","sharedWithUser":{"_id":"pd"},"lastSignIn":"","createdAt":"yesterday","lastModified":"2026-13-45"},
	 {"_id":"e","sharedWithUser":{"_id":"pe"},"lastSignIn":"Sat, 02 May 2026 17:02:59 GMT"}
	]`
	api := serveOnce(t, "application/json", body)
	c, _ := newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, users, 5)
	assert.True(t, users[0].LastSignIn.Equal(time.Date(2026, 5, 2, 17, 2, 59, 370e6, time.UTC)), "%v", users[0].LastSignIn)
	assert.True(t, users[0].CreatedAt.Equal(time.Date(2025, 11, 1, 9, 0, 0, 0, time.UTC)))
	assert.True(t, users[0].LastModified.Equal(time.Date(2026, 1, 5, 9, 0, 1, 0, time.UTC)))
	for _, u := range users[1:] {
		assert.True(t, u.LastSignIn.IsZero(), "%s lastSignIn", u.ID)
		assert.True(t, u.CreatedAt.IsZero(), "%s createdAt", u.ID)
		assert.True(t, u.LastModified.IsZero(), "%s lastModified", u.ID)
	}

	api = serveOnce(t, "application/json", `[{"_id":"i","name":"Ünïcødé ✓ 集成","createdAt":null,"lastModified":"odd"}]`)
	c, _ = newTestClient(t, api.URL)
	items, _, err := c.ListIntegrations(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, "Ünïcødé ✓ 集成", items[0].Name)
	assert.True(t, items[0].CreatedAt.IsZero())
	assert.True(t, items[0].LastModified.IsZero())
}

func TestDecodeFullRecord(t *testing.T) {
	api := serveOnce(t, "application/json", sampleRecord)
	c, _ := newTestClient(t, api.URL)
	u, err := c.GetUser(context.Background(), "6798f4dc43db9184f4bc8ee0")
	require.NoError(t, err)
	assert.Equal(t, "6798f4dc43db9184f4bc8ee0", u.ID)
	require.NotNil(t, u.Accepted)
	assert.True(t, *u.Accepted)
	assert.False(t, u.IsPending())
	assert.False(t, u.Dismissed)
	assert.False(t, u.Disabled)
	assert.Equal(t, "monitor", u.AccessLevel)
	assert.Equal(t, []IntegrationAccess{{IntegrationID: "65a0c0ffee0000000000b001", AccessLevel: "manage"}}, u.IntegrationAccessLevel)
	assert.False(t, u.AccountSSORequired)
	assert.True(t, u.AccountMFARequired)
	assert.Equal(t, "jane@example.com", u.Email())
	assert.Equal(t, SharedUser{ID: "624774a6a7574d3ed9f9a5cc", Email: "jane@example.com", Name: "Jane Doe",
		AllowedToResetMFA: true, AccountSSOLinked: "not_linked"}, u.SharedWithUser)
	assert.Equal(t, CreatedVia(CreatedViaInvite), u.CreatedVia)
	assert.True(t, u.CreatedVia.Documented())
	assert.Equal(t, "2026-05-02T17:02:59.37Z", u.LastSignIn.Format(time.RFC3339Nano))
	assert.JSONEq(t, `{"a":1}`, string(u.Field("futureThing")))
	assert.Nil(t, u.Field("nope"))

	// A list reads the same record into a summary: every typed field, no raw copy of the others.
	api = serveOnce(t, "application/json", `[`+sampleRecord+`]`)
	c, _ = newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, users, 1)
	assert.Equal(t, u.Summary(), users[0])

	api = serveOnce(t, "application/json", `[{"_id":"x","sharedWithUser":{"_id":"px"}},{"_id":"y","sharedWithUser":{"_id":"py"},"accepted":false},{"_id":"z","sharedWithUser":{"_id":"pz"},"accepted":null}]`)
	c, _ = newTestClient(t, api.URL)
	users, _, err = c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	assert.False(t, users[0].IsPending(), "absent accepted is not pending")
	assert.True(t, users[1].IsPending())
	assert.False(t, users[2].IsPending())
}

// createdVia is informative: any value is kept as sent and never fails the page; the person's last sign-in
// anywhere is read apart from the one to this account.
func TestCreatedViaAndSignInsTolerated(t *testing.T) {
	api := serveOnce(t, "application/json", `[
	 {"_id":"a","createdVia":"new_account_auto_join","lastSignIn":"2026-05-01T00:00:00.000Z","sharedWithUser":{"_id":"pa","lastSignIn":"2026-06-01T00:00:00.000Z"}},
	 {"_id":"b","createdVia":"joined_by_carrier_pigeon","sharedWithUser":{"_id":"pb"}},
	 {"_id":"c","createdVia":null,"sharedWithUser":{"_id":"pc","lastSignIn":null}},
	 {"_id":"d","createdVia":7,"sharedWithUser":{"_id":"pd","lastSignIn":"soon"}},
	 {"_id":"e","createdVia":{"how":"x"},"sharedWithUser":{"_id":"pe"}}
	]`)
	c, _ := newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, users, 5)
	assert.Equal(t, CreatedVia(CreatedViaAutoJoin), users[0].CreatedVia)
	assert.True(t, users[0].CreatedVia.Documented())
	assert.Equal(t, 2026, users[0].LastSignIn.Year())
	assert.Equal(t, time.June, users[0].SharedWithUser.LastSignIn.Month(), "anywhere is sharedWithUser's")
	assert.Equal(t, time.May, users[0].LastSignIn.Month(), "here is the record's")
	assert.Equal(t, CreatedVia("joined_by_carrier_pigeon"), users[1].CreatedVia)
	assert.False(t, users[1].CreatedVia.Documented())
	assert.Equal(t, CreatedVia(""), users[2].CreatedVia)
	assert.True(t, users[2].SharedWithUser.LastSignIn.IsZero())
	assert.Equal(t, CreatedVia("7"), users[3].CreatedVia)
	assert.True(t, users[3].SharedWithUser.LastSignIn.IsZero())
	assert.JSONEq(t, `{"how":"x"}`, string(users[4].CreatedVia))
}

// TestUserSummaryHasEveryTypedField: a field added to User for reading must reach the summary the sync uses,
// so User's only typed field is the summary it embeds.
func TestUserSummaryHasEveryTypedField(t *testing.T) {
	full := reflect.TypeOf(User{})
	for i := range full.NumField() {
		f := full.Field(i)
		if f.IsExported() {
			assert.True(t, f.Anonymous && f.Type == reflect.TypeOf(UserSummary{}), "User has its own typed field %s: add it to UserSummary", f.Name)
		}
	}
}
