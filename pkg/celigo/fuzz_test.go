package celigo

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzNextLink: any Link header parses without panicking; an error comes with no target, and a result is
// always the target of one of the header's <...> parts that names rel next.
func FuzzNextLink(f *testing.F) {
	for _, seed := range []string{
		`<https://api.integrator.io/v1/ashares?after=abc>; rel="next"`,
		`<https://api.integrator.io/v1/ashares?after=abc>; rel=next`,
		`<https://a/v1/x?p=1>; rel="prev", <https://a/v1/x?p=3>; rel="next"`,
		`<https://a/v1/x?a=1,2>; rel="next last"; title="a; rel=next"`,
		`<>; rel=next`, `rel=next`, `<https://a`, `,,,;;;<<>>"`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		next, err := NextLink(header)
		if err != nil {
			if next != "" {
				t.Fatalf("NextLink(%q) = %q with an error", header, next)
			}
			return
		}
		if next == "" {
			return
		}
		if !strings.Contains(header, next) || strings.ContainsAny(next, "<>") {
			t.Fatalf("NextLink(%q) = %q, which is not a link target of the header", header, next)
		}
		if !strings.Contains(strings.ToLower(header), "next") {
			t.Fatalf("NextLink(%q) = %q without any rel next", header, next)
		}
	})
}

// FuzzUserRecord: any JSON either fails to decode or yields records whose writable body is valid JSON,
// keeps every non-read-only field, and survives Clone unchanged.
func FuzzUserRecord(f *testing.F) {
	for _, seed := range []string{
		`[{"_id":"6798f4dc43db9184f4bc8ee0","accepted":true,"accessLevel":"monitor","integrationAccessLevel":[{"_integrationId":"a","accessLevel":"manage"}],"sharedWithUser":{"_id":"u","email":"j@example.com","name":"Jane"},"futureThing":{"x":[1,2]},"lastSignIn":"2026-05-02T17:02:59.370Z"}]`,
		`[{"_id":"x","accessLevel":null,"integrationAccessLevel":null,"lastSignIn":12345}]`,
		`[{"_id":"x","disabled":"yes"}]`, `[]`, `null`, `{}`, `[{"_id":5}]`, `[{"_id":"x","createdAt":{}}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var users []*User
		if err := json.Unmarshal(data, &users); err != nil {
			return
		}
		for _, u := range users {
			if u == nil {
				continue
			}
			body := u.WritableBody()
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatalf("writable body does not marshal: %v", err)
			}
			if !json.Valid(b) {
				t.Fatalf("writable body is not JSON: %s", b)
			}
			for k := range u.fields {
				if readOnlyFields[k] {
					if _, ok := body[k]; ok {
						t.Fatalf("read-only field %q sent back", k)
					}
					continue
				}
				if _, ok := body[k]; !ok && k != "accessLevel" && k != "integrationAccessLevel" {
					t.Fatalf("field %q would be erased by a PUT", k)
				}
			}
			if cp := u.Clone(); !reflect.DeepEqual(cp.WritableBody(), body) {
				t.Fatal("Clone changed the writable body")
			}
			if u.ID != "" {
				if _, err := userPath(u.ID, ""); err == nil && strings.Contains(url.PathEscape(u.ID), "/") {
					t.Fatalf("id %q escapes into a path separator", u.ID)
				}
			}
		}
	})
}
