package connector_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

const token = "e2e-secret-token-4b1d"

// syncFake syncs the fake's account into a c1z and reads it back.
func syncFake(t *testing.T, fake *celigotest.Server) *synctest.Dump {
	t.Helper()
	ctx := context.Background()
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return syncClient(t, client)
}

func syncClient(t *testing.T, client *celigo.Client, opts ...sdksync.SyncOpt) *synctest.Dump {
	t.Helper()
	ctx := context.Background()
	cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	path := filepath.Join(t.TempDir(), "sync.c1z")
	if err := synctest.Sync(ctx, cc, path, opts...); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if id, err := synctest.FinishedSync(ctx, path); err != nil || id == "" {
		t.Fatalf("sync not recorded as finished: %q %v", id, err)
	}
	d, err := synctest.Read(ctx, path)
	if err != nil {
		t.Fatalf("read c1z: %v", err)
	}
	return d
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// timeText is a timestamp as the fake writes times (RFC 3339, milliseconds, UTC), "" when absent.
func timeText(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format("2006-01-02T15:04:05.000Z")
}

func boolean(m map[string]any, k string) bool { b, _ := m[k].(bool); return b }

func TestSyncMatchesCeligo(t *testing.T) {
	acct := celigotest.Generate(7, 40, 9)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(3) // 14 pages of users, 3 of integrations
	d := syncFake(t, fake)

	t.Run("users", func(t *testing.T) {
		for _, rec := range acct.Shares {
			id := str(rec, "_id")
			r := d.Resources[synctest.Key("user", id)]
			if r == nil {
				t.Fatalf("user %s missing", id)
			}
			swu := rec["sharedWithUser"].(map[string]any)
			wantName := str(swu, "name")
			if wantName == "" {
				wantName = str(swu, "email")
			}
			if r.GetDisplayName() != wantName {
				t.Errorf("user %s name %q, want %q", id, r.GetDisplayName(), wantName)
			}
			ut, err := rs.GetUserTrait(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(ut.GetEmails()) != 1 || ut.GetEmails()[0].GetAddress() != str(swu, "email") || !ut.GetEmails()[0].GetIsPrimary() {
				t.Errorf("user %s emails %v", id, ut.GetEmails())
			}
			if ut.GetLogin() != str(swu, "email") {
				t.Errorf("user %s login %q", id, ut.GetLogin())
			}
			if ut.GetAccountType() != v2.UserTrait_ACCOUNT_TYPE_HUMAN {
				t.Errorf("user %s account type %v", id, ut.GetAccountType())
			}
			wantStatus, wantDetails := v2.Status_RESOURCE_STATUS_ENABLED, ""
			switch {
			case boolean(rec, "disabled"):
				wantStatus, wantDetails = v2.Status_RESOURCE_STATUS_DISABLED, "disabled in Celigo"
			case boolean(rec, "dismissed"):
				wantStatus, wantDetails = v2.Status_RESOURCE_STATUS_DISABLED, "invitation declined"
			case rec["accepted"] == false:
				wantStatus, wantDetails = v2.Status_RESOURCE_STATUS_PENDING, "invitation pending"
			}
			if r.GetStatus().GetStatus() != wantStatus || r.GetStatus().GetDetails() != wantDetails {
				t.Errorf("user %s status %v %q, want %v %q", id, r.GetStatus().GetStatus(), r.GetStatus().GetDetails(), wantStatus, wantDetails)
			}
			// The user trait's own (deprecated) status says the same, by name: PENDING is STATUS_PENDING.
			uts := ut.GetStatus() //nolint:staticcheck // the deprecated trait status is still read by C1
			if uts.GetStatus().String() != strings.Replace(wantStatus.String(), "RESOURCE_", "", 1) || uts.GetDetails() != wantDetails {
				t.Errorf("user %s trait status %v %q, want %v %q", id, uts.GetStatus(), uts.GetDetails(), wantStatus, wantDetails)
			}
			if ut.GetMfaStatus().GetMfaEnabled() != boolean(rec, "accountMFARequired") {
				t.Errorf("user %s mfa %v", id, ut.GetMfaStatus())
			}
			if ut.GetSsoStatus().GetSsoEnabled() != (str(swu, "accountSSOLinked") == "this_account") {
				t.Errorf("user %s sso %v", id, ut.GetSsoStatus())
			}
			// Last login is the last sign-in to this account, never the one to any account.
			here, anywhere := str(rec, "lastSignIn"), str(swu, "lastSignIn")
			if got := timeText(ut.GetLastLogin()); got != here {
				t.Errorf("user %s last login %q, want this account's %q (anywhere: %q)", id, got, here, anywhere)
			}
			profile := rs.GetProfile(r).AsMap()
			if profile["last_sign_in"] != here || profile["last_sign_in_anywhere"] != anywhere || profile["created_via"] != str(rec, "createdVia") {
				t.Errorf("user %s profile sign-ins %v / %v, created_via %v; want %q / %q, %q", id, profile["last_sign_in"],
					profile["last_sign_in_anywhere"], profile["created_via"], here, anywhere, str(rec, "createdVia"))
			}
			for _, k := range connector.UserProfileKeys {
				if _, ok := profile[k]; !ok {
					t.Errorf("user %s profile lacks %q", id, k)
				}
			}
			if profile["user_id"] != str(swu, "_id") {
				t.Errorf("user %s profile user_id %v", id, profile["user_id"])
			}
		}
		owner := d.Resources[synctest.Key("user", acct.Owner.ID)]
		if owner == nil {
			t.Fatal("account owner missing")
		}
		if owner.GetDisplayName() != acct.Owner.Name {
			t.Errorf("owner name %q, want %q", owner.GetDisplayName(), acct.Owner.Name)
		}
		if n := countType(d, "user"); n != len(acct.Shares)+1 {
			t.Errorf("%d users, want %d", n, len(acct.Shares)+1)
		}
	})

	t.Run("roles and integrations", func(t *testing.T) {
		for role, name := range map[string]string{"owner": "Account owner", "administrator": "Administrator", "manage": "Manage all", "monitor": "Monitor all", "all_mcp_servers": "All MCP servers"} {
			r := d.Resources[synctest.Key("role", role)]
			if r == nil || r.GetDisplayName() != name {
				t.Errorf("role %s: %v", role, r)
			}
			if d.Entitlements["role:"+role+":assigned"] == nil {
				t.Errorf("entitlement role:%s:assigned missing", role)
			}
		}
		if n := countType(d, "role"); n != 5 {
			t.Errorf("%d roles", n)
		}
		for _, it := range acct.Integrations {
			r := d.Resources[synctest.Key("integration", it.ID)]
			if r == nil {
				t.Fatalf("integration %s missing", it.ID)
			}
			if r.GetDisplayName() != it.Name || r.GetDescription() != it.Description {
				t.Errorf("integration %s: %q %q", it.ID, r.GetDisplayName(), r.GetDescription())
			}
			if _, err := rs.GetAppTrait(r); err != nil {
				t.Fatal(err)
			}
			p := rs.GetProfile(r).AsMap()
			if p["sandbox"] != it.Sandbox || !strings.Contains(fmt.Sprint(p["url"]), it.ID) {
				t.Errorf("integration %s profile %v", it.ID, p)
			}
			for _, lvl := range []string{"manage", "monitor"} {
				if d.Entitlements["integration:"+it.ID+":"+lvl] == nil {
					t.Errorf("entitlement integration:%s:%s missing", it.ID, lvl)
				}
			}
		}
		if n := countType(d, "integration"); n != len(acct.Integrations) {
			t.Errorf("%d integrations", n)
		}
		if len(d.Entitlements) != 5+2*len(acct.Integrations)+wantExtraEntitlements(acct) {
			t.Errorf("%d entitlements", len(d.Entitlements))
		}
	})

	t.Run("grants as the connector emits them", func(t *testing.T) {
		want := map[string]bool{"role:owner:assigned/" + acct.Owner.ID: true}
		for _, rec := range acct.Shares {
			id := str(rec, "_id")
			lvl := str(rec, "accessLevel")
			if lvl != "" {
				want["role:"+lvl+":assigned/"+id] = true
			}
			if lvl == "" || lvl == "monitor" {
				for _, e := range rec["integrationAccessLevel"].([]any) {
					e := e.(map[string]any)
					want["integration:"+str(e, "_integrationId")+":"+str(e, "accessLevel")+"/"+id] = true
				}
			}
		}
		for _, it := range acct.Integrations {
			for role, lvl := range map[string]string{"owner": "manage", "administrator": "manage", "manage": "manage", "monitor": "monitor"} {
				want["integration:"+it.ID+":"+lvl+"/role:"+role] = true
			}
		}
		maps.Copy(want, wantExtraGrants(acct)) // MCP servers and permissions (mcp_e2e_test.go)
		got := map[string]bool{}
		for _, g := range d.Grants {
			if isExpanded(g) {
				continue
			}
			p := g.GetPrincipal().GetId()
			key := g.GetEntitlement().GetId() + "/" + p.GetResource()
			if p.GetResourceType() == "role" {
				key = g.GetEntitlement().GetId() + "/role:" + p.GetResource()
				exp := &v2.GrantExpandable{}
				annos := annotations.Annotations(g.GetAnnotations())
				ok, err := annos.Pick(exp)
				if err != nil || !ok || !slices.Equal(exp.GetEntitlementIds(), []string{"role:" + p.GetResource() + ":assigned"}) {
					t.Errorf("role grant %s is not expandable from its role: %v", g.GetId(), exp)
				}
			}
			got[key] = true
		}
		diff(t, "direct grants", got, want)
	})

	t.Run("effective access after expansion equals Celigo's rule", func(t *testing.T) {
		got := map[string]map[string]string{}
		for _, g := range d.Grants {
			p := g.GetPrincipal().GetId()
			e := g.GetEntitlement()
			if p.GetResourceType() != "user" || e.GetResource().GetId().GetResourceType() != "integration" {
				continue
			}
			lvl := strings.TrimPrefix(e.GetId(), "integration:"+e.GetResource().GetId().GetResource()+":")
			m := got[p.GetResource()]
			if m == nil {
				m = map[string]string{}
				got[p.GetResource()] = m
			}
			if m[e.GetResource().GetId().GetResource()] != "manage" {
				m[e.GetResource().GetId().GetResource()] = lvl
			}
		}
		want := celigotest.EffectiveAccess(acct)
		flat := func(m map[string]map[string]string) map[string]bool {
			out := map[string]bool{}
			for u, ints := range m {
				for i, l := range ints {
					out[u+" "+i+" "+l] = true
				}
			}
			return out
		}
		diff(t, "effective access", flat(got), flat(want))
	})

	t.Run("each list is read once", func(t *testing.T) {
		counts := map[string]int{}
		for _, r := range fake.Requests() {
			if r.Method != http.MethodGet {
				t.Errorf("sync wrote: %s %s", r.Method, r.Path)
			}
			counts[r.Path]++
		}
		// Validation reads the first page of users once more; the sync reads each page once.
		if counts["/v1/ashares"] != 14+1 || counts["/v1/integrations"] != 3 || counts["/v1/mcpservers"] != 1 {
			t.Errorf("list reads: %v (want 14 pages of users + 1 for validation, 3 of integrations, 1 of MCP servers)", counts)
		}
		if counts["/v1/tokenInfo"] > 1 || counts["/v1/profile"] > 1 {
			t.Errorf("token reads: %v", counts)
		}
		if len(counts) > 5 {
			t.Errorf("unexpected endpoints: %v", counts)
		}
	})
}

func isExpanded(g *v2.Grant) bool {
	return len(g.GetSources().GetSources()) > 0 && g.GetSources().GetSources()[g.GetEntitlement().GetId()] == nil
}

func countType(d *synctest.Dump, typ string) int {
	n := 0
	for k := range d.Resources {
		if strings.HasPrefix(k, typ+"/") {
			n++
		}
	}
	return n
}

func diff(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	for k := range want {
		if !got[k] {
			t.Errorf("%s: missing %s", what, k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s: unexpected %s", what, k)
		}
	}
}

func TestSyncEmptyAccount(t *testing.T) {
	acct := celigotest.Account{Owner: celigotest.Person{ID: "650000000000000000000001", Email: "owner@example.com", Name: "Olive Owner"}}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	d := syncFake(t, fake)
	if n := countType(d, "user"); n != 1 || d.Resources[synctest.Key("user", acct.Owner.ID)] == nil {
		t.Fatalf("want only the owner, got %d users", n)
	}
	if countType(d, "integration") != 0 || countType(d, "mcp_server") != 0 || countType(d, "role") != 5 || countType(d, "permission") != 3 {
		t.Fatalf("resources: %v", keys(d.Resources))
	}
	if len(d.Grants) != 1 || d.Grants[0].GetEntitlement().GetId() != "role:owner:assigned" {
		t.Fatalf("grants: %v", d.Grants)
	}
}

func TestSyncUserWithoutAccessHasNoGrants(t *testing.T) {
	owner := celigotest.Person{ID: "650000000000000000000001", Email: "owner@example.com", Name: "Olive"}
	acct := celigotest.Account{
		Owner: owner,
		Shares: []map[string]any{
			celigotest.NewShare("6500000000000000000000a1", celigotest.Person{ID: "6500000000000000000000b1", Email: "nobody@example.com", Name: "No Access"}, ""),
		},
		Integrations: []celigotest.Integration{{ID: "6500000000000000000000c1", Name: "Orders ↔ ERP"}},
	}
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	d := syncFake(t, fake)
	if d.Resources[synctest.Key("user", "6500000000000000000000a1")] == nil {
		t.Fatal("user without access must still be listed")
	}
	for _, g := range d.Grants {
		if g.GetPrincipal().GetId().GetResource() == "6500000000000000000000a1" {
			t.Errorf("user without access got grant %s", g.GetId())
		}
	}
}

func TestSyncOwnerHiddenFromAdminToken(t *testing.T) {
	acct := celigotest.Generate(3, 15, 4)
	var adminPerson string
	for _, rec := range acct.Shares {
		if str(rec, "accessLevel") == "administrator" {
			adminPerson = str(rec["sharedWithUser"].(map[string]any), "_id")
			break
		}
	}
	acct.TokenUserID = adminPerson
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	d := syncFake(t, fake)
	if d.Resources[synctest.Key("user", acct.Owner.ID)] != nil || d.Resources[synctest.Key("user", adminPerson)] != nil {
		t.Fatal("the owner cannot be seen through an administrator's token and must not be invented")
	}
	if n := countType(d, "user"); n != len(acct.Shares) {
		t.Fatalf("%d users, want %d", n, len(acct.Shares))
	}
	for _, g := range d.Grants {
		if g.GetEntitlement().GetId() == "role:owner:assigned" && g.GetPrincipal().GetId().GetResourceType() == "user" {
			t.Errorf("owner role granted to %s", g.GetPrincipal().GetId().GetResource())
		}
	}
	for _, r := range fake.Requests() {
		if r.Path == "/v1/profile" {
			t.Error("profile read although the token is not the owner's")
		}
	}
}

func TestSyncOwnerWhenProfileRefused(t *testing.T) {
	acct := celigotest.Generate(4, 5, 2)
	acct.ProfileRefused = true
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	d := syncFake(t, fake)
	owner := d.Resources[synctest.Key("user", acct.Owner.ID)]
	if owner == nil || owner.GetDisplayName() != "Account owner" {
		t.Fatalf("owner: %v", owner)
	}
}

func TestSyncUnquotedRelAndPageSizeOne(t *testing.T) {
	acct := celigotest.Generate(5, 7, 3)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	fake.SetPageSize(1)
	fake.SetUnquotedRel(true)
	d := syncFake(t, fake)
	if countType(d, "user") != 8 || countType(d, "integration") != 3 {
		t.Fatalf("resources: %v", keys(d.Resources))
	}
}

// TestSyncEURegionTalksOnlyToEUHost resolves every host to the fake and records which host each request named.
func TestSyncEURegionTalksOnlyToEUHost(t *testing.T) {
	acct := celigotest.Generate(6, 6, 3)
	fake := celigotest.NewHandler(token, acct)
	fake.SetPageSize(2)
	srv := httptest.NewTLSServer(fake)
	defer srv.Close()

	var mu sync.Mutex
	hosts := map[string]int{}
	base := srv.Client().Transport.(*http.Transport).Clone()
	base.TLSClientConfig.ServerName = "example.com" // the test certificate's name; the URL keeps the EU host
	base.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	httpClient := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		hosts[r.URL.Host]++
		mu.Unlock()
		return base.RoundTrip(r)
	})}
	client, err := celigo.New(context.Background(), celigo.Config{Region: "eu", Token: token, HTTPClient: httpClient})
	if err != nil {
		t.Fatal(err)
	}
	d := syncClient(t, client)
	if countType(d, "user") != 7 {
		t.Fatalf("users: %d", countType(d, "user"))
	}
	if len(hosts) != 1 || hosts["api.eu.integrator.io"] == 0 {
		t.Fatalf("hosts contacted: %v", hosts)
	}
	it := d.Resources[synctest.Key("integration", acct.Integrations[0].ID)]
	if u := fmt.Sprint(rs.GetProfile(it).AsMap()["url"]); !strings.HasPrefix(u, "https://eu.integrator.io/") {
		t.Errorf("EU integration link %q", u)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func paginationToken(tok string) pagination.Token { return pagination.Token{Token: tok} }

func TestValidateExplainsCredentialErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   codes.Code
		want   string
	}{
		{401, codes.Unauthenticated, "check the token and that the region (us/eu)"},
		{403, codes.PermissionDenied, "Full access API token created by the account owner or an administrator"},
	} {
		fake := celigotest.NewServer(token, celigotest.Generate(1, 3, 1))
		fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
			if r.URL.Path == "/v1/ashares" {
				return &celigotest.Fault{Status: tc.status}
			}
			return nil
		})
		client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = connector.NewWithClient(client).Validate(context.Background())
		if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), token) {
			t.Errorf("HTTP %d: %v", tc.status, err)
		}
		fake.Close()
	}
}

