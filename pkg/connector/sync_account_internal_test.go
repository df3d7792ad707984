package connector

import (
	"context"
	"testing"

	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
)

// TestClaimAccountAsksTheStoreOnce: once the session store agrees on a sync's account, later calls of that
// sync and account do not ask it again; another account, or another sync, is still checked against the store.
func TestClaimAccountAsksTheStoreOnce(t *testing.T) {
	store := &countingStore{data: map[string][]byte{}}
	c := &Connector{lists: newWalks()}
	ctx := context.Background()
	s1, s2 := rs.SyncOpAttrs{SyncID: "s1", Session: store}, rs.SyncOpAttrs{SyncID: "s2", Session: store}
	for i := 0; i < 3; i++ {
		if other := c.claimAccount(ctx, s1, "a"); other != "" {
			t.Fatalf("call %d: %q", i, other)
		}
	}
	if store.gets != 1 {
		t.Errorf("the store was asked %d times for one sync and account, want 1", store.gets)
	}
	if other := c.claimAccount(ctx, s1, "b"); other != "a" {
		t.Errorf("another account in the same sync: %q, want a", other)
	}
	if other := c.claimAccount(ctx, s1, "a"); other != "" {
		t.Errorf("the sync's own account after a refusal: %q", other)
	}
	if store.gets != 2 {
		t.Errorf("%d asks of the store, want 2 (the agreed account once, the refused one once)", store.gets)
	}
	store.data = map[string][]byte{} // another sync's store scope starts empty
	if other := c.claimAccount(ctx, s2, "b"); other != "" || store.gets != 3 {
		t.Errorf("another sync: %q after %d asks", other, store.gets)
	}
}

// countingStore is a session store of one sync that counts the reads it answers.
type countingStore struct {
	data map[string][]byte
	gets int
}

func (s *countingStore) Get(_ context.Context, key string, _ ...sessions.SessionStoreOption) ([]byte, bool, error) {
	s.gets++
	v, ok := s.data[key]
	return v, ok, nil
}

func (s *countingStore) GetMany(_ context.Context, keys []string, _ ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	s.gets++
	out := map[string][]byte{}
	for _, k := range keys {
		if v, ok := s.data[k]; ok {
			out[k] = v
		}
	}
	return out, nil, nil
}

func (s *countingStore) Set(_ context.Context, key string, value []byte, _ ...sessions.SessionStoreOption) error {
	s.data[key] = value
	return nil
}

func (s *countingStore) SetMany(_ context.Context, values map[string][]byte, _ ...sessions.SessionStoreOption) error {
	for k, v := range values {
		s.data[k] = v
	}
	return nil
}

func (s *countingStore) Delete(_ context.Context, key string, _ ...sessions.SessionStoreOption) error {
	delete(s.data, key)
	return nil
}

func (s *countingStore) Clear(context.Context, ...sessions.SessionStoreOption) error { return nil }

func (s *countingStore) GetAll(context.Context, string, ...sessions.SessionStoreOption) (map[string][]byte, string, error) {
	return s.data, "", nil
}
