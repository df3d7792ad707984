package celigo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// sampleRecord is the documented record plus optional and unknown fields, compact.
const sampleRecord = `{"_id":"6798f4dc43db9184f4bc8ee0","accepted":true,"dismissed":false,"disabled":false,` +
	`"accessLevel":"monitor","integrationAccessLevel":[{"_integrationId":"65a0c0ffee0000000000b001","accessLevel":"manage"}],` +
	`"accountSSORequired":false,"accountMFARequired":true,"allowToEditRetryData":false,"allowAccessToAPIM":false,` +
	`"createdVia":"existing_account_invite","lastSignIn":"2026-05-02T17:02:59.370Z","createdAt":"2025-11-01T09:00:00.000Z",` +
	`"lastModified":"2026-01-05T10:00:01.000Z","sharedWithUser":{"_id":"624774a6a7574d3ed9f9a5cc","email":"jane@example.com",` +
	`"name":"Jane Doe","allowedToResetMFA":true,"accountSSOLinked":"not_linked"},` +
	`"isProductionAdmin":false,"userType":"user",` +
	`"mcpServerAccessLevel":[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read","mcp:write"]}],` +
	`"allMcpServerAccess":false,"allowIntegrationWorkspaceCreation":true,` +
	`"futureThing":{"a":1},"futureNested":{"list":[1.50,true,null,"x"],"big":12345678901234567890},"futureNull":null}`

var readOnly = []string{"_id", "accepted", "dismissed", "sharedWithUser", "createdAt", "lastModified", "lastSignIn", "createdVia",
	"isProductionAdmin", "userType"}

// recordServer serves one record on GET /v1/ashares/{id} and records PUT bodies.
type recordServer struct {
	*fakeAPI
	mu   sync.Mutex
	puts [][]byte
}

func newRecordServer(t *testing.T, id, record string) *recordServer {
	t.Helper()
	rs := &recordServer{}
	rs.fakeAPI = newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, body []byte) {
		if r.URL.Path != "/v1/ashares/"+id {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSONBody(w, 200, record)
		case http.MethodPut:
			rs.mu.Lock()
			rs.puts = append(rs.puts, body)
			rs.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	})
	return rs
}

func (rs *recordServer) lastPut(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.puts) == 0 {
		t.Fatal("no PUT was sent: rs.puts is empty")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rs.puts[len(rs.puts)-1], &m); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	return m
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("json.Compact: %v", err)
	}
	return b.String()
}

func getAndPut(t *testing.T, record string, change func(u *User)) (map[string]json.RawMessage, map[string]json.RawMessage) {
	t.Helper()
	var orig map[string]json.RawMessage
	if err := json.Unmarshal([]byte(record), &orig); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	id := ""
	if err := json.Unmarshal(orig["_id"], &id); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	rs := newRecordServer(t, id, record)
	c, _ := newTestClient(t, rs.URL)
	u, err := c.GetUser(context.Background(), id)
	if err != nil {
		t.Fatalf("c.GetUser: %v", err)
	}
	if change != nil {
		change(u)
	}
	if err := c.UpdateUser(context.Background(), u.ID, u); err != nil {
		t.Fatalf("c.UpdateUser: %v", err)
	}
	hits := rs.Hits()
	if len(hits) != 2 {
		t.Fatalf("len(hits) = %d, want %d", len(hits), 2)
	}
	if hits[1].Method != http.MethodPut {
		t.Errorf("hits[1].Method = %q, want %q", hits[1].Method, http.MethodPut)
	}
	if hits[1].Path != "/v1/ashares/"+id {
		t.Errorf("hits[1].Path = %q, want %q", hits[1].Path, "/v1/ashares/"+id)
	}
	if got := hits[1].Header.Get("Content-Type"); got != "application/json" {
		t.Errorf(`hits[1].Header.Get("Content-Type") = %q, want %q`, got, "application/json")
	}
	return orig, rs.lastPut(t)
}

