package connector

import (
	"context"
	"net/http"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestRateLimitWaitsAreReported: the wait a 429's Retry-After imposed on a List reaches its answer's
// annotations as the SDK's rate-limit wait report; a 5xx backoff is a retry, not rate limiting, and is left out.
func TestRateLimitWaitsAreReported(t *testing.T) {
	cases := []struct {
		name   string
		status int
		wantMS int64
	}{
		{"throttled", http.StatusTooManyRequests, 2000},
		{"unavailable", http.StatusServiceUnavailable, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := celigotest.NewServer("tok", celigotest.Generate(1, 5, 2))
			t.Cleanup(fake.Close)
			fake.SetFault(func(_ *http.Request, n int) *celigotest.Fault {
				if n == 1 {
					return &celigotest.Fault{Status: tc.status, RetryAfter: "2"}
				}
				return nil
			})
			client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: "tok",
				Sleep: (&celigotest.SleepRecorder{}).Sleep})
			if err != nil {
				t.Fatal(err)
			}
			b := &integrationBuilder{conn: NewWithClient(client)}
			_, res, err := b.List(context.Background(), nil, rs.SyncOpAttrs{SyncID: "sync-1"})
			if err != nil {
				t.Fatal(err)
			}
			report := &v2.RateLimitWaitReport{}
			found, err := res.Annotations.Pick(report)
			if err != nil {
				t.Fatal(err)
			}
			if got := report.GetWaitMs(); found != (tc.wantMS > 0) || got != tc.wantMS {
				t.Errorf("report found=%v wait=%d ms, want %d ms", found, got, tc.wantMS)
			}
		})
	}
}
