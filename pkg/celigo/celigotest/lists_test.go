package celigotest

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// walk follows Link headers from path and returns every item's _id.
func walk(t *testing.T, s *Server, path string, unquoted bool) []string {
	t.Helper()
	var ids []string
	next := path
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			t.Fatal("too many pages")
		}
		r := call(t, s, http.MethodGet, next, nil)
		wantStatus(t, r, http.StatusOK)
		items := r.json(t).([]any)
		for _, it := range items {
			ids = append(ids, it.(map[string]any)["_id"].(string))
		}
		next = ""
		if link := r.header.Get("Link"); link != "" {
			m := linkRE.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("Link %q does not match %s", link, linkRE)
			}
			if wantRel := map[bool]string{false: `rel="next"`, true: "rel=next"}[unquoted]; m[3] != wantRel {
				t.Fatalf("rel = %s, want %s", m[3], wantRel)
			}
			if !strings.HasPrefix(m[1], s.URL+"/") {
				t.Fatalf("next %s is not on %s", m[1], s.URL)
			}
			if len(items) == 0 {
				t.Fatal("empty page with a next link")
			}
			next = m[1]
		}
	}
	return ids
}

func TestPaging(t *testing.T) {
	acct := Generate(7, 13, 5)
	for _, unquoted := range []bool{false, true} {
		t.Run(fmt.Sprintf("unquoted=%v", unquoted), func(t *testing.T) {
			s := newTestServer(t, acct)
			s.SetPageSize(1)
			s.SetUnquotedRel(unquoted)
			var want []string
			for _, r := range acct.Shares {
				want = append(want, r["_id"].(string))
			}
			if got := walk(t, s, "/v1/ashares", unquoted); !reflect.DeepEqual(got, want) {
				t.Errorf("ashares walk = %v, want %v", got, want)
			}
			want = nil
			for _, in := range acct.Integrations {
				want = append(want, in.ID)
			}
			if got := walk(t, s, "/v1/integrations", unquoted); !reflect.DeepEqual(got, want) {
				t.Errorf("integrations walk = %v, want %v", got, want)
			}
			if n := len(s.Requests()); n != len(acct.Shares)+len(acct.Integrations) {
				t.Errorf("%d requests, want one per item at page size 1", n)
			}
		})
	}
}

func TestDefaultPageAndIntegrationJSON(t *testing.T) {
	acct := small()
	acct.Integrations[0].CreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
	s := newTestServer(t, acct)
	r := call(t, s, http.MethodGet, "/v1/integrations", nil)
	wantStatus(t, r, http.StatusOK)
	if l := r.header.Get("Link"); l != "" {
		t.Errorf("unexpected Link %q on a single page", l)
	}
	items := r.json(t).([]any)
	first, second := items[0].(map[string]any), items[1].(map[string]any)
	if first["createdAt"] != "2025-01-02T03:04:05.006Z" || first["name"] != "Salesforce ↔ NetSuite" || first["description"] != "d" || first["sandbox"] != false {
		t.Errorf("integration JSON = %v", first)
	}
	if _, ok := second["description"]; ok || second["sandbox"] != true {
		t.Errorf("integration JSON = %v", second)
	}
	if _, ok := first["_registeredConnectionIds"]; !ok {
		t.Error("irrelevant fields missing")
	}
	if strings.Contains(string(r.body), `\u`) {
		t.Errorf("body escapes characters: %s", r.body)
	}
}

func TestQueryStrictness(t *testing.T) {
	s := newTestServer(t, Generate(1, 5, 5))
	s.SetPageSize(2)
	link := call(t, s, http.MethodGet, "/v1/integrations", nil).header.Get("Link")
	intCursor := link[strings.Index(link, "after=")+6 : strings.Index(link, ">")]
	link = call(t, s, http.MethodGet, "/v1/ashares", nil).header.Get("Link")
	shareCursor := link[strings.Index(link, "after=")+6 : strings.Index(link, ">")]
	tampered := []byte(shareCursor)
	tampered[3] ^= 1

	for _, path := range []string{
		"/v1/ashares?after=garbage",
		"/v1/ashares?after=",
		"/v1/ashares?after=" + intCursor, // a cursor of another list
		"/v1/ashares?after=" + string(tampered),
		"/v1/ashares?after=" + shareCursor + "&after=" + shareCursor,
		"/v1/ashares?include=_id,name",
		"/v1/integrations?include=name",
		"/v1/ashares?skip=2",
		"/v1/tokenInfo?x=1",
		"/v1/ashares/" + s.Shares()[0]["_id"].(string) + "?include=x",
	} {
		wantError(t, call(t, s, http.MethodGet, path, nil), http.StatusBadRequest, "invalid_query_params")
	}
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares?after="+shareCursor, nil), http.StatusOK)
}