func TestUpdateUserRoundTripsEveryWritableField(t *testing.T) {
	orig, put := getAndPut(t, sampleRecord, nil)
	var want []string
	for k := range orig {
		if !contains(readOnly, k) {
			want = append(want, k)
		}
	}
	sort.Strings(want)
	if got := keys(put); !reflect.DeepEqual(got, want) {
		t.Errorf("PUT carries every field except the read-only ones: keys(put) = %q, want %q", got, want)
	}
	for _, k := range readOnly {
		if _, ok := put[k]; ok {
			t.Errorf("put has the key %q", k)
		}
	}
	for k, v := range put {
		if !jsonEqual(t, string(orig[k]), string(v)) {
			t.Errorf("field %s: string(v) = %s, want JSON equal to %s", k, string(v), string(orig[k]))
		}
		if got, want := compact(t, v), compact(t, orig[k]); got != want {
			t.Errorf("field %s is sent back byte for byte: compact(t, v) = %q, want %q", k, got, want)
		}
	}
	// Unknown fields specifically, including a number a float64 round trip would change.
	if string(put["futureThing"]) != `{"a":1}` {
		t.Errorf(`string(put["futureThing"]) = %q, want %q`, string(put["futureThing"]), `{"a":1}`)
	}
	if !strings.Contains(string(put["futureNested"]), "12345678901234567890") {
		t.Errorf(`string(put["futureNested"]) = %q, want it to contain %q`, string(put["futureNested"]), "12345678901234567890")
	}
	if !strings.Contains(string(put["futureNested"]), "1.50") {
		t.Errorf(`string(put["futureNested"]) = %q, want it to contain %q`, string(put["futureNested"]), "1.50")
	}
	if string(put["futureNull"]) != "null" {
		t.Errorf(`string(put["futureNull"]) = %q, want %q`, string(put["futureNull"]), "null")
	}
	if string(put["mcpServerAccessLevel"]) != `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read","mcp:write"]}]` {
		t.Errorf(`string(put["mcpServerAccessLevel"]) = %q, want %q`, string(put["mcpServerAccessLevel"]), `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read","mcp:write"]}]`)
	}
	if string(put["allMcpServerAccess"]) != `false` {
		t.Errorf(`string(put["allMcpServerAccess"]) = %q, want %q`, string(put["allMcpServerAccess"]), `false`)
	}
	if string(put["allowIntegrationWorkspaceCreation"]) != `true` {
		t.Errorf(`string(put["allowIntegrationWorkspaceCreation"]) = %q, want %q`, string(put["allowIntegrationWorkspaceCreation"]), `true`)
	}
	for _, k := range readOnly {
		if !IsReadOnlyField(k) {
			t.Errorf("%s: IsReadOnlyField(k) is false", k)
		}
	}
	if IsReadOnlyField("accessLevel") {
		t.Error(`IsReadOnlyField("accessLevel") is true`)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUpdateUserRemovingRoleOmitsAccessLevel(t *testing.T) {
	orig, put := getAndPut(t, sampleRecord, func(u *User) {
		changed, err := RevokeRole(u, LevelMonitor)
		if err != nil {
			t.Fatalf("RevokeRole: %v", err)
		}
		if !changed {
			t.Fatal("changed is false")
		}
	})
	_, present := put["accessLevel"]
	if present {
		t.Errorf("accessLevel must be omitted, not null or empty: %s", put["accessLevel"])
	}
	if !jsonEqual(t, string(orig["integrationAccessLevel"]), string(put["integrationAccessLevel"])) {
		t.Errorf(`entries stay: string(put["integrationAccessLevel"]) = %s, want JSON equal to %s`, string(put["integrationAccessLevel"]), string(orig["integrationAccessLevel"]))
	}
	if string(put["futureThing"]) != string(orig["futureThing"]) {
		t.Errorf(`string(put["futureThing"]) = %q, want %q`, string(put["futureThing"]), string(orig["futureThing"]))
	}

	// The same when the struct field is just blanked.
	_, put = getAndPut(t, sampleRecord, func(u *User) { u.AccessLevel = "" })
	if _, ok := put["accessLevel"]; ok {
		t.Errorf("put has the key %q", "accessLevel")
	}
}

func TestUpdateUserReflectsAccessChanges(t *testing.T) {
	_, put := getAndPut(t, sampleRecord, func(u *User) {
		ok, err := GrantRole(u, LevelAdministrator)
		if err != nil {
			t.Fatalf("GrantRole: %v", err)
		}
		if !ok {
			t.Fatal("GrantRole changed nothing")
		}
	})
	if string(put["accessLevel"]) != `"administrator"` {
		t.Errorf(`string(put["accessLevel"]) = %q, want %q`, string(put["accessLevel"]), `"administrator"`)
	}

	_, put = getAndPut(t, sampleRecord, func(u *User) {
		ok, err := GrantIntegration(u, "65a0c0ffee0000000000b002", LevelManage)
		if err != nil {
			t.Fatalf("GrantIntegration: %v", err)
		}
		if !ok {
			t.Fatal("GrantIntegration changed nothing")
		}
	})
	wantEntries := `[{"_integrationId":"65a0c0ffee0000000000b001","accessLevel":"manage"},` +
		`{"_integrationId":"65a0c0ffee0000000000b002","accessLevel":"manage"}]`
	if got := string(put["integrationAccessLevel"]); !jsonEqual(t, wantEntries, got) {
		t.Errorf("integrationAccessLevel = %s, want JSON equal to %s", got, wantEntries)
	}
	if string(put["accessLevel"]) != `"monitor"` {
		t.Errorf(`string(put["accessLevel"]) = %q, want %q`, string(put["accessLevel"]), `"monitor"`)
	}

	// Every entry removed: an explicit empty list, so Celigo clears them.
	_, put = getAndPut(t, sampleRecord, func(u *User) {
		ok, err := RevokeIntegration(u, "65a0c0ffee0000000000b001", LevelManage)
		if err != nil {
			t.Fatalf("RevokeIntegration: %v", err)
		}
		if !ok {
			t.Fatal("RevokeIntegration changed nothing")
		}
	})
	if string(put["integrationAccessLevel"]) != `[]` {
		t.Errorf(`string(put["integrationAccessLevel"]) = %q, want %q`, string(put["integrationAccessLevel"]), `[]`)
	}
}

func TestUpdateUserRecordWithoutOptionalFields(t *testing.T) {
	const rec = `{"_id":"r1","accepted":true,"disabled":true,"accountMFARequired":false,"sharedWithUser":{"_id":"p1"}}`
	_, put := getAndPut(t, rec, nil)
	if got, want := keys(put), []string{"accountMFARequired", "disabled"}; !reflect.DeepEqual(got, want) {
		t.Errorf("no accessLevel or integrationAccessLevel invented: keys(put) = %q, want %q", got, want)
	}
	if string(put["disabled"]) != "true" {
		t.Errorf(`string(put["disabled"]) = %q, want %q`, string(put["disabled"]), "true")
	}

	_, put = getAndPut(t, rec, func(u *User) {
		ok, err := GrantIntegration(u, "i9", LevelMonitor)
		if err != nil {
			t.Fatalf("GrantIntegration: %v", err)
		}
		if !ok {
			t.Fatal("GrantIntegration changed nothing")
		}
	})
	if !jsonEqual(t, `[{"_integrationId":"i9","accessLevel":"monitor"}]`, string(put["integrationAccessLevel"])) {
		t.Errorf(`string(put["integrationAccessLevel"]) = %s, want JSON equal to %s`, string(put["integrationAccessLevel"]), `[{"_integrationId":"i9","accessLevel":"monitor"}]`)
	}
	if _, ok := put["accessLevel"]; ok {
		t.Errorf("put has the key %q", "accessLevel")
	}

	_, put = getAndPut(t, `{"_id":"r2","accessLevel":null,"integrationAccessLevel":null,"sharedWithUser":{"_id":"p2"}}`, nil)
	if _, ok := put["accessLevel"]; ok {
		t.Errorf("a null role stays absent: put has the key %q", "accessLevel")
	}
	if string(put["integrationAccessLevel"]) != `[]` {
		t.Errorf(`string(put["integrationAccessLevel"]) = %q, want %q`, string(put["integrationAccessLevel"]), `[]`)
	}
}

// Against the strict fake (PUT replaces; omitted writable fields are erased): a role change leaves
// every other field of every kind of record exactly as it was.
func TestUpdateUserAgainstStrictFake(t *testing.T) {
	acct := celigotest.Generate(3, 12, 5)
	srv := celigotest.NewServer(testToken, acct)
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, srv.URL)
	ctx := context.Background()
	for _, before := range srv.Shares() {
		id := before["_id"].(string)
		u, err := c.GetUser(ctx, id)
		if err != nil {
			t.Fatalf("c.GetUser: %v", err)
		}
		role := LevelManage
		if u.AccessLevel == LevelManage {
			role = LevelMonitor
		}
		changed, err := GrantRole(u, role)
		if err != nil {
			t.Fatalf("GrantRole: %v", err)
		}
		if !changed {
			t.Fatal("changed is false")
		}
		if err := c.UpdateUser(ctx, u.ID, u); err != nil {
			t.Fatalf("record %s: %v", id, err)
		}

		after, ok := srv.Share(id)
		if !ok {
			t.Fatalf("srv.Share(%s): no such record", id)
		}
		if !reflect.DeepEqual(after["accessLevel"], role) {
			t.Errorf(`record %s: after["accessLevel"] = %v, want %q`, id, after["accessLevel"], role)
		}
		for k, v := range before {
			if k == "accessLevel" || k == "lastModified" {
				continue
			}
			if !reflect.DeepEqual(after[k], v) {
				t.Errorf("record %s field %s changed: after[k] = %v, want %v", id, k, after[k], v)
			}
		}
		for k := range after {
			_, had := before[k]
			if !had && k != "accessLevel" {
				t.Errorf("record %s gained field %s", id, k)
			}
		}
	}
	for _, r := range srv.Requests() {
		if !r.Authorized {
			t.Error("r.Authorized is false")
		}
		if r.Status >= 300 {
			t.Errorf("%s %s: r.Status = %d, want < 300", r.Method, r.Path, r.Status)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	var u User
	if err := json.Unmarshal([]byte(sampleRecord), &u); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	before := u.WritableBody()
	beforeJSON, err := json.Marshal(before)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}

	cp := u.Clone()
	cp.IntegrationAccessLevel[0].AccessLevel = LevelMonitor
	cp.IntegrationAccessLevel = append(cp.IntegrationAccessLevel, IntegrationAccess{IntegrationID: "x", AccessLevel: LevelManage})
	cp.AccessLevel = LevelAdministrator
	cp.fields["futureThing"] = json.RawMessage(`{"a":2}`)
	delete(cp.fields, "mcpServerAccessLevel")
	*cp.Accepted = false
	cp.SharedWithUser.Email = "other@example.com"

	if u.IntegrationAccessLevel[0].AccessLevel != LevelManage {
		t.Errorf("u.IntegrationAccessLevel[0].AccessLevel = %q, want %q", u.IntegrationAccessLevel[0].AccessLevel, LevelManage)
	}
	if len(u.IntegrationAccessLevel) != 1 {
		t.Errorf("len(u.IntegrationAccessLevel) = %d, want %d", len(u.IntegrationAccessLevel), 1)
	}
	if u.AccessLevel != LevelMonitor {
		t.Errorf("u.AccessLevel = %q, want %q", u.AccessLevel, LevelMonitor)
	}
	if got := string(u.Field("futureThing")); got != `{"a":1}` {
		t.Errorf(`string(u.Field("futureThing")) = %q, want %q`, got, `{"a":1}`)
	}
	if got := u.Field("mcpServerAccessLevel"); got == nil {
		t.Error(`u.Field("mcpServerAccessLevel") is nil`)
	}
	if u.Accepted == nil {
		t.Fatal("u.Accepted is nil")
	}
	if !*u.Accepted {
		t.Error("the clone's accepted flag is its own")
	}
	if got := u.Email(); got != "jane@example.com" {
		t.Errorf("u.Email() = %q, want %q", got, "jane@example.com")
	}
	afterJSON, err := json.Marshal(u.WritableBody())
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if !jsonEqual(t, string(beforeJSON), string(afterJSON)) {
		t.Errorf("the original's PUT body is untouched: string(afterJSON) = %s, want JSON equal to %s", string(afterJSON), string(beforeJSON))
	}

	// And the other way round.
	cp2 := u.Clone()
	u.IntegrationAccessLevel[0].IntegrationID = "changed"
	if cp2.IntegrationAccessLevel[0].IntegrationID != "65a0c0ffee0000000000b001" {
		t.Errorf("cp2.IntegrationAccessLevel[0].IntegrationID = %q, want %q", cp2.IntegrationAccessLevel[0].IntegrationID, "65a0c0ffee0000000000b001")
	}

	// A record that never came from JSON clones too.
	bare := &User{UserSummary: UserSummary{ID: "b"}}
	if got := bare.Clone().ID; got != "b" {
		t.Errorf("bare.Clone().ID = %q, want %q", got, "b")
	}
	if got := bare.Clone().Accepted; got != nil {
		t.Errorf("bare.Clone().Accepted = %v, want nil", got)
	}
}

func TestWriteEndpoints(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()
	if err := c.DeleteUser(ctx, "6798f4dc43db9184f4bc8ee0"); err != nil {
		t.Fatalf("c.DeleteUser: %v", err)
	}
	if err := c.ToggleDisabled(ctx, "6798f4dc43db9184f4bc8ee0"); err != nil {
		t.Fatalf("c.ToggleDisabled: %v", err)
	}
	if err := c.DeleteUser(ctx, "odd id:é"); err != nil {
		t.Fatalf("c.DeleteUser: %v", err)
	}
	inv, err := c.Invite(ctx, Invitation{Email: "x@example.com"})
	if err != nil {
		t.Fatalf("c.Invite: %v", err)
	}
	if inv != nil {
		t.Errorf("a 204 invite returns no record: inv = %v, want nil", inv)
	}
	if err := c.Reinvite(ctx, "6798f4dc43db9184f4bc8ee0"); err != nil {
		t.Fatalf("c.Reinvite: %v", err)
	}

	hits := api.Hits()
	if len(hits) != 5 {
		t.Fatalf("len(hits) = %d, want %d", len(hits), 5)
	}
	if hits[4].Method != http.MethodPut {
		t.Errorf("hits[4].Method = %q, want %q", hits[4].Method, http.MethodPut)
	}
	if hits[4].Path != "/v1/ashares/6798f4dc43db9184f4bc8ee0/reinvite" {
		t.Errorf("hits[4].Path = %q, want %q", hits[4].Path, "/v1/ashares/6798f4dc43db9184f4bc8ee0/reinvite")
	}
	if len(hits[4].Body) != 0 {
		t.Errorf("re-invite has no body: hits[4].Body = %q, want empty", hits[4].Body)
	}
	if hits[0].Method != http.MethodDelete {
		t.Errorf("hits[0].Method = %q, want %q", hits[0].Method, http.MethodDelete)
	}
	if hits[0].Path != "/v1/ashares/6798f4dc43db9184f4bc8ee0" {
		t.Errorf("hits[0].Path = %q, want %q", hits[0].Path, "/v1/ashares/6798f4dc43db9184f4bc8ee0")
	}
	if len(hits[0].Body) != 0 {
		t.Errorf("hits[0].Body = %q, want empty", hits[0].Body)
	}
	if hits[1].Method != http.MethodPut {
		t.Errorf("hits[1].Method = %q, want %q", hits[1].Method, http.MethodPut)
	}
	if hits[1].Path != "/v1/ashares/6798f4dc43db9184f4bc8ee0/disable" {
		t.Errorf("hits[1].Path = %q, want %q", hits[1].Path, "/v1/ashares/6798f4dc43db9184f4bc8ee0/disable")
	}
	if len(hits[1].Body) != 0 {
		t.Errorf("the toggle has no body: hits[1].Body = %q, want empty", hits[1].Body)
	}
	if hits[2].Path != "/v1/ashares/odd id:é" {
		t.Errorf("hits[2].Path = %q, want %q", hits[2].Path, "/v1/ashares/odd id:é")
	}
	if hits[2].RawPath != "/v1/ashares/odd%20id:%C3%A9" {
		t.Errorf("the id is escaped into one segment: hits[2].RawPath = %q, want %q", hits[2].RawPath, "/v1/ashares/odd%20id:%C3%A9")
	}
	if hits[3].Method != http.MethodPost {
		t.Errorf("hits[3].Method = %q, want %q", hits[3].Method, http.MethodPost)
	}
	if hits[3].Path != "/v1/invite" {
		t.Errorf("hits[3].Path = %q, want %q", hits[3].Path, "/v1/invite")
	}
}

func TestInviteBody(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		writeJSONBody(w, 201, `{"_id":"n1","accepted":false,"accessLevel":"manage","sharedWithUser":{"email":"n@example.com"}}`)
	})
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()
	u, err := c.Invite(ctx, Invitation{Email: "n@example.com", AccessLevel: "manage"})
	if err != nil {
		t.Fatalf("c.Invite: %v", err)
	}
	if u.ID != "n1" {
		t.Errorf("u.ID = %q, want %q", u.ID, "n1")
	}
	if got := u.Email(); got != "n@example.com" {
		t.Errorf("u.Email() = %q, want %q", got, "n@example.com")
	}
	_, err = c.Invite(ctx, Invitation{Email: "n@example.com", IntegrationAccessLevel: []IntegrationAccess{{IntegrationID: "i1", AccessLevel: "monitor"}}})
	if err != nil {
		t.Fatalf("c.Invite: %v", err)
	}
	hits := api.Hits()
	if len(hits) != 2 {
		t.Fatalf("len(hits) = %d, want %d", len(hits), 2)
	}
	if !jsonEqual(t, `{"email":"n@example.com","accessLevel":"manage"}`, string(hits[0].Body)) {
		t.Errorf("string(hits[0].Body) = %s, want JSON equal to %s", string(hits[0].Body), `{"email":"n@example.com","accessLevel":"manage"}`)
	}
	if !jsonEqual(t, `{"email":"n@example.com","integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"monitor"}]}`, string(hits[1].Body)) {
		t.Errorf("no role: the accessLevel key is left out: string(hits[1].Body) = %s, want JSON equal to %s", string(hits[1].Body), `{"email":"n@example.com","integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"monitor"}]}`)
	}
}

