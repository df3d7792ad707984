package connector

import (
	"context"
	"net/http"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

const (
	logToken   = "log-test-token"
	logOwner   = "6600000000000000000000f0"
	logInt     = "6600000000000000000000a1"
	logManager = "6600000000000000000000e1" // manage role
	logPlain   = "6600000000000000000000e2" // no role, monitor entry on logInt
)

// logFixture is a connector against the strict fake, with a context whose logger records every line.
type logFixture struct {
	conn *Connector
	fake *celigotest.Server
	ctx  context.Context
	logs *observer.ObservedLogs
}

func newLogFixture(t *testing.T) *logFixture {
	t.Helper()
	acct := celigotest.Account{
		Owner: celigotest.Person{ID: logOwner, Email: "owner@example.com", Name: "Olive Owner"},
		Shares: []map[string]any{
			celigotest.NewShare(logManager, celigotest.Person{ID: "6600000000000000000000c1", Email: "max@example.com", Name: "Max Manager"}, "manage"),
			celigotest.NewShare(logPlain, celigotest.Person{ID: "6600000000000000000000c2", Email: "pat@example.com", Name: "Pat Plain"}, "",
				celigotest.IntegrationAccess{IntegrationID: logInt, AccessLevel: "monitor"}),
		},
		Integrations: []celigotest.Integration{{ID: logInt, Name: "Orders"}},
	}
	fake := celigotest.NewServer(logToken, acct)
	t.Cleanup(fake.Close)
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: logToken, RetryBudget: -1})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	return &logFixture{
		conn: NewWithClient(client),
		fake: fake,
		ctx:  ctxzap.ToContext(context.Background(), zap.New(core)),
		logs: logs,
	}
}

// outcome returns the one provisioning line logged since the last call, failing unless there is exactly one.
func (f *logFixture) outcome(t *testing.T) observer.LoggedEntry {
	t.Helper()
	var lines []observer.LoggedEntry
	for _, e := range f.logs.TakeAll() {
		if _, ok := e.ContextMap()["outcome"]; ok {
			lines = append(lines, e)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want exactly one provisioning line, got %d: %v", len(lines), lines)
	}
	if lines[0].Level != zapcore.InfoLevel {
		t.Errorf("level %s, want info", lines[0].Level)
	}
	return lines[0]
}

func userRes(id, name string) *v2.Resource {
	return v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: userTypeID, Resource: id}.Build(), DisplayName: name}.Build()
}

func entOf(typ, id, name, slug string) *v2.Entitlement {
	r := v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build(), DisplayName: name}.Build()
	return v2.Entitlement_builder{Id: typ + ":" + id + ":" + slug, Resource: r, Slug: slug}.Build()
}

func grantOf(e *v2.Entitlement, principal *v2.Resource) *v2.Grant {
	return v2.Grant_builder{Id: e.GetId() + ":user:" + principal.GetId().GetResource(), Entitlement: e, Principal: principal}.Build()
}

