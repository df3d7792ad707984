package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// The provisioning account: one user of each shape, ids easy to read in failures.
const (
	ownerID = "6500000000000000000000f0"
	intA    = "6500000000000000000000a1"
	intB    = "6500000000000000000000a2"
	admin   = "6500000000000000000000e1" // administrator, with an ignored monitor entry on A and extra fields
	manager = "6500000000000000000000e2" // manage
	monitor = "6500000000000000000000e3" // monitor + manage entry on A
	chosen  = "6500000000000000000000e4" // no role, monitor entry on B
	nobody  = "6500000000000000000000e5" // no role, no entries
)

const mcpServer = "65f0000000000000000000c1"

func provAccount() celigotest.Account {
	person := func(n string) celigotest.Person {
		return celigotest.Person{ID: "6500000000000000000000c" + n, Email: "user" + n + "@example.com", Name: "User " + n}
	}
	a := rich(celigotest.NewShare(admin, person("1"), "administrator", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "monitor"}))
	a["futureFlag"] = true
	a["allMcpServerAccess"] = true
	a["mcpServerAccessLevel"] = []any{}
	a["allowToEditRetryData"] = true
	a["accountMFARequired"] = true
	return celigotest.Account{
		Owner: celigotest.Person{ID: ownerID, Email: "owner@example.com", Name: "Olive Owner"},
		Shares: []map[string]any{
			a,
			rich(celigotest.NewShare(manager, person("2"), "manage")),
			rich(celigotest.NewShare(monitor, person("3"), "monitor", celigotest.IntegrationAccess{IntegrationID: intA, AccessLevel: "manage"})),
			rich(celigotest.NewShare(chosen, person("4"), "", celigotest.IntegrationAccess{IntegrationID: intB, AccessLevel: "monitor"})),
			rich(celigotest.NewShare(nobody, person("5"), "")),
		},
		Integrations: []celigotest.Integration{{ID: intA, Name: "Orders"}, {ID: intB, Name: "Invoices"}},
	}
}

// rich gives a record what every write must carry back untouched: MCP access with scopes, the
// workspace-creation permission, a field Celigo may add later, and an unknown sub-field in each
// integration entry. Read-only fields (userType, isProductionAdmin, ...) come with every fake record.
func rich(rec map[string]any) map[string]any {
	rec["mcpServerAccessLevel"] = []any{map[string]any{"_mcpServerId": mcpServer, "scopes": []any{"mcp:read", "mcp:write"}}}
	rec["allMcpServerAccess"] = false
	rec["allowIntegrationWorkspaceCreation"] = true
	rec["futureSettings"] = map[string]any{"theme": "dark", "limits": []any{1.5, "x", nil}}
	for _, e := range rec["integrationAccessLevel"].([]any) {
		e.(map[string]any)["futureScope"] = map[string]any{"flows": []any{"f1"}}
	}
	return rec
}

// noRole is a recordChange's role when the write removes accessLevel.
const noRole = "(none)"

// recordChange is what one write should change in a record: its role, or one integration entry.
type recordChange struct {
	role         string // accessLevel after the write, noRole when removed; "" leaves it
	entry, level string // the entry for integration entry, set to level (added last if absent); level "" removes it
}

func (c *recordChange) apply(rec map[string]any) {
	switch {
	case c == nil:
	case c.role == noRole:
		delete(rec, "accessLevel")
	case c.role != "":
		rec["accessLevel"] = c.role
	}
	if c == nil || c.entry == "" {
		return
	}
	entries, found := []any{}, false
	for _, e := range rec["integrationAccessLevel"].([]any) {
		if m := e.(map[string]any); m["_integrationId"] == c.entry {
			found = true
			if c.level == "" {
				continue
			}
			m["accessLevel"] = c.level
		}
		entries = append(entries, e)
	}
	if !found && c.level != "" {
		entries = append(entries, map[string]any{"_integrationId": c.entry, "accessLevel": c.level})
	}
	rec["integrationAccessLevel"] = entries
}

type fixture struct {
	fake  *celigotest.Server
	cc    types.ConnectorClient
	ctx   context.Context
	waits *celigotest.SleepRecorder // what the client was told to wait; nothing is really waited
}

func newFixture(t *testing.T, retryBudget int) *fixture {
	return newFixtureFor(t, provAccount(), retryBudget)
}