func TestBadIDsRefusedBeforeAnyRequest(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { writeJSONBody(w, 200, `{"_id":"x"}`) })
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()
	bad := []string{"", "a/b", "/", "a?b", "?x=1", "a#b", "#", ".", "..", " a", "a ", "../tokenInfo"}
	for _, id := range bad {
		checks := map[string]error{}
		_, checks["GetUser"] = c.GetUser(ctx, id)
		checks["UpdateUser"] = c.UpdateUser(ctx, id, &User{UserSummary: UserSummary{ID: id, AccessLevel: "monitor"}})
		checks["DeleteUser"] = c.DeleteUser(ctx, id)
		checks["ToggleDisabled"] = c.ToggleDisabled(ctx, id)
		checks["Reinvite"] = c.Reinvite(ctx, id)
		_, checks["GetIntegration"] = c.GetIntegration(ctx, id)
		for name, err := range checks {
			if err == nil {
				t.Fatalf("%s(%q): err = nil, want an error", name, id)
			}
			if got := status.Code(err); got != codes.InvalidArgument {
				t.Errorf("%s(%q): %v: status.Code(err) = %v, want %v", name, id, err, got, codes.InvalidArgument)
			}
		}
	}
	if got := api.Count(); got != 0 {
		t.Errorf("no request for a bad id: api.Count() = %d, want 0", got)
	}
}