func TestEachProvisioningRequestLogsOneLine(t *testing.T) {
	f := newLogFixture(t)
	roles := &roleBuilder{conn: f.conn}
	integrations := &integrationBuilder{conn: f.conn}
	users := &userBuilder{conn: f.conn}
	pat, manager := userRes(logPlain, "Pat Plain"), userRes(logManager, "")
	monitorRole := entOf(roleTypeID, celigo.LevelMonitor, "Monitor all", "assigned")
	ordersManage := entOf(integrationTypeID, logInt, "Orders", "manage")
	action := func(disabled bool) error {
		args := &structpb.Struct{Fields: map[string]*structpb.Value{argUserID: structpb.NewStringValue(logPlain)}}
		_, _, err := users.setDisabledAction(disabled)(f.ctx, args)
		return err
	}
	invite := func(email string) error {
		profile, _ := structpb.NewStruct(map[string]any{profileEmail: email, profileAccessLevel: "monitor"})
		_, _, _, err := users.CreateAccount(f.ctx, v2.AccountInfo_builder{Profile: profile}.Build(), nil)
		return err
	}

	steps := []struct {
		name    string
		do      func() error
		outcome string
		want    []string // substrings of the message
	}{
		{"grant a role", func() error { _, _, err := roles.Grant(f.ctx, pat, monitorRole); return err },
			outcomeChanged, []string{"grant done", `user "Pat Plain" (` + logPlain + ")", "now holds role:monitor:assigned (Monitor all)"}},
		{"grant the same role again", func() error { _, _, err := roles.Grant(f.ctx, pat, monitorRole); return err },
			outcomeAlready, []string{"nothing to change in Celigo", "already holds role:monitor:assigned", "it is their account role"}},
		{"grant manage on an integration to a manager", func() error { _, _, err := integrations.Grant(f.ctx, manager, ordersManage); return err },
			outcomeAlready, []string{"user " + logManager + " already holds integration:" + logInt + ":manage (Orders)", "their account role or a manage entry"}},
		{"grant the owner role", func() error {
			_, _, err := roles.Grant(f.ctx, pat, entOf(roleTypeID, celigo.LevelOwner, "Account owner", "assigned"))
			return err
		}, outcomeRefused, []string{"grant refused", "role:owner:assigned", "ownership"}},
		{"revoke a role not held", func() error {
			_, err := roles.Revoke(f.ctx, grantOf(entOf(roleTypeID, celigo.LevelAdministrator, "", "assigned"), pat))
			return err
		}, outcomeAlready, []string{"does not hold role:administrator:assigned", "their account role is another or none"}},
		{"revoke the held role", func() error { _, err := roles.Revoke(f.ctx, grantOf(monitorRole, pat)); return err },
			outcomeChanged, []string{"revoke done", "no longer holds role:monitor:assigned"}},
		{"revoke integration access that comes from the role", func() error {
			_, err := integrations.Revoke(f.ctx, grantOf(ordersManage, manager))
			return err
		}, outcomeRefused, []string{"revoke refused", "manage"}},
		{"disable", func() error { return action(true) }, outcomeChanged, []string{"disable user done", `user "Pat Plain" <pat@example.com> (` + logPlain + ")", "now disabled"}},
		{"disable again", func() error { return action(true) }, outcomeAlready, []string{`user "Pat Plain" <pat@example.com>`, "already disabled"}},
		{"enable", func() error { return action(false) }, outcomeChanged, []string{"enable user done", `user "Pat Plain" <pat@example.com>`, "now enabled"}},
		{"invite", func() error { return invite("new@example.com") }, outcomeChanged,
			[]string{"create account done", "invited new@example.com with the monitor role", "pending"}},
		{"invite an address that has access", func() error { return invite("max@example.com") }, outcomeAlready,
			[]string{"max@example.com already has access", `"Max Manager" (` + logManager + ")"}},
		{"delete", func() error { _, err := users.Delete(f.ctx, userRes(logPlain, "").GetId(), nil); return err },
			outcomeChanged, []string{"delete account done", `user "Pat Plain" <pat@example.com> (` + logPlain + ") no longer has access"}},
		{"delete again", func() error { _, err := users.Delete(f.ctx, userRes(logPlain, "").GetId(), nil); return err },
			outcomeAlready, []string{"no such user in Celigo (already removed, or never existed)"}},
		{"disable without an id", func() error {
			_, _, err := users.setDisabledAction(true)(f.ctx, &structpb.Struct{Fields: map[string]*structpb.Value{}})
			return err
		}, outcomeRefused, []string{"disable user refused: no user given", "access record id"}},
		{"grant to an id Celigo does not know", func() error {
			_, _, err := roles.Grant(f.ctx, userRes("66000000000000000000beef", ""), monitorRole)
			return err
		}, outcomeRefused, []string{"grant refused", "66000000000000000000beef", "not a user id from the sync"}},
		{"grant to an id that cannot be Celigo's", func() error { _, _, err := roles.Grant(f.ctx, userRes("nosuchid", ""), monitorRole); return err },
			outcomeRefused, []string{"grant refused", `"nosuchid" is not a Celigo id (24 hexadecimal digits)`}},
	}
	for _, s := range steps {
		err := s.do()
		if (err != nil) != (s.outcome == outcomeRefused) {
			t.Fatalf("%s: error %v", s.name, err)
		}
		line := f.outcome(t)
		if got := line.ContextMap()["outcome"]; got != s.outcome {
			t.Errorf("%s: outcome %v, want %q (%s)", s.name, got, s.outcome, line.Message)
		}
		for _, w := range s.want {
			if !strings.Contains(line.Message, w) {
				t.Errorf("%s: line %q lacks %q", s.name, line.Message, w)
			}
		}
		if strings.Contains(line.Message, "rpc error") || strings.Count(line.Message, "baton-celigo:") != 1 {
			t.Errorf("%s: line %q should read plainly", s.name, line.Message)
		}
	}
}