func newFixtureFor(t *testing.T, acct celigotest.Account, retryBudget int) *fixture {
	t.Helper()
	ctx := context.Background()
	fake := celigotest.NewServer(token, acct)
	t.Cleanup(fake.Close)
	w := &celigotest.SleepRecorder{}
	cfg := celigo.Config{BaseURL: fake.URL, Token: token, Sleep: w.Sleep}
	if retryBudget < 0 {
		cfg.RetryBudget = -1
	}
	client, err := celigo.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	fake.ResetRequests()
	return &fixture{fake: fake, cc: cc, ctx: ctx, waits: w}
}

func res(typ, id string) *v2.Resource {
	return v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build()}.Build()
}

func ent(typ, id, slug string) *v2.Entitlement {
	return v2.Entitlement_builder{Id: typ + ":" + id + ":" + slug, Resource: res(typ, id), Slug: slug}.Build()
}

func (f *fixture) grant(user string, e *v2.Entitlement) (*v2.GrantManagerServiceGrantResponse, error) {
	return f.cc.Grant(f.ctx, v2.GrantManagerServiceGrantRequest_builder{Principal: res("user", user), Entitlement: e}.Build())
}

func (f *fixture) revoke(user string, e *v2.Entitlement) (*v2.GrantManagerServiceRevokeResponse, error) {
	g := v2.Grant_builder{Id: e.GetId() + ":user:" + user, Entitlement: e, Principal: res("user", user)}.Build()
	return f.cc.Revoke(f.ctx, v2.GrantManagerServiceRevokeRequest_builder{Grant: g}.Build())
}

// writes counts requests that change state.
func (f *fixture) writes() []string {
	var out []string
	for _, r := range f.fake.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// record returns a user record as plain JSON values, without lastModified (Celigo sets it on each write).
func (f *fixture) record(t *testing.T, id string) map[string]any {
	t.Helper()
	rec, ok := f.fake.Share(id)
	if !ok {
		t.Fatalf("record %s missing", id)
	}
	return plain(t, rec)
}

func plain(t *testing.T, rec map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	delete(out, "lastModified")
	return out
}

// othersUnchanged checks every record but the named ones is exactly as the account began.
func (f *fixture) othersUnchanged(t *testing.T, except ...string) {
	t.Helper()
	for _, orig := range provAccount().Shares {
		id := orig["_id"].(string)
		if slices.Contains(except, id) {
			continue
		}
		if got := f.record(t, id); !reflect.DeepEqual(got, plain(t, orig)) {
			t.Errorf("user %s changed:\n got  %v\n want %v", id, got, plain(t, orig))
		}
	}
}

// putBodies are the JSON bodies of every record PUT sent.
func (f *fixture) putBodies(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range f.fake.Requests() {
		if r.Method == http.MethodPut && !strings.HasSuffix(r.Path, "/disable") {
			var body map[string]any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("PUT body %s: %v", r.Body, err)
			}
			out = append(out, body)
		}
	}
	return out
}

// readOnlyFields are the fields Celigo sets itself (Celigo's API reference lists them as read-only); a PUT must carry none.
var readOnlyFields = []string{"_id", "accepted", "dismissed", "lastSignIn", "isProductionAdmin", "createdVia",
	"sharedWithUser", "createdAt", "lastModified", "userType"}

func alreadyExists(resp *v2.GrantManagerServiceGrantResponse) bool {
	a := annotations.Annotations(resp.GetAnnotations())
	return a.Contains(&v2.GrantAlreadyExists{})
}

func alreadyRevoked(resp *v2.GrantManagerServiceRevokeResponse) bool {
	a := annotations.Annotations(resp.GetAnnotations())
	return a.Contains(&v2.GrantAlreadyRevoked{})
}

