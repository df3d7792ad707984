package celigo

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// scripted answers request n with statuses[n-1] (the last one repeats); 2xx answers carry ok.
func scripted(t *testing.T, ok string, retryAfter string, statuses ...int) *fakeAPI {
	t.Helper()
	return newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, n int, _ []byte) {
		st := statuses[min(n, len(statuses))-1]
		switch {
		case st == http.StatusNoContent:
			w.WriteHeader(st)
		case st >= 200 && st < 300:
			writeJSONBody(w, st, ok)
		case st == http.StatusTooManyRequests:
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeJSONBody(w, st, `{"errors":[{"code":"rate_limited","message":"Too many requests"}]}`)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(st)
			_, _ = w.Write([]byte("<html><body>" + http.StatusText(st) + "</body></html>"))
		}
	})
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	api := scripted(t, `[{"_id":"a","sharedWithUser":{"_id":"pa"}}]`, "2", 429, 200)
	c, sl := newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, users, 1)
	assert.Equal(t, 2, api.Count())
	waits := sl.Waits()
	require.Len(t, waits, 1)
	assert.Greater(t, waits[0], 1500*time.Millisecond, "waited about Retry-After")
	assert.LessOrEqual(t, waits[0], 2*time.Second)
}

func TestRetry503ThenSuccess(t *testing.T) {
	api := scripted(t, `[{"_id":"a","sharedWithUser":{"_id":"pa"}},{"_id":"b","sharedWithUser":{"_id":"pb"}}]`, "", 503, 503, 200)
	c, sl := newTestClient(t, api.URL)
	users, next, err := c.ListUsers(context.Background(), "")
	require.NoError(t, err)
	assert.Len(t, users, 2)
	assert.Empty(t, next)
	assert.Equal(t, 3, api.Count())
	waits := sl.Waits()
	require.Len(t, waits, 2)
	for _, w := range waits {
		assert.Positive(t, w)
		assert.LessOrEqual(t, w, c.retryBudget)
	}
	for _, h := range api.Hits() {
		assert.Equal(t, "Bearer "+testToken, h.Header.Get("Authorization"), "every attempt is authenticated")
	}
}

func TestRetryPersistent503GivesUp(t *testing.T) {
	api := scripted(t, `[]`, "", 503)
	c, sl := newTestClient(t, api.URL)
	_, err := c.GetUser(context.Background(), "rec1")
	require.Error(t, err)
	assert.Equal(t, codes.Aborted, status.Code(err), "%v", err)
	assert.Contains(t, err.Error(), "/v1/ashares/rec1")
	assert.Contains(t, err.Error(), "giving up")
	assert.Contains(t, err.Error(), "Service Unavailable")
	assert.Greater(t, api.Count(), 1)
	assert.LessOrEqual(t, sl.Total(), 3*time.Second)
	assert.True(t, IsStatus(err, 503), "the last answer stays in the chain")
	requireNoToken(t, err)
}

func TestRetryPersistent429GivesUp(t *testing.T) {
	api := scripted(t, `[]`, "1", 429)
	c, sl := newTestClient(t, api.URL)
	_, _, err := c.ListIntegrations(context.Background(), "")
	require.Error(t, err)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)
	assert.Contains(t, err.Error(), "/v1/integrations")
	assert.Contains(t, err.Error(), "giving up")
	assert.GreaterOrEqual(t, api.Count(), 3, "Retry-After 1s in a 3s budget allows several attempts")
	for _, w := range sl.Waits() {
		assert.LessOrEqual(t, w, time.Second)
	}
	assert.LessOrEqual(t, sl.Total(), 3*time.Second)
	requireNoToken(t, err)
}

func TestRetryAfterLongerThanBudgetGivesUpAtOnce(t *testing.T) {
	api := scripted(t, `[]`, "30", 429)
	c, sl := newTestClient(t, api.URL)
	_, _, err := c.ListUsers(context.Background(), "")
	require.Error(t, err)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	assert.Equal(t, 1, api.Count())
	assert.Empty(t, sl.Waits(), "no point waiting past the budget")
}

func TestNegativeBudgetDisablesRetries(t *testing.T) {
	for _, st := range []int{429, 500, 503} {
		api := scripted(t, `[]`, "1", st, 200)
		c, sl := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = -1 })
		_, _, err := c.ListUsers(context.Background(), "")
		require.Error(t, err, "status %d", st)
		assert.Equal(t, 1, api.Count(), "status %d: exactly one request", st)
		assert.Empty(t, sl.Waits())
		want := codes.Aborted
		if st == 429 {
			want = codes.ResourceExhausted
		}
		assert.Equal(t, want, status.Code(err), "status %d", st)
	}
}

func TestServerThatNeverAnswers(t *testing.T) {
	stop := make(chan struct{})
	api := newFakeAPI(t, func(_ http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	t.Cleanup(func() { close(stop) }) // runs before the server's Close
	c, _ := newTestClient(t, api.URL, func(cfg *Config) {
		cfg.Timeout = 200 * time.Millisecond
		cfg.RetryBudget = 500 * time.Millisecond
	})

	done := make(chan error, 1)
	go func() {
		_, _, err := c.ListUsers(context.Background(), "")
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second): // a guard against a hang, not a timing assertion
		t.Fatal("the call hung on a server that never answers")
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no answer")
	assert.Contains(t, err.Error(), "/v1/ashares")
	assert.Equal(t, codes.Aborted, status.Code(err))
	assert.GreaterOrEqual(t, api.Count(), 1)
	requireNoToken(t, err)

	// A toggle that gets no answer is never retried: Celigo may have flipped it already.
	before := api.Count()
	err = c.ToggleDisabled(context.Background(), "rec1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no answer")
	assert.Equal(t, before+1, api.Count())
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	api := scripted(t, `[]`, "", 503)
	c, sl := newTestClient(t, api.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sl.Hook = func(context.Context) { cancel() }
	_, _, err := c.ListUsers(ctx, "")
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Equal(t, 1, api.Count())
}

// TestDefaultsEndARunWithinThreeMinutes: a call gives up once a retry would pass the budget, so the worst
// case is the budget plus one request cut off by the timeout; that must stay under the 3 minutes promised.
func TestDefaultsEndARunWithinThreeMinutes(t *testing.T) {
	if worst := DefaultRetryBudget + DefaultTimeout; worst >= 3*time.Minute {
		t.Fatalf("budget %s + timeout %s = %s, not under 3 minutes", DefaultRetryBudget, DefaultTimeout, worst)
	}
}

// TestSimulatedTimeKeepsTheBudgetOffTheWallClock: with a test's clock, the retry budget counts only the
// waits it was asked for, so a slow machine cannot end a retry that the clock allows. Here the first answer
// takes longer than the whole budget in wall time.
func TestSimulatedTimeKeepsTheBudgetOffTheWallClock(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, n int, _ []byte) {
		if n == 1 {
			time.Sleep(1200 * time.Millisecond)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	})
	c, sl := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = time.Second })
	if _, _, err := c.ListIntegrations(context.Background(), ""); err != nil {
		t.Fatalf("the retry the test clock allows was not made: %v", err)
	}
	if api.Count() != 2 || len(sl.Waits()) != 1 {
		t.Errorf("%d requests, %d waits; want 2 and 1", api.Count(), len(sl.Waits()))
	}
}
