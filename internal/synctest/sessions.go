package synctest

import (
	"context"
	"sync"

	"github.com/conductorone/baton-sdk/pkg/session"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
)

// Sessions stands in for baton's session-store server: the syncer hands it the store of the c1z it opens, and
// every connector serving the sync reads and writes through it. Before a sync opens a c1z it refuses every
// call, as the SDK's store does when none is enabled.
type Sessions struct {
	mu    sync.RWMutex
	store sessions.SessionStore
}

var (
	_ sessions.SessionStore    = (*Sessions)(nil)
	_ sessions.SetSessionStore = (*Sessions)(nil)
)

func (s *Sessions) SetSessionStore(_ context.Context, store sessions.SessionStore) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = store
}

func (s *Sessions) current() (sessions.SessionStore, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.store == nil {
		return nil, session.ErrSessionStoreDisabled
	}
	return s.store, nil
}

func (s *Sessions) Get(ctx context.Context, key string, opt ...sessions.SessionStoreOption) ([]byte, bool, error) {
	st, err := s.current()
	if err != nil {
		return nil, false, err
	}
	return st.Get(ctx, key, opt...)
}

func (s *Sessions) GetMany(ctx context.Context, keys []string, opt ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	st, err := s.current()
	if err != nil {
		return nil, nil, err
	}
	return st.GetMany(ctx, keys, opt...)
}

func (s *Sessions) Set(ctx context.Context, key string, value []byte, opt ...sessions.SessionStoreOption) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	return st.Set(ctx, key, value, opt...)
}

func (s *Sessions) SetMany(ctx context.Context, values map[string][]byte, opt ...sessions.SessionStoreOption) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	return st.SetMany(ctx, values, opt...)
}

func (s *Sessions) Delete(ctx context.Context, key string, opt ...sessions.SessionStoreOption) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	return st.Delete(ctx, key, opt...)
}

// Clear is called at the end of every sync, also when none opened a store: nothing to clear then.
func (s *Sessions) Clear(ctx context.Context, opt ...sessions.SessionStoreOption) error {
	st, err := s.current()
	if err != nil {
		return nil //nolint:nilerr // no store, nothing to clear
	}
	return st.Clear(ctx, opt...)
}

func (s *Sessions) GetAll(ctx context.Context, pageToken string, opt ...sessions.SessionStoreOption) (map[string][]byte, string, error) {
	st, err := s.current()
	if err != nil {
		return nil, "", err
	}
	return st.GetAll(ctx, pageToken, opt...)
}