func TestProvisioningTable(t *testing.T) {
	roleEnt := func(r string) *v2.Entitlement { return ent("role", r, "assigned") }
	intEnt := func(i, l string) *v2.Entitlement { return ent("integration", i, l) }

	const grant, revoke = false, true
	cases := []struct {
		name   string
		revoke bool // else a grant
		user   string
		ent    *v2.Entitlement
		change *recordChange // expected; nil: unchanged
	}{
		{"grant role monitor to a user with none", grant, nobody, roleEnt("monitor"), &recordChange{role: "monitor"}},
		{"grant administrator replaces monitor and keeps entries", grant, monitor, roleEnt("administrator"), &recordChange{role: "administrator"}},
		{"grant the role already held", grant, manager, roleEnt("manage"), nil},
		{"grant a role keeps unknown and optional fields", grant, admin, roleEnt("manage"), &recordChange{role: "manage"}},
		{"revoke the held role removes accessLevel, keeps entries", revoke, monitor, roleEnt("monitor"), &recordChange{role: noRole}},
		{"revoke a role not held", revoke, monitor, roleEnt("manage"), nil},
		{"grant manage on an integration to a monitor user", grant, monitor, intEnt(intB, "manage"), &recordChange{entry: intB, level: "manage"}},
		{"grant manage to an administrator", grant, admin, intEnt(intB, "manage"), nil},
		{"grant manage to a manager", grant, manager, intEnt(intA, "manage"), nil},
		{"grant manage raises a monitor entry, one entry left", grant, chosen, intEnt(intB, "manage"), &recordChange{entry: intB, level: "manage"}},
		{"grant manage already held by entry", grant, monitor, intEnt(intA, "manage"), nil},
		{"grant monitor to a user whose role covers it", grant, monitor, intEnt(intB, "monitor"), nil},
		{"grant monitor to a user with an entry for it", grant, chosen, intEnt(intB, "monitor"), nil},
		{"grant monitor adds an entry", grant, chosen, intEnt(intA, "monitor"), &recordChange{entry: intA, level: "monitor"}},
		{"revoke an entry at its level", revoke, monitor, intEnt(intA, "manage"), &recordChange{entry: intA}},
		{"revoke the role of a user with only ignored entries", revoke, admin, roleEnt("administrator"), &recordChange{role: noRole}},
		{"grant manage to a user with no access", grant, nobody, intEnt(intA, "manage"), &recordChange{entry: intA, level: "manage"}},
		{"revoke a level the entry does not have", revoke, chosen, intEnt(intB, "manage"), nil},
		{"revoke access nobody gave", revoke, nobody, intEnt(intA, "monitor"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			before := f.record(t, tc.user)
			var noop bool
			var err error
			if tc.revoke {
				var r *v2.GrantManagerServiceRevokeResponse
				r, err = f.revoke(tc.user, tc.ent)
				noop = alreadyRevoked(r)
			} else {
				var r *v2.GrantManagerServiceGrantResponse
				r, err = f.grant(tc.user, tc.ent)
				noop = alreadyExists(r)
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			want := plain(t, before)
			tc.change.apply(want)
			if got := f.record(t, tc.user); !reflect.DeepEqual(got, want) {
				t.Errorf("record after write:\n got  %v\n want %v", got, want)
			}
			writes := f.writes()
			switch {
			case tc.change == nil && (!noop || len(writes) != 0):
				t.Errorf("a no-op must say so and write nothing: already=%v writes=%v", noop, writes)
			case tc.change != nil && (noop || len(writes) != 1):
				t.Errorf("want exactly one write: already=%v writes=%v", noop, writes)
			}
			// Nobody else was touched, and no PUT carried a field Celigo sets itself.
			f.othersUnchanged(t, tc.user)
			for _, body := range f.putBodies(t) {
				for _, k := range readOnlyFields {
					if _, has := body[k]; has {
						t.Errorf("PUT carried read-only %s", k)
					}
				}
			}
		})
	}
}

func TestGrantReturnsTheGrant(t *testing.T) {
	f := newFixture(t, 0)
	r, err := f.grant(chosen, ent("integration", intA, "manage"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.GetGrants()) != 1 || r.GetGrants()[0].GetId() != "integration:"+intA+":manage:user:"+chosen {
		t.Fatalf("grants: %v", r.GetGrants())
	}
}

func TestProvisioningRefusals(t *testing.T) {
	cases := []struct {
		name string
		op   func(f *fixture) error
		code codes.Code
		msg  string
	}{
		{"grant the owner role", func(f *fixture) error { _, err := f.grant(nobody, ent("role", "owner", "assigned")); return err }, codes.FailedPrecondition, "ownership"},
		{"revoke the owner role", func(f *fixture) error { _, err := f.revoke(ownerID, ent("role", "owner", "assigned")); return err }, codes.FailedPrecondition, "ownership"},
		{"change the owner's role", func(f *fixture) error { _, err := f.grant(ownerID, ent("role", "monitor", "assigned")); return err }, codes.FailedPrecondition, "owner"},
		{"revoke access that comes from the role", func(f *fixture) error { _, err := f.revoke(manager, ent("integration", intA, "manage")); return err }, codes.FailedPrecondition, `"manage"`},
		{"revoke monitor that comes from the monitor role", func(f *fixture) error { _, err := f.revoke(monitor, ent("integration", intB, "monitor")); return err }, codes.FailedPrecondition, `"monitor"`},
		{"administrator's ignored entry", func(f *fixture) error { _, err := f.revoke(admin, ent("integration", intA, "manage")); return err }, codes.FailedPrecondition, `"administrator"`},
		{"revoke the last entry of a user with no role", func(f *fixture) error {
			_, err := f.revoke(chosen, ent("integration", intB, "monitor"))
			return err
		}, codes.FailedPrecondition, "would leave the user with no access"},
		{"revoke the only role of a user with no entries", func(f *fixture) error {
			_, err := f.revoke(manager, ent("role", "manage", "assigned"))
			return err
		}, codes.FailedPrecondition, "remove the user (delete the account) instead"},
		{"grant on an unknown integration", func(f *fixture) error {
			_, err := f.grant(nobody, ent("integration", "6500000000000000000000ff", "manage"))
			return err
		}, codes.NotFound, "does not exist"},
		{"grant to an unknown user", func(f *fixture) error {
			_, err := f.grant("6500000000000000000000ee", ent("role", "monitor", "assigned"))
			return err
		}, codes.NotFound, "no access record"},
		{"delete the owner", func(f *fixture) error {
			_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", ownerID).GetId()}.Build())
			return err
		}, codes.FailedPrecondition, "owner"},
		{"invite an owner", func(f *fixture) error {
			_, err := f.createAccount("new@example.com", "owner")
			return err
		}, codes.FailedPrecondition, "ownership"},
		{"invite with a bad role", func(f *fixture) error {
			_, err := f.createAccount("new@example.com", "superuser")
			return err
		}, codes.InvalidArgument, "administrator, manage, monitor"},
		{"invite without an email", func(f *fixture) error {
			_, err := f.createAccount("", "monitor")
			return err
		}, codes.InvalidArgument, "email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			err := tc.op(f)
			if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (%v), want %v containing %q", status.Code(err), err, tc.code, tc.msg)
			}
			if w := f.writes(); len(w) != 0 {
				t.Errorf("refused request wrote: %v", w)
			}
			f.othersUnchanged(t)
			if strings.Contains(err.Error(), token) {
				t.Error("error leaks the token")
			}
		})
	}
}

