package walk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/types/sessions"
)

// limitStore is a session store that holds the SDK's limits as errors: at most 100 keys a call and about
// 4 MB a message, both ways. fail, when set, fails every call; calls counts the calls made.
type limitStore struct {
	t     *testing.T
	mu    sync.Mutex
	data  map[string][]byte
	fail  error
	calls atomic.Int64
}

func newLimitStore(t *testing.T) *limitStore { return &limitStore{t: t, data: map[string][]byte{}} }

func (s *limitStore) bag(ctx context.Context, opt []sessions.SessionStoreOption) string {
	b := &sessions.SessionStoreBag{}
	for _, o := range opt {
		if err := o(ctx, b); err != nil {
			s.t.Fatal(err)
		}
	}
	if b.SyncID == "" {
		s.t.Error("a session-store call without a sync id")
	}
	return b.SyncID + "\x00" + b.Prefix
}

func (s *limitStore) Get(ctx context.Context, key string, opt ...sessions.SessionStoreOption) ([]byte, bool, error) {
	s.calls.Add(1)
	if s.fail != nil {
		return nil, false, s.fail
	}
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[ns+key]
	return v, ok, nil
}

func (s *limitStore) GetMany(ctx context.Context, keys []string, opt ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	s.calls.Add(1)
	if s.fail != nil {
		return nil, nil, s.fail
	}
	if len(keys) > sessions.MaxKeysPerRequest {
		s.t.Errorf("GetMany of %d keys", len(keys))
	}
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	out, size := map[string][]byte{}, 0
	for _, k := range keys {
		if v, ok := s.data[ns+k]; ok {
			out[k] = v
			size += len(k) + len(v)
		}
	}
	if size > sessions.MaxSessionStoreSizeLimit {
		s.t.Errorf("GetMany answer of %d bytes", size)
	}
	return out, nil, nil
}

func (s *limitStore) Set(ctx context.Context, key string, value []byte, opt ...sessions.SessionStoreOption) error {
	return s.SetMany(ctx, map[string][]byte{key: value}, opt...)
}

func (s *limitStore) SetMany(ctx context.Context, values map[string][]byte, opt ...sessions.SessionStoreOption) error {
	s.calls.Add(1)
	if s.fail != nil {
		return s.fail
	}
	if len(values) > sessions.MaxKeysPerRequest {
		s.t.Errorf("SetMany of %d keys", len(values))
	}
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	size := 0
	for k, v := range values {
		s.data[ns+k] = v
		size += len(k) + len(v)
	}
	if size > sessions.MaxSessionStoreSizeLimit {
		s.t.Errorf("SetMany of %d bytes", size)
	}
	return nil
}

func (s *limitStore) Delete(ctx context.Context, key string, opt ...sessions.SessionStoreOption) error {
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, ns+key)
	return nil
}

func (s *limitStore) Clear(context.Context, ...sessions.SessionStoreOption) error { return nil }

func (s *limitStore) GetAll(context.Context, string, ...sessions.SessionStoreOption) (map[string][]byte, string, error) {
	return nil, "", errors.New("not used")
}

// sync is what the SDK hands a call of sync id: the store, scoped to the sync.
func (s *limitStore) sync(id string) Sync { return Sync{ID: id, Store: scoped{s, id}} }

type scoped struct {
	*limitStore
	id string
}

func (s scoped) opts(opt []sessions.SessionStoreOption) []sessions.SessionStoreOption {
	return append([]sessions.SessionStoreOption{sessions.WithSyncID(s.id)}, opt...)
}

func (s scoped) Get(ctx context.Context, key string, opt ...sessions.SessionStoreOption) ([]byte, bool, error) {
	return s.limitStore.Get(ctx, key, s.opts(opt)...)
}

func (s scoped) GetMany(ctx context.Context, keys []string, opt ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	return s.limitStore.GetMany(ctx, keys, s.opts(opt)...)
}

func (s scoped) SetMany(ctx context.Context, values map[string][]byte, opt ...sessions.SessionStoreOption) error {
	return s.limitStore.SetMany(ctx, values, s.opts(opt)...)
}

func (s scoped) Set(ctx context.Context, key string, value []byte, opt ...sessions.SessionStoreOption) error {
	return s.limitStore.Set(ctx, key, value, s.opts(opt)...)
}

// rec stands for what grants need of one record.
type rec struct {
	ID      string            `json:"i"`
	Entries map[string]string `json:"e,omitempty"`
}

// recs is a walk of a list of recs.
func recs() *Walk[rec] { return New("users", func(r rec) string { return r.ID }) }

func someRecs(from, n, entries int) []rec {
	out := make([]rec, n)
	for i := range out {
		out[i] = rec{ID: fmt.Sprintf("%024x", from+i)}
		for e := 0; e < entries; e++ {
			if out[i].Entries == nil {
				out[i].Entries = map[string]string{}
			}
			out[i].Entries[fmt.Sprintf("i%023x", e)] = []string{"manage", "monitor"}[(i+e)%2]
		}
	}
	return out
}

// pageN builds page n of a list of pages linked first → after=1 → ... → after=last.
func pageN(n, last int, items []rec) Page[rec] {
	link := func(i int) string { return fmt.Sprintf("https://api.integrator.io/v1/ashares?after=%d", i) }
	p := Page[rec]{Items: items}
	if n > 0 {
		p.Token = link(n)
	}
	if n < last {
		p.Next = link(n + 1)
	}
	return p
}

// reader reads pages as Celigo would, counting the reads; fail, when set, fails them.
type reader struct {
	pages []Page[rec]
	reads int
	fail  error
}

func (r *reader) read(_ context.Context, token string) ([]rec, string, error) {
	r.reads++
	if r.fail != nil {
		return nil, "", r.fail
	}
	for _, p := range r.pages {
		if p.Token == token {
			return p.Items, p.Next, nil
		}
	}
	return nil, "", fmt.Errorf("no page %q", token)
}

// add records pages as pages 0, 1, ... of sweep.
func add(t *testing.T, w *Walk[rec], s Sync, sweep string, pages ...Page[rec]) {
	t.Helper()
	for n, p := range pages {
		if err := w.Add(context.Background(), s, sweep, n, p); err != nil {
			t.Fatal(err)
		}
	}
}
