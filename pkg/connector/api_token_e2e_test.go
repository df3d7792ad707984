package connector_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/conductorone/baton-sdk/pkg/dotc1z/c1zstore"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// secretsConnector is a connector of fake that syncs API tokens (--sync-secrets).
func secretsConnector(t *testing.T, fake *celigotest.Server) *connector.Connector {
	t.Helper()
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token,
		Sleep: (&celigotest.SleepRecorder{}).Sleep, RetryBudget: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return connector.NewWithClient(client, connector.WithSecrets(true))
}

// syncSecrets syncs fake with --sync-secrets; it returns the sync read back and the c1z's path.
func syncSecrets(t *testing.T, fake *celigotest.Server, opts ...sdksync.SyncOpt) (*synctest.Dump, string, error) {
	t.Helper()
	ctx := context.Background()
	cc, stop, err := synctest.Serve(ctx, secretsConnector(t, fake))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	path := filepath.Join(t.TempDir(), "sync.c1z")
	if err := synctest.Sync(ctx, cc, path, opts...); err != nil {
		return nil, path, err
	}
	d, err := synctest.Read(ctx, path)
	if err != nil {
		t.Fatalf("read c1z: %v", err)
	}
	return d, path, nil
}

// tokenRequests are the requests made to the token endpoints.
func tokenRequests(fake *celigotest.Server) []string {
	var out []string
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, "/v1/accesstokens") {
			out = append(out, r.Method+" "+r.Path+"?"+r.RawQuery)
		}
	}
	return out
}

