package celigo

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

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
			if r.err == nil {
				t.Fatal("a bad answer must never decode into an empty success: r.err = nil, want an error")
			}
			if r.n != 0 {
				t.Errorf("no data alongside an error: r.n = %d, want 0", r.n)
			}
			if r.next != "" {
				t.Errorf(`r.next = %q, want ""`, r.next)
			}
			if !strings.Contains(r.err.Error(), tc.path) {
				t.Errorf("r.err = %q, want it to contain %q", r.err, tc.path)
			}
			if got := status.Code(r.err); got == codes.OK {
				t.Errorf("status.Code(r.err) = %v, want anything else", got)
			}
			if got := status.Code(r.err); got == codes.NotFound {
				t.Errorf("NotFound would be skipped by the SDK: status.Code(r.err) = %v, want anything else", got)
			}
			if garbledAnswers[tc.name] {
				if got := api.Count(); got <= 1 {
					t.Errorf("a garbled answer to a GET is asked again: api.Count() = %d, want > 1", got)
				}
				if !strings.Contains(r.err.Error(), "giving up") {
					t.Errorf("r.err = %q, want it to contain %q", r.err, "giving up")
				}
				if got := status.Code(r.err); got != codes.Aborted {
					t.Errorf("%v: status.Code(r.err) = %v, want %v", r.err, got, codes.Aborted)
				}
			} else {
				if got := api.Count(); got != 1 {
					t.Errorf("JSON of the wrong shape is not asked again: api.Count() = %d, want %d", got, 1)
				}
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
			if err != nil {
				t.Fatalf("c.ListUsers: %v", err)
			}
			if len(users) != 2 {
				t.Fatalf("len(users) = %d, want %d", len(users), 2)
			}
			if next != "" {
				t.Errorf(`next = %q, want ""`, next)
			}
			if got := api.Count(); got != 2 {
				t.Errorf("api.Count() = %d, want %d", got, 2)
			}
			if got := sl.Waits(); len(got) != 1 {
				t.Fatalf("len(sl.Waits()) = %d, want %d", len(got), 1)
			}
			if got := sl.Waits()[0]; got <= 0 {
				t.Errorf("the retry waits like after a 5xx: sl.Waits()[0] = %v, want > 0", got)
			}
		})
	}
}

// TestWritesAreNotRepeatedOnGarbledAnswers: a POST whose answer cannot be read may have acted; it is not sent again.
func TestWritesAreNotRepeatedOnGarbledAnswers(t *testing.T) {
	api := serveOnce(t, "application/json", `{"_id":"n1",`)
	c, sl := newTestClient(t, api.URL)
	_, err := c.Invite(context.Background(), Invitation{Email: "a@example.com"})
	if err == nil {
		t.Fatal("c.Invite: err = nil, want an error")
	}
	if got := api.Count(); got != 1 {
		t.Errorf("api.Count() = %d, want %d", got, 1)
	}
	if got := sl.Waits(); len(got) != 0 {
		t.Errorf("sl.Waits() = %v, want empty", got)
	}
}

func TestDecodeNonJSONNamesContentType(t *testing.T) {
	api := serveOnce(t, "text/html; charset=utf-8", "<html><body>Please sign in</body></html>")
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListUsers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "text/html") {
		t.Errorf("err = %q, want it to contain %q", err, "text/html")
	}
	if !strings.Contains(err.Error(), "Please sign in") {
		t.Errorf("err = %q, want it to contain %q", err, "Please sign in")
	}
	if !strings.Contains(err.Error(), "HTTP 200") {
		t.Errorf("err = %q, want it to contain %q", err, "HTTP 200")
	}
}

