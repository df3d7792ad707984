package connector_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conductorone/baton-sdk/pkg/pagination"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// TestSigninsFeedSaysWhenASignInNamesNoUser: a sign-in without byUser has no actor, so it is not reported;
// it is said once at warn.
func TestSigninsFeedSaysWhenASignInNamesNoUser(t *testing.T) {
	fake := celigotest.NewServer(token, provAccount())
	defer fake.Close()
	at := feedEpoch.Format("2006-01-02T15:04:05.000Z")
	serveAuditAnswer(fake, `[
 {"_id":"65aa00000000000000000011","time":"`+at+`","event":"signin","resourceType":"user","byUser":{"_id":"6500000000000000000000c4","email":"user4@example.com"}},
 {"_id":"65aa00000000000000000012","time":"`+at+`","event":"signin","resourceType":"user"}]`)
	core, logs := observer.New(zapcore.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	ids, err := drainFeedDirect(ctx, t, fake, 1, feedEpoch.Add(-time.Minute), feedEpoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"65aa00000000000000000011"}; !slices.Equal(ids, want) {
		t.Errorf("events %v, want %v", ids, want)
	}
	said := logs.FilterLevelExact(zapcore.WarnLevel).FilterField(zap.String("audit_id", "65aa00000000000000000012")).Len()
	if said != 1 {
		t.Errorf("the sign-in without a user was said %d times at warn, want once", said)
	}
}

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
	serveAuditAnswer(fake, body) // the same answer, whatever the window
	core, logs := observer.New(zapcore.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	ids, err := drainChangesDirect(ctx, t, fake, feedEpoch.Add(-time.Minute), feedEpoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
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

// serveAuditAnswer makes the fake answer every /v1/audit request with body, whatever its filters.
func serveAuditAnswer(fake *celigotest.Server, body string) {
	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path == "/v1/audit" {
			return &celigotest.Fault{Status: http.StatusOK, Body: body}
		}
		return nil
	})
}

// drainChangesDirect reads the changes feed of a connector of fake from start, one event a call, at the
// time now, calling the feed directly (so ctx's logger is the connector's); it returns the event ids.
func drainChangesDirect(ctx context.Context, t *testing.T, fake *celigotest.Server, start, now time.Time) ([]string, error) {
	t.Helper()
	return drainFeedDirect(ctx, t, fake, 0, start, now)
}

// drainFeedDirect is drainChangesDirect for the feed at index n of EventFeeds.
func drainFeedDirect(ctx context.Context, t *testing.T, fake *celigotest.Server, n int, start, now time.Time) ([]string, error) {
	t.Helper()
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep})
	if err != nil {
		t.Fatal(err)
	}
	conn := connector.NewWithClient(client)
	connector.SetEventClock(conn, func() time.Time { return now })
	feed := conn.EventFeeds(ctx)[n]
	if want := []string{"celigo_changes", "celigo_signins"}[n]; feed.EventFeedMetadata(ctx).GetId() != want {
		t.Fatalf("feed %d is %s, want %s", n, feed.EventFeedMetadata(ctx).GetId(), want)
	}
	var ids []string
	tok := &pagination.StreamToken{Size: 1}
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatal("the feed never ends")
		}
		events, state, _, err := feed.ListEvents(ctx, timestamppb.New(start), tok)
		if err != nil {
			return ids, err
		}
		for _, e := range events {
			ids = append(ids, e.GetId())
		}
		if !state.HasMore {
			return ids, nil
		}
		tok = &pagination.StreamToken{Size: 1, Cursor: state.Cursor}
	}
}

