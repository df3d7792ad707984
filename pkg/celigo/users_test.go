package celigo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NotEmpty(t, rs.puts, "no PUT was sent")
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(rs.puts[len(rs.puts)-1], &m))
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
	require.NoError(t, json.Compact(&b, raw))
	return b.String()
}

func getAndPut(t *testing.T, record string, change func(u *User)) (map[string]json.RawMessage, map[string]json.RawMessage) {
	t.Helper()
	var orig map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(record), &orig))
	id := ""
	require.NoError(t, json.Unmarshal(orig["_id"], &id))
	rs := newRecordServer(t, id, record)
	c, _ := newTestClient(t, rs.URL)
	u, err := c.GetUser(context.Background(), id)
	require.NoError(t, err)
	if change != nil {
		change(u)
	}
	require.NoError(t, c.UpdateUser(context.Background(), u.ID, u))
	hits := rs.Hits()
	require.Len(t, hits, 2)
	assert.Equal(t, http.MethodPut, hits[1].Method)
	assert.Equal(t, "/v1/ashares/"+id, hits[1].Path)
	assert.Equal(t, "application/json", hits[1].Header.Get("Content-Type"))
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
	assert.Equal(t, want, keys(put), "PUT carries every field except the read-only ones")
	for _, k := range readOnly {
		assert.NotContains(t, put, k)
	}
	for k, v := range put {
		assert.JSONEq(t, string(orig[k]), string(v), "field %s", k)
		assert.Equal(t, compact(t, orig[k]), compact(t, v), "field %s is sent back byte for byte", k)
	}
	// Unknown fields specifically, including a number a float64 round trip would change.
	assert.Equal(t, `{"a":1}`, string(put["futureThing"]))
	assert.Contains(t, string(put["futureNested"]), "12345678901234567890")
	assert.Contains(t, string(put["futureNested"]), "1.50")
	assert.Equal(t, "null", string(put["futureNull"]))
	assert.Equal(t, `[{"_mcpServerId":"65f0000000000000000000c1","scopes":["mcp:read","mcp:write"]}]`, string(put["mcpServerAccessLevel"]))
	assert.Equal(t, `false`, string(put["allMcpServerAccess"]))
	assert.Equal(t, `true`, string(put["allowIntegrationWorkspaceCreation"]))
	for _, k := range readOnly {
		assert.True(t, IsReadOnlyField(k), k)
	}
	assert.False(t, IsReadOnlyField("accessLevel"))
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
		require.NoError(t, err)
		require.True(t, changed)
	})
	_, present := put["accessLevel"]
	assert.False(t, present, "accessLevel must be omitted, not null or empty: %s", put["accessLevel"])
	assert.JSONEq(t, string(orig["integrationAccessLevel"]), string(put["integrationAccessLevel"]), "entries stay")
	assert.Equal(t, string(orig["futureThing"]), string(put["futureThing"]))

	// The same when the struct field is just blanked.
	_, put = getAndPut(t, sampleRecord, func(u *User) { u.AccessLevel = "" })
	assert.NotContains(t, put, "accessLevel")
}

func TestUpdateUserReflectsAccessChanges(t *testing.T) {
	_, put := getAndPut(t, sampleRecord, func(u *User) {
		ok, err := GrantRole(u, LevelAdministrator)
		require.NoError(t, err)
		require.True(t, ok)
	})
	assert.Equal(t, `"administrator"`, string(put["accessLevel"]))

	_, put = getAndPut(t, sampleRecord, func(u *User) {
		ok, err := GrantIntegration(u, "65a0c0ffee0000000000b002", LevelManage)
		require.NoError(t, err)
		require.True(t, ok)
	})
	assert.JSONEq(t, `[{"_integrationId":"65a0c0ffee0000000000b001","accessLevel":"manage"},`+
		`{"_integrationId":"65a0c0ffee0000000000b002","accessLevel":"manage"}]`, string(put["integrationAccessLevel"]))
	assert.Equal(t, `"monitor"`, string(put["accessLevel"]))

	// Every entry removed: an explicit empty list, so Celigo clears them.
	_, put = getAndPut(t, sampleRecord, func(u *User) {
		ok, err := RevokeIntegration(u, "65a0c0ffee0000000000b001", LevelManage)
		require.NoError(t, err)
		require.True(t, ok)
	})
	assert.Equal(t, `[]`, string(put["integrationAccessLevel"]))
}

