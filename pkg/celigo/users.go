package celigo

import (
	"context"
	"encoding/json"
	"net/http"
)

// Access records (/v1/ashares): one person's access to the account, and invitations that create them.

const (
	pathUsers  = "/v1/ashares"
	pathInvite = "/v1/invite"
)

// How a person joined the account (a record's createdVia), as Celigo documents the values.
const (
	CreatedViaInvite       = "existing_account_invite"
	CreatedViaShareRequest = "existing_account_share_request"
	CreatedViaSignUp       = "invited_during_signup"
	CreatedViaAutoJoin     = "new_account_auto_join"
)

// CreatedVia is a record's createdVia. Informative only, so it never fails a page: a value of another JSON
// type is kept as its JSON text, and null or absent is "".
type CreatedVia string

func (c *CreatedVia) UnmarshalJSON(b []byte) error {
	var s string
	switch {
	case json.Unmarshal(b, &s) == nil:
		*c = CreatedVia(s)
	case string(b) == "null":
		*c = ""
	default:
		*c = CreatedVia(b)
	}
	return nil
}

// Documented reports whether c is one of the values Celigo documents.
func (c CreatedVia) Documented() bool {
	switch c {
	case CreatedViaInvite, CreatedViaShareRequest, CreatedViaSignUp, CreatedViaAutoJoin:
		return true
	}
	return false
}

// Invitation is the body of POST /v1/invite. Empty AccessLevel invites with no account-wide role.
type Invitation struct {
	Email                  string              `json:"email"`
	AccessLevel            string              `json:"accessLevel,omitempty"`
	IntegrationAccessLevel []IntegrationAccess `json:"integrationAccessLevel,omitempty"`
}

// ListUsers reads one page of access records, as summaries (a write reads its record with GetUser).
// pageToken is "" or a token this client returned.
func (c *Client) ListUsers(ctx context.Context, pageToken string) ([]*UserSummary, string, error) {
	return listPage[UserSummary](ctx, c, pathUsers, pageToken)
}

// GetUser reads one access record, always from Celigo (never a cache): writes depend on it.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	path, err := userPath(id, "")
	if err != nil {
		return nil, err
	}
	return getRecord[User](ctx, c, path, id)
}

// The writes below are each sent exactly once, never retried and never redirected: a retry must start
// from a fresh read (see WriteRetry), or it could undo what someone else changed meanwhile.

// UpdateUser PUTs the whole writable set of u to the record id, the one the caller asked for (never an id
// taken from an answer). Celigo replaces the record, so u must come from a fresh GetUser of id: anything
// left out would be erased.
func (c *Client) UpdateUser(ctx context.Context, id string, u *User) error {
	return c.writeUser(ctx, http.MethodPut, id, "", u.WritableBody())
}

// DeleteUser removes an access record.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.writeUser(ctx, http.MethodDelete, id, "", nil)
}

// ToggleDisabled flips the record's disabled flag, whatever it is now: read it first.
func (c *Client) ToggleDisabled(ctx context.Context, id string) error {
	return c.writeUser(ctx, http.MethodPut, id, "/disable", nil)
}

// Reinvite sends a record's invitation again (PUT /v1/ashares/{id}/reinvite, no body). Celigo documents it
// for a declined invitation, which becomes pending again; its UI also uses it to re-send a pending one.
func (c *Client) Reinvite(ctx context.Context, id string) error {
	return c.writeUser(ctx, http.MethodPut, id, "/reinvite", nil)
}

// writeUser sends one write to the access record id (with suffix, e.g. /disable), body nil for none.
func (c *Client) writeUser(ctx context.Context, method, id, suffix string, body any) error {
	path, err := userPath(id, suffix)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, request{method: method, url: c.endpoint(path), path: path, body: body})
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

// userPath is /v1/ashares/{id} and suffix.
func userPath(id, suffix string) (string, error) {
	return recordPath(pathUsers, "user record", id, suffix)
}
