package celigo

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			require.NoError(t, err)
			assert.NotNil(t, users)
			assert.Empty(t, users)
			assert.Empty(t, next)
			items, next, err := c.ListIntegrations(context.Background(), "")
			require.NoError(t, err)
			assert.NotNil(t, items)
			assert.Empty(t, items)
			assert.Empty(t, next)
			assert.Equal(t, 2, api.Count(), "an empty list is an answer, not a fault to retry")
			assert.Empty(t, sl.Waits())
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
			require.Error(t, err)
			assert.Nil(t, users)
			assert.Empty(t, next)
			assert.Contains(t, err.Error(), "/v1/ashares")
			assert.Contains(t, err.Error(), "empty page that still links to a next page")
			assert.Equal(t, codes.Internal, status.Code(err))
			_, _, err = c.ListIntegrations(context.Background(), "")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "/v1/integrations")
			assert.Equal(t, 2, api.Count(), "the link is not followed")
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
			require.Error(t, err)
			assert.Nil(t, users, "no page alongside the error")
			assert.Empty(t, next)
			assert.Contains(t, err.Error(), "Link header")
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", header), "the message quotes the header")
			assert.Equal(t, 1, api.Count())
			assert.Empty(t, sl.Waits(), "a broken header is not a transient fault")
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
			assert.Equal(t, []string{"a", "b"}, ids)
			hits := api.Hits()
			require.Len(t, hits, 2)
			assert.Equal(t, "/v1/ashares", hits[1].Path)
			assert.Equal(t, "after=1", hits[1].RawQuery)
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
	require.NoError(t, err)
	assert.Len(t, users, MaxPageRecords)

	api = serveOnce(t, "application/json", over)
	c, sl := newTestClient(t, api.URL)
	users, _, err = c.ListUsers(context.Background(), "")
	require.Error(t, err)
	assert.Nil(t, users)
	assert.Contains(t, err.Error(), fmt.Sprintf("more than %d records on one page", MaxPageRecords))
	assert.Equal(t, 1, api.Count(), "a page too large is not asked again")
	assert.Empty(t, sl.Waits())
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
	require.Error(t, err)
	assert.Contains(t, err.Error(), "answer larger than")
	assert.Contains(t, err.Error(), "/v1/integrations")
	assert.Equal(t, 1, api.Count())
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
	require.NoError(t, err)
	retained := liveHeap() - before
	require.Len(t, users, n)
	perRecord := retained / n
	t.Logf("%d bytes of JSON a record, %d kept", len(body)/n, perRecord)
	assert.Less(t, perRecord, int64(len(body)/n), "a listed record must cost less than its JSON")
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
	require.Error(t, err)
	assert.Contains(t, err.Error(), "names no person")
	_, _, err = c.ListIntegrations(context.Background(), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is an access record")
	_, _, err = c.ListMCPServers(context.Background(), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is an access record")
	_, err = c.GetUser(context.Background(), "i1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "names no person")
}
