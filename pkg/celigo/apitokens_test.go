package celigo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// tokenValue stands for a token value Celigo might put in an answer; it must never come out of the client.
const tokenValue = "c3f1a9e07b2d4e5f8a6b0c1d2e3f4a5b"

func TestAPITokenFields(t *testing.T) {
	var tok APIToken
	if err := json.Unmarshal([]byte(`{"_id":"65f0000000000000000000e2","name":"Orders","description":"d",`+
		`"autoPurgeAt":"2027-02-01T00:00:00.000Z","fullAccess":false,"revoked":true,"_connectionIds":["c1"],`+
		`"_exportIds":["e1",{"_id":"e2","name":"populated"}],"_importIds":null,"_apiIds":[42],"_mcpServerIds":["m1"],`+
		`"_integrationId":"i1","_connectorId":"k1","createdAt":"2025-11-01T09:00:00.000Z","lastModified":"2026-01-05T10:00:01.000Z",`+
		`"token":"`+tokenValue+`"}`), &tok); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	if tok.Name != "Orders" {
		t.Errorf("tok.Name = %q, want %q", tok.Name, "Orders")
	}
	if !tok.AutoPurgeAt.Expires() {
		t.Error("tok.AutoPurgeAt.Expires() is false")
	}
	if got := tok.AutoPurgeAt.At.Year(); got != 2027 {
		t.Errorf("tok.AutoPurgeAt.At.Year() = %d, want %d", got, 2027)
	}
	if tok.FullAccess {
		t.Error("tok.FullAccess is true")
	}
	if !tok.Revoked {
		t.Error("tok.Revoked is false")
	}
	if want := (IDList{"c1"}); !reflect.DeepEqual(tok.ConnectionIDs, want) {
		t.Errorf("tok.ConnectionIDs = %q, want %q", tok.ConnectionIDs, want)
	}
	if want := (IDList{"e1", "e2"}); !reflect.DeepEqual(tok.ExportIDs, want) {
		t.Errorf("a populated reference is read by its _id: tok.ExportIDs = %q, want %q", tok.ExportIDs, want)
	}
	if len(tok.ImportIDs) != 0 {
		t.Errorf("tok.ImportIDs = %q, want empty", tok.ImportIDs)
	}
	if want := (IDList{"(unreadable reference)"}); !reflect.DeepEqual(tok.APIIDs, want) {
		t.Errorf("an odd reference still counts: tok.APIIDs = %q, want %q", tok.APIIDs, want)
	}
	if tok.IntegrationID != "i1" {
		t.Errorf("tok.IntegrationID = %q, want %q", tok.IntegrationID, "i1")
	}
	if got := tok.CreatedAt.Year(); got != 2025 {
		t.Errorf("tok.CreatedAt.Year() = %d, want %d", got, 2025)
	}
	if got := fmt.Sprintf("%+v", tok); strings.Contains(got, tokenValue) {
		t.Errorf(`the value is not kept: fmt.Sprintf("%%+v", tok) = %q, want it not to contain %q`, got, tokenValue)
	}
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
		if err := json.Unmarshal([]byte(tc.raw), &l); err != nil {
			t.Fatalf("%s: json.Unmarshal: %v", tc.raw, err)
		}
		if !reflect.DeepEqual(l, tc.want) {
			t.Errorf("%s: l = %q, want %q", tc.raw, l, tc.want)
		}
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
		if err := json.Unmarshal([]byte(`{"_id":"t","autoPurgeAt":`+tc.raw+`}`), &tok); err != nil {
			t.Fatalf("%s: json.Unmarshal: %v", tc.raw, err)
		}
		if got := tok.AutoPurgeAt.Expires(); got != tc.expires {
			t.Errorf("%s: tok.AutoPurgeAt.Expires() = %t, want %t", tc.raw, got, tc.expires)
		}
		if tok.AutoPurgeAt.Text != tc.text {
			t.Errorf("%s: tok.AutoPurgeAt.Text = %q, want %q", tc.raw, tok.AutoPurgeAt.Text, tc.text)
		}
	}
}

func TestAPITokenRecordDropsTheValueAndRoundTrips(t *testing.T) {
	for _, field := range []string{"token", "Token", "accessToken"} {
		var rec APITokenRecord
		if err := json.Unmarshal([]byte(`{"_id":"t1","name":"n","revoked":false,"fullAccess":true,"futureField":{"a":1},`+
			`"_integrationId":"i1","createdAt":"2025-11-01T09:00:00.000Z","`+field+`":"`+tokenValue+`"}`), &rec); err != nil {
			t.Fatalf("json.Unmarshal: %v", err)
		}
		want := rec.Clone()
		want.Revoked = true
		body, err := json.Marshal(want.WritableBody())
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		if !jsonEqual(t, `{"name":"n","revoked":true,"fullAccess":true,"futureField":{"a":1}}`, string(body)) {
			t.Errorf("read-only fields and the value are never sent; unknown fields go back as they came: string(body) = %s, want JSON equal to %s", string(body), `{"name":"n","revoked":true,"fullAccess":true,"futureField":{"a":1}}`)
		}
		if rec.Revoked {
			t.Error("the clone was changed, not the record read")
		}
		if got := fmt.Sprintf("%+v", rec); strings.Contains(got, tokenValue) {
			t.Errorf(`fmt.Sprintf("%%+v", rec) = %q, want it not to contain %q`, got, tokenValue)
		}
	}
}

