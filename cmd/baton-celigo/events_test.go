package main_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// The event feeds as an operator reads them: the SDK's --event-feed flags print one JSON event a line.
func TestEventFeedsPrintEvents(t *testing.T) {
	fake := newFake(t)
	acct := fake.Account()
	integ := acct.Integrations[0].ID
	user := acct.Shares[0]
	person := user["sharedWithUser"].(map[string]any)["_id"].(string)
	at := time.Now().Add(-time.Hour)
	fake.AddAudit(
		celigotest.AuditEntry{Time: at, Event: "update", Source: "ui", ResourceType: "integration", ResourceID: integ, ByUser: acct.Owner},
		celigotest.AuditEntry{Time: at, Event: "signin", Source: "sso", ResourceType: "user", ByUser: celigotest.Person{ID: person}})
	dir := t.TempDir()
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	start := at.Add(-time.Minute).UTC().Format(time.RFC3339)

	r := baton(t, dir, env, append(common(fake), "--event-feed=true", "--event-feed-id", "celigo_changes", "--event-feed-start-at", start)...)
	if r.code != 0 || !strings.Contains(r.out, `"resourceChangeEvent"`) || !strings.Contains(r.out, integ) {
		t.Fatalf("changes feed (exit %d) did not print the integration's change:\n%s", r.code, r.out)
	}
	r = baton(t, dir, env, append(common(fake), "--event-feed=true", "--event-feed-id", "celigo_signins", "--event-feed-start-at", start)...)
	if r.code != 0 || !strings.Contains(r.out, `"usageEvent"`) || !strings.Contains(r.out, user["_id"].(string)) {
		t.Fatalf("sign-ins feed (exit %d) did not print the sign-in by the user's access record:\n%s", r.code, r.out)
	}

	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path == "/v1/audit" {
			return &celigotest.Fault{Status: http.StatusForbidden}
		}
		return nil
	})
	r = baton(t, dir, env, append(common(fake), "--event-feed=true", "--event-feed-id", "celigo_changes", "--event-feed-start-at", start)...)
	if r.code == 0 || !strings.Contains(r.out, "may not read Celigo's audit log") {
		t.Fatalf("a token refused the audit log: exit %d, output:\n%s", r.code, r.out)
	}
}
