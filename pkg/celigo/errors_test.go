package celigo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const htmlBadGateway = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"

func TestAPIErrors(t *testing.T) {
	type call func(c *Client) error
	getUser := func(c *Client) error { _, err := c.GetUser(context.Background(), "abc"); return err }
	listUsers := func(c *Client) error { _, _, err := c.ListUsers(context.Background(), ""); return err }
	listIntegs := func(c *Client) error { _, _, err := c.ListIntegrations(context.Background(), ""); return err }
	invite := func(c *Client) error {
		_, err := c.Invite(context.Background(), Invitation{Email: "a@example.com"})
		return err
	}
	update := func(c *Client) error {
		return c.UpdateUser(context.Background(), "abc", &User{UserSummary: UserSummary{ID: "abc", AccessLevel: "monitor"}})
	}
	del := func(c *Client) error { return c.DeleteUser(context.Background(), "abc") }

	cases := []struct {
		name        string
		call        call
		path        string
		status      int
		contentType string
		body        string
		code        codes.Code
		apiCode     string
		message     string // exact APIError.Message when set
		msgContains []string
		field       string
	}{
		{name: "400 envelope", call: listUsers, path: "/v1/ashares", status: 400,
			body: `{"errors":[{"code":"invalid_query_params","message":"Invalid query params"}]}`,
			code: codes.InvalidArgument, apiCode: "invalid_query_params", message: "Invalid query params"},
		{name: "400 several items", call: update, path: "/v1/ashares/abc", status: 400,
			body: `{"errors":[{"code":"invalid_field","message":"accessLevel is invalid","field":"accessLevel"},{"code":"missing","message":"email is required","field":"email"}]}`,
			code: codes.InvalidArgument, apiCode: "invalid_field", field: "accessLevel",
			message: "accessLevel is invalid; email is required"},
		{name: "401 bare Unauthorized", call: listUsers, path: "/v1/ashares", status: 401,
			body: `{"message":"Unauthorized"}`, code: codes.Unauthenticated, message: "Unauthorized"},
		{name: "401 bare bearer failed", call: getUser, path: "/v1/ashares/abc", status: 401,
			body: `{"message":"Bearer Authentication Failed"}`, code: codes.Unauthenticated, message: "Bearer Authentication Failed"},
		{name: "403 envelope", call: listIntegs, path: "/v1/integrations", status: 403,
			body: `{"errors":[{"code":"forbidden","message":"You do not have permission"}]}`,
			code: codes.PermissionDenied, apiCode: "forbidden", message: "You do not have permission"},
		{name: "403 bare", call: listUsers, path: "/v1/ashares", status: 403,
			body: `{"message":"Forbidden"}`, code: codes.PermissionDenied, message: "Forbidden"},
		{name: "404 on a record", call: getUser, path: "/v1/ashares/abc", status: 404,
			body: `{"errors":[{"code":"access_restricted","message":"Object not found"}]}`,
			code: codes.NotFound, apiCode: "access_restricted", message: "Object not found"},
		{name: "404 on delete", call: del, path: "/v1/ashares/abc", status: 404,
			body: `{"errors":[{"code":"access_restricted","message":"Object not found"}]}`,
			code: codes.NotFound, apiCode: "access_restricted"},
		{name: "404 on the users list", call: listUsers, path: "/v1/ashares", status: 404,
			body: `{"errors":[{"code":"access_restricted","message":"Object not found"}]}`,
			code: codes.FailedPrecondition, apiCode: "access_restricted"},
		{name: "404 on the integrations list", call: listIntegs, path: "/v1/integrations", status: 404,
			body: `{"errors":[{"code":"access_restricted","message":"Object not found"}]}`,
			code: codes.FailedPrecondition, apiCode: "access_restricted"},
		{name: "409 duplicate invite", call: invite, path: "/v1/invite", status: 409,
			body: `{"errors":[{"code":"already_exists","message":"User already invited","field":"email"}]}`,
			code: codes.AlreadyExists, apiCode: "already_exists", field: "email"},
		{name: "422 invalid field", call: update, path: "/v1/ashares/abc", status: 422,
			body: `{"errors":[{"code":"invalid_field","message":"bad value","field":"integrationAccessLevel"}]}`,
			code: codes.InvalidArgument, apiCode: "invalid_field", field: "integrationAccessLevel"},
		{name: "HTML 400", call: listUsers, path: "/v1/ashares", status: 400, contentType: "text/html",
			body: "<html><body>Bad request from the proxy</body></html>", code: codes.InvalidArgument,
			msgContains: []string{"text/html", "Bad request from the proxy"}},
		{name: "JSON without an envelope", call: getUser, path: "/v1/ashares/abc", status: 403,
			body: `{"unexpected":true}`, code: codes.PermissionDenied,
			msgContains: []string{"application/json", "unexpected"}},
		{name: "empty body", call: getUser, path: "/v1/ashares/abc", status: 403, contentType: "-",
			body: "", code: codes.PermissionDenied, msgContains: []string{"untyped", "(empty)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				switch tc.contentType {
				case "":
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
				case "-":
				default:
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			c, sl := newTestClient(t, api.URL)
			err := tc.call(c)
			require.Error(t, err)
			assert.Equal(t, tc.code, status.Code(err), "error: %v", err)
			assert.Equal(t, 1, api.Count(), "4xx answers are not retried")
			assert.Empty(t, sl.Waits())

			var apiErr *APIError
			require.True(t, errors.As(err, &apiErr), "an *APIError in the chain: %T %v", err, err)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.apiCode, apiErr.Code)
			assert.Equal(t, tc.field, apiErr.Field)
			assert.Equal(t, tc.path, apiErr.Path)
			assert.True(t, IsStatus(err, tc.status))
			if tc.message != "" {
				assert.Equal(t, tc.message, apiErr.Message)
			}
			for _, s := range tc.msgContains {
				assert.Contains(t, apiErr.Message, s)
			}
			assert.Contains(t, err.Error(), tc.path)
			assert.Contains(t, err.Error(), fmt.Sprintf("HTTP %d", tc.status))
			if tc.apiCode != "" {
				assert.Contains(t, err.Error(), tc.apiCode)
			}
			requireNoToken(t, err)
		})
	}
}