func TestSyncMatchesCeligoAPITokens(t *testing.T) {
	acct := celigotest.Generate(7, 12, 3)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(1) // a page per token, and per audit record
	// Who created two of the tokens; the others are older than the log. A later create record of the same
	// token (the log is not ordered) does not make its author the creator.
	first, second := str(acct.APITokens[0], "_id"), str(acct.APITokens[3], "_id")
	admin := celigotest.Person{ID: "6500000000000000000000d1", Email: "ada@example.com", Name: "Ada Admin"}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	fake.AddAudit(
		celigotest.TokenCreated(second, acct.Owner, base.Add(2*time.Hour)),
		celigotest.TokenCreated(first, admin, base),
		celigotest.TokenCreated(first, acct.Owner, base.Add(time.Hour)),
		celigotest.AuditEntry{Time: base, Event: celigotest.AuditUpdate, Source: "ui", ResourceType: celigotest.AuditTypeAccessToken, ResourceID: str(acct.APITokens[1], "_id"), ByUser: admin},
	)
	// A third is created by a person with an access record in the account: the secret names their user.
	third, holder := str(acct.APITokens[2], "_id"), acct.Shares[0]
	member := holder["sharedWithUser"].(map[string]any)
	user := celigotest.Person{ID: member["_id"].(string), Email: member["email"].(string), Name: member["name"].(string)}
	fake.AddAudit(celigotest.TokenCreated(third, user, base.Add(3*time.Hour)))
	creators := map[string]celigotest.Person{first: admin, second: acct.Owner, third: user}
	createdBy := map[string]string{third: str(holder, "_id")} // the admin and the owner have no access record
	d, _, err := syncSecrets(t, fake)
	if err != nil {
		t.Fatal(err)
	}
	if len(acct.APITokens) != 4 {
		t.Fatalf("the generated account has %d tokens", len(acct.APITokens))
	}
	for _, rec := range acct.APITokens {
		id := str(rec, "_id")
		r := d.Resources[synctest.Key("api_token", id)]
		if r == nil {
			t.Fatalf("token %s missing", id)
		}
		if r.GetDisplayName() != str(rec, "name") {
			t.Errorf("token %s name %q", id, r.GetDisplayName())
		}
		st := &v2.SecretTrait{}
		annos := annotations.Annotations(r.GetAnnotations())
		if ok, err := annos.Pick(st); err != nil || !ok {
			t.Fatalf("token %s has no secret trait: %v", id, err)
		}
		if st.GetCredentialType() != v2.SecretTrait_CREDENTIAL_TYPE_STATIC_SECRET {
			t.Errorf("token %s credential type %v", id, st.GetCredentialType())
		}
		wantExpiry := ""
		if v := str(rec, "autoPurgeAt"); v != "never" {
			wantExpiry = v
		}
		if got := timeText(st.GetExpiresAt()); got != wantExpiry {
			t.Errorf("token %s expires %q, want %q", id, got, wantExpiry)
		}
		if got := timeText(r.GetCreatedAt()); got != str(rec, "createdAt") {
			t.Errorf("token %s created %q, want %q", id, got, str(rec, "createdAt"))
		}
		wantStatus, wantDetails := v2.Status_RESOURCE_STATUS_ENABLED, ""
		if boolean(rec, "revoked") {
			wantStatus, wantDetails = v2.Status_RESOURCE_STATUS_DISABLED, "revoked"
		}
		if r.GetStatus().GetStatus() != wantStatus || r.GetStatus().GetDetails() != wantDetails {
			t.Errorf("token %s status %v %q", id, r.GetStatus().GetStatus(), r.GetStatus().GetDetails())
		}
		p := rs.GetProfile(r).AsMap()
		ids := func(k string) []string {
			var out []string
			list, _ := rec[k].([]any)
			for _, x := range list {
				out = append(out, x.(string))
			}
			return out
		}
		profileIDs := func(k string) []string {
			var out []string
			list, _ := p[k].([]any)
			for _, x := range list {
				out = append(out, x.(string))
			}
			return out
		}
		for k, pk := range map[string]string{"_connectionIds": "connection_ids", "_exportIds": "export_ids", "_importIds": "import_ids", "_apiIds": "api_ids", "_mcpServerIds": "mcp_server_ids"} {
			if !slices.Equal(ids(k), profileIDs(pk)) {
				t.Errorf("token %s %s = %v, want %v", id, pk, profileIDs(pk), ids(k))
			}
		}
		full := boolean(rec, "fullAccess")
		wantScope, detail := "custom", fmt.Sprintf("Custom: %d connection", len(ids("_connectionIds")))
		if full {
			wantScope, detail = "full_access", "Full access"
		}
		if p["scope"] != wantScope || p["full_access"] != full || !strings.HasPrefix(r.GetDescription(), detail) {
			t.Errorf("token %s scope %v / %q", id, p["scope"], r.GetDescription())
		}
		if got, want := st.GetCreatedById(), createdBy[id]; got.GetResource() != want || want != "" && got.GetResourceType() != "user" {
			t.Errorf("token %s: the secret is created by %v, want user %q", id, got, want)
		}
		who := creators[id]
		if p["created_by_user_id"] != who.ID || p["created_by_email"] != who.Email || p["created_by_name"] != who.Name {
			t.Errorf("token %s created by %v %v %v, want %+v", id, p["created_by_user_id"], p["created_by_email"], p["created_by_name"], who)
		}
		if integ := str(rec, "_integrationId"); integ != "" {
			parent := r.GetParentResourceId()
			if parent.GetResourceType() != "integration" || parent.GetResource() != integ || p["integration_id"] != integ {
				t.Errorf("token %s of integration %s: parent %v, profile %v", id, integ, parent, p["integration_id"])
			}
		} else if r.GetParentResourceId() != nil {
			t.Errorf("token %s has parent %v", id, r.GetParentResourceId())
		}
	}
	if n := countType(d, "api_token"); n != len(acct.APITokens) {
		t.Errorf("%d tokens, want %d", n, len(acct.APITokens))
	}
	for k := range d.Entitlements {
		if strings.HasPrefix(k, "api_token:") {
			t.Errorf("a token has an entitlement: %s", k)
		}
	}
	// The list is read once, a page per token, and nothing else is asked of the token endpoints.
	if got := tokenRequests(fake); len(got) != len(acct.APITokens) {
		t.Errorf("token requests: %v", got)
	}
	if n := fake.RevealingCalls(); n != 0 {
		t.Errorf("%d calls to the endpoints that reveal a token", n)
	}
	// The creators come from one query of the audit log, paged (four create records, a page each), and their
	// access records from the users the sync already read: the users list is read as often as without tokens.
	var audits []string
	usersReads := 0
	for _, r := range fake.Requests() {
		switch r.Path {
		case "/v1/audit":
			audits = append(audits, r.RawQuery)
		case "/v1/ashares":
			usersReads++
		}
	}
	plain := celigotest.NewServer(token, acct)
	defer plain.Close()
	plain.SetPageSize(1)
	syncFake(t, plain)
	want := 0
	for _, r := range plain.Requests() {
		if r.Path == "/v1/ashares" {
			want++
		}
	}
	if usersReads != want {
		t.Errorf("%d reads of the users list, %d without --sync-secrets", usersReads, want)
	}
	if len(audits) != 4 || !strings.Contains(audits[0], "resourceType=accesstoken") || !strings.Contains(audits[0], "event=create") {
		t.Errorf("audit requests: %v", audits)
	}
	// Everything else is synced as without --sync-secrets.
	if n := countType(d, "user"); n != len(acct.Shares)+1 {
		t.Errorf("%d users", n)
	}
}

