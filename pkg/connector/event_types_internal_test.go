package connector

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

func TestAuditResourceTypes(t *testing.T) {
	c := ForCapabilities()
	for audit, want := range map[string]string{
		"user": userTypeID, "User": userTypeID, "integration": integrationTypeID, "mcpserver": mcpServerTypeID,
		"mcpServers": mcpServerTypeID, "flow": "", "connection": "", "accesstoken": apiTokenTypeID, "": "",
	} {
		if got := c.resourceTypeOf(audit); got != want {
			t.Errorf("resourceTypeOf(%q) = %q, want %q", audit, got, want)
		}
	}
	// API tokens are reported only where they are synced: with --sync-secrets.
	if got := (&Connector{}).resourceTypeOf("accesstoken"); got != "" {
		t.Errorf("without --sync-secrets, resourceTypeOf(accesstoken) = %q, want none", got)
	}
}

// Records the feed does not report are skipped, each kind logged once per process, never an error.
func TestChangeEventsSkipUnknownKindsWithOneLineEach(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	c := ForCapabilities()
	at := celigo.Timestamp{Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	var records []*celigo.AuditRecord
	for i, kind := range []struct{ event, typ string }{
		{"view", "integration"}, {"view", "integration"}, {"export", "flow"},
		{"update", "flow"}, {"update", "flow"}, {"create", "connection"}, {"signin", "user"},
	} {
		records = append(records, &celigo.AuditRecord{ID: string(rune('a' + i)), Time: at, Event: kind.event, ResourceType: kind.typ, ResourceID: "x"})
	}
	for range 2 {
		events, err := c.changeEvents(ctx, records)
		if err != nil || len(events) != 0 {
			t.Fatalf("events %v, err %v; want none and no error", events, err)
		}
	}
	var lines []string
	for _, e := range logs.All() {
		lines = append(lines, e.ContextMap()["field"].(string)+"="+e.ContextMap()["kind"].(string))
	}
	want := []string{"event=view", "event=export", "resourceType=flow", "resourceType=connection"}
	if len(lines) != len(want) {
		t.Fatalf("log lines %v, want one per kind: %v", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("log lines %v, want %v", lines, want)
			break
		}
	}
}

// TestFirstTimeRemembersABoundedNumber: what is logged once is remembered up to maxRemembered keys, so
// endless odd audit records cannot grow a long-running process's memory; a key just seen stays seen.
func TestFirstTimeRemembersABoundedNumber(t *testing.T) {
	var e eventState
	for i := 0; i < 3*maxRemembered; i++ {
		key := strconv.Itoa(i)
		if !e.firstTime(key) {
			t.Fatalf("key %d was not new", i)
		}
		if e.firstTime(key) {
			t.Fatalf("key %d seen twice as new", i)
		}
		if len(e.skipped) > maxRemembered {
			t.Fatalf("%d keys remembered, at most %d", len(e.skipped), maxRemembered)
		}
	}
}
