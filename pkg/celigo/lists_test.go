package celigo

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestEmptyListAnswers: Celigo answers an empty list with 204 and no body; 200 [] means the same. Both lists.
func TestEmptyListAnswers(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
	}{
		{"204 no body", http.StatusNoContent, "", ""},
		{"204 with a JSON type", http.StatusNoContent, "application/json", ""},
		{"200 []", http.StatusOK, "application/json; charset=utf-8", `[]`},
		{"200 [ ] spaced", http.StatusOK, "application/json; charset=utf-8", " [ ]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				serveAnswer(w, tc.status, tc.contentType, tc.body)
			})
			c, sl := newTestClient(t, api.URL)
			users, next, err := c.ListUsers(context.Background(), "")
			if err != nil {
				t.Fatalf("c.ListUsers: %v", err)
			}
			if users == nil {
				t.Error("users is nil")
			}
			if len(users) != 0 {
				t.Errorf("users = %v, want empty", users)
			}
			if next != "" {
				t.Errorf(`next = %q, want ""`, next)
			}
			items, next, err := c.ListIntegrations(context.Background(), "")
			if err != nil {
				t.Fatalf("c.ListIntegrations: %v", err)
			}
			if items == nil {
				t.Error("items is nil")
			}
			if len(items) != 0 {
				t.Errorf("items = %v, want empty", items)
			}
			if next != "" {
				t.Errorf(`next = %q, want ""`, next)
			}
			if got := api.Count(); got != 2 {
				t.Errorf("an empty list is an answer, not a fault to retry: api.Count() = %d, want %d", got, 2)
			}
			if got := sl.Waits(); len(got) != 0 {
				t.Errorf("sl.Waits() = %v, want empty", got)
			}
		})
	}
}