// A read answered with another record (a proxy's cache, a rewrite) is refused: a write built on it would
// change that record and report the one asked for as done.
func TestGetByIDRefusesAnotherRecord(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		writeJSONBody(w, 200, `{"_id":"y","name":"other","accessLevel":"monitor","sharedWithUser":{"_id":"p","email":"p@example.com"}}`)
	})
	c, _ := newTestClient(t, api.URL)
	u, err := c.GetUser(context.Background(), "x")
	if err == nil {
		t.Fatal("c.GetUser: err = nil, want an error")
	}
	if u != nil {
		t.Errorf("u = %v, want nil", u)
	}
	if !strings.Contains(err.Error(), "another record") {
		t.Errorf("err = %q, want it to contain %q", err, "another record")
	}
	if got := status.Code(err); got != codes.Internal {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.Internal)
	}
	i, err := c.GetIntegration(context.Background(), "x")
	if err == nil {
		t.Fatal("c.GetIntegration: err = nil, want an error")
	}
	if i != nil {
		t.Errorf("i = %v, want nil", i)
	}
	_, err = c.GetUser(context.Background(), "y")
	if err != nil {
		t.Fatalf("the record asked for is accepted: %v", err)
	}
}

// An email with spaces or a line break around it is the same address: it reaches the sync trimmed.
func TestEmailsAreTrimmed(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.Path == "/v1/ashares" {
			writeJSONBody(w, 200, `[{"_id":"a","sharedWithUser":{"_id":"p","email":"  Jane@Example.com\n","name":"Jane"}}]`)
			return
		}
		writeJSONBody(w, 200, `{"_id":"a","sharedWithUser":{"_id":"p","email":"\tjane@example.com "}}`)
	})
	c, _ := newTestClient(t, api.URL)
	users, _, err := c.ListUsers(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListUsers: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("len(users) = %d, want %d", len(users), 1)
	}
	if users[0].SharedWithUser.Email != "Jane@Example.com" {
		t.Errorf("users[0].SharedWithUser.Email = %q, want %q", users[0].SharedWithUser.Email, "Jane@Example.com")
	}
	u, err := c.GetUser(context.Background(), "a")
	if err != nil {
		t.Fatalf("c.GetUser: %v", err)
	}
	if got := u.Email(); got != "jane@example.com" {
		t.Errorf("u.Email() = %q, want %q", got, "jane@example.com")
	}
}