func TestSameWritableToken(t *testing.T) {
	read := func(s string) *APITokenRecord {
		var r APITokenRecord
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatalf("json.Unmarshal: %v", err)
		}
		return &r
	}
	before := read(`{"_id":"t","name":"n","revoked":false,"fullAccess":true}`)
	want := before.Clone()
	want.Revoked = true
	if !SameWritableToken(read(`{"_id":"t","name":"n","revoked":true,"fullAccess":true,"lastModified":"2026-01-01T00:00:00Z"}`), want, before) {
		t.Error("SameWritableToken(...) is false")
	}
	if SameWritableToken(read(`{"_id":"t","name":"n","revoked":false,"fullAccess":true}`), want, before) {
		t.Error("not revoked")
	}
	if SameWritableToken(read(`{"_id":"t","name":"other","revoked":true,"fullAccess":true}`), want, before) {
		t.Error("name changed meanwhile")
	}
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
		if err != nil {
			t.Fatalf("c.ListAPITokens: %v", err)
		}
		for _, tok := range page {
			got = append(got, tok.ID+" "+tok.Name)
			if got := fmt.Sprintf("%+v", *tok); strings.Contains(got, tokenValue) {
				t.Errorf(`fmt.Sprintf("%%+v", *tok) = %q, want it not to contain %q`, got, tokenValue)
			}
		}
		if next == "" {
			break
		}
		token = next
	}
	if want := []string{"t0 Token 0", "t1 Token 1", "t2 Token 2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := api.Count(); got != 3 {
		t.Errorf("api.Count() = %d, want %d", got, 3)
	}

	empty := pagedTokens(t, 0)
	c, _ = newTestClient(t, empty.URL)
	page, next, err := c.ListAPITokens(context.Background(), "")
	if err != nil {
		t.Fatalf("c.ListAPITokens: %v", err)
	}
	if len(page) != 0 {
		t.Errorf("page = %v, want empty", page)
	}
	if next != "" {
		t.Errorf(`next = %q, want ""`, next)
	}
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
			if err == nil {
				t.Fatal("c.ListAPITokens: err = nil, want an error")
			}
			if page != nil {
				t.Errorf("page = %v, want nil", page)
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("%v: status.Code(err) = %v, want %v", err, got, tc.code)
			}
			requireNoToken(t, err)
			if strings.Contains(err.Error(), tokenValue) {
				t.Errorf("err = %q, want it not to contain %q", err, tokenValue)
			}
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
	if err != nil {
		t.Fatalf("c.GetAPIToken: %v", err)
	}
	rec.Revoked = true
	if err := c.UpdateAPIToken(ctx, "t1", rec); err != nil {
		t.Fatalf("c.UpdateAPIToken: %v", err)
	}
	if len(puts) != 1 {
		t.Fatalf("len(puts) = %d, want %d", len(puts), 1)
	}
	if !jsonEqual(t, `{"name":"n","revoked":true}`, puts[0]) {
		t.Errorf("puts[0] = %s, want JSON equal to %s", puts[0], `{"name":"n","revoked":true}`)
	}
	if err := c.DeleteAPIToken(ctx, "t1"); err != nil {
		t.Fatalf("c.DeleteAPIToken: %v", err)
	}

	_, err = c.GetAPIToken(ctx, "t2")
	if got := status.Code(err); got != codes.Internal {
		t.Errorf("an answer naming another token is refused: %v: status.Code(err) = %v, want %v", err, got, codes.Internal)
	}
	_, err = c.GetAPIToken(ctx, "../ashares")
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Errorf("status.Code(err) = %v, want %v", got, codes.InvalidArgument)
	}
	for _, h := range api.Hits() {
		if strings.Contains(h.Path, "/display") {
			t.Errorf("h.Path = %q, want it not to contain %q", h.Path, "/display")
		}
		if strings.Contains(h.Path, "/generate") {
			t.Errorf("h.Path = %q, want it not to contain %q", h.Path, "/generate")
		}
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
		if err := json.Unmarshal([]byte(tc.body), &ti); err != nil {
			t.Fatalf("%s: json.Unmarshal: %v", tc.body, err)
		}
		if ti.UserID != "u1" {
			t.Errorf("%s: ti.UserID = %q, want %q", tc.body, ti.UserID, "u1")
		}
		if ti.TokenID != tc.want {
			t.Errorf("%s: ti.TokenID = %q, want %q", tc.body, ti.TokenID, tc.want)
		}
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
				if err == nil {
					t.Fatal("err = nil, want an error")
				}
				if !IsStatus(err, http.StatusBadRequest) {
					t.Errorf("the status survives: %v", err)
				}
				if strings.Contains(err.Error(), tokenValue) {
					t.Errorf("err = %q, want it not to contain %q", err, tokenValue)
				}
				if strings.Contains(err.Error(), masked) {
					t.Errorf("err = %q, want it not to contain %q", err, masked)
				}
			}
			if name == "message" {
				if !strings.Contains(putErr.Error(), "invalid_value") {
					t.Errorf("a code name is kept: %v: putErr = %q, want it to contain %q", putErr, putErr, "invalid_value")
				}
				if !strings.Contains(putErr.Error(), "(field token)") {
					t.Errorf("a field name is kept: %v: putErr = %q, want it to contain %q", putErr, putErr, "(field token)")
				}
			}
		})
	}
}