func TestUpdateUserRecordWithoutOptionalFields(t *testing.T) {
	const rec = `{"_id":"r1","accepted":true,"disabled":true,"accountMFARequired":false,"sharedWithUser":{"_id":"p1"}}`
	_, put := getAndPut(t, rec, nil)
	assert.Equal(t, []string{"accountMFARequired", "disabled"}, keys(put),
		"no accessLevel or integrationAccessLevel invented")
	assert.Equal(t, "true", string(put["disabled"]))

	_, put = getAndPut(t, rec, func(u *User) {
		ok, err := GrantIntegration(u, "i9", LevelMonitor)
		require.NoError(t, err)
		require.True(t, ok)
	})
	assert.JSONEq(t, `[{"_integrationId":"i9","accessLevel":"monitor"}]`, string(put["integrationAccessLevel"]))
	assert.NotContains(t, put, "accessLevel")

	_, put = getAndPut(t, `{"_id":"r2","accessLevel":null,"integrationAccessLevel":null,"sharedWithUser":{"_id":"p2"}}`, nil)
	assert.NotContains(t, put, "accessLevel", "a null role stays absent")
	assert.Equal(t, `[]`, string(put["integrationAccessLevel"]))
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
		require.NoError(t, err)
		role := LevelManage
		if u.AccessLevel == LevelManage {
			role = LevelMonitor
		}
		changed, err := GrantRole(u, role)
		require.NoError(t, err)
		require.True(t, changed)
		require.NoError(t, c.UpdateUser(ctx, u.ID, u), "record %s", id)

		after, ok := srv.Share(id)
		require.True(t, ok)
		assert.Equal(t, role, after["accessLevel"], "record %s", id)
		for k, v := range before {
			if k == "accessLevel" || k == "lastModified" {
				continue
			}
			assert.Equal(t, v, after[k], "record %s field %s changed", id, k)
		}
		for k := range after {
			_, had := before[k]
			assert.True(t, had || k == "accessLevel", "record %s gained field %s", id, k)
		}
	}
	for _, r := range srv.Requests() {
		assert.True(t, r.Authorized)
		assert.Less(t, r.Status, 300, "%s %s", r.Method, r.Path)
	}
}

func TestCloneIsDeep(t *testing.T) {
	var u User
	require.NoError(t, json.Unmarshal([]byte(sampleRecord), &u))
	before := u.WritableBody()
	beforeJSON, err := json.Marshal(before)
	require.NoError(t, err)

	cp := u.Clone()
	cp.IntegrationAccessLevel[0].AccessLevel = LevelMonitor
	cp.IntegrationAccessLevel = append(cp.IntegrationAccessLevel, IntegrationAccess{IntegrationID: "x", AccessLevel: LevelManage})
	cp.AccessLevel = LevelAdministrator
	cp.fields["futureThing"] = json.RawMessage(`{"a":2}`)
	delete(cp.fields, "mcpServerAccessLevel")
	*cp.Accepted = false
	cp.SharedWithUser.Email = "other@example.com"

	assert.Equal(t, LevelManage, u.IntegrationAccessLevel[0].AccessLevel)
	assert.Len(t, u.IntegrationAccessLevel, 1)
	assert.Equal(t, LevelMonitor, u.AccessLevel)
	assert.Equal(t, `{"a":1}`, string(u.Field("futureThing")))
	assert.NotNil(t, u.Field("mcpServerAccessLevel"))
	require.NotNil(t, u.Accepted)
	assert.True(t, *u.Accepted, "the clone's accepted flag is its own")
	assert.Equal(t, "jane@example.com", u.Email())
	afterJSON, err := json.Marshal(u.WritableBody())
	require.NoError(t, err)
	assert.JSONEq(t, string(beforeJSON), string(afterJSON), "the original's PUT body is untouched")

	// And the other way round.
	cp2 := u.Clone()
	u.IntegrationAccessLevel[0].IntegrationID = "changed"
	assert.Equal(t, "65a0c0ffee0000000000b001", cp2.IntegrationAccessLevel[0].IntegrationID)

	// A record that never came from JSON clones too.
	bare := &User{UserSummary: UserSummary{ID: "b"}}
	assert.Equal(t, "b", bare.Clone().ID)
	assert.Nil(t, bare.Clone().Accepted)
}