func TestAFailedWriteLogsFailed(t *testing.T) {
	f := newLogFixture(t)
	f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.Method == http.MethodPut {
			return &celigotest.Fault{Status: http.StatusBadGateway}
		}
		return nil
	})
	roles := &roleBuilder{conn: f.conn}
	if _, _, err := roles.Grant(f.ctx, userRes(logPlain, ""), entOf(roleTypeID, celigo.LevelMonitor, "", "assigned")); err == nil {
		t.Fatal("a grant whose write failed returned no error")
	}
	line := f.outcome(t)
	if got := line.ContextMap()["outcome"]; got != outcomeFailed || !strings.Contains(line.Message, "grant failed: role:monitor:assigned for user "+logPlain) {
		t.Errorf("line %q, outcome %v", line.Message, got)
	}
	if rec, _ := f.fake.Share(logPlain); rec["accessLevel"] != nil {
		t.Errorf("the record changed: %v", rec)
	}
}

// TestASecondMCPReadRevokeSaysTheEntryIsGone: revoking read removes the whole entry, so the no-op line of a
// second revoke says so rather than talk of a scope.
func TestASecondMCPReadRevokeSaysTheEntryIsGone(t *testing.T) {
	server := v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: mcpServerTypeID, Resource: "65000000000000000000abcd"}.Build()}.Build()
	read := v2.Entitlement_builder{Id: "mcp_server:65000000000000000000abcd:read", Resource: server}.Build()
	if got := alreadyRevokedReason(read); !strings.Contains(got, "already gone") || strings.Contains(got, "scope") {
		t.Errorf("read: %q", got)
	}
	write := v2.Entitlement_builder{Id: "mcp_server:65000000000000000000abcd:write", Resource: server}.Build()
	if got := alreadyRevokedReason(write); !strings.Contains(got, "does not carry write") {
		t.Errorf("write: %q", got)
	}
}

