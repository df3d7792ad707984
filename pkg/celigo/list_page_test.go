package celigo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

func TestNextLink(t *testing.T) {
	cases := []struct {
		name, header, want string
	}{
		{"empty", "", ""},
		{"quoted", `<https://api.integrator.io/v1/ashares?after=abc>; rel="next"`, "https://api.integrator.io/v1/ashares?after=abc"},
		{"unquoted", `<https://h/v1/ashares?after=abc>; rel=next`, "https://h/v1/ashares?after=abc"},
		{"no spaces", `<https://h/n>;rel=next`, "https://h/n"},
		{"spaces around =", `<https://h/n> ;  rel = "next" `, "https://h/n"},
		{"tabs", "<https://h/n>;\trel=next", "https://h/n"},
		{"case-insensitive rel value", `<https://h/n>; rel="NEXT"`, "https://h/n"},
		{"case-insensitive rel name", `<https://h/n>; REL=Next`, "https://h/n"},
		{"several rels, next first", `<https://h/n>; rel="next last"`, "https://h/n"},
		{"several rels, next second", `<https://h/n>; rel="last next"`, "https://h/n"},
		{"prev before", `<https://h/p>; rel="prev", <https://h/n>; rel="next"`, "https://h/n"},
		{"last after", `<https://h/n>; rel="next", <https://h/l>; rel="last"`, "https://h/n"},
		{"prev and last around", `<https://h/p>; rel=prev, <https://h/n>; rel=next, <https://h/l>; rel=last`, "https://h/n"},
		{"commas inside the URL", `<https://h/p?a=1,2>; rel="prev", <https://h/n?after=x,y,z>; rel="next"`, "https://h/n?after=x,y,z"},
		{"semicolon inside the URL", `<https://h/n;v=1?a=b>; rel="next"`, "https://h/n;v=1?a=b"},
		{"quoted param holding a comma", `<https://h/p>; title="a, <https://h/evil>; rel=next"; rel="prev", <https://h/n>; rel="next"`, "https://h/n"},
		{"quoted param holding '; rel=next'", `<https://h/p>; title="x; rel=next"; rel="prev"`, ""},
		{"escaped quotes in a quoted param", `<https://h/p>; title="a \"b\", next"; rel="prev", <https://h/n>; rel="next"`, "https://h/n"},
		{"other param before rel", `<https://h/n>; type="application/json"; rel="next"`, "https://h/n"},
		{"title named next is not a rel", `<https://h/p>; rel="prev"; title="next"`, ""},
		{"only prev", `<https://h/p>; rel="prev"`, ""},
		{"nextpage is not next", `<https://h/n>; rel="nextpage"`, ""},
		{"an extension relation is not next", `<https://h/n>; rel="https://example.com/rels/next"`, ""},
		{"rel missing", `<https://h/n>`, ""},
		{"stray semicolons", `<https://h/n>;; rel=next;`, "https://h/n"},
		{"garbage", `;;;,,,<<>>"""`, ""},
		{"garbage then valid", `nonsense, <https://h/n>; rel="next"`, "https://h/n"},
		{"an unreadable prev does not hide next", `<https://h/p q>; rel="prev", <https://h/n>; rel="next"`, "https://h/n"},
		{"the same next twice", `<https://h/1>; rel="next", <https://h/1>; rel=next`, "https://h/1"},
		{"relative target", `</v1/ashares?after=2>; rel="next"`, "/v1/ashares?after=2"},
		{"fragment", `<https://h/n?after=2#x>; rel="next"`, "https://h/n?after=2#x"},
		{"a later rel that is not next", `<https://h/n>; rel=next; rel=prev`, "https://h/n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NextLink(tc.header)
			if err != nil {
				t.Fatalf("header %s: %v", tc.header, err)
			}
			if got != tc.want {
				t.Errorf("header %s: got %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

// TestNextLinkUnreadable: a header that names a next page the parser cannot read with certainty is an error,
// never "this was the last page".
func TestNextLinkUnreadable(t *testing.T) {
	for name, header := range map[string]string{
		"no angle brackets":           `https://h/n; rel="next"`,
		"single quotes":               `<https://h/n>; rel='next'`,
		"backticks":                   "<https://h/n>; rel=`next`",
		"space in the target":         `<https://h/v1/ashares?after=a b>; rel="next"`,
		"quote in the target":         `<https://h/v1/ashares?after="b">; rel="next"`,
		"non-ASCII in the target":     `<https://h/v1/ashares?after=é>; rel="next"`,
		"empty target":                `<>; rel="next"`,
		"unterminated target":         `<https://h/n; rel="next"`,
		"unterminated quote":          `<https://h/n>; rel="next`,
		"text between > and ;":        `<https://h/n> x; rel="next"`,
		"missing semicolon":           `<https://h/n> rel="next"`,
		"comma inside the rel value":  `<https://h/n>; rel="next,prev"`,
		"rel given twice":             `<https://h/p>; rel="prev"; rel="next"`,
		"two different next links":    `<https://h/1>; rel="next", <https://h/2>; rel="next"`,
		"bad param name":              `<https://h/n>; r@l=next`,
		"unquoted value with a space": `<https://h/n>; rel=next prev`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := NextLink(header)
			if err == nil {
				t.Fatalf("header %s read as %q: err = nil, want an error", header, got)
			}
			if got != "" {
				t.Errorf(`got = %q, want ""`, got)
			}
		})
	}
}

// pagedUsers serves n records at page size 1 on /v1/ashares; the page index rides in ?after=.
// links turns the next (and prev/last) URLs into the Link header values to send.
func pagedUsers(t *testing.T, n int, links func(next, prev, last string) []string) *fakeAPI {
	t.Helper()
	var api *fakeAPI
	api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.Path != "/v1/ashares" {
			http.NotFound(w, r)
			return
		}
		i := 0
		if a := r.URL.Query().Get("after"); a != "" {
			var err error
			if i, err = strconv.Atoi(a); err != nil || i < 0 || i >= n {
				writeJSONBody(w, 400, `{"errors":[{"code":"invalid_query_params","message":"bad after"}]}`)
				return
			}
		}
		pageURL := func(k int) string {
			// Extra opaque parameters with commas and escapes: they must be followed verbatim.
			return fmt.Sprintf("%s/v1/ashares?after=%d&sig=a,b%%2Cc&z=%%7E", api.URL, k)
		}
		var next, prev string
		if i+1 < n {
			next = pageURL(i + 1)
		}
		if i > 0 {
			prev = pageURL(i - 1)
		}
		for _, l := range links(next, prev, pageURL(n-1)) {
			w.Header().Add("Link", l)
		}
		writeJSONBody(w, 200, fmt.Sprintf(`[{"_id":"u%02d","accessLevel":"monitor","sharedWithUser":{"email":"u%02d@example.com"}}]`, i, i))
	})
	return api
}

func walkUsers(t *testing.T, c *Client) ([]string, []string) {
	t.Helper()
	var ids, tokens []string
	token := ""
	for range 100 {
		users, next, err := c.ListUsers(context.Background(), token)
		if err != nil {
			t.Fatalf("c.ListUsers: %v", err)
		}
		for _, u := range users {
			ids = append(ids, u.ID)
		}
		if next == "" {
			return ids, tokens
		}
		if next == token {
			t.Fatalf("a page token must never repeat (the SDK treats it as an error): next = %q, want anything else", next)
		}
		tokens = append(tokens, next)
		token = next
	}
	t.Fatal("paging did not end")
	return nil, nil
}

func TestListUsersWalksAllPagesOfOne(t *testing.T) {
	const n = 5
	want := []string{"u00", "u01", "u02", "u03", "u04"}
	variants := map[string]func(next, prev, last string) []string{
		"quoted rel": func(next, _, _ string) []string {
			if next == "" {
				return nil
			}
			return []string{`<` + next + `>; rel="next"`}
		},
		"unquoted rel": func(next, _, _ string) []string {
			if next == "" {
				return nil
			}
			return []string{`<` + next + `>; rel=next`}
		},
		"prev and last around next in one header": func(next, prev, last string) []string {
			var parts []string
			if prev != "" {
				parts = append(parts, `<`+prev+`>; rel="prev"`)
			}
			if next != "" {
				parts = append(parts, `<`+next+`>; rel="next"`)
			}
			parts = append(parts, `<`+last+`>; rel="last"`)
			return []string{strings.Join(parts, ", ")}
		},
		"next before prev": func(next, prev, _ string) []string {
			var parts []string
			if next != "" {
				parts = append(parts, `<`+next+`>; rel=next`)
			}
			if prev != "" {
				parts = append(parts, `<`+prev+`>; rel=prev`)
			}
			if len(parts) == 0 {
				return nil
			}
			return []string{strings.Join(parts, ",")}
		},
		"several Link headers": func(next, prev, last string) []string {
			var out []string
			if prev != "" {
				out = append(out, `<`+prev+`>; rel="prev"`)
			}
			if next != "" {
				out = append(out, `<`+next+`>; rel="next"`)
			}
			return append(out, `<`+last+`>; rel="last"`)
		},
	}
	for name, links := range variants {
		t.Run(name, func(t *testing.T) {
			api := pagedUsers(t, n, links)
			c, _ := newTestClient(t, api.URL)
			ids, tokens := walkUsers(t, c)
			if !reflect.DeepEqual(ids, want) {
				t.Errorf("ids = %q, want %q", ids, want)
			}
			if len(tokens) != n-1 {
				t.Fatalf("len(tokens) = %d, want %d", len(tokens), n-1)
			}
			hits := api.Hits()
			if len(hits) != n {
				t.Fatalf("one request per page, no more: len(hits) = %d, want %d", len(hits), n)
			}
			if hits[0].RawQuery != "" {
				t.Errorf(`hits[0].RawQuery = %q, want ""`, hits[0].RawQuery)
			}
			for i, h := range hits[1:] {
				// The absolute next URL is followed verbatim: the opaque query is not rebuilt.
				if got, want := h.RawQuery, fmt.Sprintf("after=%d&sig=a,b%%2Cc&z=%%7E", i+1); got != want {
					t.Errorf("h.RawQuery = %q, want %q", got, want)
				}
				if tokens[i] != api.URL+"/v1/ashares?"+h.RawQuery {
					t.Errorf("tokens[i] = %q, want %q", tokens[i], api.URL+"/v1/ashares?"+h.RawQuery)
				}
				if got := h.Header.Get("Authorization"); got != "Bearer "+testToken {
					t.Errorf(`h.Header.Get("Authorization") = %q, want %q`, got, "Bearer "+testToken)
				}
			}
		})
	}
}

func TestListUsersRelativeNextLink(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.RawQuery == "" {
			w.Header().Set("Link", `</v1/ashares?after=1>; rel="next"`)
			writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`)
			return
		}
		writeJSONBody(w, 200, `[{"_id":"b","sharedWithUser":{"_id":"pb"}}]`)
	})
	c, _ := newTestClient(t, api.URL)
	_, next, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if next != api.URL+"/v1/ashares?after=1" {
		t.Errorf("a relative link is resolved to an absolute token: next = %q, want %q", next, api.URL+"/v1/ashares?after=1")
	}
	users, next, err := c.ListUsers(context.Background(), next)
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("len(users) = %d, want %d", len(users), 1)
	}
	if users[0].ID != "b" {
		t.Errorf("users[0].ID = %q, want %q", users[0].ID, "b")
	}
	if next != "" {
		t.Errorf(`next = %q, want ""`, next)
	}
}

// Both list endpoints against the strict fake, page size 1 and both rel spellings.
func TestListAgainstFakeAllPages(t *testing.T) {
	for _, unquoted := range []bool{false, true} {
		t.Run(fmt.Sprintf("unquoted=%v", unquoted), func(t *testing.T) {
			acct := celigotest.Generate(7, 6, 4)
			srv := celigotest.NewServer(testToken, acct)
			t.Cleanup(srv.Close)
			srv.SetPageSize(1)
			srv.SetUnquotedRel(unquoted)
			c, _ := newTestClient(t, srv.URL)
			ctx := context.Background()

			var gotUsers []string
			for token, first := "", true; first || token != ""; first = false {
				users, next, err := c.ListUsers(ctx, token)
				if err != nil {
					t.Fatalf("c.ListUsers: %v", err)
				}
				if len(users) > 1 {
					t.Fatalf("len(users) = %d, want <= 1", len(users))
				}
				for _, u := range users {
					gotUsers = append(gotUsers, u.ID)
				}
				token = next
			}
			var wantUsers []string
			for _, rec := range srv.Shares() {
				wantUsers = append(wantUsers, rec["_id"].(string))
			}
			if len(wantUsers) == 0 {
				t.Fatal("wantUsers is empty")
			}
			if !reflect.DeepEqual(gotUsers, wantUsers) {
				t.Errorf("gotUsers = %q, want %q", gotUsers, wantUsers)
			}

			var gotIntegs []string
			for token, first := "", true; first || token != ""; first = false {
				items, next, err := c.ListIntegrations(ctx, token)
				if err != nil {
					t.Fatalf("c.ListIntegrations: %v", err)
				}
				for _, it := range items {
					gotIntegs = append(gotIntegs, it.ID)
					if it.Name == "" {
						t.Error(`it.Name = ""`)
					}
				}
				token = next
			}
			var wantIntegs []string
			for _, in := range srv.Integrations() {
				wantIntegs = append(wantIntegs, in.ID)
			}
			if !reflect.DeepEqual(gotIntegs, wantIntegs) {
				t.Errorf("gotIntegs = %q, want %q", gotIntegs, wantIntegs)
			}

			reqs := srv.Requests()
			if len(reqs) != len(wantUsers)+len(wantIntegs) {
				t.Errorf("one request per record at page size 1: len(reqs) = %d, want %d", len(reqs), len(wantUsers)+len(wantIntegs))
			}
			for _, r := range reqs {
				if !r.Authorized {
					t.Errorf("%s %s?%s: r.Authorized is false", r.Method, r.Path, r.RawQuery)
				}
				if r.Status != http.StatusOK {
					t.Errorf("r.Status = %d, want %d", r.Status, http.StatusOK)
				}
			}
		})
	}
}

// A next link that leaves the configured origin is refused, and nothing is sent there.
func TestNextLinkToAnotherOriginRefused(t *testing.T) {
	type setup struct {
		base    *fakeAPI
		other   *fakeAPI
		options []func(*Config)
	}
	plain := func(t *testing.T, link func(base, other *fakeAPI) string) setup {
		other := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
		var base *fakeAPI
		base = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
			w.Header().Set("Link", "<"+link(base, other)+`>; rel="next"`)
			writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`)
		})
		return setup{base: base, other: other}
	}
	port := func(f *fakeAPI) string { u, _ := url.Parse(f.URL); return u.Port() }

	cases := map[string]func(t *testing.T) setup{
		"another port": func(t *testing.T) setup {
			return plain(t, func(_, other *fakeAPI) string { return other.URL + "/v1/ashares?after=1" })
		},
		"another host name, other server": func(t *testing.T) setup {
			return plain(t, func(_, other *fakeAPI) string { return "http://localhost:" + port(other) + "/v1/ashares?after=1" })
		},
		"another host name, same port": func(t *testing.T) setup {
			return plain(t, func(base, _ *fakeAPI) string { return "http://localhost:" + port(base) + "/v1/ashares?after=1" })
		},
		"a remote host": func(t *testing.T) setup {
			return plain(t, func(_, _ *fakeAPI) string { return "https://evil.example.com/v1/ashares?after=1" })
		},
		"credentials in the link": func(t *testing.T) setup {
			return plain(t, func(base, _ *fakeAPI) string {
				return "http://user:pw@127.0.0.1:" + port(base) + "/v1/ashares?after=1"
			})
		},
		"https to http downgrade, other server": func(t *testing.T) setup {
			other := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
			base := newTLSFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				w.Header().Set("Link", "<"+other.URL+`/v1/ashares?after=1>; rel="next"`)
				writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`)
			})
			return setup{base: base, other: other, options: []func(*Config){func(c *Config) { c.HTTPClient = base.Client() }}}
		},
		"https to http downgrade, same host and port": func(t *testing.T) setup {
			other := newFakeAPI(t, nil)
			var base *fakeAPI
			base = newTLSFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				w.Header().Set("Link", "<http://"+strings.TrimPrefix(base.URL, "https://")+`/v1/ashares?after=1>; rel="next"`)
				writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`)
			})
			return setup{base: base, other: other, options: []func(*Config){func(c *Config) { c.HTTPClient = base.Client() }}}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			c, _ := newTestClient(t, s.base.URL, s.options...)
			users, next, err := c.ListUsers(context.Background(), "")
			if err == nil {
				t.Fatal("c.ListUsers: err = nil, want an error")
			}
			if got := status.Code(err); got != codes.PermissionDenied {
				t.Errorf("error: %v: status.Code(err) = %v, want %v", err, got, codes.PermissionDenied)
			}
			if users != nil {
				t.Errorf("no partial page with an error: users = %v, want nil", users)
			}
			if next != "" {
				t.Errorf(`next = %q, want ""`, next)
			}
			requireNoToken(t, err)
			if got := s.base.Count(); got != 1 {
				t.Errorf("only the first page was requested: s.base.Count() = %d, want %d", got, 1)
			}
			if got := s.other.Count(); got != 0 {
				t.Errorf("the other server must not be contacted: s.other.Count() = %d, want 0", got)
			}
		})
	}
}