// TestNoAPITokensWithoutSyncSecrets: without the flag the type is not declared and the list never asked for.
func TestNoAPITokensWithoutSyncSecrets(t *testing.T) {
	fake := celigotest.NewServer(token, celigotest.Generate(7, 6, 2))
	defer fake.Close()
	d := syncFake(t, fake)
	if n := countType(d, "api_token"); n != 0 {
		t.Errorf("%d tokens synced without --sync-secrets", n)
	}
	if got := tokenRequests(fake); len(got) != 0 {
		t.Errorf("token endpoints called without --sync-secrets: %v", got)
	}
	for _, s := range newConnector(t, fake).ResourceSyncers(context.Background()) {
		if s.ResourceType(context.Background()).GetId() == "api_token" {
			t.Error("api_token type registered without --sync-secrets")
		}
	}
}

// storedContains opens the c1z (as the SDK does, into plain files) and says whether any stored byte
// sequence holds needle.
func storedContains(t *testing.T, path, needle string) bool {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	store, err := dotc1z.NewStore(ctx, path, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(tmp))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(ctx)
	found := false
	err = filepath.WalkDir(tmp, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		found = found || bytes.Contains(b, []byte(needle))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestAPITokenValueNeverLeaves: token records carrying their value, plain and masked, are synced, listed
// and provisioned; the value is nowhere in the sync file, the logs or any error.
func TestAPITokenValueNeverLeaves(t *testing.T) {
	const plainValue = "c1g0-3f9a7e21d4b64c0e9a7b1f2d3c4e5f60"
	const maskedValue = "********************************5f61"
	const marker = "Nightly ledger export" // a name, stored as any name is: shows the search finds stored text
	acct := celigotest.Generate(8, 5, 2)
	plainTok := celigotest.NewAPIToken("65f0000000000000000000a1", marker)
	plainTok["token"] = plainValue
	masked := celigotest.NewAPIToken("65f0000000000000000000a2", "Masked")
	masked["token"] = maskedValue
	acct.APITokens = []map[string]any{plainTok, masked}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()

	// SQLite stores records as they are (the default engine compresses its blocks): a value would be seen.
	d, path, err := syncSecrets(t, fake, sdksync.WithStorageEngine(c1zstore.EngineSQLite))
	if err != nil {
		t.Fatal(err)
	}
	if d.Resources[synctest.Key("api_token", "65f0000000000000000000a1")] == nil {
		t.Fatal("the token was not synced")
	}
	if !storedContains(t, path, marker) {
		t.Fatal("the stored-bytes search does not find a token's name: it could not see a value either")
	}
	for _, v := range []string{plainValue, maskedValue} {
		if storedContains(t, path, v) {
			t.Errorf("the value %q is in the sync file", v)
		}
		for k, r := range d.Resources {
			if b, _ := protojson.Marshal(r); strings.Contains(string(b), v) {
				t.Errorf("the value is in resource %s", k)
			}
		}
	}

	// Listing, targeted reads and writes, logged at debug, and errors built from answers holding the value.
	core, logs := observer.New(zapcore.DebugLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	conn := secretsConnector(t, fake)
	var errs []error
	for _, s := range conn.ResourceSyncers(ctx) {
		if s.ResourceType(ctx).GetId() != "api_token" {
			continue
		}
		out, _, err := s.List(ctx, nil, rs.SyncOpAttrs{SyncID: "leak"})
		if err != nil || len(out) != 2 {
			t.Fatalf("list: %d %v", len(out), err)
		}
		// The token list answered garbled, with the value in it: the error must not quote it.
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/accesstokens" {
				return &celigotest.Fault{Status: 200, Body: `{"token":"` + plainValue + `"}`}
			}
			return nil
		})
		_, _, err = s.List(ctx, nil, rs.SyncOpAttrs{SyncID: "leak-2"})
		if err == nil {
			t.Fatal("a garbled token list was accepted")
		}
		errs = append(errs, err)
		fake.SetFault(nil)
	}
	for _, e := range errs {
		for _, v := range []string{plainValue, maskedValue} {
			if strings.Contains(e.Error(), v) {
				t.Errorf("error holds the value: %v", e)
			}
		}
	}
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		for _, v := range []string{plainValue, maskedValue} {
			if strings.Contains(line, v) {
				t.Errorf("log line holds the value: %s", line)
			}
		}
	}
	if n := fake.RevealingCalls(); n != 0 {
		t.Errorf("%d calls to the endpoints that reveal a token", n)
	}
}

