package celigo

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

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
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("len(users) = %d, want %d", len(users), 1)
	}
	if got := api.Count(); got != 2 {
		t.Errorf("api.Count() = %d, want %d", got, 2)
	}
	waits := sl.Waits()
	if len(waits) != 1 {
		t.Fatalf("len(waits) = %d, want %d", len(waits), 1)
	}
	if waits[0] <= 1500*time.Millisecond {
		t.Errorf("waited about Retry-After: waits[0] = %v, want > 1500*time.Millisecond", waits[0])
	}
	if waits[0] > 2*time.Second {
		t.Errorf("waits[0] = %v, want <= 2*time.Second", waits[0])
	}
}

func TestRetry503ThenSuccess(t *testing.T) {
	api := scripted(t, `[{"_id":"a","sharedWithUser":{"_id":"pa"}},{"_id":"b","sharedWithUser":{"_id":"pb"}}]`, "", 503, 503, 200)
	c, sl := newTestClient(t, api.URL)
	users, next, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 2 {
		t.Errorf("len(users) = %d, want %d", len(users), 2)
	}
	if next != "" {
		t.Errorf(`next = %q, want ""`, next)
	}
	if got := api.Count(); got != 3 {
		t.Errorf("api.Count() = %d, want %d", got, 3)
	}
	waits := sl.Waits()
	if len(waits) != 2 {
		t.Fatalf("len(waits) = %d, want %d", len(waits), 2)
	}
	for _, w := range waits {
		if w <= 0 {
			t.Errorf("w = %v, want > 0", w)
		}
		if w > c.retryBudget {
			t.Errorf("w = %v, want <= c.retryBudget (%v)", w, c.retryBudget)
		}
	}
	for _, h := range api.Hits() {
		if got := h.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf(`every attempt is authenticated: h.Header.Get("Authorization") = %q, want %q`, got, "Bearer "+testToken)
		}
	}
}

func TestRetryPersistent503GivesUp(t *testing.T) {
	api := scripted(t, `[]`, "", 503)
	c, sl := newTestClient(t, api.URL)
	_, err := c.GetUser(context.Background(), "rec1")
	if err == nil {
		t.Fatal("c.GetUser: err = nil, want an error")
	}
	if got := status.Code(err); got != codes.Aborted {
		t.Errorf("%v: status.Code(err) = %v, want %v", err, got, codes.Aborted)
	}
	if !strings.Contains(err.Error(), "/v1/ashares/rec1") {
		t.Errorf("err = %q, want it to contain %q", err, "/v1/ashares/rec1")
	}
	if !strings.Contains(err.Error(), "giving up") {
		t.Errorf("err = %q, want it to contain %q", err, "giving up")
	}
	if !strings.Contains(err.Error(), "Service Unavailable") {
		t.Errorf("err = %q, want it to contain %q", err, "Service Unavailable")
	}
	if got := api.Count(); got <= 1 {
		t.Errorf("api.Count() = %d, want > 1", got)
	}
	if got := sl.Total(); got > 3*time.Second {
		t.Errorf("sl.Total() = %v, want <= 3*time.Second", got)
	}
	if !IsStatus(err, 503) {
		t.Error("the last answer stays in the chain")
	}
	requireNoToken(t, err)
}

func TestRetryPersistent429GivesUp(t *testing.T) {
	api := scripted(t, `[]`, "1", 429)
	c, sl := newTestClient(t, api.URL)
	_, _, err := c.ListIntegrations(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListIntegrations: err = nil, want an error")
	}
	if got := status.Code(err); got != codes.ResourceExhausted {
		t.Errorf("%v: status.Code(err) = %v, want %v", err, got, codes.ResourceExhausted)
	}
	if !strings.Contains(err.Error(), "/v1/integrations") {
		t.Errorf("err = %q, want it to contain %q", err, "/v1/integrations")
	}
	if !strings.Contains(err.Error(), "giving up") {
		t.Errorf("err = %q, want it to contain %q", err, "giving up")
	}
	if got := api.Count(); got < 3 {
		t.Errorf("Retry-After 1s in a 3s budget allows several attempts: api.Count() = %d, want >= 3", got)
	}
	for _, w := range sl.Waits() {
		if w > time.Second {
			t.Errorf("w = %v, want <= time.Second", w)
		}
	}
	if got := sl.Total(); got > 3*time.Second {
		t.Errorf("sl.Total() = %v, want <= 3*time.Second", got)
	}
	requireNoToken(t, err)
}

func TestRetryAfterLongerThanBudgetGivesUpAtOnce(t *testing.T) {
	api := scripted(t, `[]`, "30", 429)
	c, sl := newTestClient(t, api.URL)
	_, _, err := c.ListUsers(context.Background(), "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if got := status.Code(err); got != codes.ResourceExhausted {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.ResourceExhausted)
	}
	if got := api.Count(); got != 1 {
		t.Errorf("api.Count() = %d, want %d", got, 1)
	}
	if got := sl.Waits(); len(got) != 0 {
		t.Errorf("no point waiting past the budget: sl.Waits() = %v, want empty", got)
	}
}

func TestNegativeBudgetDisablesRetries(t *testing.T) {
	for _, st := range []int{429, 500, 503} {
		api := scripted(t, `[]`, "1", st, 200)
		c, sl := newTestClient(t, api.URL, func(cfg *Config) { cfg.RetryBudget = -1 })
		_, _, err := c.ListUsers(context.Background(), "")
		if err == nil {
			t.Fatalf("status %d: err = nil, want an error", st)
		}
		if got := api.Count(); got != 1 {
			t.Errorf("status %d: exactly one request: api.Count() = %d, want %d", st, got, 1)
		}
		if got := sl.Waits(); len(got) != 0 {
			t.Errorf("sl.Waits() = %v, want empty", got)
		}
		want := codes.Aborted
		if st == 429 {
			want = codes.ResourceExhausted
		}
		if got := status.Code(err); got != want {
			t.Errorf("status %d: status.Code(err) = %v, want %v", st, got, want)
		}
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
	if err == nil {
		t.Fatal("err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "no answer") {
		t.Errorf("err = %q, want it to contain %q", err, "no answer")
	}
	if !strings.Contains(err.Error(), "/v1/ashares") {
		t.Errorf("err = %q, want it to contain %q", err, "/v1/ashares")
	}
	if got := status.Code(err); got != codes.Aborted {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.Aborted)
	}
	if got := api.Count(); got < 1 {
		t.Errorf("api.Count() = %d, want >= 1", got)
	}
	requireNoToken(t, err)

	// A toggle that gets no answer is never retried: Celigo may have flipped it already.
	before := api.Count()
	err = c.ToggleDisabled(context.Background(), "rec1")
	if err == nil {
		t.Fatal("c.ToggleDisabled: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "no answer") {
		t.Errorf("err = %q, want it to contain %q", err, "no answer")
	}
	if got := api.Count(); got != before+1 {
		t.Errorf("api.Count() = %d, want %d", got, before+1)
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	api := scripted(t, `[]`, "", 503)
	c, sl := newTestClient(t, api.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sl.Hook = func(context.Context) { cancel() }
	_, _, err := c.ListUsers(ctx, "")
	if err == nil {
		t.Fatal("c.ListUsers: err = nil, want an error")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v: errors.Is(err, context.Canceled) is false", err)
	}
	if got := api.Count(); got != 1 {
		t.Errorf("api.Count() = %d, want %d", got, 1)
	}
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
