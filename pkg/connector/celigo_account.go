package connector

import (
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
)

// accountResourceID is the one resource of the account type: the Celigo account (environment) the token
// belongs to. One connector reads one account, so the id is fixed: it never changes with the token, its
// user or the host.
const accountResourceID = "celigo"

// accountAppRef names the account's app resource, the target of sign-in usage events.
func accountAppRef() *v2.Resource {
	return v2.Resource_builder{
		Id:          v2.ResourceId_builder{ResourceType: accountTypeID, Resource: accountResourceID}.Build(),
		DisplayName: "Celigo account",
	}.Build()
}
