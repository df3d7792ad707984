package celigo

import "context"

const pathIntegrations = "/v1/integrations"

// Integration is one /v1/integrations item; other fields are not needed.
type Integration struct {
	ID           string    `json:"_id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	Sandbox      bool      `json:"sandbox"`
	CreatedAt    Timestamp `json:"createdAt"`
	LastModified Timestamp `json:"lastModified"`

	personMarker // tells a users answer served in place of this list
}

func (it *Integration) recordID() string { return it.ID }

// ListIntegrations reads one page of integrations.
func (c *Client) ListIntegrations(ctx context.Context, pageToken string) ([]*Integration, string, error) {
	return listPage[Integration](ctx, c, pathIntegrations, pageToken)
}

// GetIntegration reads one integration.
func (c *Client) GetIntegration(ctx context.Context, id string) (*Integration, error) {
	path, err := recordPath(pathIntegrations, "integration", id, "")
	if err != nil {
		return nil, err
	}
	return getRecord[Integration](ctx, c, path, id)
}