// TestEmptyPageWithNextLinkFails: an empty page that still links on is how an endless list looks; it fails
// the list instead of being followed.
func TestEmptyPageWithNextLinkFails(t *testing.T) {
	cases := []struct {
		name              string
		status            int
		contentType, body string
	}{
		{"204", http.StatusNoContent, "", ""},
		{"[]", http.StatusOK, "application/json; charset=utf-8", `[]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, _ []byte) {
				w.Header().Set("Link", fmt.Sprintf(`<%s%s?after=%d>; rel="next"`, api.URL, r.URL.Path, n))
				serveAnswer(w, tc.status, tc.contentType, tc.body)
			})
			c, _ := newTestClient(t, api.URL)
			users, next, err := c.ListUsers(context.Background(), "")
			if err == nil {
				t.Fatal("c.ListUsers: err = nil, want an error")
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
			if !strings.Contains(err.Error(), "empty page that still links to a next page") {
				t.Errorf("err = %q, want it to contain %q", err, "empty page that still links to a next page")
			}
			if got := status.Code(err); got != codes.Internal {
				t.Errorf("status.Code(err) = %v, want %v", got, codes.Internal)
			}
			_, _, err = c.ListIntegrations(context.Background(), "")
			if err == nil {
				t.Fatal("c.ListIntegrations: err = nil, want an error")
			}
			if !strings.Contains(err.Error(), "/v1/integrations") {
				t.Errorf("err = %q, want it to contain %q", err, "/v1/integrations")
			}
			if got := api.Count(); got != 2 {
				t.Errorf("the link is not followed: api.Count() = %d, want %d", got, 2)
			}
		})
	}
}

// TestUnreadableLinkHeaderFailsTheList: a next link the parser cannot read fails the page with a message that
// quotes the header; nothing is followed and the page is not taken for the last one.
func TestUnreadableLinkHeaderFailsTheList(t *testing.T) {
	for name, format := range map[string]string{
		"space in the target": `<%s/v1/ashares?after=a b>; rel="next"`,
		"quote in the target": `<%s/v1/ashares?after="b">; rel="next"`,
		"single quotes":       `<%s/v1/ashares?after=2>; rel='next'`,
		"no angle brackets":   `%s/v1/ashares?after=2; rel="next"`,
		"unterminated quote":  `<%s/v1/ashares?after=2>; rel="next`,
		"two next links":      `<%[1]s/v1/ashares?after=2>; rel="next", <%[1]s/v1/ashares?after=3>; rel="next"`,
	} {
		t.Run(name, func(t *testing.T) {
			var api *fakeAPI
			var header string
			api = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				header = fmt.Sprintf(format, api.URL)
				w.Header().Set("Link", header)
				writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`)
			})
			c, sl := newTestClient(t, api.URL)
			users, next, err := c.ListUsers(context.Background(), "")
			if err == nil {
				t.Fatal("c.ListUsers: err = nil, want an error")
			}
			if users != nil {
				t.Errorf("no page alongside the error: users = %v, want nil", users)
			}
			if next != "" {
				t.Errorf(`next = %q, want ""`, next)
			}
			if !strings.Contains(err.Error(), "Link header") {
				t.Errorf("err = %q, want it to contain %q", err, "Link header")
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", header)) {
				t.Errorf("the message quotes the header: err = %q, want it to contain %q", err, fmt.Sprintf("%q", header))
			}
			if got := api.Count(); got != 1 {
				t.Errorf("api.Count() = %d, want %d", got, 1)
			}
			if got := sl.Waits(); len(got) != 0 {
				t.Errorf("a broken header is not a transient fault: sl.Waits() = %v, want empty", got)
			}
			requireNoToken(t, err)
		})
	}
}

// TestUnusualNextLinksAreFollowed: well-formed next links in unusual spellings reach the right page.
func TestUnusualNextLinksAreFollowed(t *testing.T) {
	// In a link, {base} is the server's URL (http://127.0.0.1:port), {host} its host and port, {HOST} the same in
	// capitals; a line break starts another Link header.
	cases := []struct{ name, link string }{
		{"query-only reference", `<?after=1>; rel="next"`},
		{"path-absolute", `</v1/ashares?after=1>; rel=next`},
		{"network-path reference", `<//{host}/v1/ashares?after=1>; rel=next`},
		{"upper-case scheme and host", `<HTTP://{HOST}/v1/ashares?after=1>; rel=next`},
		{"dot segments", `<{base}/v1/x/../ashares?after=1>; rel="next"`},
		{"percent-encoded path", `<{base}/v1/%61shares?after=1>; rel="next"`},
		{"fragment", `<{base}/v1/ashares?after=1#top>; rel="next"`},
		{"rel among others, params", `<{base}/v1/ashares?after=1>; title="p, q; r"; rel="last next"`},
		{"prev and last around, several fields", `<{base}/v1/ashares>; rel=prev, <{base}/v1/ashares?after=1>; REL="NEXT"` + "\n" +
			`<{base}/v1/ashares?after=9>; rel=last`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
				if r.URL.Path != "/v1/ashares" {
					http.NotFound(w, r)
					return
				}
				if r.URL.Query().Get("after") == "1" {
					writeJSONBody(w, 200, `[{"_id":"b","sharedWithUser":{"_id":"pb"}}]`)
					return
				}
				host := strings.TrimPrefix(api.URL, "http://")
				link := strings.NewReplacer("{base}", api.URL, "{host}", host, "{HOST}", strings.ToUpper(host)).Replace(tc.link)
				for _, field := range strings.Split(link, "\n") {
					w.Header().Add("Link", field)
				}
				writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`)
			})
			c, _ := newTestClient(t, api.URL)
			ids, _ := walkUsers(t, c)
			if want := []string{"a", "b"}; !reflect.DeepEqual(ids, want) {
				t.Errorf("ids = %q, want %q", ids, want)
			}
			hits := api.Hits()
			if len(hits) != 2 {
				t.Fatalf("len(hits) = %d, want %d", len(hits), 2)
			}
			if hits[1].Path != "/v1/ashares" {
				t.Errorf("hits[1].Path = %q, want %q", hits[1].Path, "/v1/ashares")
			}
			if hits[1].RawQuery != "after=1" {
				t.Errorf("hits[1].RawQuery = %q, want %q", hits[1].RawQuery, "after=1")
			}
		})
	}
}

// TestPageRecordCap: a page holds at most MaxPageRecords records; one more fails the page clearly instead of
// filling memory.
func TestPageRecordCap(t *testing.T) {
	page := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"_id":"u%d","sharedWithUser":{"_id":"p"}}`, i)
		}
		b.WriteString("]")
		return b.String()
	}
	full, over := page(MaxPageRecords), page(MaxPageRecords+1)

	api := serveOnce(t, "application/json", full)
	c, _ := newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != MaxPageRecords {
		t.Errorf("len(users) = %d, want %d", len(users), MaxPageRecords)
	}

	api = serveOnce(t, "application/json", over)
	c, sl := newTestClient(t, api.URL)
	users, _, err = c.ListUsers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if users != nil {
		t.Errorf("users = %v, want nil", users)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("more than %d records on one page", MaxPageRecords)) {
		t.Errorf("err = %q, want it to contain %q", err, fmt.Sprintf("more than %d records on one page", MaxPageRecords))
	}
	if got := api.Count(); got != 1 {
		t.Errorf("a page too large is not asked again: api.Count() = %d, want %d", got, 1)
	}
	if got := sl.Waits(); len(got) != 0 {
		t.Errorf("sl.Waits() = %v, want empty", got)
	}
}

// TestBodyCap: an answer larger than the cap fails clearly, without being read whole.
func TestBodyCap(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("["))
		chunk := []byte(strings.Repeat(`{"_id":"x"},`, 1<<12))
		for written := 0; written <= maxBody; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListIntegrations(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListIntegrations: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "answer larger than") {
		t.Errorf("err = %q, want it to contain %q", err, "answer larger than")
	}
	if !strings.Contains(err.Error(), "/v1/integrations") {
		t.Errorf("err = %q, want it to contain %q", err, "/v1/integrations")
	}
	if got := api.Count(); got != 1 {
		t.Errorf("api.Count() = %d, want %d", got, 1)
	}
}

// TestListPageMemoryIsWhatIsKept: a page of full records costs, once read, about what the summaries hold:
// not a raw copy of every field of every record (which the write path's User keeps for one record).
func TestListPageMemoryIsWhatIsKept(t *testing.T) {
	const n = 10_000
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strings.Replace(sampleRecord, `"_id":"6798f4dc43db9184f4bc8ee0"`, fmt.Sprintf(`"_id":"r%023d"`, i), 1))
	}
	b.WriteString("]")
	body := b.String()
	api := serveOnce(t, "application/json", body)
	c, _ := newTestClient(t, api.URL)

	before := liveHeap()
	users, _, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	retained := liveHeap() - before
	if len(users) != n {
		t.Fatalf("len(users) = %d, want %d", len(users), n)
	}
	perRecord := retained / n
	t.Logf("%d bytes of JSON a record, %d kept", len(body)/n, perRecord)
	if perRecord >= int64(len(body)/n) {
		t.Errorf("a listed record must cost less than its JSON: perRecord = %d, want < int64(len(body)/n) (%d)", perRecord, int64(len(body)/n))
	}
	runtime.KeepAlive(users)
}

