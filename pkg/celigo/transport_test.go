package celigo

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		require.NoError(t, err, "Retry-After %s", ra)
		waits := sl.Waits()
		require.Len(t, waits, 3)
		for i, w := range waits {
			floor := (500 * time.Millisecond << i) / 2 // the smallest jittered backoff of attempt i+1
			assert.GreaterOrEqual(t, w, floor, "Retry-After %s, wait %d", ra, i+1)
		}
	}
}

// refusingAddress is an address nothing listens on: connections to it are refused.
func refusingAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestConnectionRefused(t *testing.T) {
	addr := refusingAddress(t)

	t.Run("validation fails after a few quick tries", func(t *testing.T) {
		c, sl := newTestClient(t, "http://"+addr, func(cfg *Config) { cfg.RetryBudget = time.Hour })
		_, err := c.ForValidation().TokenInfo(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cannot reach "+addr)
		assert.Contains(t, err.Error(), "connection refused")
		assert.Len(t, sl.Waits(), validationAttempts-1, "a few tries, not the budget")
		assert.Less(t, sl.Total(), 5*time.Second)
		assert.NotEqual(t, codes.Unavailable, status.Code(err), "the SDK would retry Unavailable again")
		requireNoToken(t, err)
	})
	t.Run("a sync keeps the budget", func(t *testing.T) {
		c, sl := newTestClient(t, "http://"+addr, func(cfg *Config) { cfg.RetryBudget = 30 * time.Second })
		_, _, err := c.ListUsers(context.Background(), "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "giving up")
		assert.Greater(t, len(sl.Waits()), validationAttempts-1, "a refused connection mid-sync may be a blip")
		requireNoToken(t, err)
	})
	t.Run("validation keeps the budget for server errors", func(t *testing.T) {
		api := scripted(t, `{"_userId":"u1"}`, "", 503, 503, 503, 503, 200)
		c, _ := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
		ti, err := c.ForValidation().TokenInfo(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "u1", ti.UserID)
		assert.Equal(t, 5, api.Count())
	})
}

// TestPlainHTTPAnsweringHTTPSFailsAtOnce: a base URL with https to a server that speaks plain HTTP is a
// configuration mistake; no retry cures it.
func TestPlainHTTPAnsweringHTTPSFailsAtOnce(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `[]`) })
	httpsURL := "https://" + strings.TrimPrefix(api.URL, "http://")
	c, sl := newTestClient(t, httpsURL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
	_, _, err := c.ListUsers(context.Background(), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not answer in TLS")
	assert.Contains(t, err.Error(), "base-url")
	assert.Empty(t, sl.Waits(), "not retried")
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
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
	require.NoError(t, err)
	_, err = c.TokenInfo(ctx)
	require.NoError(t, err)
	trimmed := logs.FilterMessageSnippet("removed spaces or line breaks around the access token").All()
	assert.Len(t, trimmed, 1)
	for _, e := range logs.All() {
		assert.NotContains(t, e.Message, testToken)
	}

	for _, bad := range []string{testToken[:5] + "\n" + testToken[5:], testToken + "\x00x", "a\tb"} {
		_, err := New(context.Background(), Config{BaseURL: api.URL, Token: bad})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "line break or another control character")
		requireNoToken(t, err)
	}
	assert.Equal(t, 1, api.Count())
}

// TestInvalidHeaderFailsAtOnce: should a header Go refuses to send ever reach a request, the call fails at
// once and names the cause instead of retrying for two minutes.
func TestInvalidHeaderFailsAtOnce(t *testing.T) {
	api := newFakeAPI(t, nil)
	c, sl := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = time.Hour })
	c.token = "abc\ndef"
	_, _, err := c.ListUsers(context.Background(), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a header holds a character HTTP does not allow")
	assert.Empty(t, sl.Waits())
	assert.Zero(t, api.Count())
	assert.NotContains(t, err.Error(), "abc")
}

// A host that refuses connections ends validation with one line that says so: the SDK's transport puts a
// line break inside its error, which left the exit message's last line a bare "dial tcp ...".
func TestRefusedConnectionIsOneExplainedLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now: connections are refused
	c, _ := newTestClient(t, "http://"+addr)
	_, err = c.ForValidation().TokenInfo(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "cannot reach "+addr)
	assert.True(t, strings.HasSuffix(err.Error(), "connection refused"), "%s", err)
}
