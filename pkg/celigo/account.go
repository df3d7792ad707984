package celigo

import (
	"context"

	"google.golang.org/grpc/codes"
)

const (
	pathTokenInfo = "/v1/tokenInfo" //nolint:gosec // an endpoint path, not a credential
	pathProfile   = "/v1/profile"
)

// TokenInfo is GET /v1/tokenInfo.
type TokenInfo struct {
	UserID string `json:"_userId"`
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