func (f *fixture) createAccount(email, level string) (*v2.CreateAccountResponse, error) {
	profile, _ := structpb.NewStruct(map[string]any{"email": email, "access_level": level})
	return f.cc.CreateAccount(f.ctx, v2.CreateAccountRequest_builder{
		AccountInfo: v2.AccountInfo_builder{Profile: profile, Login: email}.Build(),
		CredentialOptions: v2.CredentialOptions_builder{
			RandomPassword: v2.CredentialOptions_RandomPassword_builder{Length: 20}.Build(),
		}.Build(),
	}.Build())
}

func TestCreateAccountInvites(t *testing.T) {
	f := newFixture(t, 0)
	resp, err := f.createAccount("new.person@example.com", "monitor")
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetSuccess().GetResource()
	if r == nil || r.GetStatus().GetDetails() != "invitation pending" {
		t.Fatalf("result: %v", resp)
	}
	newID := r.GetId().GetResource()
	rec, ok := f.fake.Share(newID)
	if !ok {
		t.Fatalf("no record %s", newID)
	}
	got := plain(t, rec)
	user, _ := got["sharedWithUser"].(map[string]any)
	want := map[string]any{
		"_id": newID, "accepted": false, "dismissed": false, "disabled": false, "accessLevel": "monitor",
		"integrationAccessLevel": []any{}, "accountSSORequired": false, "accountMFARequired": false,
		"allowToEditRetryData": false, "allowAccessToAPIM": false, "createdVia": "existing_account_invite", "createdAt": got["createdAt"],
		"sharedWithUser": map[string]any{"_id": user["_id"], "email": "new.person@example.com", "accountSSOLinked": "not_linked"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("invited record:\n got  %v\n want %v", got, want)
	}
	f.othersUnchanged(t)
	if len(resp.GetEncryptedData()) != 0 {
		t.Error("no credential may be returned: Celigo emails an invitation")
	}

	// Inviting the same address again is not an error: C1 gets the existing user.
	again, err := f.createAccount("NEW.person@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if again.GetAlreadyExists().GetResource().GetId().GetResource() != r.GetId().GetResource() {
		t.Fatalf("duplicate: %v", again)
	}

	// The owner's address too, though Celigo lists no record for the owner: C1 gets the owner.
	owner, err := f.createAccount(" Owner@example.com ", "monitor")
	if err != nil {
		t.Fatalf("inviting the owner's address: %v", err)
	}
	if got := owner.GetAlreadyExists().GetResource().GetId().GetResource(); got != ownerID {
		t.Fatalf("owner's address: %v", owner)
	}

	noRole, err := f.createAccount("plain@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = f.fake.Share(noRole.GetSuccess().GetResource().GetId().GetResource())
	if _, has := rec["accessLevel"]; has {
		t.Errorf("an invitation without a role must not carry accessLevel: %v", rec)
	}
}

func TestDeleteUser(t *testing.T) {
	f := newFixture(t, 0)
	del := func(id string) error {
		_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", id).GetId()}.Build())
		return err
	}
	if err := del(nobody); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.fake.Share(nobody); ok {
		t.Fatal("still there")
	}
	if err := del(nobody); err != nil {
		t.Fatalf("already gone must succeed: %v", err)
	}
	if w := f.writes(); len(w) != 1 || w[0] != "DELETE /v1/ashares/"+nobody {
		t.Fatalf("writes: %v", w)
	}
	f.othersUnchanged(t, nobody)
}

// action runs an action to its end (the SDK runs handlers detached; the inline wait is the handler's own
// limit, so the answer is final) and returns its failure as an error.
func (f *fixture) action(name, user string) error {
	args, _ := structpb.NewStruct(map[string]any{"user_id": map[string]any{"resource_type_id": "user", "resource_id": user}})
	resp, err := f.cc.InvokeAction(f.ctx, v2.InvokeActionRequest_builder{
		Name: name, ResourceTypeId: "user", Args: args, InlineWait: durationpb.New(time.Hour),
	}.Build())
	switch {
	case err != nil:
		return err
	case resp.GetStatus() == v2.BatonActionStatus_BATON_ACTION_STATUS_COMPLETE:
		return nil
	case resp.GetStatus() == v2.BatonActionStatus_BATON_ACTION_STATUS_FAILED:
		return errors.New(resp.GetResponse().GetFields()["error"].GetStringValue())
	}
	return fmt.Errorf("action %s ended in status %v", name, resp.GetStatus())
}

func TestDisableEnableAreIdempotent(t *testing.T) {
	f := newFixture(t, 0)
	toggles := func() int {
		n := 0
		for _, w := range f.writes() {
			if strings.HasSuffix(w, "/disable") {
				n++
			}
		}
		return n
	}
	steps := []struct {
		action   string
		disabled bool
		toggles  int
	}{
		{"disable_user", true, 1},
		{"disable_user", true, 1}, // already disabled: no toggle
		{"enable_user", false, 2},
		{"enable_user", false, 2},
	}
	for i, s := range steps {
		if err := f.action(s.action, admin); err != nil {
			t.Fatalf("step %d %s: %v", i, s.action, err)
		}
		rec, _ := f.fake.Share(admin)
		if rec["disabled"] != s.disabled || toggles() != s.toggles {
			t.Fatalf("step %d %s: disabled=%v toggles=%d", i, s.action, rec["disabled"], toggles())
		}
		want := plain(t, provAccount().Shares[0])
		want["disabled"] = s.disabled
		if got := f.record(t, admin); !reflect.DeepEqual(got, want) {
			t.Errorf("step %d %s changed more than disabled:\n got  %v\n want %v", i, s.action, got, want)
		}
	}
	// Disabled and enabled again: every record, this one included, is exactly as it began.
	f.othersUnchanged(t)
}

func TestFailedWriteIsAnError(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   codes.Code
	}{{500, codes.Aborted}, {503, codes.Aborted}, {422, codes.InvalidArgument}, {409, codes.Aborted}} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			f := newFixture(t, -1)
			f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
				if r.Method == http.MethodPut {
					return &celigotest.Fault{Status: tc.status}
				}
				return nil
			})
			before := f.record(t, nobody)
			_, err := f.grant(nobody, ent("role", "monitor", "assigned"))
			if err == nil || status.Code(err) != tc.code {
				t.Fatalf("got %v (%v), want %v", status.Code(err), err, tc.code)
			}
			if got := f.record(t, nobody); !reflect.DeepEqual(got, before) {
				t.Errorf("record changed by a failed write")
			}
		})
	}
}