// TestTargetedSync syncs single resources the way --sync-resources does, through each type's Get.
func TestTargetedSync(t *testing.T) {
	acct := celigotest.Generate(9, 12, 3)
	fake := celigotest.NewServer(token, acct)
	defer fake.Close()
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	syncers := map[string]connectorbuilder.ResourceTargetedSyncerLimited{}
	for _, s := range connector.NewWithClient(client).ResourceSyncers(ctx) {
		syncers[s.ResourceType(ctx).GetId()] = s.(connectorbuilder.ResourceTargetedSyncerLimited)
	}
	id := func(typ, id string) *v2.ResourceId {
		return v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build()
	}
	share := str(acct.Shares[2], "_id")
	for _, tc := range []struct{ typ, id, name string }{
		{"user", share, str(acct.Shares[2]["sharedWithUser"].(map[string]any), "name")},
		{"user", acct.Owner.ID, acct.Owner.Name},
		{"integration", acct.Integrations[1].ID, acct.Integrations[1].Name},
		{"role", "monitor", "Monitor all"},
	} {
		r, _, err := syncers[tc.typ].Get(ctx, id(tc.typ, tc.id), nil)
		if err != nil || r.GetDisplayName() != tc.name || r.GetId().GetResource() != tc.id {
			t.Errorf("get %s %s: %v %v", tc.typ, tc.id, r, err)
		}
	}
	for _, tc := range []struct{ typ, id string }{{"user", "6500000000000000000000ee"}, {"integration", "6500000000000000000000ee"}, {"role", "superuser"}} {
		if _, _, err := syncers[tc.typ].Get(ctx, id(tc.typ, tc.id), nil); status.Code(err) != codes.NotFound {
			t.Errorf("get unknown %s: %v", tc.typ, err)
		}
	}

	// And through the SDK: a targeted sync of one user and one integration.
	cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	path := filepath.Join(t.TempDir(), "targeted.c1z")
	targets := []*v2.Resource{
		v2.Resource_builder{Id: id("user", share)}.Build(),
		v2.Resource_builder{Id: id("integration", acct.Integrations[0].ID)}.Build(),
	}
	fake.ResetRequests()
	if err := synctest.Sync(ctx, cc, path, sdksync.WithTargetedSyncResources(targets)); err != nil {
		t.Fatalf("targeted sync: %v", err)
	}
	read := map[string]bool{}
	for _, r := range fake.Requests() {
		read[r.Path] = true
	}
	if !read["/v1/ashares/"+share] || !read["/v1/integrations/"+acct.Integrations[0].ID] {
		t.Errorf("a targeted sync must read the targets one by one: %v", read)
	}
}