// 429 and 5xx are retried within the budget, then end with codes the SDK does not retry forever.
func TestTransientErrorsEndWithFinalCodes(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		retryAfter  string
		contentType string
		body        string
		code        codes.Code
		msgContains []string
	}{
		{name: "429", status: 429, retryAfter: "1",
			body: `{"errors":[{"code":"rate_limited","message":"Too many requests"}]}`, code: codes.ResourceExhausted,
			msgContains: []string{"Too many requests"}},
		{name: "500 envelope", status: 500, body: `{"errors":[{"code":"internal","message":"boom"}]}`, code: codes.Aborted,
			msgContains: []string{"boom"}},
		{name: "502 HTML", status: 502, contentType: "text/html; charset=utf-8", body: htmlBadGateway, code: codes.Aborted,
			msgContains: []string{"text/html", "502 Bad Gateway"}},
		{name: "503 HTML", status: 503, contentType: "text/html", code: codes.Aborted,
			body:        "<html><head><title>503 Service Temporarily Unavailable</title></head><body>" + strings.Repeat("x", 500) + "</body></html>",
			msgContains: []string{"text/html", "503 Service Temporarily Unavailable", "..."}},
		{name: "504 plain text", status: 504, contentType: "text/plain", body: "upstream timed out", code: codes.Aborted,
			msgContains: []string{"text/plain", `"upstream timed out"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				ct := tc.contentType
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			c, sl := newTestClient(t, api.URL)
			users, _, err := c.ListUsers(context.Background(), "")
			require.Error(t, err)
			assert.Nil(t, users)
			assert.Equal(t, tc.code, status.Code(err), "error: %v", err)
			assert.Greater(t, api.Count(), 1, "retried before giving up")
			assert.Len(t, sl.Waits(), api.Count()-1)
			assert.LessOrEqual(t, sl.Total(), c.retryBudget, "the waits fit in the budget")
			var apiErr *APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Equal(t, tc.status, apiErr.StatusCode)
			if tc.status == http.StatusTooManyRequests {
				assert.Equal(t, "rate_limited", apiErr.Code)
				assert.Contains(t, err.Error(), "rate_limited")
			}
			for _, s := range tc.msgContains {
				assert.Contains(t, apiErr.Message, s)
				assert.Contains(t, err.Error(), s)
			}
			assert.LessOrEqual(t, len(apiErr.Message), maxErrorBodyInMessage+64, "only a bit of the body is quoted")
			assert.Contains(t, err.Error(), "giving up")
			assert.Contains(t, err.Error(), "/v1/ashares")
			requireNoToken(t, err)
		})
	}
}

func TestAPIErrorGRPCStatusCarriesRateLimit(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		w.Header().Set("Retry-After", "7")
		writeJSONBody(w, 429, `{"errors":[{"code":"rate_limited","message":"slow down"}]}`)
	})
	c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = -1 })
	_, _, err := c.ListUsers(context.Background(), "")
	require.Error(t, err)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	require.NotNil(t, apiErr.RateLimit)
	assert.Equal(t, codes.Unavailable, apiErr.GRPCCode(), "the APIError itself keeps uhttp's code")
	st := apiErr.GRPCStatus()
	assert.Equal(t, codes.Unavailable, st.Code())
	assert.NotEmpty(t, st.Details(), "the rate-limit description rides along as a status detail")
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "the give-up wrapper decides the final code")
}

func TestWithCodeKeepsTheCause(t *testing.T) {
	cause := errors.New("the cause")
	err := fmt.Errorf("outer: %w", WithCode(codes.FailedPrecondition, fmt.Errorf("baton-celigo: %w", cause)))
	if !errors.Is(err, cause) {
		t.Error("errors.Is lost the cause")
	}
	if got := status.Code(err); got != codes.FailedPrecondition {
		t.Errorf("code %v", got)
	}
}

// Celigo's words reach log lines, C1 and the exit message: they come out without control characters or
// escape sequences, and cut to a few hundred characters. A huge error answer is not read whole, and its
// status survives.
func TestErrorTextIsCleanedAndCut(t *testing.T) {
	hostile := "bad\x1b[31mred\x1b[0m \x1b]0;title\x07line\r\nbreak\x00nul\u202edrow " + strings.Repeat("x", 1<<20)
	t.Run("envelope message", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "forbidden\x1b[2J", "message": hostile}}})
		api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
			writeJSONBody(w, 403, string(body[:60<<10])+`"}]}`)
		})
		c, _ := newTestClient(t, api.URL)
		_, err := c.GetUser(context.Background(), "abc")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
		assert.Equal(t, "forbidden", apiErr.Code)
		assert.True(t, strings.HasPrefix(apiErr.Message, "badred line breaknuldrow xxx"), "%q", apiErr.Message[:40])
		assert.LessOrEqual(t, len(err.Error()), 400)
		assertPrintable(t, err.Error())
	})
	t.Run("20 MB error envelope", func(t *testing.T) {
		page, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "forbidden", "message": strings.Repeat(hostile, 20)}}})
		api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
			serveAnswer(w, http.StatusForbidden, "application/json", string(page))
		})
		c, _ := newTestClient(t, api.URL)
		_, _, err := c.ListUsers(context.Background(), "")
		require.True(t, IsStatus(err, http.StatusForbidden), "the real status is lost: %v", err)
		assert.Equal(t, codes.PermissionDenied, status.Code(err))
		assert.LessOrEqual(t, len(err.Error()), 400)
		assertPrintable(t, err.Error())
	})
}

func assertPrintable(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
			t.Fatalf("control character %U in %q", r, s)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                      "plain",
		"  a \n\t b  ":               "a b",
		"\x1b[1;31mred\x1b[m":        "red",
		"\x1b]8;;http://x\x1b\\link": "link",
		"a\u009b2Jb":                 "ab",
		"bell\x07\x7f":               "bell",
		"bad\xffutf8":                "bad\ufffdutf8",
		"éèà日本":                      "éèà日本",
		strings.Repeat("y", 12):      "yyyyyyyyyy...",
	} {
		assert.Equal(t, want, cleanText(in, 10), "%q", in)
	}
}