// TestUnreadableAuditLogLeavesCreatorsEmpty: a token that may not read the audit log (401, 403) syncs the
// tokens without creators, saying so once; another failure of the log fails the listing.
func TestUnreadableAuditLogLeavesCreatorsEmpty(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			acct := celigotest.Generate(9, 6, 2)
			fake := celigotest.NewServer(token, acct)
			defer fake.Close()
			fake.AddAudit(celigotest.TokenCreated(str(acct.APITokens[0], "_id"), acct.Owner, time.Now()))
			fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
				if r.URL.Path == "/v1/audit" {
					return &celigotest.Fault{Status: code}
				}
				return nil
			})
			d, _, err := syncSecrets(t, fake)
			if err != nil {
				t.Fatalf("an unreadable audit log failed the sync: %v", err)
			}
			if n := countType(d, "api_token"); n != len(acct.APITokens) {
				t.Fatalf("%d tokens", n)
			}
			for k, r := range d.Resources {
				if p := rs.GetProfile(r).AsMap(); strings.HasPrefix(k, "api_token/") && p["created_by_user_id"] != "" {
					t.Errorf("%s has a creator: %v", k, p["created_by_user_id"])
				}
			}

			ctx, logs := observed()
			conn := secretsConnector(t, fake)
			for _, s := range conn.ResourceSyncers(ctx) {
				if s.ResourceType(ctx).GetId() != "api_token" {
					continue
				}
				for _, syncID := range []string{"s1", "s1", "s2"} {
					if _, _, err := s.List(ctx, nil, rs.SyncOpAttrs{SyncID: syncID}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got := logs.FilterMessageSnippet("may not read Celigo's audit log").Len(); got != 2 {
				t.Errorf("%d lines about the audit log, want one per sync (2)", got)
			}
		})
	}
	t.Run("500 fails the listing", func(t *testing.T) {
		fake := celigotest.NewServer(token, celigotest.Generate(9, 6, 2))
		defer fake.Close()
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/audit" {
				return &celigotest.Fault{Status: http.StatusInternalServerError}
			}
			return nil
		})
		if _, _, err := syncSecrets(t, fake); err == nil || !strings.Contains(err.Error(), "/v1/audit") {
			t.Errorf("sync error %v, want one naming the audit log", err)
		}
	})
}

// TestRefusedTokenListIsHarmless: a token list Celigo refuses (401, 403, 404) ends the sync without tokens
// and one warning; any other failure of it fails the sync.
func TestRefusedTokenListIsHarmless(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			acct := celigotest.Generate(9, 6, 2)
			fake := celigotest.NewServer(token, acct)
			defer fake.Close()
			fake.RefuseAPITokens(code)
			d, _, err := syncSecrets(t, fake)
			if err != nil {
				t.Fatalf("a refused token list failed the sync: %v", err)
			}
			if n := countType(d, "api_token"); n != 0 {
				t.Errorf("%d tokens", n)
			}
			if n := countType(d, "user"); n != len(acct.Shares)+1 {
				t.Errorf("%d users: the rest of the sync is incomplete", n)
			}

			ctx, logs := observed()
			conn := secretsConnector(t, fake)
			for _, s := range conn.ResourceSyncers(ctx) {
				if s.ResourceType(ctx).GetId() != "api_token" {
					continue
				}
				// Two listings of one sync (a resumed one reads again), then another sync.
				for _, syncID := range []string{"s1", "s1", "s2"} {
					out, res, err := s.List(ctx, nil, rs.SyncOpAttrs{SyncID: syncID})
					if err != nil || len(out) != 0 || res.NextPageToken != "" {
						t.Fatalf("refused list: %d %v %v", len(out), res, err)
					}
				}
			}
			if got := logs.Filter(func(e observer.LoggedEntry) bool { return e.Level == zapcore.WarnLevel }).Len(); got != 2 {
				t.Errorf("%d warnings, want one per sync (2)", got)
			}
		})
	}
	t.Run("500 fails the sync", func(t *testing.T) {
		fake := celigotest.NewServer(token, celigotest.Generate(9, 6, 2))
		defer fake.Close()
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/accesstokens" {
				return &celigotest.Fault{Status: http.StatusInternalServerError}
			}
			return nil
		})
		if _, _, err := syncSecrets(t, fake); err == nil {
			t.Error("a failing token list did not fail the sync")
		}
	})
	t.Run("a refusal after the first page fails the sync", func(t *testing.T) {
		fake := celigotest.NewServer(token, celigotest.Generate(9, 6, 2))
		defer fake.Close()
		fake.SetPageSize(1)
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/accesstokens" && r.URL.RawQuery != "" {
				return &celigotest.Fault{Status: http.StatusForbidden}
			}
			return nil
		})
		if _, _, err := syncSecrets(t, fake); err == nil {
			t.Error("a token list refused half way was taken as complete")
		}
	})
}