// A PUT answered 409 (the record changed meanwhile) is not "already exists": the write is redone from a
// fresh read, and lands.
func TestConflictIsReadAgain(t *testing.T) {
	f := newFixture(t, 0)
	puts := 0
	f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.Method == http.MethodPut {
			if puts++; puts == 1 {
				return &celigotest.Fault{Status: http.StatusConflict}
			}
		}
		return nil
	})
	resp, err := f.grant(nobody, ent("role", "monitor", "assigned"))
	if err != nil || alreadyExists(resp) {
		t.Fatalf("got %v, %v; want the grant made", resp, err)
	}
	if got := f.record(t, nobody)["accessLevel"]; got != "monitor" {
		t.Fatalf("accessLevel %v", got)
	}
	if puts != 2 {
		t.Errorf("%d PUTs, want 2", puts)
	}
}

// TestConcurrentChangeIsNotLost: another writer, working from the record as it was before our write, puts
// its own change after ours (erasing ours). The read-back sees it; the write is redone on top of theirs.
func TestConcurrentChangeIsNotLost(t *testing.T) {
	f := newFixture(t, 0)
	theirs, _ := f.fake.Share(nobody)
	theirs["allowToEditRetryData"] = true
	reads := 0
	f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.Method == http.MethodGet && r.URL.Path == "/v1/ashares/"+nobody {
			reads++
			if reads == 2 { // our read-back after our PUT: the other writer lands first
				f.fake.SetShare(theirs)
			}
		}
		return nil
	})
	if _, err := f.grant(nobody, ent("role", "manage", "assigned")); err != nil {
		t.Fatal(err)
	}
	rec := f.record(t, nobody)
	if rec["accessLevel"] != "manage" || rec["allowToEditRetryData"] != true {
		t.Fatalf("a change was lost: %v", rec)
	}
	if w := f.writes(); len(w) != 2 {
		t.Errorf("want the write redone once, got %v", w)
	}
}

