package connector

import (
	"context"
	"maps"
	"slices"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// Every user's profile, a record's or the owner's, has exactly the keys userProfileKeys lists.
func TestUserProfileKeys(t *testing.T) {
	want := slices.Sorted(slices.Values(userProfileKeys))
	keysOf := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	if got := keysOf(userProfile(&celigo.UserSummary{ID: "r1"}, v2.Status_RESOURCE_STATUS_ENABLED, "")); !slices.Equal(got, want) {
		t.Errorf("record profile keys %v, want %v", got, want)
	}

	for name, refused := range map[string]bool{"profile read": false, "profile refused": true} {
		t.Run("owner, "+name, func(t *testing.T) {
			fake := celigotest.NewServer("tok", celigotest.Account{
				Owner:          celigotest.Person{ID: "6500000000000000000000f0", Email: "owner@example.com", Name: "Owner"},
				ProfileRefused: refused,
			})
			t.Cleanup(fake.Close)
			client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			owner, err := NewWithClient(client).ownerResource(context.Background(), nil)
			if err != nil || owner == nil {
				t.Fatalf("owner %v, err %v", owner, err)
			}
			if got := keysOf(rs.GetProfile(owner).AsMap()); !slices.Equal(got, want) {
				t.Errorf("owner profile keys %v, want %v", got, want)
			}
		})
	}
}
