package connector

import (
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
)

// Resource-type ids and entitlement slugs are stored by ConductorOne: they must stay exactly as the
// public connector had them.
const (
	userTypeID        = "user"
	roleTypeID        = "role"
	integrationTypeID = "integration"

	roleEntitlement = "assigned"
)

var (
	userResourceType = v2.ResourceType_builder{
		Id:          userTypeID,
		DisplayName: "User",
		Description: "A person with access to the Celigo account: an access record (ashare), or the account owner.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_USER},
		Annotations: annotations.New(&v2.SkipEntitlementsAndGrants{}),
	}.Build()

	roleResourceType = v2.ResourceType_builder{
		Id:          roleTypeID,
		DisplayName: "Role",
		Description: "An account-wide access level (owner, administrator, manage all, monitor all), or access to all MCP servers.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_ROLE},
		Annotations: annotations.New(&v2.TypeScopedGrants{}),
	}.Build()

	integrationResourceType = v2.ResourceType_builder{
		Id:          integrationTypeID,
		DisplayName: "Integration",
		Description: "A Celigo integration (a group of flows); users manage or monitor it.",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_APP},
		Annotations: annotations.New(&v2.TypeScopedGrants{}),
	}.Build()
)
