package connector

import (
	"context"
	"sync/atomic"

	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/ratelimit"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
)

// rateLimitWaits adds up the time one call spent waiting on Celigo's rate limit (the client reports each
// wait through baton-sdk's wait observer). The connector backs off by itself, inside its own process, so
// the syncer cannot see those waits unless the answer carries them: the SDK's rate-limit wait report.
type rateLimitWaits struct{ ms atomic.Int64 }

// watchRateLimitWaits returns a context whose rate-limit waits are added to the returned tally. Plain
// retry backoffs (a 5xx, a dropped connection) are not rate limiting and are left out.
func watchRateLimitWaits(ctx context.Context) (context.Context, *rateLimitWaits) {
	w := &rateLimitWaits{}
	return ratelimit.WithWaitObserver(ctx, func(_ context.Context, ev ratelimit.WaitEvent) {
		if !ev.Retry {
			w.ms.Add(ev.Duration.Milliseconds())
		}
	}), w
}

// results is a page's SyncOpResults, with the wait report when the call waited.
func (w *rateLimitWaits) results(next string) *rs.SyncOpResults {
	return &rs.SyncOpResults{NextPageToken: next, Annotations: w.annotations()}
}

func (w *rateLimitWaits) annotations() annotations.Annotations {
	annos := annotations.New()
	annos.WithRateLimitWaitReport(w.ms.Load())
	if len(annos) == 0 {
		return nil
	}
	return annos
}