func TestEmptyListIsNotAnError(t *testing.T) {
	api := serveOnce(t, "application/json", `[]`)
	c, _ := newTestClient(t, api.URL)
	users, next, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 0 {
		t.Errorf("users = %v, want empty", users)
	}
	if next != "" {
		t.Errorf(`next = %q, want ""`, next)
	}
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
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 5 {
		t.Fatalf("len(users) = %d, want %d", len(users), 5)
	}
	if !users[0].LastSignIn.Equal(time.Date(2026, 5, 2, 17, 2, 59, 370e6, time.UTC)) {
		t.Errorf("%v: users[0].LastSignIn.Equal(...) is false", users[0].LastSignIn)
	}
	if !users[0].CreatedAt.Equal(time.Date(2025, 11, 1, 9, 0, 0, 0, time.UTC)) {
		t.Error("users[0].CreatedAt.Equal(...) is false")
	}
	if !users[0].LastModified.Equal(time.Date(2026, 1, 5, 9, 0, 1, 0, time.UTC)) {
		t.Error("users[0].LastModified.Equal(...) is false")
	}
	for _, u := range users[1:] {
		if !u.LastSignIn.IsZero() {
			t.Errorf("%s lastSignIn", u.ID)
		}
		if !u.CreatedAt.IsZero() {
			t.Errorf("%s createdAt", u.ID)
		}
		if !u.LastModified.IsZero() {
			t.Errorf("%s lastModified", u.ID)
		}
	}

	api = serveOnce(t, "application/json", `[{"_id":"i","name":"Ünïcødé ✓ 集成","createdAt":null,"lastModified":"odd"}]`)
	c, _ = newTestClient(t, api.URL)
	items, _, err := c.ListIntegrations(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListIntegrations: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("len(items) = %d, want %d", len(items), 1)
	}
	if items[0].Name != "Ünïcødé ✓ 集成" {
		t.Errorf("items[0].Name = %q, want %q", items[0].Name, "Ünïcødé ✓ 集成")
	}
	if !items[0].CreatedAt.IsZero() {
		t.Error("items[0].CreatedAt.IsZero() is false")
	}
	if !items[0].LastModified.IsZero() {
		t.Error("items[0].LastModified.IsZero() is false")
	}
}

