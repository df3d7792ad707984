package connector_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/conductorone/baton-sdk/pkg/pagination"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// TestChangesFeedSaysWhenARecordHasNoTime: a record without a readable time cannot be placed in the feed's
// order, so it is not reported; the others are, and the skipped one is said once at warn, however often
// its window is read again.
func TestChangesFeedSaysWhenARecordHasNoTime(t *testing.T) {
	fake := celigotest.NewServer(token, provAccount())
	defer fake.Close()
	at := feedEpoch.Format("2006-01-02T15:04:05.000Z")
	body := `[
 {"_id":"65aa00000000000000000001","time":"` + at + `","event":"update","resourceType":"integration","_resourceId":"` + intA + `"},
 {"_id":"65aa00000000000000000002","event":"update","resourceType":"integration","_resourceId":"` + intB + `"},
 {"_id":"65aa00000000000000000003","time":"yesterday","event":"delete","resourceType":"integration","_resourceId":"` + intB + `"},
 {"_id":"65aa00000000000000000004","time":"` + at + `","event":"update","resourceType":"integration","_resourceId":"` + intB + `"}]`
	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path == "/v1/audit" {
			return &celigotest.Fault{Status: http.StatusOK, Body: body} // the same answer, whatever the window
		}
		return nil
	})
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep})
	if err != nil {
		t.Fatal(err)
	}
	conn := connector.NewWithClient(client)
	connector.SetEventClock(conn, func() time.Time { return feedEpoch.Add(time.Hour) })
	core, logs := observer.New(zapcore.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	feed := conn.EventFeeds(ctx)[0]
	if feed.EventFeedMetadata(ctx).GetId() != "celigo_changes" {
		t.Fatalf("first feed is %s", feed.EventFeedMetadata(ctx).GetId())
	}
	var ids []string
	tok := &pagination.StreamToken{Size: 1}
	for calls := 0; ; calls++ {
		if calls > 10 {
			t.Fatal("the feed never ends")
		}
		events, state, _, err := feed.ListEvents(ctx, timestamppb.New(feedEpoch.Add(-time.Minute)), tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			ids = append(ids, e.GetId())
		}
		if !state.HasMore {
			break
		}
		tok = &pagination.StreamToken{Size: 1, Cursor: state.Cursor}
	}
	if want := []string{"65aa00000000000000000001", "65aa00000000000000000004"}; !slices.Equal(ids, want) {
		t.Errorf("events %v, want %v", ids, want)
	}
	said := map[string]int{}
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if id, ok := e.ContextMap()["audit_id"].(string); ok {
			said[id]++
		}
	}
	if said["65aa00000000000000000002"] != 1 || said["65aa00000000000000000003"] != 1 || len(said) != 2 {
		t.Errorf("warnings per record without a time: %v, want one for each of the two", said)
	}
}