func TestNextLinkLoopsAndOtherEndpointsRefused(t *testing.T) {
	cases := map[string]struct {
		link  func(base string, r *http.Request) string
		token func(base string) string
	}{
		"first page repeated": {
			link: func(base string, _ *http.Request) string { return base + "/v1/ashares" },
		},
		"later page repeated": {
			link:  func(base string, r *http.Request) string { return base + "/v1/ashares?" + r.URL.RawQuery },
			token: func(base string) string { return base + "/v1/ashares?after=3" },
		},
		"another endpoint": {
			link: func(base string, _ *http.Request) string { return base + "/v1/integrations?after=1" },
		},
		"a sub-resource": {
			link: func(base string, _ *http.Request) string { return base + "/v1/ashares/abc/disable" },
		},
		"dot segments out of the endpoint": {
			link: func(base string, _ *http.Request) string { return base + "/v1/ashares/../tokenInfo?after=1" },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
				w.Header().Set("Link", "<"+tc.link(api.URL, r)+`>; rel="next"`)
				writeJSONBody(w, 200, `[{"_id":"a"}]`)
			})
			c, _ := newTestClient(t, api.URL)
			token := ""
			if tc.token != nil {
				token = tc.token(api.URL)
			}
			users, next, err := c.ListUsers(context.Background(), token)
			if err == nil {
				t.Fatal("c.ListUsers: err = nil, want an error")
			}
			if got := status.Code(err); got == codes.OK {
				t.Errorf("status.Code(err) = %v, want anything else", got)
			}
			if users != nil {
				t.Errorf("users = %v, want nil", users)
			}
			if next != "" {
				t.Errorf(`next = %q, want ""`, next)
			}
			if !strings.Contains(err.Error(), "/v1/ashares") {
				t.Errorf("err = %q, want it to contain %q", err, "/v1/ashares")
			}
			if got := api.Count(); got != 1 {
				t.Errorf("exactly one request: the bad link is not followed: api.Count() = %d, want %d", got, 1)
			}
			requireNoToken(t, err)
		})
	}
}