func TestDecodeFullRecord(t *testing.T) {
	api := serveOnce(t, "application/json", sampleRecord)
	c, _ := newTestClient(t, api.URL)
	u, err := c.GetUser(context.Background(), "6798f4dc43db9184f4bc8ee0")
	if err != nil {
		t.Fatalf("c.GetUser: %v", err)
	}
	if u.ID != "6798f4dc43db9184f4bc8ee0" {
		t.Errorf("u.ID = %q, want %q", u.ID, "6798f4dc43db9184f4bc8ee0")
	}
	if u.Accepted == nil {
		t.Fatal("u.Accepted is nil")
	}
	if !*u.Accepted {
		t.Error("*u.Accepted is false")
	}
	if u.IsPending() {
		t.Error("u.IsPending() is true")
	}
	if u.Dismissed {
		t.Error("u.Dismissed is true")
	}
	if u.Disabled {
		t.Error("u.Disabled is true")
	}
	if u.AccessLevel != "monitor" {
		t.Errorf("u.AccessLevel = %q, want %q", u.AccessLevel, "monitor")
	}
	if want := []IntegrationAccess{{IntegrationID: "65a0c0ffee0000000000b001", AccessLevel: "manage"}}; !reflect.DeepEqual(u.IntegrationAccessLevel, want) {
		t.Errorf("u.IntegrationAccessLevel = %v, want %v", u.IntegrationAccessLevel, want)
	}
	if u.AccountSSORequired {
		t.Error("u.AccountSSORequired is true")
	}
	if !u.AccountMFARequired {
		t.Error("u.AccountMFARequired is false")
	}
	if got := u.Email(); got != "jane@example.com" {
		t.Errorf("u.Email() = %q, want %q", got, "jane@example.com")
	}
	wantShared := SharedUser{ID: "624774a6a7574d3ed9f9a5cc", Email: "jane@example.com", Name: "Jane Doe",
		AllowedToResetMFA: true, AccountSSOLinked: "not_linked"}
	if !reflect.DeepEqual(u.SharedWithUser, wantShared) {
		t.Errorf("u.SharedWithUser = %+v, want %+v", u.SharedWithUser, wantShared)
	}
	if u.CreatedVia != CreatedVia(CreatedViaInvite) {
		t.Errorf("u.CreatedVia = %q, want %q", u.CreatedVia, CreatedVia(CreatedViaInvite))
	}
	if !u.CreatedVia.Documented() {
		t.Error("u.CreatedVia.Documented() is false")
	}
	if got := u.LastSignIn.Format(time.RFC3339Nano); got != "2026-05-02T17:02:59.37Z" {
		t.Errorf("u.LastSignIn.Format(time.RFC3339Nano) = %q, want %q", got, "2026-05-02T17:02:59.37Z")
	}
	if got := string(u.Field("futureThing")); !jsonEqual(t, `{"a":1}`, got) {
		t.Errorf(`string(u.Field("futureThing")) = %s, want JSON equal to %s`, got, `{"a":1}`)
	}
	if got := u.Field("nope"); got != nil {
		t.Errorf(`u.Field("nope") = %q, want nil`, got)
	}

	// A list reads the same record into a summary: every typed field, no raw copy of the others.
	api = serveOnce(t, "application/json", `[`+sampleRecord+`]`)
	c, _ = newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("len(users) = %d, want %d", len(users), 1)
	}
	if got, want := users[0], u.Summary(); !reflect.DeepEqual(got, want) {
		t.Errorf("users[0] = %v, want %v", got, want)
	}

	api = serveOnce(t, "application/json", `[{"_id":"x","sharedWithUser":{"_id":"px"}},{"_id":"y","sharedWithUser":{"_id":"py"},"accepted":false},{"_id":"z","sharedWithUser":{"_id":"pz"},"accepted":null}]`)
	c, _ = newTestClient(t, api.URL)
	users, _, err = c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if users[0].IsPending() {
		t.Error("absent accepted is not pending")
	}
	if !users[1].IsPending() {
		t.Error("users[1].IsPending() is false")
	}
	if users[2].IsPending() {
		t.Error("users[2].IsPending() is true")
	}
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
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 5 {
		t.Fatalf("len(users) = %d, want %d", len(users), 5)
	}
	if users[0].CreatedVia != CreatedVia(CreatedViaAutoJoin) {
		t.Errorf("users[0].CreatedVia = %q, want %q", users[0].CreatedVia, CreatedVia(CreatedViaAutoJoin))
	}
	if !users[0].CreatedVia.Documented() {
		t.Error("users[0].CreatedVia.Documented() is false")
	}
	if got := users[0].LastSignIn.Year(); got != 2026 {
		t.Errorf("users[0].LastSignIn.Year() = %d, want %d", got, 2026)
	}
	if got := users[0].SharedWithUser.LastSignIn.Month(); got != time.June {
		t.Errorf("anywhere is sharedWithUser's: users[0].SharedWithUser.LastSignIn.Month() = %v, want %v", got, time.June)
	}
	if got := users[0].LastSignIn.Month(); got != time.May {
		t.Errorf("here is the record's: users[0].LastSignIn.Month() = %v, want %v", got, time.May)
	}
	if users[1].CreatedVia != CreatedVia("joined_by_carrier_pigeon") {
		t.Errorf("users[1].CreatedVia = %q, want %q", users[1].CreatedVia, CreatedVia("joined_by_carrier_pigeon"))
	}
	if users[1].CreatedVia.Documented() {
		t.Error("users[1].CreatedVia.Documented() is true")
	}
	if users[2].CreatedVia != CreatedVia("") {
		t.Errorf("users[2].CreatedVia = %q, want %q", users[2].CreatedVia, CreatedVia(""))
	}
	if !users[2].SharedWithUser.LastSignIn.IsZero() {
		t.Error("users[2].SharedWithUser.LastSignIn.IsZero() is false")
	}
	if users[3].CreatedVia != CreatedVia("7") {
		t.Errorf("users[3].CreatedVia = %q, want %q", users[3].CreatedVia, CreatedVia("7"))
	}
	if !users[3].SharedWithUser.LastSignIn.IsZero() {
		t.Error("users[3].SharedWithUser.LastSignIn.IsZero() is false")
	}
	if !jsonEqual(t, `{"how":"x"}`, string(users[4].CreatedVia)) {
		t.Errorf("string(users[4].CreatedVia) = %s, want JSON equal to %s", string(users[4].CreatedVia), `{"how":"x"}`)
	}
}

// TestUserSummaryHasEveryTypedField: a field added to User for reading must reach the summary the sync uses,
// so User's only typed field is the summary it embeds.
func TestUserSummaryHasEveryTypedField(t *testing.T) {
	full := reflect.TypeOf(User{})
	for i := range full.NumField() {
		f := full.Field(i)
		if f.IsExported() {
			if !f.Anonymous || f.Type != reflect.TypeOf(UserSummary{}) {
				t.Errorf("User has its own typed field %s: add it to UserSummary", f.Name)
			}
		}
	}
}
