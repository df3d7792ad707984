package celigo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

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
			if err == nil {
				t.Fatal("tc.call: err = nil, want an error")
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("error: %v: status.Code(err) = %v, want %v", err, got, tc.code)
			}
			if got := api.Count(); got != 1 {
				t.Errorf("4xx answers are not retried: api.Count() = %d, want %d", got, 1)
			}
			if got := sl.Waits(); len(got) != 0 {
				t.Errorf("sl.Waits() = %v, want empty", got)
			}

			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("an *APIError in the chain: %T %v", err, err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("apiErr.StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
			}
			if apiErr.Code != tc.apiCode {
				t.Errorf("apiErr.Code = %q, want %q", apiErr.Code, tc.apiCode)
			}
			if apiErr.Field != tc.field {
				t.Errorf("apiErr.Field = %q, want %q", apiErr.Field, tc.field)
			}
			if apiErr.Path != tc.path {
				t.Errorf("apiErr.Path = %q, want %q", apiErr.Path, tc.path)
			}
			if !IsStatus(err, tc.status) {
				t.Error("IsStatus(err, tc.status) is false")
			}
			if tc.message != "" {
				if apiErr.Message != tc.message {
					t.Errorf("apiErr.Message = %q, want %q", apiErr.Message, tc.message)
				}
			}
			for _, s := range tc.msgContains {
				if !strings.Contains(apiErr.Message, s) {
					t.Errorf("apiErr.Message = %q, want it to contain %q", apiErr.Message, s)
				}
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("err = %q, want it to contain %q", err, tc.path)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", tc.status)) {
				t.Errorf("err = %q, want it to contain %q", err, fmt.Sprintf("HTTP %d", tc.status))
			}
			if tc.apiCode != "" {
				if !strings.Contains(err.Error(), tc.apiCode) {
					t.Errorf("err = %q, want it to contain %q", err, tc.apiCode)
				}
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
			if err == nil {
				t.Fatal("c.ListUsers: err = nil, want an error")
			}
			if users != nil {
				t.Errorf("users = %v, want nil", users)
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("error: %v: status.Code(err) = %v, want %v", err, got, tc.code)
			}
			if got := api.Count(); got <= 1 {
				t.Errorf("retried before giving up: api.Count() = %d, want > 1", got)
			}
			if got := sl.Waits(); len(got) != api.Count()-1 {
				t.Errorf("len(sl.Waits()) = %d, want %d", len(got), api.Count()-1)
			}
			if got := sl.Total(); got > c.retryBudget {
				t.Errorf("the waits fit in the budget: sl.Total() = %v, want <= c.retryBudget (%v)", got, c.retryBudget)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *APIError in its chain", err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("apiErr.StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
			}
			if tc.status == http.StatusTooManyRequests {
				if apiErr.Code != "rate_limited" {
					t.Errorf("apiErr.Code = %q, want %q", apiErr.Code, "rate_limited")
				}
				if !strings.Contains(err.Error(), "rate_limited") {
					t.Errorf("err = %q, want it to contain %q", err, "rate_limited")
				}
			}
			for _, s := range tc.msgContains {
				if !strings.Contains(apiErr.Message, s) {
					t.Errorf("apiErr.Message = %q, want it to contain %q", apiErr.Message, s)
				}
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
			if len(apiErr.Message) > maxErrorBodyInMessage+64 {
				t.Errorf("only a bit of the body is quoted: len(apiErr.Message) = %d, want <= maxErrorBodyInMessage+64", len(apiErr.Message))
			}
			if !strings.Contains(err.Error(), "giving up") {
				t.Errorf("err = %q, want it to contain %q", err, "giving up")
			}
			if !strings.Contains(err.Error(), "/v1/ashares") {
				t.Errorf("err = %q, want it to contain %q", err, "/v1/ashares")
			}
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
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an *APIError in its chain", err)
	}
	if apiErr.RateLimit == nil {
		t.Fatal("apiErr.RateLimit is nil")
	}
	if got := apiErr.GRPCCode(); got != codes.Unavailable {
		t.Errorf("the APIError itself keeps uhttp's code: apiErr.GRPCCode() = %v, want %v", got, codes.Unavailable)
	}
	st := apiErr.GRPCStatus()
	if got := st.Code(); got != codes.Unavailable {
		t.Errorf("st.Code() = %v, want %v", got, codes.Unavailable)
	}
	if got := st.Details(); len(got) == 0 {
		t.Error("the rate-limit description rides along as a status detail: st.Details() is empty")
	}
	if got := status.Code(err); got != codes.ResourceExhausted {
		t.Errorf("the give-up wrapper decides the final code: status.Code(err) = %v, want %v", got, codes.ResourceExhausted)
	}
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
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want an error of type %T", err, apiErr)
		}
		if apiErr.StatusCode != http.StatusForbidden {
			t.Errorf("apiErr.StatusCode = %d, want %d", apiErr.StatusCode, http.StatusForbidden)
		}
		if apiErr.Code != "forbidden" {
			t.Errorf("apiErr.Code = %q, want %q", apiErr.Code, "forbidden")
		}
		if !strings.HasPrefix(apiErr.Message, "badred line breaknuldrow xxx") {
			t.Errorf("%q: strings.HasPrefix(...) is false", apiErr.Message[:40])
		}
		if got := len(err.Error()); got > 400 {
			t.Errorf("len(err.Error()) = %d, want <= 400", got)
		}
		assertPrintable(t, err.Error())
	})
	t.Run("20 MB error envelope", func(t *testing.T) {
		page, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "forbidden", "message": strings.Repeat(hostile, 20)}}})
		api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
			serveAnswer(w, http.StatusForbidden, "application/json", string(page))
		})
		c, _ := newTestClient(t, api.URL)
		_, _, err := c.ListUsers(context.Background(), "")
		if !IsStatus(err, http.StatusForbidden) {
			t.Fatalf("the real status is lost: %v", err)
		}
		if got := status.Code(err); got != codes.PermissionDenied {
			t.Errorf("status.Code(err) = %v, want %v", got, codes.PermissionDenied)
		}
		if got := len(err.Error()); got > 400 {
			t.Errorf("len(err.Error()) = %d, want <= 400", got)
		}
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
		if got := cleanText(in, 10); got != want {
			t.Errorf("%q: cleanText(in, 10) = %q, want %q", in, got, want)
		}
	}
}