func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// A list answered with another resource's items (a rewrite serving /v1/integrations for /v1/ashares, or
// the other way round) fails the list: access records name their person (sharedWithUser), nothing else does.
func TestListOfAnotherKindFails(t *testing.T) {
	integrations := `[{"_id":"i1","name":"Orders","sandbox":false}]`
	users := `[{"_id":"u1","accessLevel":"monitor","sharedWithUser":{"_id":"p1","email":"a@example.com"}}]`
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		switch r.URL.Path {
		case "/v1/ashares":
			writeJSONBody(w, 200, integrations)
		case "/v1/ashares/i1":
			writeJSONBody(w, 200, strings.Trim(integrations, "[]"))
		default:
			writeJSONBody(w, 200, users)
		}
	})
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListUsers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "names no person") {
		t.Errorf("err = %q, want it to contain %q", err, "names no person")
	}
	_, _, err = c.ListIntegrations(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListIntegrations: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "it is an access record") {
		t.Errorf("err = %q, want it to contain %q", err, "it is an access record")
	}
	_, _, err = c.ListMCPServers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListMCPServers: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "it is an access record") {
		t.Errorf("err = %q, want it to contain %q", err, "it is an access record")
	}
	_, err = c.GetUser(context.Background(), "i1")
	if err == nil {
		t.Fatal("c.GetUser: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "names no person") {
		t.Errorf("err = %q, want it to contain %q", err, "names no person")
	}
}
