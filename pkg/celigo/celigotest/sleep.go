package celigotest

import (
	"context"
	"sync"
	"time"
)

// SleepRecorder stands in for the client's wait between retries (celigo.Config.Sleep): it records every wait
// and returns at once, so tests drive retries and backoff without spending the time or depending on it.
// It is safe for concurrent use.
type SleepRecorder struct {
	// Hook, when set, runs at each wait before it returns, with the waiting call's context (a test cancels
	// it there to stop a call mid-wait). Set it before the client is used.
	Hook func(ctx context.Context)

	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d and returns at once: the context's error, like a real wait cut short, or nil.
func (s *SleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	hook := s.Hook
	s.mu.Unlock()
	if hook != nil {
		hook(ctx)
	}
	return ctx.Err()
}

// Waits returns every wait asked for so far, in order.
func (s *SleepRecorder) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// Total is the sum of the waits asked for so far.
func (s *SleepRecorder) Total() time.Duration {
	var sum time.Duration
	for _, d := range s.Waits() {
		sum += d
	}
	return sum
}
