package celigotest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const testToken = "tok-123"

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return v
}

// errCode returns the code and field of the first envelope error.
func (r resp) errCode(t *testing.T) (code, field string) {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("error body %s is not an object", r.body)
	}
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("error body %s has no errors array", r.body)
	}
	e := errs[0].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return code, field
}

// call sends an authorized request; body, when not nil, is sent as JSON.
func call(t *testing.T, s *Server, method, path string, body any) resp {
	t.Helper()
	return callWith(t, s, method, path, body, map[string]string{"Authorization": "Bearer " + testToken})
}

func callWith(t *testing.T, s *Server, method, path string, body any, hdr map[string]string) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = s.URL + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func wantStatus(t *testing.T, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

func wantError(t *testing.T, r resp, status int, code string) {
	t.Helper()
	wantStatus(t, r, status)
	if got, _ := r.errCode(t); got != code {
		t.Fatalf("error code = %q, want %q; body %s", got, code, r.body)
	}
}

// small builds a hand-made account: two integrations and a few shares.
func small() Account {
	return Account{
		Owner: Person{ID: "000000000000000000000001", Email: "owner@example.com", Name: "Owner"},
		Integrations: []Integration{
			{ID: "65a0c0ffee0000000000b001", Name: "Salesforce ↔ NetSuite", Description: "d"},
			{ID: "65a0c0ffee0000000000b002", Name: "山田 sync", Sandbox: true},
		},
		Shares: []map[string]any{
			NewShare("aaaaaaaaaaaaaaaaaaaaaaa1", Person{ID: "bbbbbbbbbbbbbbbbbbbbbbb1", Email: "jane@example.com", Name: "Jane"}, "monitor",
				IntegrationAccess{"65a0c0ffee0000000000b001", "manage"}),
			NewShare("aaaaaaaaaaaaaaaaaaaaaaa2", Person{ID: "bbbbbbbbbbbbbbbbbbbbbbb2", Email: "bob@example.com"}, "administrator"),
			NewShare("aaaaaaaaaaaaaaaaaaaaaaa3", Person{ID: "bbbbbbbbbbbbbbbbbbbbbbb3", Email: "zoe@example.com", Name: "Zoë"}, ""),
		},
	}
}

func newTestServer(t *testing.T, acct Account) *Server {
	t.Helper()
	s := NewServer(testToken, acct)
	t.Cleanup(s.Close)
	return s
}
