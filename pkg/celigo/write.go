package celigo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
)

// send makes one write request, exactly once: no retry and no redirect. A write is never re-sent as it was,
// because the record may have changed since it was built; the caller reads again, re-applies its change and
// writes that (WriteRetry paces those rounds).
func (c *Client) send(ctx context.Context, req request) (*response, error) {
	payload, err := req.payload()
	if err != nil {
		return nil, err
	}
	return c.once(ctx, req, payload)
}

// WriteRetry paces the rounds of one write: after a failed or throttled write the caller reads the record
// again (uncached), re-applies its change to that fresh copy and writes the result, so a change someone else
// made meanwhile is neither overwritten nor undone. It shares the client's retry budget and waits.
type WriteRetry struct {
	c       *Client
	start   time.Time
	slept   time.Duration // what c.sleep was asked to wait; equals wall time unless sleep is replaced
	attempt int
}

// NewWriteRetry starts pacing one write.
func (c *Client) NewWriteRetry() *WriteRetry { return &WriteRetry{c: c, start: time.Now()} }

// Wait decides on a failed write. For throttling, conflicts and transient faults (429, 409, 408, 5xx, no
// answer) it waits as Celigo asks (Retry-After) or backs off, and returns nil: the caller starts a new round
// from a fresh read. Otherwise it returns the error to report: err itself when no retry can help (a refusal, a redirect,
// a rejected body), or a give-up error (ResourceExhausted after 429s, else Aborted) once the budget is spent.
func (w *WriteRetry) Wait(ctx context.Context, err error) error {
	w.attempt++
	req := failedRequest(err)
	wait, retry := w.c.retryDecision(req, err, w.attempt)
	if !retry && IsStatus(err, http.StatusConflict) {
		// A write refused as conflicting met a record that changed meanwhile: a new round from a fresh read
		// is the cure. Reported as it was, it would read as AlreadyExists, which C1 takes for "already so".
		wait, retry = backoff(w.attempt), true
	}
	if !retry {
		return err
	}
	elapsed := max(time.Since(w.start), w.slept)
	if w.c.retryBudget < 0 || elapsed+wait > w.c.retryBudget {
		return giveUp(req, err, elapsed, w.attempt)
	}
	w.slept += wait
	ctxzap.Extract(ctx).Warn("celigo: write failed; reading the record again before another try",
		zap.String("method", req.method), zap.String("path", req.path),
		zap.Int("attempt", w.attempt), zap.Duration("wait", wait), zap.Error(err))
	if err := w.c.pause(ctx, wait, err); err != nil {
		return fmt.Errorf("celigo: %s %s: %w", req.method, req.path, err)
	}
	return nil
}

// failedRequest recovers what request an error is about. Every round starts from a fresh read, so for
// the retry decision a write counts as safe to repeat.
func failedRequest(err error) request {
	req := request{idempotent: true}
	var apiErr *APIError
	var tErr *transportError
	switch {
	case errors.As(err, &apiErr):
		req.method, req.path = apiErr.Method, apiErr.Path
	case errors.As(err, &tErr):
		req.method, req.path = tErr.method, tErr.path
	}
	return req
}

// MayHaveLanded reports whether a failed write may still have been carried out: the answer was lost or
// was a server fault (5xx, 408). A 429 or another refusal means Celigo did not act.
func MayHaveLanded(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusRequestTimeout
	}
	return isTransport(err)
}