// TestReinviteLogsOneLine: the re-invite action ends with one line, like every provisioning request.
func TestReinviteLogsOneLine(t *testing.T) {
	f := newLogFixture(t)
	const declined, pending = "6600000000000000000000d3", "6600000000000000000000d4"
	for id, dismissed := range map[string]bool{declined: true, pending: false} {
		rec := celigotest.NewShare(id, celigotest.Person{ID: "6600000000000000000000c" + id[len(id)-1:], Email: id + "@example.com"}, "monitor")
		rec["accepted"], rec["dismissed"] = false, dismissed
		f.fake.SetShare(rec)
	}
	users := &userBuilder{conn: f.conn}
	reinvite := func(id string) error {
		args := &structpb.Struct{Fields: map[string]*structpb.Value{argUserID: structpb.NewStringValue(id)}}
		_, _, err := users.reinviteAction(f.ctx, args)
		return err
	}
	for _, s := range []struct {
		name, user, outcome string
		want                []string
	}{
		{"declined", declined, outcomeChanged, []string{"re-invite user done", declined, "declined invitation was sent again", "pending until accepted"}},
		{"pending", pending, outcomeChanged, []string{"re-invite user done", pending, "pending invitation was sent again"}},
		{"accepted", logManager, outcomeRefused, []string{"re-invite user refused", logManager, "nothing to send again"}},
		{"owner", logOwner, outcomeRefused, []string{"re-invite user refused", "account owner"}},
		{"no id", "", outcomeRefused, []string{"re-invite user refused: no user given"}},
	} {
		err := reinvite(s.user)
		if (err != nil) != (s.outcome == outcomeRefused) {
			t.Fatalf("%s: error %v", s.name, err)
		}
		line := f.outcome(t)
		if got := line.ContextMap()["outcome"]; got != s.outcome {
			t.Errorf("%s: outcome %v, want %q (%s)", s.name, got, s.outcome, line.Message)
		}
		for _, w := range s.want {
			if !strings.Contains(line.Message, w) {
				t.Errorf("%s: line %q lacks %q", s.name, line.Message, w)
			}
		}
	}
}

// TestAPITokenRequestsLogOneLine: revoke, re-activate and delete of an API token each end with one line,
// "nothing to change" when it already was so.
func TestAPITokenRequestsLogOneLine(t *testing.T) {
	f := newLogFixture(t)
	const inForce, own = "6600000000000000000000b1", "6600000000000000000000b2"
	f.fake.SetAPIToken(celigotest.NewAPIToken(inForce, "CI deploys"))
	f.fake.SetAPIToken(celigotest.NewAPIToken(own, "Baton"))
	tokens := &apiTokenBuilder{conn: f.conn}
	action := func(revoke bool, id string) func() error {
		return func() error {
			args := &structpb.Struct{Fields: map[string]*structpb.Value{argTokenID: structpb.NewStringValue(id)}}
			_, _, err := tokens.setRevokedAction(revoke)(f.ctx, args)
			return err
		}
	}
	del := func(id string) func() error {
		return func() error {
			_, err := tokens.Delete(f.ctx, v2.ResourceId_builder{ResourceType: apiTokenTypeID, Resource: id}.Build(), nil)
			return err
		}
	}
	label := `API token "CI deploys" (` + inForce + `)`
	for _, s := range []struct {
		name    string
		run     func() error
		outcome string
		want    []string
	}{
		{"revoke", action(true, inForce), outcomeChanged, []string{"revoke API token done: " + label + " is now revoked"}},
		{"revoke again", action(true, inForce), outcomeAlready, []string{"revoke API token: nothing to change in Celigo: " + label + " is already revoked"}},
		{"re-activate", action(false, inForce), outcomeChanged, []string{"re-activate API token done: " + label + " is now active"}},
		{"re-activate again", action(false, inForce), outcomeAlready, []string{"nothing to change", "already active"}},
		{"delete in force", del(inForce), outcomeChanged, []string{"delete API token done: " + label + " was revoked, then deleted"}},
		{"delete again", del(inForce), outcomeAlready, []string{"delete API token: nothing to change in Celigo: no such API token", inForce}},
		{"not an id", action(true, "x"), outcomeRefused, []string{"revoke API token refused", "not a Celigo API token id"}},
		{"no id", action(false, ""), outcomeRefused, []string{"re-activate API token refused: no API token given"}},
	} {
		err := s.run()
		if (err != nil) != (s.outcome == outcomeRefused) {
			t.Fatalf("%s: error %v", s.name, err)
		}
		line := f.outcome(t)
		if got := line.ContextMap()["outcome"]; got != s.outcome {
			t.Errorf("%s: outcome %v, want %q (%s)", s.name, got, s.outcome, line.Message)
		}
		for _, w := range s.want {
			if !strings.Contains(line.Message, w) {
				t.Errorf("%s: line %q lacks %q", s.name, line.Message, w)
			}
		}
	}
}