// The token's own user cannot be disabled, demoted below administrator or deleted through the connector:
// it would lock the connector out. A delete given a person's user id, not an access record id, is refused
// with the id to use, never reported as already done.
func TestTheTokensOwnUserAndPersonIDs(t *testing.T) {
	acct := provAccount()
	acct.TokenUserID = "6500000000000000000000c1" // the administrator's person
	self := []struct {
		name string
		op   func(f *fixture) error
	}{
		{"disable", func(f *fixture) error { return f.action("disable_user", admin) }},
		{"grant manage", func(f *fixture) error { _, err := f.grant(admin, ent("role", "manage", "assigned")); return err }},
		{"grant monitor", func(f *fixture) error { _, err := f.grant(admin, ent("role", "monitor", "assigned")); return err }},
		{"revoke administrator", func(f *fixture) error {
			_, err := f.revoke(admin, ent("role", "administrator", "assigned"))
			return err
		}},
		{"delete", func(f *fixture) error {
			_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", admin).GetId()}.Build())
			return err
		}},
	}
	for _, tc := range self {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFor(t, acct, 0)
			err := tc.op(f)
			if err == nil || !strings.Contains(err.Error(), "the access token belongs to") {
				t.Fatalf("want a refusal naming the token's own user, got %v", err)
			}
			if tc.name != "disable" && status.Code(err) != codes.FailedPrecondition { // an action's failure is its text
				t.Errorf("code %v, want FailedPrecondition", status.Code(err))
			}
			if w := f.writes(); len(w) != 0 {
				t.Errorf("refused request wrote: %v", w)
			}
			f.othersUnchanged(t)
		})
	}
	t.Run("granting administrator again is fine", func(t *testing.T) {
		f := newFixtureFor(t, acct, 0)
		resp, err := f.grant(admin, ent("role", "administrator", "assigned"))
		if err != nil || !alreadyExists(resp) {
			t.Fatalf("got %v, %v", resp, err)
		}
	})
	t.Run("delete by a person's user id", func(t *testing.T) {
		f := newFixtureFor(t, acct, 0)
		_, err := f.cc.DeleteResourceV2(f.ctx, v2.DeleteResourceV2Request_builder{ResourceId: res("user", "6500000000000000000000c2").GetId()}.Build())
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), manager) || !strings.Contains(err.Error(), "not an access record id") {
			t.Fatalf("want InvalidArgument naming access record %s, got %v", manager, err)
		}
		if w := f.writes(); len(w) != 0 {
			t.Errorf("refused request wrote: %v", w)
		}
		f.othersUnchanged(t)
	})
}

