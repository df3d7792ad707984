package connector

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestPageTokensAreOnlyThoseIssued: List and Grants take back only the tokens they issue; anything else
// (a bare next link or number, a position without a sweep, unknown fields) is refused as InvalidArgument
// rather than guessed at.
func TestPageTokensAreOnlyThoseIssued(t *testing.T) {
	start, err := listPositionOf("")
	if err != nil || start.Sweep == "" || start.URL != "" {
		t.Fatalf("a listing starts with a new sweep: %+v %v", start, err)
	}
	next := start.followedBy("https://api.integrator.io/v1/ashares?after=x")
	if back, err := listPositionOf(next.token()); err != nil || back != next {
		t.Errorf("an issued list token reads back as %+v %v", back, err)
	}
	for _, tok := range []string{
		"https://api.integrator.io/v1/ashares?after=x",
		`{"url":"https://api.integrator.io/v1/ashares?after=x","page":1}`,
		`{"url":"https://api.integrator.io/v1/ashares?after=x","page":1,"sweep":"nothex"}`,
		`{"page":1,"sweep":"0123456789abcdef"}`,
		`{"url":"u","page":1,"sweep":"0123456789abcdef","x":1}`,
		"null",
	} {
		if _, err := listPositionOf(tok); status.Code(err) != codes.InvalidArgument {
			t.Errorf("list token %s: %v", tok, err)
		}
	}
	if pos, err := grantPositionOf(encodeToken(grantPosition{Account: "a", Source: 3, Skip: 2})); err != nil || pos.Source != 3 || pos.Skip != 2 {
		t.Errorf("an issued grant token reads back as %+v %v", pos, err)
	}
	for _, tok := range []string{"3", `{"s":-1}`, `{"s":1,"x":2}`, "null"} {
		if _, err := grantPositionOf(tok); status.Code(err) != codes.InvalidArgument {
			t.Errorf("grant token %s: %v", tok, err)
		}
	}
}
