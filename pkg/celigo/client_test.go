package celigo

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestNewRefusesEmptyTokenWithoutNetwork(t *testing.T) {
	api := newFakeAPI(t, nil)
	for _, tok := range []string{"", "   ", "\t\n"} {
		c, err := New(context.Background(), Config{BaseURL: api.URL, Token: tok})
		if err == nil {
			t.Fatalf("token %q: err = nil, want an error", tok)
		}
		if c != nil {
			t.Errorf("c = %v, want nil", c)
		}
		if !strings.Contains(err.Error(), "token") {
			t.Errorf("err = %q, want it to contain %q", err, "token")
		}
		if !strings.Contains(err.Error(), "BATON_CELIGO_ACCESS_TOKEN") {
			t.Errorf("err = %q, want it to contain %q", err, "BATON_CELIGO_ACCESS_TOKEN")
		}
	}
	if got := api.Count(); got != 0 {
		t.Errorf("New must not call the API: api.Count() = %d, want 0", got)
	}
}

func TestNewRefusesBadRegionAndBaseURL(t *testing.T) {
	_, err := New(context.Background(), Config{Region: "apac", Token: testToken})
	if err == nil {
		t.Fatal("New: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), `"eu"`) {
		t.Errorf("err = %q, want it to contain %q", err, `"eu"`)
	}
	_, err = New(context.Background(), Config{BaseURL: "http://api.integrator.io", Token: testToken})
	if err == nil {
		t.Fatal("New: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err = %q, want it to contain %q", err, "loopback")
	}
	requireNoToken(t, err)
}

func TestNewRegionHosts(t *testing.T) {
	c, err := New(context.Background(), Config{Token: testToken})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := c.BaseURL(); got != "https://api.integrator.io" {
		t.Errorf("c.BaseURL() = %q, want %q", got, "https://api.integrator.io")
	}
	if got := c.Host(); got != "api.integrator.io" {
		t.Errorf("c.Host() = %q, want %q", got, "api.integrator.io")
	}
	if got := c.Region(); got != "us" {
		t.Errorf("c.Region() = %q, want %q", got, "us")
	}

	c, err = New(context.Background(), Config{Token: testToken, Region: "EU"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := c.BaseURL(); got != "https://api.eu.integrator.io" {
		t.Errorf("c.BaseURL() = %q, want %q", got, "https://api.eu.integrator.io")
	}
	if got := c.Region(); got != "eu" {
		t.Errorf("c.Region() = %q, want %q", got, "eu")
	}
	if got := c.endpoint(pathUsers); got != "https://api.eu.integrator.io/v1/ashares" {
		t.Errorf("c.endpoint(pathUsers) = %q, want %q", got, "https://api.eu.integrator.io/v1/ashares")
	}
}

func TestEveryRequestCarriesAuthAndAccept(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/ashares":
			writeJSONBody(w, 200, `[{"_id":"u1","accessLevel":"monitor","disabled":false,"sharedWithUser":{"_id":"p1"}}]`)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/ashares/u1":
			writeJSONBody(w, 200, `{"_id":"u1","accessLevel":"monitor","disabled":false,"sharedWithUser":{"_id":"p1"}}`)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/integrations":
			writeJSONBody(w, 200, `[]`)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/tokenInfo":
			writeJSONBody(w, 200, `{"_userId":"owner1","scope":"*"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/v1/invite":
			writeJSONBody(w, 201, `{"_id":"u2","accepted":false,"sharedWithUser":{"email":"new@example.com"}}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()

	_, _, err := c.ListUsers(ctx, "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	_, _, err = c.ListIntegrations(ctx, "")
	if err != nil {
		t.Fatalf("c.ListIntegrations: %v", err)
	}
	ti, err := c.TokenInfo(ctx)
	if err != nil {
		t.Fatalf("c.TokenInfo: %v", err)
	}
	if ti.UserID != "owner1" {
		t.Errorf("ti.UserID = %q, want %q", ti.UserID, "owner1")
	}
	u, err := c.GetUser(ctx, "u1")
	if err != nil {
		t.Fatalf("c.GetUser: %v", err)
	}
	if err := c.UpdateUser(ctx, u.ID, u); err != nil {
		t.Fatalf("c.UpdateUser: %v", err)
	}
	if err := c.ToggleDisabled(ctx, "u1"); err != nil {
		t.Fatalf("c.ToggleDisabled: %v", err)
	}
	if err := c.DeleteUser(ctx, "u1"); err != nil {
		t.Fatalf("c.DeleteUser: %v", err)
	}
	inv, err := c.Invite(ctx, Invitation{Email: "new@example.com"})
	if err != nil {
		t.Fatalf("c.Invite: %v", err)
	}
	if inv == nil {
		t.Fatal("inv is nil")
	}
	if inv.ID != "u2" {
		t.Errorf("inv.ID = %q, want %q", inv.ID, "u2")
	}
	if !inv.IsPending() {
		t.Error("inv.IsPending() is false")
	}

	hits := api.Hits()
	if len(hits) != 8 {
		t.Fatalf("len(hits) = %d, want %d", len(hits), 8)
	}
	for _, h := range hits {
		if got := h.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf(`%s %s: h.Header.Get("Authorization") = %q, want %q`, h.Method, h.Path, got, "Bearer "+testToken)
		}
		if got := h.Header.Get("Accept"); got != "application/json" {
			t.Errorf(`%s %s: h.Header.Get("Accept") = %q, want %q`, h.Method, h.Path, got, "application/json")
		}
		if got := h.Header.Get("User-Agent"); !strings.Contains(got, testUserAgent) {
			t.Errorf(`%s %s: h.Header.Get("User-Agent") = %q, want it to contain %q`, h.Method, h.Path, got, testUserAgent)
		}
		if len(h.Body) > 0 {
			if got := h.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf(`%s %s carries a body: h.Header.Get("Content-Type") = %q, want %q`, h.Method, h.Path, got, "application/json")
			}
			if !json.Valid(h.Body) {
				t.Errorf("%s %s body is JSON", h.Method, h.Path)
			}
		} else {
			if got := h.Header.Get("Content-Type"); got != "" {
				t.Errorf(`%s %s has no body: h.Header.Get("Content-Type") = %q, want ""`, h.Method, h.Path, got)
			}
		}
		if h.RawQuery != "" {
			t.Errorf(`%s %s: first pages carry no query (no include=): h.RawQuery = %q, want ""`, h.Method, h.Path, h.RawQuery)
		}
	}
	// The writes that carry a body: PUT of the record and POST of the invite.
	if hits[4].Method != http.MethodPut {
		t.Errorf("hits[4].Method = %q, want %q", hits[4].Method, http.MethodPut)
	}
	if hits[4].Path != "/v1/ashares/u1" {
		t.Errorf("hits[4].Path = %q, want %q", hits[4].Path, "/v1/ashares/u1")
	}
	if len(hits[4].Body) == 0 {
		t.Error("hits[4].Body is empty")
	}
	if hits[7].Method != http.MethodPost {
		t.Errorf("hits[7].Method = %q, want %q", hits[7].Method, http.MethodPost)
	}
	if !jsonEqual(t, `{"email":"new@example.com"}`, string(hits[7].Body)) {
		t.Errorf("string(hits[7].Body) = %s, want JSON equal to %s", string(hits[7].Body), `{"email":"new@example.com"}`)
	}
}

func TestDefaultUserAgent(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
	c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.UserAgent = "" })
	_, _, err := c.ListIntegrations(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListIntegrations: %v", err)
	}
	if got := api.Count(); got != 1 {
		t.Fatalf("api.Count() = %d, want %d", got, 1)
	}
	if got := api.Hits()[0].Header.Get("User-Agent"); !strings.Contains(got, "baton-celigo") {
		t.Errorf(`api.Hits()[0].Header.Get("User-Agent") = %q, want it to contain %q`, got, "baton-celigo")
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	var api *fakeAPI
	api = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.RawQuery == "" {
			w.Header().Set("Link", "<"+api.URL+"/proxy/v1/integrations?after=2>; rel=\"next\"")
			writeJSONBody(w, 200, `[{"_id":"i1","name":"one"}]`)
			return
		}
		writeJSONBody(w, 200, `[{"_id":"i2","name":"two"}]`)
	})
	c, _ := newTestClient(t, api.URL+"/proxy/")
	items, next, err := c.ListIntegrations(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListIntegrations: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("len(items) = %d, want %d", len(items), 1)
	}
	if next != api.URL+"/proxy/v1/integrations?after=2" {
		t.Errorf("next = %q, want %q", next, api.URL+"/proxy/v1/integrations?after=2")
	}
	items, next, err = c.ListIntegrations(context.Background(), next)
	if err != nil {
		t.Fatalf("c.ListIntegrations: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("len(items) = %d, want %d", len(items), 1)
	}
	if next != "" {
		t.Errorf(`next = %q, want ""`, next)
	}
	hits := api.Hits()
	if len(hits) != 2 {
		t.Fatalf("len(hits) = %d, want %d", len(hits), 2)
	}
	if hits[0].Path != "/proxy/v1/integrations" {
		t.Errorf("hits[0].Path = %q, want %q", hits[0].Path, "/proxy/v1/integrations")
	}
	if hits[1].Path != "/proxy/v1/integrations" {
		t.Errorf("hits[1].Path = %q, want %q", hits[1].Path, "/proxy/v1/integrations")
	}
	if hits[1].RawQuery != "after=2" {
		t.Errorf("hits[1].RawQuery = %q, want %q", hits[1].RawQuery, "after=2")
	}

	// A page token for the same host without the prefix is not this endpoint.
	_, _, err = c.ListIntegrations(context.Background(), api.URL+"/v1/integrations?after=2")
	if err == nil {
		t.Fatal("c.ListIntegrations: err = nil, want an error")
	}
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.InvalidArgument)
	}
	if got := api.Count(); got != 2 {
		t.Errorf("api.Count() = %d, want %d", got, 2)
	}
}