// TestTargetedAPITokenKeepsItsCreator: the targeted read ConductorOne makes after a change event describes a
// token as the full sync does, its creator included: read from the create events of that token alone, and
// the creator's user found in the users list. An audit log the token may not read leaves it without one.
func TestTargetedAPITokenKeepsItsCreator(t *testing.T) {
	acct := celigotest.Generate(11, 9, 2)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(2) // the creator's record is on a later page of the users list
	holder := acct.Shares[len(acct.Shares)-1]
	member := holder["sharedWithUser"].(map[string]any)
	user := celigotest.Person{ID: member["_id"].(string), Email: member["email"].(string), Name: member["name"].(string)}
	byUser, byOwner, untold := str(acct.APITokens[0], "_id"), str(acct.APITokens[1], "_id"), str(acct.APITokens[2], "_id")
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	fake.AddAudit(
		celigotest.TokenCreated(byUser, acct.Owner, base.Add(time.Hour)), // a later create does not make its author the creator
		celigotest.TokenCreated(byUser, user, base),
		celigotest.TokenCreated(byOwner, acct.Owner, base),
	)
	d, _, err := syncSecrets(t, fake)
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) *v2.Resource {
		t.Helper()
		ctx := context.Background()
		for _, s := range secretsConnector(t, fake).ResourceSyncers(ctx) {
			if s.ResourceType(ctx).GetId() == "api_token" {
				r, _, err := s.(connectorbuilder.ResourceTargetedSyncerLimited).Get(ctx, &v2.ResourceId{ResourceType: "api_token", Resource: id}, nil)
				if err != nil {
					t.Fatalf("get %s: %v", id, err)
				}
				return r
			}
		}
		t.Fatal("no api_token syncer")
		return nil
	}
	creatorOf := func(r *v2.Resource) (string, map[string]any) {
		st := &v2.SecretTrait{}
		annos := annotations.Annotations(r.GetAnnotations())
		if ok, err := annos.Pick(st); err != nil || !ok {
			t.Fatalf("%s has no secret trait: %v", r.GetId().GetResource(), err)
		}
		p := rs.GetProfile(r).AsMap()
		return st.GetCreatedById().GetResource(), map[string]any{"id": p["created_by_user_id"], "email": p["created_by_email"], "name": p["created_by_name"]}
	}
	for id, want := range map[string]struct {
		record string
		person celigotest.Person
	}{byUser: {str(holder, "_id"), user}, byOwner: {"", acct.Owner}, untold: {"", celigotest.Person{}}} {
		fake.ResetRequests()
		record, person := creatorOf(get(id))
		wantPerson := map[string]any{"id": want.person.ID, "email": want.person.Email, "name": want.person.Name}
		if record != want.record || !reflect.DeepEqual(person, wantPerson) {
			t.Errorf("token %s: created by user %q %v, want %q %v", id, record, person, want.record, wantPerson)
		}
		if fullRecord, fullPerson := creatorOf(d.Resources[synctest.Key("api_token", id)]); fullRecord != record || !reflect.DeepEqual(fullPerson, person) {
			t.Errorf("token %s: the full sync says %q %v, the targeted read %q %v", id, fullRecord, fullPerson, record, person)
		}
		for _, r := range fake.Requests() {
			if r.Path == "/v1/audit" && !strings.Contains(r.RawQuery, "_resourceId="+id) {
				t.Errorf("token %s: the audit log was asked %q, not for this token alone", id, r.RawQuery)
			}
		}
	}

	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path == "/v1/audit" {
			return &celigotest.Fault{Status: http.StatusForbidden}
		}
		return nil
	})
	if record, person := creatorOf(get(byUser)); record != "" || person["id"] != "" {
		t.Errorf("with the audit log refused: created by %q %v", record, person)
	}
}
