package celigo

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestNewRefusesEmptyTokenWithoutNetwork(t *testing.T) {
	api := newFakeAPI(t, nil)
	for _, tok := range []string{"", "   ", "\t\n"} {
		c, err := New(context.Background(), Config{BaseURL: api.URL, Token: tok})
		require.Error(t, err, "token %q", tok)
		assert.Nil(t, c)
		assert.Contains(t, err.Error(), "token")
		assert.Contains(t, err.Error(), "BATON_CELIGO_ACCESS_TOKEN")
	}
	assert.Zero(t, api.Count(), "New must not call the API")
}

func TestNewRefusesBadRegionAndBaseURL(t *testing.T) {
	_, err := New(context.Background(), Config{Region: "apac", Token: testToken})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"eu"`)
	_, err = New(context.Background(), Config{BaseURL: "http://api.integrator.io", Token: testToken})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "loopback")
	requireNoToken(t, err)
}

func TestNewRegionHosts(t *testing.T) {
	c, err := New(context.Background(), Config{Token: testToken})
	require.NoError(t, err)
	assert.Equal(t, "https://api.integrator.io", c.BaseURL())
	assert.Equal(t, "api.integrator.io", c.Host())
	assert.Equal(t, "us", c.Region())

	c, err = New(context.Background(), Config{Token: testToken, Region: "EU"})
	require.NoError(t, err)
	assert.Equal(t, "https://api.eu.integrator.io", c.BaseURL())
	assert.Equal(t, "eu", c.Region())
	assert.Equal(t, "https://api.eu.integrator.io/v1/ashares", c.endpoint(pathUsers))
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
	require.NoError(t, err)
	_, _, err = c.ListIntegrations(ctx, "")
	require.NoError(t, err)
	ti, err := c.TokenInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, "owner1", ti.UserID)
	u, err := c.GetUser(ctx, "u1")
	require.NoError(t, err)
	require.NoError(t, c.UpdateUser(ctx, u.ID, u))
	require.NoError(t, c.ToggleDisabled(ctx, "u1"))
	require.NoError(t, c.DeleteUser(ctx, "u1"))
	inv, err := c.Invite(ctx, Invitation{Email: "new@example.com"})
	require.NoError(t, err)
	require.NotNil(t, inv)
	assert.Equal(t, "u2", inv.ID)
	assert.True(t, inv.IsPending())

	hits := api.Hits()
	require.Len(t, hits, 8)
	for _, h := range hits {
		assert.Equal(t, "Bearer "+testToken, h.Header.Get("Authorization"), "%s %s", h.Method, h.Path)
		assert.Equal(t, "application/json", h.Header.Get("Accept"), "%s %s", h.Method, h.Path)
		assert.Contains(t, h.Header.Get("User-Agent"), testUserAgent, "%s %s", h.Method, h.Path)
		if len(h.Body) > 0 {
			assert.Equal(t, "application/json", h.Header.Get("Content-Type"), "%s %s carries a body", h.Method, h.Path)
			assert.True(t, json.Valid(h.Body), "%s %s body is JSON", h.Method, h.Path)
		} else {
			assert.Empty(t, h.Header.Get("Content-Type"), "%s %s has no body", h.Method, h.Path)
		}
		assert.Empty(t, h.RawQuery, "%s %s: first pages carry no query (no include=)", h.Method, h.Path)
	}
	// The writes that carry a body: PUT of the record and POST of the invite.
	assert.Equal(t, http.MethodPut, hits[4].Method)
	assert.Equal(t, "/v1/ashares/u1", hits[4].Path)
	assert.NotEmpty(t, hits[4].Body)
	assert.Equal(t, http.MethodPost, hits[7].Method)
	assert.JSONEq(t, `{"email":"new@example.com"}`, string(hits[7].Body))
}

func TestDefaultUserAgent(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
	c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.UserAgent = "" })
	_, _, err := c.ListIntegrations(context.Background(), "")
	require.NoError(t, err)
	require.Equal(t, 1, api.Count())
	assert.Contains(t, api.Hits()[0].Header.Get("User-Agent"), "baton-celigo")
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
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, api.URL+"/proxy/v1/integrations?after=2", next)
	items, next, err = c.ListIntegrations(context.Background(), next)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Empty(t, next)
	hits := api.Hits()
	require.Len(t, hits, 2)
	assert.Equal(t, "/proxy/v1/integrations", hits[0].Path)
	assert.Equal(t, "/proxy/v1/integrations", hits[1].Path)
	assert.Equal(t, "after=2", hits[1].RawQuery)

	// A page token for the same host without the prefix is not this endpoint.
	_, _, err = c.ListIntegrations(context.Background(), api.URL+"/v1/integrations?after=2")
	require.Error(t, err)
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Equal(t, 2, api.Count())
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
		require.Error(t, err)
		assert.Nil(t, users)
		assert.True(t, IsStatus(err, http.StatusFound), "the redirect itself is the answer: %v", err)
		assert.Zero(t, other.Count(), "the redirect target must not be contacted")
		assert.Equal(t, 1, api.Count(), "a redirect is not retried")
		requireNoToken(t, err)
	})
	t.Run("https to http on the same host and port", func(t *testing.T) {
		var api *fakeAPI
		api = newTLSFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
			http.Redirect(w, r, "http://"+strings.TrimPrefix(api.URL, "https://")+"/v1/ashares", http.StatusMovedPermanently)
		})
		c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.HTTPClient = api.Client() })
		_, _, err := c.ListUsers(context.Background(), "")
		require.Error(t, err)
		assert.True(t, IsStatus(err, http.StatusMovedPermanently), "%v", err)
		assert.Equal(t, 1, api.Count())
		assert.Nil(t, api.Client().CheckRedirect, "the caller's http.Client is not modified")
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
		require.Error(t, err)
		assert.Nil(t, users)
		assert.True(t, IsStatus(err, http.StatusFound), "%v", err)
		assert.Contains(t, err.Error(), "redirect to "+api.URL+"/v1/integrations not followed")
		_, err = c.GetUser(context.Background(), "x")
		assert.True(t, IsStatus(err, http.StatusMovedPermanently), "%v", err)
		for _, h := range api.Hits() {
			assert.NotEqual(t, "/v1/integrations", h.Path, "a redirect was followed")
			assert.NotEqual(t, "/v1/ashares/y", h.Path, "a redirect was followed")
		}
	})
}
