package connector_test

import (
	"context"
	"sync"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/types"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// testClock is a clock the test moves; the fake's audit log and the connector's feeds share it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var feedEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// feedFixture is a fake Celigo and the connector served over gRPC, both on one test clock.
type feedFixture struct {
	fake  *celigotest.Server
	cc    types.ConnectorClient
	clock *testClock
	ctx   context.Context
}

func newFeedFixture(t *testing.T, acct celigotest.Account) *feedFixture {
	t.Helper()
	ctx := context.Background()
	fake := celigotest.NewServer(token, acct)
	t.Cleanup(fake.Close)
	clock := &testClock{t: feedEpoch}
	fake.SetClock(clock.Now)
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep})
	if err != nil {
		t.Fatal(err)
	}
	c := connector.NewWithClient(client)
	connector.SetEventClock(c, clock.Now)
	cc, stop, err := synctest.Serve(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &feedFixture{fake: fake, cc: cc, clock: clock, ctx: ctx}
}

// list is one ListEvents call.
func (f *feedFixture) list(feed string, start time.Time, cursor string, size int) (*v2.ListEventsResponse, error) {
	req := v2.ListEventsRequest_builder{EventFeedId: feed, Cursor: cursor, PageSize: uint32(size)}
	if !start.IsZero() {
		req.StartAt = timestamppb.New(start)
	}
	return f.cc.ListEvents(f.ctx, req.Build())
}

// drain calls ListEvents until the feed has no more, as the SDK does, and returns every event and the
// last cursor. Every cursor must fit the SDK's limit.
func (f *feedFixture) drain(t *testing.T, feed string, start time.Time, cursor string, size int) ([]*v2.Event, string) {
	t.Helper()
	var out []*v2.Event
	for calls := 0; ; calls++ {
		if calls > 10_000 {
			t.Fatal("the feed never ends")
		}
		resp, err := f.list(feed, start, cursor, size)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if n := len(resp.GetCursor()); n == 0 || n > 4096 {
			t.Fatalf("cursor of %d bytes", n)
		}
		out = append(out, resp.GetEvents()...)
		cursor = resp.GetCursor()
		if !resp.GetHasMore() {
			return out, cursor
		}
	}
}

// afterLag moves the clock past the feeds' lag, so everything logged so far is old enough to be read.
func (f *feedFixture) afterLag() { f.clock.Add(connector.AuditLag + time.Second) }

func changedResources(events []*v2.Event) []string {
	var out []string
	for _, e := range events {
		if rc := e.GetResourceChangeEvent(); rc != nil {
			out = append(out, rc.GetResourceId().GetResourceType()+"/"+rc.GetResourceId().GetResource())
		}
	}
	return out
}

func eventIDs(events []*v2.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.GetId()
	}
	return out
}
