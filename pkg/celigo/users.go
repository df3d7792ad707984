package celigo

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
)

const (
	pathTokenInfo    = "/v1/tokenInfo" //nolint:gosec // an endpoint path, not a credential
	pathProfile      = "/v1/profile"
	pathUsers        = "/v1/ashares"
	pathInvite       = "/v1/invite"
	pathIntegrations = "/v1/integrations"
)

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

// ListUsers reads one page of access records, as summaries (a write reads its record with GetUser).
// pageToken is "" or a token this client returned.
func (c *Client) ListUsers(ctx context.Context, pageToken string) ([]*UserSummary, string, error) {
	return listPage(ctx, c, pathUsers, pageToken, func(u *UserSummary) string {
		if u.ID == "" {
			return "has no _id"
		}
		return ""
	})
}

// GetUser reads one access record, always from Celigo (never a cache): writes depend on it.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	path, err := userPath(id, "")
	if err != nil {
		return nil, err
	}
	var u User
	if err := c.getJSON(ctx, path, &u); err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, withCode(codes.Internal, "celigo: GET %s: record has no _id", path)
	}
	return &u, nil
}

// The writes below are each sent exactly once, never retried and never redirected: a retry must start
// from a fresh read (see WriteRetry), or it could undo what someone else changed meanwhile.

// UpdateUser PUTs the whole writable set of u. Celigo replaces the record, so u must come from a fresh
// GetUser: anything left out would be erased.
func (c *Client) UpdateUser(ctx context.Context, u *User) error {
	path, err := userPath(u.ID, "")
	if err != nil {
		return err
	}
	_, err = c.send(ctx, request{method: http.MethodPut, url: c.endpoint(path), path: path, body: u.WritableBody()})
	return err
}

// DeleteUser removes an access record.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	path, err := userPath(id, "")
	if err != nil {
		return err
	}
	_, err = c.send(ctx, request{method: http.MethodDelete, url: c.endpoint(path), path: path})
	return err
}

// ToggleDisabled flips the record's disabled flag, whatever it is now: read it first.
func (c *Client) ToggleDisabled(ctx context.Context, id string) error {
	path, err := userPath(id, "/disable")
	if err != nil {
		return err
	}
	_, err = c.send(ctx, request{method: http.MethodPut, url: c.endpoint(path), path: path})
	return err
}

// Invite sends an invitation email and returns the new (pending) record.
func (c *Client) Invite(ctx context.Context, inv Invitation) (*User, error) {
	req := request{method: http.MethodPost, url: c.endpoint(pathInvite), path: pathInvite, body: inv}
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(resp.body) == 0 {
		return nil, nil // some deployments answer 204; the caller finds the record by email
	}
	var u User
	if err := decode(req, resp, &u); err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, nil
	}
	return &u, nil
}

// ListIntegrations reads one page of integrations.
func (c *Client) ListIntegrations(ctx context.Context, pageToken string) ([]*Integration, string, error) {
	return listPage(ctx, c, pathIntegrations, pageToken, func(it *Integration) string {
		if it.ID == "" {
			return "has no _id"
		}
		return ""
	})
}

// GetIntegration reads one integration.
func (c *Client) GetIntegration(ctx context.Context, id string) (*Integration, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/?#") {
		return nil, withCode(codes.InvalidArgument, "celigo: %q is not a Celigo integration id", id)
	}
	path := pathIntegrations + "/" + url.PathEscape(id)
	var it Integration
	if err := c.getJSON(ctx, path, &it); err != nil {
		return nil, err
	}
	if it.ID == "" {
		return nil, withCode(codes.Internal, "celigo: GET %s: answer has no _id", path)
	}
	return &it, nil
}

// getJSON reads one object. Decoding happens inside the retry loop, so a garbled answer is asked again.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	req := request{method: http.MethodGet, url: c.endpoint(path), path: path, idempotent: true}
	req.accept = func(resp *response) error { return decode(req, resp, out) }
	_, err := c.do(ctx, req)
	return err
}

// userPath escapes an id into /v1/ashares/{id}; ids come from C1 requests, so they are not trusted.
func userPath(id, suffix string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/?#") || strings.TrimSpace(id) != id {
		return "", withCode(codes.InvalidArgument, "celigo: %q is not a Celigo user record id", id)
	}
	return pathUsers + "/" + url.PathEscape(id) + suffix, nil
}
