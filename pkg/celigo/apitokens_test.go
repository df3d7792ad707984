package celigo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tokenValue stands for a token value Celigo might put in an answer; it must never come out of the client.
const tokenValue = "c3f1a9e07b2d4e5f8a6b0c1d2e3f4a5b"

func TestAPITokenFields(t *testing.T) {
	var tok APIToken
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"65f0000000000000000000e2","name":"Orders","description":"d",`+
		`"autoPurgeAt":"2027-02-01T00:00:00.000Z","fullAccess":false,"revoked":true,"_connectionIds":["c1"],`+
		`"_exportIds":["e1",{"_id":"e2","name":"populated"}],"_importIds":null,"_apiIds":[42],"_mcpServerIds":["m1"],`+
		`"_integrationId":"i1","_connectorId":"k1","createdAt":"2025-11-01T09:00:00.000Z","lastModified":"2026-01-05T10:00:01.000Z",`+
		`"token":"`+tokenValue+`"}`), &tok))
	assert.Equal(t, "Orders", tok.Name)
	assert.True(t, tok.AutoPurgeAt.Expires())
	assert.Equal(t, 2027, tok.AutoPurgeAt.At.Year())
	assert.False(t, tok.FullAccess)
	assert.True(t, tok.Revoked)
	assert.Equal(t, IDList{"c1"}, tok.ConnectionIDs)
	assert.Equal(t, IDList{"e1", "e2"}, tok.ExportIDs, "a populated reference is read by its _id")
	assert.Empty(t, tok.ImportIDs)
	assert.Equal(t, IDList{"(unreadable reference)"}, tok.APIIDs, "an odd reference still counts")
	assert.Equal(t, "i1", tok.IntegrationID)
	assert.Equal(t, 2025, tok.CreatedAt.Year())
	assert.NotContains(t, fmt.Sprintf("%+v", tok), tokenValue, "the value is not kept")
}

func TestIDListShapes(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want IDList
	}{
		{`null`, nil},
		{`[]`, IDList{}},
		{`["a","b"]`, IDList{"a", "b"}},
		{`[{"_id":"a"},"b"]`, IDList{"a", "b"}},
		{`"a"`, IDList{"a"}},
		{`{"_id":"a"}`, IDList{"a"}},
		{`42`, IDList{"(unreadable reference)"}},
		{`[null, true]`, IDList{"(unreadable reference)", "(unreadable reference)"}},
	} {
		var l IDList
		require.NoError(t, json.Unmarshal([]byte(tc.raw), &l), tc.raw)
		assert.Equal(t, tc.want, l, tc.raw)
	}
}

func TestAPITokenExpiry(t *testing.T) {
	for _, tc := range []struct {
		raw, text string
		expires   bool
	}{
		{`"never"`, "never", false},
		{`null`, "", false},
		{`""`, "", false},
		{`"2026-03-01T10:00:00Z"`, "", true},
		{`1767225600000`, "", true},
		{`"someday"`, "someday", false},
	} {
		var tok APIToken
		require.NoError(t, json.Unmarshal([]byte(`{"_id":"t","autoPurgeAt":`+tc.raw+`}`), &tok), tc.raw)
		assert.Equal(t, tc.expires, tok.AutoPurgeAt.Expires(), tc.raw)
		assert.Equal(t, tc.text, tok.AutoPurgeAt.Text, tc.raw)
	}
}

func TestAPITokenRecordDropsTheValueAndRoundTrips(t *testing.T) {
	for _, field := range []string{"token", "Token", "accessToken"} {
		var rec APITokenRecord
		require.NoError(t, json.Unmarshal([]byte(`{"_id":"t1","name":"n","revoked":false,"fullAccess":true,"futureField":{"a":1},`+
			`"_integrationId":"i1","createdAt":"2025-11-01T09:00:00.000Z","`+field+`":"`+tokenValue+`"}`), &rec))
		want := rec.Clone()
		want.Revoked = true
		body, err := json.Marshal(want.WritableBody())
		require.NoError(t, err)
		assert.JSONEq(t, `{"name":"n","revoked":true,"fullAccess":true,"futureField":{"a":1}}`, string(body),
			"read-only fields and the value are never sent; unknown fields go back as they came")
		assert.False(t, rec.Revoked, "the clone was changed, not the record read")
		assert.NotContains(t, fmt.Sprintf("%+v", rec), tokenValue)
	}
}

func TestSameWritableToken(t *testing.T) {
	read := func(s string) *APITokenRecord {
		var r APITokenRecord
		require.NoError(t, json.Unmarshal([]byte(s), &r))
		return &r
	}
	before := read(`{"_id":"t","name":"n","revoked":false,"fullAccess":true}`)
	want := before.Clone()
	want.Revoked = true
	assert.True(t, SameWritableToken(read(`{"_id":"t","name":"n","revoked":true,"fullAccess":true,"lastModified":"2026-01-01T00:00:00Z"}`), want, before))
	assert.False(t, SameWritableToken(read(`{"_id":"t","name":"n","revoked":false,"fullAccess":true}`), want, before), "not revoked")
	assert.False(t, SameWritableToken(read(`{"_id":"t","name":"other","revoked":true,"fullAccess":true}`), want, before), "name changed meanwhile")
}

// pagedTokens serves n tokens one a page, the page index in ?after=; none at all is a 204. Every item
// carries a value, as Celigo's list might.
func pagedTokens(t *testing.T, n int) *fakeAPI {
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, _ []byte) {
		if r.URL.Path != pathAPITokens {
			http.NotFound(w, r)
			return
		}
		if n == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		i, _ := strconv.Atoi(r.URL.Query().Get("after"))
		if i+1 < n {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?after=%d>; rel="next"`, r.Host, pathAPITokens, i+1))
		}
		writeJSONBody(w, 200, fmt.Sprintf(`[{"_id":"t%d","name":"Token %d","fullAccess":true,"token":"%s"}]`, i, i, tokenValue))
	})
}

