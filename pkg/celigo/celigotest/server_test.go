package celigotest

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestAuth(t *testing.T) {
	s := newTestServer(t, small())
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want string
	}{
		{"missing", nil, `{"message":"Unauthorized"}`},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}, `{"message":"Bearer Authentication Failed"}`},
		{"wrong scheme", map[string]string{"Authorization": "Token " + testToken}, `{"message":"Bearer Authentication Failed"}`},
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + testToken}, `{"message":"Bearer Authentication Failed"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := callWith(t, s, http.MethodGet, "/v1/ashares", nil, tc.hdr)
			wantStatus(t, r, http.StatusUnauthorized)
			if got := strings.TrimSpace(string(r.body)); got != tc.want {
				t.Errorf("body = %s, want %s", got, tc.want)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	// Unknown paths still need auth first.
	r := callWith(t, s, http.MethodGet, "/v1/nothing", nil, nil)
	wantStatus(t, r, http.StatusUnauthorized)
}

func TestTokenInfoAndProfile(t *testing.T) {
	acct := small()
	s := newTestServer(t, acct)
	r := call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	wantStatus(t, r, http.StatusOK)
	if got, want := r.json(t), map[string]any{"_userId": acct.Owner.ID, "scope": "*"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tokenInfo = %v, want %v", got, want)
	}
	r = call(t, s, http.MethodGet, "/v1/profile", nil)
	if got, want := r.json(t), map[string]any{"_id": acct.Owner.ID, "email": "owner@example.com", "name": "Owner"}; !reflect.DeepEqual(got, want) {
		t.Errorf("profile = %v, want %v", got, want)
	}

	acct.TokenUserID = "bbbbbbbbbbbbbbbbbbbbbbb2" // bob, who has no name
	s2 := newTestServer(t, acct)
	r = call(t, s2, http.MethodGet, "/v1/tokenInfo", nil)
	if got := r.json(t).(map[string]any)["_userId"]; got != acct.TokenUserID {
		t.Errorf("_userId = %v", got)
	}
	r = call(t, s2, http.MethodGet, "/v1/profile", nil)
	if got, want := r.json(t), map[string]any{"_id": acct.TokenUserID, "email": "bob@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("profile = %v, want %v", got, want)
	}

	acct.ProfileRefused = true
	s3 := newTestServer(t, acct)
	wantError(t, call(t, s3, http.MethodGet, "/v1/profile", nil), http.StatusForbidden, "forbidden")
}

var linkRE = regexp.MustCompile(`^<(http://127\.0\.0\.1:\d+/v1/(ashares|integrations|mcpservers|accesstokens)\?after=[A-Za-z0-9_-]+)>; (rel="next"|rel=next)$`)

func TestRouting(t *testing.T) {
	s := newTestServer(t, small())
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1/nothing"},
		{http.MethodGet, "/ashares"},
		{http.MethodGet, "/v2/ashares"},
		{http.MethodPost, "/v1/ashares"}, // there is no POST /v1/ashares
		{http.MethodPatch, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1"},
		{http.MethodGet, "/v1/ashares/"},
		{http.MethodGet, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1/disable"},
		{http.MethodDelete, "/v1/integrations"},
	} {
		r := call(t, s, tc.method, tc.path, nil)
		if r.status != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", tc.method, tc.path, r.status)
			continue
		}
		r.errCode(t)
	}
	wantError(t, call(t, s, http.MethodGet, "/v1/ashares/ffffffffffffffffffffffff", nil), http.StatusNotFound, "access_restricted")
	wantError(t, call(t, s, http.MethodGet, "/v1/integrations/ffffffffffffffffffffffff", nil), http.StatusNotFound, "access_restricted")
	r := call(t, s, http.MethodGet, "/v1/integrations/65a0c0ffee0000000000b002", nil)
	wantStatus(t, r, http.StatusOK)
	if r.json(t).(map[string]any)["name"] != "山田 sync" {
		t.Errorf("integration = %s", r.body)
	}
}

func TestRequestLog(t *testing.T) {
	s := newTestServer(t, small())
	s.SetPageSize(2)
	callWith(t, s, http.MethodGet, "/v1/ashares", nil, nil)
	call(t, s, http.MethodGet, "/v1/ashares?include=x", nil)
	call(t, s, http.MethodPut, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", map[string]any{"accessLevel": "manage"})
	s.SetFault(func(*http.Request, int) *Fault { return &Fault{Status: 429} })
	call(t, s, http.MethodGet, "/v1/integrations", nil)

	want := []Request{
		{Method: "GET", Path: "/v1/ashares", Authorized: false, Status: 401, Body: []byte{}},
		{Method: "GET", Path: "/v1/ashares", RawQuery: "include=x", Authorized: true, Status: 400, Body: []byte{}},
		{Method: "PUT", Path: "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", Authorized: true, Status: 204, Body: []byte(`{"accessLevel":"manage"}`)},
		{Method: "GET", Path: "/v1/integrations", Authorized: true, Status: 429, Body: []byte{}},
	}
	got := s.Requests()
	for i := range got {
		if got[i].Body == nil {
			got[i].Body = []byte{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log =\n%+v\nwant\n%+v", got, want)
	}
	got[2].Body[0] = 'X'
	if s.Requests()[2].Body[0] != '{' {
		t.Error("Requests shares the body buffer")
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d entries after reset", n)
	}
}

func TestAccessorsCopy(t *testing.T) {
	acct := small()
	s := newTestServer(t, acct)
	acct.Shares[0]["accessLevel"] = "administrator" // the server keeps its own copy
	rec, _ := s.Share("aaaaaaaaaaaaaaaaaaaaaaa1")
	if rec["accessLevel"] != "monitor" {
		t.Fatal("server shares the caller's record")
	}
	rec["integrationAccessLevel"].([]any)[0].(map[string]any)["accessLevel"] = "monitor"
	again, _ := s.Share("aaaaaaaaaaaaaaaaaaaaaaa1")
	if again["integrationAccessLevel"].([]any)[0].(map[string]any)["accessLevel"] != "manage" {
		t.Fatal("Share is not a deep copy")
	}
	a := s.Account()
	a.Shares[1]["accessLevel"] = "monitor"
	a.Integrations[0].Name = "x"
	if s.Shares()[1]["accessLevel"] != "administrator" || s.Integrations()[0].Name == "x" {
		t.Fatal("Account is not a deep copy")
	}

	// SetShare replaces in place and appends new ids.
	nr := NewShare("cccccccccccccccccccccccc", Person{ID: "dddddddddddddddddddddddd", Email: "c@example.com"}, "manage")
	s.SetShare(nr)
	s.SetShare(NewShare("aaaaaaaaaaaaaaaaaaaaaaa1", Person{ID: "bbbbbbbbbbbbbbbbbbbbbbb1", Email: "jane@example.com"}, ""))
	ids := walk(t, s, "/v1/ashares", false)
	if !reflect.DeepEqual(ids, []string{"aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaaaaaaaaa3", "cccccccccccccccccccccccc"}) {
		t.Errorf("ids = %v", ids)
	}
	if _, ok := s.Shares()[0]["accessLevel"]; ok {
		t.Error("SetShare did not replace")
	}
}

func TestNewHandlerHasNoURL(t *testing.T) {
	h := NewHandler(testToken, small())
	if h.URL != "" {
		t.Errorf("URL = %q", h.URL)
	}
	h.Close() // harmless without a listener
}

func TestConcurrent(t *testing.T) {
	acct := Generate(3, 40, 10)
	s := newTestServer(t, acct)
	s.SetPageSize(7)
	s.SetFault(EveryNth(9, http.StatusTooManyRequests, "0"))
	// No t.Fatal off the test goroutine: failures are collected as errors.
	do := func(method, path string, body string) error {
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return err
	}
	errs := make(chan error, 8*15)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 15 {
				rec := acct.Shares[(g*15+i)%len(acct.Shares)]
				id := rec["_id"].(string)
				var err error
				switch i % 5 {
				case 0:
					err = do(http.MethodGet, "/v1/ashares", "")
				case 1:
					err = do(http.MethodPut, "/v1/ashares/"+id+"/disable", "")
				case 2:
					err = do(http.MethodPut, "/v1/ashares/"+id, `{"accessLevel":"monitor"}`)
				case 3:
					err = do(http.MethodPost, "/v1/invite", fmt.Sprintf(`{"email":"c%d-%d@example.com"}`, g, i))
				case 4:
					s.SetShare(rec)
					_ = s.Account()
					_ = s.Requests()
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, r := range s.Requests() {
		if r.Status == 0 {
			t.Errorf("request %s %s logged without a status", r.Method, r.Path)
		}
	}
}
