package connector

import (
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// TestTokenParentIsAnIntegrationOnlyWhenItCanBeOne: a token of an integration app hangs under that
// integration; an _integrationId that cannot be a Celigo id names no resource, so the token has no parent.
func TestTokenParentIsAnIntegrationOnlyWhenItCanBeOne(t *testing.T) {
	for ref, wantParent := range map[string]bool{"65000002b20c96ab52fcf8ae": true, "not-an-id": false, "": false} {
		r, err := apiTokenResource(&celigo.APIToken{ID: "65000000000000000000abcd", Name: "t", IntegrationID: ref}, celigo.AuditUser{}, "")
		if err != nil {
			t.Fatal(err)
		}
		p := r.GetParentResourceId()
		if got := p != nil; got != wantParent || got && (p.GetResource() != ref || p.GetResourceType() != integrationTypeID) {
			t.Errorf("_integrationId %q: parent %v, want one: %v", ref, p, wantParent)
		}
	}
}