func TestListAPITokensPages(t *testing.T) {
	api := pagedTokens(t, 3)
	c, _ := newTestClient(t, api.URL)
	var got []string
	token := ""
	for {
		page, next, err := c.ListAPITokens(context.Background(), token)
		require.NoError(t, err)
		for _, tok := range page {
			got = append(got, tok.ID+" "+tok.Name)
			assert.NotContains(t, fmt.Sprintf("%+v", *tok), tokenValue)
		}
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, []string{"t0 Token 0", "t1 Token 1", "t2 Token 2"}, got)
	assert.Equal(t, 3, api.Count())

	empty := pagedTokens(t, 0)
	c, _ = newTestClient(t, empty.URL)
	page, next, err := c.ListAPITokens(context.Background(), "")
	require.NoError(t, err)
	assert.Empty(t, page)
	assert.Empty(t, next)
}

func TestListAPITokensRefusesBrokenAnswersWithoutQuotingThem(t *testing.T) {
	const jsonCT = "application/json; charset=utf-8"
	value := `{"token":"` + tokenValue + `"}`
	cases := []struct {
		name              string
		status            int
		contentType, body string
		link              string
		code              codes.Code
	}{
		{"an object, not a list", 200, jsonCT, value, "", codes.Aborted},
		{"not JSON", 200, "text/html", "<html>" + tokenValue, "", codes.Aborted},
		{"an error page that is not JSON", 500, "text/html", tokenValue, "", codes.Aborted},
		{"item without id", 200, jsonCT, `[{"name":"x","token":"` + tokenValue + `"}]`, "", codes.Internal},
		{"an access record", 200, jsonCT, `[{"_id":"r","sharedWithUser":{"_id":"u"}}]`, "", codes.Internal},
		{"next link to another host", 200, jsonCT, `[{"_id":"t"}]`, `<https://evil.example.com/v1/accesstokens?after=1>; rel="next"`, codes.PermissionDenied},
		{"401", 401, jsonCT, `{"message":"Unauthorized"}`, "", codes.Unauthenticated},
		{"403", 403, jsonCT, `{"errors":[{"code":"forbidden","message":"no"}]}`, "", codes.PermissionDenied},
		{"404", 404, jsonCT, `{"errors":[{"code":"not_found","message":"no"}]}`, "", codes.FailedPrecondition},
		{"429 persisting", 429, jsonCT, `{"errors":[{"code":"rate_limited","message":"slow"}]}`, "", codes.ResourceExhausted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var api *fakeAPI
			api = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				if tc.link != "" {
					w.Header().Set("Link", strings.ReplaceAll(tc.link, "{base}", api.URL))
				}
				serveAnswer(w, tc.status, tc.contentType, tc.body)
			})
			c, _ := newTestClient(t, api.URL)
			page, _, err := c.ListAPITokens(context.Background(), "")
			require.Error(t, err)
			assert.Nil(t, page)
			assert.Equal(t, tc.code, status.Code(err), "%v", err)
			requireNoToken(t, err)
			assert.NotContains(t, err.Error(), tokenValue)
		})
	}
}

