package celigo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMCPServerExternalProvider(t *testing.T) {
	cases := []struct {
		name, record, want string
	}{
		{"no oauth: Celigo", `{"_id":"s"}`, ""},
		{"oauth without a provider: Celigo", `{"_id":"s","oauth":{"enabled":true}}`, ""},
		{"oauth provider reference", `{"_id":"s","oauth":{"_mcpOAuthProviderId":"66a0000000000000000000p1"}}`, "66a0000000000000000000p1"},
		{"top-level provider reference", `{"_id":"s","_mcpOAuthProviderId":"66a0000000000000000000p1"}`, "66a0000000000000000000p1"},
		{"populated reference", `{"_id":"s","oauth":{"_mcpOAuthProviderId":{"_id":"p2","name":"Okta"}}}`, "p2"},
		{"populated reference without id", `{"_id":"s","oauth":{"_mcpOAuthProviderId":{"name":"Okta"}}}`, "Okta"},
		{"null reference", `{"_id":"s","oauth":{"_mcpOAuthProviderId":null}}`, ""},
		{"empty reference", `{"_id":"s","_mcpOAuthProviderId":""}`, ""},
		{"false reference", `{"_id":"s","_mcpOAuthProviderId":false}`, ""},
		{"empty object reference", `{"_id":"s","_mcpOAuthProviderId":{}}`, ""},
		{"oauth null", `{"_id":"s","oauth":null}`, ""},
		{"oauth of another shape", `{"_id":"s","oauth":"celigo"}`, ""},
		{"a reference of an unknown shape is still a reference", `{"_id":"s","_mcpOAuthProviderId":42}`, unreadableProvider},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s MCPServer
			require.NoError(t, json.Unmarshal([]byte(tc.record), &s))
			assert.Equal(t, tc.want, s.ExternalProvider)
			assert.Equal(t, tc.want != "", s.UsesExternalIdentityProvider())
			assert.Equal(t, "s", s.ID)
		})
	}
}

func TestMCPServerFields(t *testing.T) {
	var s MCPServer
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"s1","name":"Orders agent","description":"d","relativeURI":"/orders",`+
		`"disabled":true,"createdAt":"2025-11-01T09:00:00.000Z","lastModified":"2026-01-05T10:00:01.000Z","tools":[{"_toolId":"t"}]}`), &s))
	assert.Equal(t, "Orders agent", s.Name)
	assert.Equal(t, "d", s.Description)
	assert.Equal(t, "/orders", s.RelativeURI)
	assert.True(t, s.Disabled)
	assert.Equal(t, 2025, s.CreatedAt.Year())
	assert.Equal(t, 2026, s.LastModified.Year())
}

// pagedMCPServers serves n servers one a page, the page index in ?after=; none at all is a 204.
func pagedMCPServers(t *testing.T, n int) *fakeAPI {
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.Path != pathMCPServers {
			http.NotFound(w, r)
			return
		}
		if n == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		i, _ := strconv.Atoi(r.URL.Query().Get("after"))
		if i+1 < n {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?after=%d>; rel="next"`, r.Host, pathMCPServers, i+1))
		}
		writeJSONBody(w, 200, fmt.Sprintf(`[{"_id":"s%d","name":"Server %d","relativeURI":"/s%d"}]`, i, i, i))
	})
}

func TestListMCPServersPages(t *testing.T) {
	api := pagedMCPServers(t, 3)
	c, _ := newTestClient(t, api.URL)
	var got []string
	token := ""
	for {
		page, next, err := c.ListMCPServers(context.Background(), token)
		require.NoError(t, err)
		for _, s := range page {
			got = append(got, s.ID+" "+s.RelativeURI)
		}
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, []string{"s0 /s0", "s1 /s1", "s2 /s2"}, got)
	assert.Equal(t, 3, api.Count())
}

func TestListMCPServers204IsEmpty(t *testing.T) {
	api := pagedMCPServers(t, 0)
	c, _ := newTestClient(t, api.URL)
	page, next, err := c.ListMCPServers(context.Background(), "")
	require.NoError(t, err)
	assert.NotNil(t, page)
	assert.Empty(t, page)
	assert.Empty(t, next)
}

func TestListMCPServersRefusesBrokenAnswers(t *testing.T) {
	const jsonCT = "application/json; charset=utf-8"
	cases := []struct {
		name              string
		status            int
		contentType, body string
		link              string // the Link header, {base} being the server's URL
		code              codes.Code
	}{
		// Garbled answers are retried like a 5xx (a GET is safe to repeat); persistent, they end the call.
		{"null", 200, jsonCT, "null", "", codes.Aborted},
		{"item without id", 200, jsonCT, `[{"name":"x"}]`, "", codes.Internal},
		{"empty page with a next link", 200, jsonCT, `[]`, `<{base}/v1/mcpservers?after=9>; rel="next"`, codes.Internal},
		{"next link to another host", 200, jsonCT, `[{"_id":"s"}]`, `<https://evil.example.com/v1/mcpservers?after=1>; rel="next"`, codes.PermissionDenied},
		{"404 fails the list instead of skipping it", 404, jsonCT, `{"errors":[{"code":"not_found","message":"no"}]}`, "", codes.FailedPrecondition},
		{"not JSON", 200, "text/html", "<html>", "", codes.Aborted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				if tc.link != "" {
					w.Header().Set("Link", strings.ReplaceAll(tc.link, "{base}", api.URL))
				}
				serveAnswer(w, tc.status, tc.contentType, tc.body)
			})
			c, _ := newTestClient(t, api.URL)
			page, _, err := c.ListMCPServers(context.Background(), "")
			require.Error(t, err)
			assert.Nil(t, page)
			assert.Equal(t, tc.code, status.Code(err), "%v", err)
			requireNoToken(t, err)
		})
	}
}

func TestListMCPServersChecksThePageToken(t *testing.T) {
	api := pagedMCPServers(t, 2)
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListMCPServers(context.Background(), api.URL+"/v1/ashares?after=1")
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Zero(t, api.Count())
}