// TestChangesFeedCopesWithAServerIgnoringItsTimeFilters: a server that answers with the whole log whatever
// from and to say, a log larger than a window may hold, still gives the records after the start, once
// each: the window cap counts the records in the window, not those the server sent besides.
func TestChangesFeedCopesWithAServerIgnoringItsTimeFilters(t *testing.T) {
	defer connector.SetMaxWindowRecords(5)()
	fake := celigotest.NewServer(token, provAccount())
	defer fake.Close()
	rec := func(id string, at time.Time) string {
		return `{"_id":"` + id + `","time":"` + at.Format("2006-01-02T15:04:05.000Z") +
			`","event":"update","resourceType":"integration","_resourceId":"` + intA + `"}`
	}
	var items []string
	for i := range 12 { // older than the start: another call's, long ago
		items = append(items, rec(fmt.Sprintf("65ab0000000000000000%04d", i), feedEpoch.Add(-time.Duration(i+1)*48*time.Hour)))
	}
	items = append(items, rec("65aa00000000000000000002", feedEpoch.Add(time.Second)), rec("65aa00000000000000000001", feedEpoch))
	serveAuditAnswer(fake, "["+strings.Join(items, ",")+"]")
	ids, err := drainChangesDirect(context.Background(), t, fake, feedEpoch.Add(-time.Minute), feedEpoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"65aa00000000000000000001", "65aa00000000000000000002"}; !slices.Equal(ids, want) {
		t.Errorf("events %v, want %v", ids, want)
	}
}

// TestFeedsNameARejectedToken: a token Celigo rejects everywhere (wrong, revoked, another region's) is
// named as such by the feeds, as by a sync, not as one lacking the audit permission; the token stays out of
// the error.
func TestFeedsNameARejectedToken(t *testing.T) {
	fake := celigotest.NewServer(token, provAccount())
	defer fake.Close()
	const wrong = "not-the-token-the-fake-takes"
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: wrong, Sleep: (&celigotest.SleepRecorder{}).Sleep})
	if err != nil {
		t.Fatal(err)
	}
	conn := connector.NewWithClient(client)
	ctx := context.Background()
	for _, feed := range conn.EventFeeds(ctx) {
		_, _, _, err := feed.ListEvents(ctx, nil, &pagination.StreamToken{Size: 10})
		id := feed.EventFeedMetadata(ctx).GetId()
		if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "rejected the access token") {
			t.Errorf("%s: %v; want Unauthenticated saying the token was rejected", id, err)
		}
		if err != nil && strings.Contains(err.Error(), wrong) {
			t.Errorf("%s: the token is in the error", id)
		}
	}
}

// TestChangesFeedDerivesNoGrantsFromUnreadableFieldChanges: a user change whose field changes cannot be
// read is still reported as a resource change, with no grant or revoke guessed, and said once at warn; a
// byUser given as a bare id does not fail the feed.
func TestChangesFeedDerivesNoGrantsFromUnreadableFieldChanges(t *testing.T) {
	fake := celigotest.NewServer(token, provAccount())
	defer fake.Close()
	at := feedEpoch.Format("2006-01-02T15:04:05.000Z")
	serveAuditAnswer(fake, `[{"_id":"65aa00000000000000000001","time":"`+at+`","event":"update","resourceType":"user",`+
		`"_resourceId":"`+monitor+`","byUser":"`+ownerID+`","fieldChanges":{"fieldPath":"accessLevel","oldValue":"manage"}}]`)
	core, logs := observer.New(zapcore.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token, Sleep: (&celigotest.SleepRecorder{}).Sleep})
	if err != nil {
		t.Fatal(err)
	}
	conn := connector.NewWithClient(client)
	connector.SetEventClock(conn, func() time.Time { return feedEpoch.Add(time.Hour) })
	events, _, _, err := conn.EventFeeds(ctx)[0].ListEvents(ctx, timestamppb.New(feedEpoch.Add(-time.Minute)), &pagination.StreamToken{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := changedResources(events); len(events) != 1 || !slices.Equal(got, []string{"user/" + monitor}) {
		t.Fatalf("%d events, changes %v; want only the user's resource change", len(events), got)
	}
	warned := 0
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if e.ContextMap()["audit_id"] == "65aa00000000000000000001" {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d warnings about the record, want 1", warned)
	}
}
