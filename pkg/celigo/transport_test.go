package celigo

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRetryAfterIsFlooredAtTheBackoff: a Retry-After far below the normal backoff does not make the client
// hammer a server that is throttling it.
func TestRetryAfterIsFlooredAtTheBackoff(t *testing.T) {
	for _, ra := range []string{"0.001", "0.0", "-1"} {
		api := scripted(t, `[]`, ra, 429, 429, 429, 200)
		c, sl := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
		_, _, err := c.ListUsers(context.Background(), "")
		if err != nil {
			t.Fatalf("Retry-After %s: %v", ra, err)
		}
		waits := sl.Waits()
		if len(waits) != 3 {
			t.Fatalf("len(waits) = %d, want %d", len(waits), 3)
		}
		for i, w := range waits {
			floor := (500 * time.Millisecond << i) / 2 // the smallest jittered backoff of attempt i+1
			if w < floor {
				t.Errorf("Retry-After %s, wait %d: w = %v, want >= floor (%v)", ra, i+1, w, floor)
			}
		}
	}
}

// refusingAddress is an address nothing listens on: connections to it are refused.
func refusingAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("l.Close: %v", err)
	}
	return addr
}

func TestConnectionRefused(t *testing.T) {
	addr := refusingAddress(t)

	t.Run("validation fails after a few quick tries", func(t *testing.T) {
		c, sl := newTestClient(t, "http://"+addr, func(cfg *Config) { cfg.RetryBudget = time.Hour })
		_, err := c.ForValidation().TokenInfo(context.Background())
		if err == nil {
			t.Fatal("c.ForValidation().TokenInfo: err = nil, want an error")
		}
		if !strings.Contains(err.Error(), "cannot reach "+addr) {
			t.Errorf("err = %q, want it to contain %q", err, "cannot reach "+addr)
		}
		if !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("err = %q, want it to contain %q", err, "connection refused")
		}
		if got := sl.Waits(); len(got) != validationAttempts-1 {
			t.Errorf("a few tries, not the budget: len(sl.Waits()) = %d, want %d", len(got), validationAttempts-1)
		}
		if got := sl.Total(); got >= 5*time.Second {
			t.Errorf("sl.Total() = %v, want < 5*time.Second", got)
		}
		if got := status.Code(err); got == codes.Unavailable {
			t.Errorf("the SDK would retry Unavailable again: status.Code(err) = %v, want anything else", got)
		}
		requireNoToken(t, err)
	})
	t.Run("a sync keeps the budget", func(t *testing.T) {
		c, sl := newTestClient(t, "http://"+addr, func(cfg *Config) { cfg.RetryBudget = 30 * time.Second })
		_, _, err := c.ListUsers(context.Background(), "")
		if err == nil {
			t.Fatal("c.ListUsers: err = nil, want an error")
		}
		if !strings.Contains(err.Error(), "giving up") {
			t.Errorf("err = %q, want it to contain %q", err, "giving up")
		}
		if got := len(sl.Waits()); got <= validationAttempts-1 {
			t.Errorf("a refused connection mid-sync may be a blip: len(sl.Waits()) = %d, want > validationAttempts-1", got)
		}
		requireNoToken(t, err)
	})
	t.Run("validation keeps the budget for server errors", func(t *testing.T) {
		api := scripted(t, `{"_userId":"u1"}`, "", 503, 503, 503, 503, 200)
		c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
		ti, err := c.ForValidation().TokenInfo(context.Background())
		if err != nil {
			t.Fatalf("c.ForValidation().TokenInfo: %v", err)
		}
		if ti.UserID != "u1" {
			t.Errorf("ti.UserID = %q, want %q", ti.UserID, "u1")
		}
		if got := api.Count(); got != 5 {
			t.Errorf("api.Count() = %d, want %d", got, 5)
		}
	})
}