// Invitations waiting on someone: one declined, one pending (never signed in to this account).
const (
	declinedUser = "6500000000000000000000d6"
	pendingUser  = "6500000000000000000000d7"
)

func inviteesAccount() celigotest.Account {
	acct := provAccount()
	for _, inv := range []struct {
		id, n     string
		dismissed bool
	}{{declinedUser, "6", true}, {pendingUser, "7", false}} {
		rec := rich(celigotest.NewShare(inv.id, celigotest.Person{ID: "6500000000000000000000c" + inv.n, Email: "user" + inv.n + "@example.com"}, "monitor"))
		rec["accepted"], rec["dismissed"] = false, inv.dismissed
		delete(rec, "lastSignIn")
		acct.Shares = append(acct.Shares, rec)
	}
	return acct
}

// TestReinvite: a declined invitation becomes pending again and nothing else on the record changes; a
// pending one is sent again unchanged; each is one PUT to /reinvite and nothing else is written.
func TestReinvite(t *testing.T) {
	f := newFixtureFor(t, inviteesAccount(), 0)
	before := map[string]map[string]any{}
	for _, id := range []string{declinedUser, pendingUser} {
		before[id] = f.record(t, id)
	}

	if err := f.action("reinvite_user", declinedUser); err != nil {
		t.Fatal(err)
	}
	want := before[declinedUser]
	want["dismissed"] = false
	if got := f.record(t, declinedUser); !reflect.DeepEqual(got, want) {
		t.Errorf("declined record after re-invite:\n got  %v\n want %v", got, want)
	}

	if err := f.action("reinvite_user", pendingUser); err != nil {
		t.Fatal(err)
	}
	if got := f.record(t, pendingUser); !reflect.DeepEqual(got, before[pendingUser]) {
		t.Errorf("pending record changed by a re-invite:\n got  %v\n want %v", got, before[pendingUser])
	}
	wantWrites := []string{"PUT /v1/ashares/" + declinedUser + "/reinvite", "PUT /v1/ashares/" + pendingUser + "/reinvite"}
	if w := f.writes(); !slices.Equal(w, wantWrites) {
		t.Errorf("writes %v, want %v", w, wantWrites)
	}
	f.othersUnchanged(t)
}

// TestReinviteRefusals: an accepted user, the owner and an unknown id are refused with a message saying
// why, and nothing is written.
func TestReinviteRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, user, msg string
	}{
		{"accepted", manager, "accepted their invitation: there is nothing to send again"},
		{"owner", ownerID, "account owner"},
		{"unknown id", "6500000000000000000000ff", "has no access record in Celigo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureFor(t, inviteesAccount(), 0)
			err := f.action("reinvite_user", tc.user)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want a refusal containing %q", err, tc.msg)
			}
			if w := f.writes(); len(w) != 0 {
				t.Errorf("refused re-invite wrote: %v", w)
			}
			f.othersUnchanged(t)
		})
	}
}

// TestReinviteAfterALostAnswer: Celigo carried out the re-invite but its answer was lost (503 after the
// change). The next round reads the invitation as pending and does not send a second email.
func TestReinviteAfterALostAnswer(t *testing.T) {
	f := newFixtureFor(t, inviteesAccount(), 0)
	f.fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if strings.HasSuffix(r.URL.Path, "/reinvite") {
			return &celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}
		}
		return nil
	})
	if err := f.action("reinvite_user", declinedUser); err != nil {
		t.Fatal(err)
	}
	if w := f.writes(); len(w) != 1 {
		t.Errorf("want exactly one re-invite sent, got %v", w)
	}
	if rec := f.record(t, declinedUser); rec["dismissed"] != false || rec["accepted"] != false {
		t.Errorf("not pending: %v", rec)
	}
}