func TestWriteEndpoints(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()
	require.NoError(t, c.DeleteUser(ctx, "6798f4dc43db9184f4bc8ee0"))
	require.NoError(t, c.ToggleDisabled(ctx, "6798f4dc43db9184f4bc8ee0"))
	require.NoError(t, c.DeleteUser(ctx, "odd id:é"))
	inv, err := c.Invite(ctx, Invitation{Email: "x@example.com"})
	require.NoError(t, err)
	assert.Nil(t, inv, "a 204 invite returns no record")
	require.NoError(t, c.Reinvite(ctx, "6798f4dc43db9184f4bc8ee0"))

	hits := api.Hits()
	require.Len(t, hits, 5)
	assert.Equal(t, http.MethodPut, hits[4].Method)
	assert.Equal(t, "/v1/ashares/6798f4dc43db9184f4bc8ee0/reinvite", hits[4].Path)
	assert.Empty(t, hits[4].Body, "re-invite has no body")
	assert.Equal(t, http.MethodDelete, hits[0].Method)
	assert.Equal(t, "/v1/ashares/6798f4dc43db9184f4bc8ee0", hits[0].Path)
	assert.Empty(t, hits[0].Body)
	assert.Equal(t, http.MethodPut, hits[1].Method)
	assert.Equal(t, "/v1/ashares/6798f4dc43db9184f4bc8ee0/disable", hits[1].Path)
	assert.Empty(t, hits[1].Body, "the toggle has no body")
	assert.Equal(t, "/v1/ashares/odd id:é", hits[2].Path)
	assert.Equal(t, "/v1/ashares/odd%20id:%C3%A9", hits[2].RawPath, "the id is escaped into one segment")
	assert.Equal(t, http.MethodPost, hits[3].Method)
	assert.Equal(t, "/v1/invite", hits[3].Path)
}

func TestInviteBody(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		writeJSONBody(w, 201, `{"_id":"n1","accepted":false,"accessLevel":"manage","sharedWithUser":{"email":"n@example.com"}}`)
	})
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()
	u, err := c.Invite(ctx, Invitation{Email: "n@example.com", AccessLevel: "manage"})
	require.NoError(t, err)
	assert.Equal(t, "n1", u.ID)
	assert.Equal(t, "n@example.com", u.Email())
	_, err = c.Invite(ctx, Invitation{Email: "n@example.com", IntegrationAccessLevel: []IntegrationAccess{{IntegrationID: "i1", AccessLevel: "monitor"}}})
	require.NoError(t, err)
	hits := api.Hits()
	require.Len(t, hits, 2)
	assert.JSONEq(t, `{"email":"n@example.com","accessLevel":"manage"}`, string(hits[0].Body))
	assert.JSONEq(t, `{"email":"n@example.com","integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"monitor"}]}`, string(hits[1].Body),
		"no role: the accessLevel key is left out")
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
			require.Error(t, err, "%s(%q)", name, id)
			assert.Equal(t, codes.InvalidArgument, status.Code(err), "%s(%q): %v", name, id, err)
		}
	}
	assert.Zero(t, api.Count(), "no request for a bad id")
}

// A read answered with another record (a proxy's cache, a rewrite) is refused: a write built on it would
// change that record and report the one asked for as done.
func TestGetByIDRefusesAnotherRecord(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
		writeJSONBody(w, 200, `{"_id":"y","name":"other","accessLevel":"monitor","sharedWithUser":{"_id":"p","email":"p@example.com"}}`)
	})
	c, _ := newTestClient(t, api.URL)
	u, err := c.GetUser(context.Background(), "x")
	require.Error(t, err)
	assert.Nil(t, u)
	assert.Contains(t, err.Error(), "another record")
	assert.Equal(t, codes.Internal, status.Code(err))
	i, err := c.GetIntegration(context.Background(), "x")
	require.Error(t, err)
	assert.Nil(t, i)
	_, err = c.GetUser(context.Background(), "y")
	require.NoError(t, err, "the record asked for is accepted")
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
	require.NoError(t, err)
	require.Len(t, users, 1)
	assert.Equal(t, "Jane@Example.com", users[0].SharedWithUser.Email)
	u, err := c.GetUser(context.Background(), "a")
	require.NoError(t, err)
	assert.Equal(t, "jane@example.com", u.Email())
}