// No redirect is followed: out of the configured origin Go would re-send Authorization to the same host name
// on another port or over plain http; within it, an answer would stand for another request.
func TestRedirects(t *testing.T) {
	t.Run("another port", func(t *testing.T) {
		other := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
			http.Redirect(w, r, other.URL+"/v1/ashares", http.StatusFound)
		})
		c, _ := newTestClient(t, api.URL)
		users, _, err := c.ListUsers(context.Background(), "")
		if err == nil {
			t.Fatal("c.ListUsers: err = nil, want an error")
		}
		if users != nil {
			t.Errorf("users = %v, want nil", users)
		}
		if !IsStatus(err, http.StatusFound) {
			t.Errorf("the redirect itself is the answer: %v", err)
		}
		if got := other.Count(); got != 0 {
			t.Errorf("the redirect target must not be contacted: other.Count() = %d, want 0", got)
		}
		if got := api.Count(); got != 1 {
			t.Errorf("a redirect is not retried: api.Count() = %d, want %d", got, 1)
		}
		requireNoToken(t, err)
	})
	t.Run("https to http on the same host and port", func(t *testing.T) {
		var api *fakeAPI
		api = newTLSFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
			http.Redirect(w, r, "http://"+strings.TrimPrefix(api.URL, "https://")+"/v1/ashares", http.StatusMovedPermanently)
		})
		c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.HTTPClient = api.Client() })
		_, _, err := c.ListUsers(context.Background(), "")
		if err == nil {
			t.Fatal("c.ListUsers: err = nil, want an error")
		}
		if !IsStatus(err, http.StatusMovedPermanently) {
			t.Errorf("%v: IsStatus(err, http.StatusMovedPermanently) is false", err)
		}
		if got := api.Count(); got != 1 {
			t.Errorf("api.Count() = %d, want %d", got, 1)
		}
		if got := api.Client().CheckRedirect; got != nil {
			t.Error("the caller's http.Client is not modified: api.Client().CheckRedirect is not nil")
		}
	})
	t.Run("same origin is not followed either", func(t *testing.T) {
		// A list redirected to another list, or a read of one record to another record, must not pass for
		// the answer asked for.
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
			switch r.URL.Path {
			case "/v1/ashares":
				http.Redirect(w, r, "/v1/integrations", http.StatusFound)
			case "/v1/ashares/x":
				http.Redirect(w, r, "/v1/ashares/y", http.StatusMovedPermanently)
			default:
				writeJSONBody(w, 200, `{"_id":"y","sharedWithUser":{"_id":"p"}}`)
			}
		})
		c, _ := newTestClient(t, api.URL)
		users, _, err := c.ListUsers(context.Background(), "")
		if err == nil {
			t.Fatal("c.ListUsers: err = nil, want an error")
		}
		if users != nil {
			t.Errorf("users = %v, want nil", users)
		}
		if !IsStatus(err, http.StatusFound) {
			t.Errorf("%v: IsStatus(err, http.StatusFound) is false", err)
		}
		if !strings.Contains(err.Error(), "redirect to "+api.URL+"/v1/integrations not followed") {
			t.Errorf("err = %q, want it to contain %q", err, "redirect to "+api.URL+"/v1/integrations not followed")
		}
		_, err = c.GetUser(context.Background(), "x")
		if !IsStatus(err, http.StatusMovedPermanently) {
			t.Errorf("%v: IsStatus(err, http.StatusMovedPermanently) is false", err)
		}
		for _, h := range api.Hits() {
			if h.Path == "/v1/integrations" {
				t.Errorf("a redirect was followed: h.Path = %q, want anything else", h.Path)
			}
			if h.Path == "/v1/ashares/y" {
				t.Errorf("a redirect was followed: h.Path = %q, want anything else", h.Path)
			}
		}
	})
}
