package celigo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

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
			if err := json.Unmarshal([]byte(tc.record), &s); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if s.ExternalProvider != tc.want {
				t.Errorf("s.ExternalProvider = %q, want %q", s.ExternalProvider, tc.want)
			}
			if got := s.UsesExternalIdentityProvider(); got != (tc.want != "") {
				t.Errorf("s.UsesExternalIdentityProvider() = %t, want %t", got, tc.want != "")
			}
			if s.ID != "s" {
				t.Errorf("s.ID = %q, want %q", s.ID, "s")
			}
		})
	}
}

func TestMCPServerFields(t *testing.T) {
	var s MCPServer
	if err := json.Unmarshal([]byte(`{"_id":"s1","name":"Orders agent","description":"d","relativeURI":"/orders",`+
		`"disabled":true,"createdAt":"2025-11-01T09:00:00.000Z","lastModified":"2026-01-05T10:00:01.000Z","tools":[{"_toolId":"t"}]}`), &s); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	if s.Name != "Orders agent" {
		t.Errorf("s.Name = %q, want %q", s.Name, "Orders agent")
	}
	if s.Description != "d" {
		t.Errorf("s.Description = %q, want %q", s.Description, "d")
	}
	if s.RelativeURI != "/orders" {
		t.Errorf("s.RelativeURI = %q, want %q", s.RelativeURI, "/orders")
	}
	if !s.Disabled {
		t.Error("s.Disabled is false")
	}
	if got := s.CreatedAt.Year(); got != 2025 {
		t.Errorf("s.CreatedAt.Year() = %d, want %d", got, 2025)
	}
	if got := s.LastModified.Year(); got != 2026 {
		t.Errorf("s.LastModified.Year() = %d, want %d", got, 2026)
	}
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
		if err != nil {
			t.Fatalf("c.ListMCPServers: %v", err)
		}
		for _, s := range page {
			got = append(got, s.ID+" "+s.RelativeURI)
		}
		if next == "" {
			break
		}
		token = next
	}
	if want := []string{"s0 /s0", "s1 /s1", "s2 /s2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := api.Count(); got != 3 {
		t.Errorf("api.Count() = %d, want %d", got, 3)
	}
}

func TestListMCPServers204IsEmpty(t *testing.T) {
	api := pagedMCPServers(t, 0)
	c, _ := newTestClient(t, api.URL)
	page, next, err := c.ListMCPServers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListMCPServers: %v", err)
	}
	if page == nil {
		t.Error("page is nil")
	}
	if len(page) != 0 {
		t.Errorf("page = %v, want empty", page)
	}
	if next != "" {
		t.Errorf(`next = %q, want ""`, next)
	}
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
			if err == nil {
				t.Fatal("c.ListMCPServers: err = nil, want an error")
			}
			if page != nil {
				t.Errorf("page = %v, want nil", page)
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("%v: status.Code(err) = %v, want %v", err, got, tc.code)
			}
			requireNoToken(t, err)
		})
	}
}

func TestListMCPServersChecksThePageToken(t *testing.T) {
	api := pagedMCPServers(t, 2)
	c, _ := newTestClient(t, api.URL)
	_, _, err := c.ListMCPServers(context.Background(), api.URL+"/v1/ashares?after=1")
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.InvalidArgument)
	}
	if got := api.Count(); got != 0 {
		t.Errorf("api.Count() = %d, want 0", got)
	}
}