func TestForgedPageTokenRefusedBeforeAnyRequest(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
	other := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
	u, _ := url.Parse(api.URL)
	tokens := []string{
		"https://evil.example.com/v1/ashares?after=1",
		other.URL + "/v1/ashares?after=1",
		"http://localhost:" + u.Port() + "/v1/ashares?after=1",
		"https://" + u.Host + "/v1/ashares?after=1",
		"http://user:pw@" + u.Host + "/v1/ashares?after=1",
		api.URL + "/v1/integrations?after=1",
		api.URL + "/v1/ashares/abc",
		"/v1/ashares?after=1",
		"after=1",
		"::not a url::",
		"%zz",
	}
	c, _ := newTestClient(t, api.URL)
	for _, tok := range tokens {
		users, next, err := c.ListUsers(context.Background(), tok)
		if err == nil {
			t.Fatalf("token %q: err = nil, want an error", tok)
		}
		if got := status.Code(err); got != codes.InvalidArgument {
			t.Errorf("token %q: %v: status.Code(err) = %v, want %v", tok, err, got, codes.InvalidArgument)
		}
		if users != nil {
			t.Errorf("users = %v, want nil", users)
		}
		if next != "" {
			t.Errorf(`next = %q, want ""`, next)
		}
		requireNoToken(t, err)
		_, _, err = c.ListIntegrations(context.Background(), strings.Replace(tok, "/v1/integrations", "/v1/ashares", 1))
		if err == nil {
			t.Fatalf("integrations token %q: err = nil, want an error", tok)
		}
		if got := status.Code(err); got != codes.InvalidArgument {
			t.Errorf("status.Code(err) = %v, want %v", got, codes.InvalidArgument)
		}
	}
	if got := api.Count(); got != 0 {
		t.Errorf("nothing is sent for a forged token: api.Count() = %d, want 0", got)
	}
	if got := other.Count(); got != 0 {
		t.Errorf("other.Count() = %d, want 0", got)
	}

	// A genuine token of this endpoint is accepted.
	_, _, err := c.ListUsers(context.Background(), api.URL+"/v1/ashares?after=1")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if got := api.Count(); got != 1 {
		t.Fatalf("api.Count() = %d, want %d", got, 1)
	}
	if got := api.Hits()[0].RawQuery; got != "after=1" {
		t.Errorf("api.Hits()[0].RawQuery = %q, want %q", got, "after=1")
	}
}