// TestEmptyListIs204: like Celigo, an empty list answers 204 with no body; SetEmptyListAs200 gives 200 [].
func TestEmptyListIs204(t *testing.T) {
	s := newTestServer(t, Account{Owner: Person{ID: "000000000000000000000001", Email: "o@example.com"}})
	for _, path := range []string{"/v1/ashares", "/v1/integrations"} {
		r := call(t, s, http.MethodGet, path, nil)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.body) != 0 || r.header.Get("Link") != "" {
			t.Errorf("%s: 204 with body %q, Link %q", path, r.body, r.header.Get("Link"))
		}
	}
	s.SetEmptyListAs200(true)
	r := call(t, s, http.MethodGet, "/v1/integrations", nil)
	wantStatus(t, r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("body %q", r.body)
	}
}

func TestLinkFormat(t *testing.T) {
	s := newTestServer(t, small())
	s.SetPageSize(1)
	s.SetLinkFormat(func(next string) string { return next + `; rel='next'` })
	r := call(t, s, http.MethodGet, "/v1/ashares", nil)
	wantStatus(t, r, http.StatusOK)
	link := r.header.Get("Link")
	if !strings.HasPrefix(link, s.URL+"/v1/ashares?after=") || !strings.HasSuffix(link, `; rel='next'`) {
		t.Fatalf("Link %q", link)
	}
	// The cursor in it is a real one.
	next := strings.TrimSuffix(link, `; rel='next'`)
	wantStatus(t, call(t, s, http.MethodGet, next, nil), http.StatusOK)
	s.SetLinkFormat(nil)
	if l := call(t, s, http.MethodGet, "/v1/ashares", nil).header.Get("Link"); !strings.HasSuffix(l, `>; rel="next"`) {
		t.Errorf("default Link %q", l)
	}
}

func TestEndlessLists(t *testing.T) {
	follow := func(t *testing.T, s *Server, pages int) (ids []string, statuses []int, urls map[string]bool) {
		t.Helper()
		urls = map[string]bool{}
		next := s.URL + "/v1/ashares"
		for range pages {
			r := call(t, s, http.MethodGet, next, nil)
			statuses = append(statuses, r.status)
			if r.status == http.StatusOK {
				for _, it := range r.json(t).([]any) {
					ids = append(ids, it.(map[string]any)["_id"].(string))
				}
			}
			m := linkRE.FindStringSubmatch(r.header.Get("Link"))
			if m == nil {
				t.Fatalf("page %d has no next link", len(statuses))
			}
			if urls[m[1]] {
				t.Fatalf("next link %s repeats: the list must look new each time", m[1])
			}
			urls[m[1]] = true
			next = m[1]
		}
		return ids, statuses, urls
	}
	t.Run("empty pages", func(t *testing.T) {
		s := newTestServer(t, small())
		s.SetPageSize(2)
		s.SetEndless(EndlessEmpty)
		ids, statuses, _ := follow(t, s, 6)
		if len(ids) != 3 || !reflect.DeepEqual(statuses, []int{200, 200, 204, 204, 204, 204}) {
			t.Fatalf("ids %v statuses %v", ids, statuses)
		}
	})
	t.Run("repeating pages", func(t *testing.T) {
		s := newTestServer(t, small())
		s.SetPageSize(2)
		s.SetEndless(EndlessRepeat)
		ids, statuses, _ := follow(t, s, 6)
		if len(ids) != 9 || statuses[5] != 200 || ids[0] != ids[3] {
			t.Fatalf("ids %v statuses %v", ids, statuses)
		}
	})
}