// TestPlainHTTPAnsweringHTTPSFailsAtOnce: a base URL with https to a server that speaks plain HTTP is a
// configuration mistake; no retry cures it.
func TestPlainHTTPAnsweringHTTPSFailsAtOnce(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
	httpsURL := "https://" + strings.TrimPrefix(api.URL, "http://")
	c, sl := newTestClient(t, httpsURL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
	_, _, err := c.ListUsers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "did not answer in TLS") {
		t.Errorf("err = %q, want it to contain %q", err, "did not answer in TLS")
	}
	if !strings.Contains(err.Error(), "base-url") {
		t.Errorf("err = %q, want it to contain %q", err, "base-url")
	}
	if got := sl.Waits(); len(got) != 0 {
		t.Errorf("not retried: sl.Waits() = %v, want empty", got)
	}
	if got := status.Code(err); got != codes.FailedPrecondition {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.FailedPrecondition)
	}
	requireNoToken(t, err)
}

// TestTokenWhitespace: a token pasted with a trailing newline is trimmed (and the log says so); one with a
// line break inside is refused before any request, with a message that says what is wrong.
func TestTokenWhitespace(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			writeJSONBody(w, 401, `{"message":"Bearer Authentication Failed"}`)
			return
		}
		writeJSONBody(w, 200, `{"_userId":"u1"}`)
	})
	core, logs := observer.New(zap.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	c, err := New(ctx, Config{BaseURL: api.URL, Token: " " + testToken + "\r\n"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.TokenInfo(ctx)
	if err != nil {
		t.Fatalf("c.TokenInfo: %v", err)
	}
	trimmed := logs.FilterMessageSnippet("removed spaces or line breaks around the access token").All()
	if len(trimmed) != 1 {
		t.Errorf("len(trimmed) = %d, want %d", len(trimmed), 1)
	}
	for _, e := range logs.All() {
		if strings.Contains(e.Message, testToken) {
			t.Errorf("e.Message = %q, want it not to contain %q", e.Message, testToken)
		}
	}

	for _, bad := range []string{testToken[:5] + "\n" + testToken[5:], testToken + "\x00x", "a\tb"} {
		_, err := New(context.Background(), Config{BaseURL: api.URL, Token: bad})
		if err == nil {
			t.Fatal("New: err = nil, want an error")
		}
		if !strings.Contains(err.Error(), "line break or another control character") {
			t.Errorf("err = %q, want it to contain %q", err, "line break or another control character")
		}
		requireNoToken(t, err)
	}
	if got := api.Count(); got != 1 {
		t.Errorf("api.Count() = %d, want %d", got, 1)
	}
}

// TestInvalidHeaderFailsAtOnce: should a header Go refuses to send ever reach a request, the call fails at
// once and names the cause instead of retrying for two minutes.
func TestInvalidHeaderFailsAtOnce(t *testing.T) {
	api := newFakeAPI(t, nil)
	c, sl := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
	c.token = "abc\ndef"
	_, _, err := c.ListUsers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "a header holds a character HTTP does not allow") {
		t.Errorf("err = %q, want it to contain %q", err, "a header holds a character HTTP does not allow")
	}
	if got := sl.Waits(); len(got) != 0 {
		t.Errorf("sl.Waits() = %v, want empty", got)
	}
	if got := api.Count(); got != 0 {
		t.Errorf("api.Count() = %d, want 0", got)
	}
	if strings.Contains(err.Error(), "abc") {
		t.Errorf("err = %q, want it not to contain %q", err, "abc")
	}
}

// A host that refuses connections ends validation with one line that says so: the SDK's transport puts a
// line break inside its error, which left the exit message's last line a bare "dial tcp ...".
func TestRefusedConnectionIsOneExplainedLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	addr := l.Addr().String()
	// nothing listens there now: connections are refused
	if err := l.Close(); err != nil {
		t.Fatalf("l.Close: %v", err)
	}
	c, _ := newTestClient(t, "http://"+addr)
	_, err = c.ForValidation().TokenInfo(context.Background())
	if err == nil {
		t.Fatal("c.ForValidation().TokenInfo: err = nil, want an error")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %q, want it not to contain %q", err, "\n")
	}
	if !strings.Contains(err.Error(), "cannot reach "+addr) {
		t.Errorf("err = %q, want it to contain %q", err, "cannot reach "+addr)
	}
	if !strings.HasSuffix(err.Error(), "connection refused") {
		t.Errorf(`%s: strings.HasSuffix(err.Error(), "connection refused") is false`, err)
	}
}
