package celigo

import (
	"context"
	"encoding/json"

	"google.golang.org/grpc/codes"
)

const (
	pathTokenInfo = "/v1/tokenInfo" //nolint:gosec // an endpoint path, not a credential
	pathProfile   = "/v1/profile"
)

// TokenInfo is GET /v1/tokenInfo.
type TokenInfo struct {
	UserID string `json:"_userId"`
	// TokenID is the calling token's own id, when Celigo says it. Celigo documents only _userId and scope;
	// a token id under any of the names tokenIDFields lists is taken, else it stays "" (not knowable).
	TokenID string `json:"-"`
}

// tokenIDFields are the names a token id could come under in tokenInfo's answer (none is documented).
var tokenIDFields = []string{"_accessTokenId", "_tokenId", "accessTokenId", "tokenId", "_id"}

func (t *TokenInfo) UnmarshalJSON(b []byte) error {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	_ = json.Unmarshal(f["_userId"], &t.UserID) // absent or not a string: refused by TokenInfo
	for _, name := range tokenIDFields {
		var id string
		// _id naming the user itself is not a token id.
		if json.Unmarshal(f[name], &id) == nil && id != "" && id != t.UserID {
			t.TokenID = id
			return nil
		}
	}
	return nil
}

// Profile is GET /v1/profile: the token's own user.
type Profile struct {
	ID    string `json:"_id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// TokenInfo names the user the token belongs to.
func (c *Client) TokenInfo(ctx context.Context) (*TokenInfo, error) {
	var out TokenInfo
	if err := c.getJSON(ctx, pathTokenInfo, &out); err != nil {
		return nil, err
	}
	if out.UserID == "" {
		return nil, withCode(codes.Internal, "celigo: GET %s: answer has no _userId", pathTokenInfo)
	}
	return &out, nil
}

// Profile describes the token's own user. Celigo may refuse it for API tokens.
func (c *Client) Profile(ctx context.Context) (*Profile, error) {
	var out Profile
	if err := c.getJSON(ctx, pathProfile, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
