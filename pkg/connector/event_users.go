package connector

import (
	"context"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// usersIndex maps the ids the audit log names people by to the resource ids a sync gives them: an access
// record is the user resource of its _id, and the log may name it by that id or by the person's own user
// id (sharedWithUser._id; byUser always uses that one). The owner has no access record: its resource id is
// its user id, so an id that maps to nothing stays as it is.
type usersIndex struct {
	byRecord map[string]*celigo.UserSummary
	byPerson map[string]string // person's user id → access-record id
}

// usersIndex reads the users list, once per call and only when a record needs it.
func (f *feedCall) usersIndex(ctx context.Context) (*usersIndex, error) {
	if f.users != nil {
		return f.users, nil
	}
	idx := &usersIndex{byRecord: map[string]*celigo.UserSummary{}, byPerson: map[string]string{}}
	err := eachPage(ctx, usersList, f.conn.client.ListUsers, func(page []*celigo.UserSummary) bool {
		for _, u := range page {
			idx.byRecord[u.ID] = u
			if u.SharedWithUser.ID != "" {
				idx.byPerson[u.SharedWithUser.ID] = u.ID
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	f.users = idx
	return idx, nil
}

// resourceID is the user resource id for an id the log names.
func (x *usersIndex) resourceID(id string) string {
	if _, ok := x.byRecord[id]; ok {
		return id
	}
	if rec, ok := x.byPerson[id]; ok {
		return rec
	}
	return id
}