func TestAPITokenWrites(t *testing.T) {
	var puts []string
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int, body []byte) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == pathAPITokens+"/t1":
			writeJSONBody(w, 200, `{"_id":"t1","name":"n","revoked":false,"token":"`+tokenValue+`"}`)
		case r.Method == http.MethodGet:
			writeJSONBody(w, 200, `{"_id":"t9","name":"another"}`)
		case r.Method == http.MethodPut:
			puts = append(puts, string(body))
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c, _ := newTestClient(t, api.URL)
	ctx := context.Background()
	rec, err := c.GetAPIToken(ctx, "t1")
	require.NoError(t, err)
	rec.Revoked = true
	require.NoError(t, c.UpdateAPIToken(ctx, "t1", rec))
	require.Len(t, puts, 1)
	assert.JSONEq(t, `{"name":"n","revoked":true}`, puts[0])
	require.NoError(t, c.DeleteAPIToken(ctx, "t1"))

	_, err = c.GetAPIToken(ctx, "t2")
	assert.Equal(t, codes.Internal, status.Code(err), "an answer naming another token is refused: %v", err)
	_, err = c.GetAPIToken(ctx, "../ashares")
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	for _, h := range api.Hits() {
		assert.NotContains(t, h.Path, "/display")
		assert.NotContains(t, h.Path, "/generate")
	}
}

func TestTokenInfoTokenID(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"_userId":"u1","scope":"*"}`, ""},
		{`{"_userId":"u1","scope":"*","_accessTokenId":"t1"}`, "t1"},
		{`{"_userId":"u1","_tokenId":"t2"}`, "t2"},
		{`{"_userId":"u1","accessTokenId":"t3"}`, "t3"},
		{`{"_userId":"u1","tokenId":"t4"}`, "t4"},
		{`{"_userId":"u1","_id":"t5"}`, "t5"},
		{`{"_userId":"u1","_id":"u1"}`, ""},
		{`{"_userId":"u1","_accessTokenId":42}`, ""},
	} {
		var ti TokenInfo
		require.NoError(t, json.Unmarshal([]byte(tc.body), &ti), tc.body)
		assert.Equal(t, "u1", ti.UserID, tc.body)
		assert.Equal(t, tc.want, ti.TokenID, tc.body)
	}
}

// TestTokenErrorEnvelopesDoNotQuoteValues: Celigo's error envelope (code, field, message) from a token
// endpoint may echo what it refused, a token value included; the error keeps the status and the code and
// field names, never a value.
func TestTokenErrorEnvelopesDoNotQuoteValues(t *testing.T) {
	masked := "****************************" + tokenValue[28:]
	envelopes := map[string]string{
		"message":          `{"errors":[{"code":"invalid_value","field":"token","message":"token ` + tokenValue + ` is not valid"}]}`,
		"top-level":        `{"message":"cannot set token to ` + masked + `"}`,
		"code and field":   `{"errors":[{"code":"` + tokenValue + `","field":"` + masked + `","message":"x"}]}`,
		"second item only": `{"errors":[{"code":"invalid_value","message":"bad"},{"message":"` + tokenValue + `"}]}`,
	}
	for name, body := range envelopes {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ []byte) {
				writeJSONBody(w, http.StatusBadRequest, body)
			})
			c, _ := newTestClient(t, api.URL)
			ctx := context.Background()
			_, _, listErr := c.ListAPITokens(ctx, "")
			_, getErr := c.GetAPIToken(ctx, "t1")
			putErr := c.UpdateAPIToken(ctx, "t1", &APITokenRecord{})
			delErr := c.DeleteAPIToken(ctx, "t1")
			for _, err := range []error{listErr, getErr, putErr, delErr} {
				require.Error(t, err)
				assert.True(t, IsStatus(err, http.StatusBadRequest), "the status survives: %v", err)
				assert.NotContains(t, err.Error(), tokenValue)
				assert.NotContains(t, err.Error(), masked)
			}
			if name == "message" {
				assert.Contains(t, putErr.Error(), "invalid_value", "a code name is kept: %v", putErr)
				assert.Contains(t, putErr.Error(), "(field token)", "a field name is kept: %v", putErr)
			}
		})
	}
}
