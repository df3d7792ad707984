package connector

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/conductorone/baton-sdk/pkg/session"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
	"go.uber.org/zap"
)

// How a walk lies in the sync's session store (keys are scoped to the sync by the SDK):
//
//	walk/<list>/complete             {"sweep", "pages"}: the sweep whose pages make the whole list
//	walk/<list>/<sweep>/<n>           page n of the sweep: its token, next link, record count and parts
//	walk/<list>/<sweep>/<n>/<w>.<k>   part k of the records of write w of page n (JSON, cut in ≤ 1 MiB parts)
//	walk/<list>/<sweep>/t/<hash>      the page number a token was read at, to catch next links that lead back
//
// Parts are never overwritten (each write of a page has its own id), so a page always names its own parts.
// The store answers at most 100 keys and about 4 MB a call; reads and writes are batched under both.
const (
	partBytes     = 1 << 20
	maxBatchBytes = 3 << 20
)

type storedMarker struct {
	Sweep string `json:"sweep"`
	Pages int    `json:"pages"`
}

type storedPage struct {
	Token string       `json:"token"`
	Next  string       `json:"next"`
	Count int          `json:"count"`
	Parts []storedPart `json:"parts"`
}

type storedPart struct {
	Key  string `json:"key"`
	Size int    `json:"size"`
}

func markerKey(list string) string { return "walk/" + list + "/complete" }

func pageKey(list, sweep string, n int) string { return fmt.Sprintf("walk/%s/%s/%d", list, sweep, n) }

func tokenKey(list, sweep, token string) string {
	sum := sha256.Sum256([]byte(token))
	return fmt.Sprintf("walk/%s/%s/t/%x", list, sweep, sum[:16])
}

// newSweepID names a sweep or a write: unique across the processes serving a sync.
func newSweepID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error since Go 1.24)
	return hex.EncodeToString(b)
}

func validSweepID(id string) bool {
	b, err := hex.DecodeString(id)
	return err == nil && len(b) == 8
}

// syncScope is what a call knows of its sync: its id, and the session store every process serving the sync
// shares (nil when the SDK gave none).
type syncScope struct {
	id    string
	store sessions.SessionStore
}

func scopeOf(opts rs.SyncOpAttrs) syncScope { return syncScope{id: opts.SyncID, store: opts.Session} }

// errNoStore: the sync has no session store; the walk lives in this process only.
var errNoStore = errors.New("the sync has no session store")

// do runs fn against the store. The SDK passes a store even when none is configured: one that refuses every
// call (session.ErrSessionStoreDisabled), or, in a connector server built without one, a wrapper around
// nothing that panics. Both mean "no store", never a failed sync.
func (s syncScope) do(fn func(sessions.SessionStore) error) (err error) {
	if s.store == nil || s.id == "" {
		return errNoStore
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (calling it failed: %v)", errNoStore, r)
		}
	}()
	err = fn(s.store)
	if errors.Is(err, session.ErrSessionStoreDisabled) {
		return errNoStore
	}
	return err
}

func (s syncScope) get(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	var found bool
	err := s.do(func(ss sessions.SessionStore) error {
		var err error
		v, found, err = ss.Get(ctx, key)
		return err
	})
	return v, found, err
}

// getMany reads keys in batches of at most 100 keys and, when sizes (the values' lengths) are given, about
// maxBatchBytes of values. Missing keys are missing from the answer.
func (s syncScope) getMany(ctx context.Context, keys []string, sizes []int) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	for start := 0; start < len(keys); {
		end, total := start, 0
		for end < len(keys) && end-start < sessions.MaxKeysPerRequest && (sizes == nil || end == start || total+sizes[end] <= maxBatchBytes) {
			if sizes != nil {
				total += sizes[end]
			}
			end++
		}
		batch := slices.Clone(keys[start:end]) // the SDK's gRPC client sorts the keys it is given
		err := s.do(func(ss sessions.SessionStore) error {
			got, err := session.UnrollGetMany[[]byte](ctx, ss, batch)
			maps.Copy(out, got)
			return err
		})
		if err != nil {
			return nil, err
		}
		start = end
	}
	return out, nil
}

// setMany writes items in order, in batches under the store's limits.
func (s syncScope) setMany(ctx context.Context, items []session.SizedItem[[]byte]) error {
	return s.do(func(ss sessions.SessionStore) error {
		return session.UnrollSetMany[[]byte](ctx, ss, func(yield func(session.SizedItem[[]byte], error) bool) {
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
		})
	})
}

func sized(key string, value []byte) session.SizedItem[[]byte] {
	return session.SizedItem[[]byte]{Key: key, Value: value, Size: len(key) + len(value)}
}

// persist writes page n of sweep to the store: its parts first, then the page naming them, the page number
// of its token, and, for the last page, the marker that makes the sweep the list. A failed write is logged
// and the walk goes on in this process: a list whose pages the store lacks is read again where it is needed.
func (m *listMemory[T]) persist(ctx context.Context, s syncScope, sweep string, n int, page walkPage[T]) {
	if m.storeOff(s) {
		m.note(ctx, s, errNoStore)
		return
	}
	payload, err := json.Marshal(page.items)
	if err != nil {
		m.note(ctx, s, fmt.Errorf("encoding page %d: %w", n, err))
		return
	}
	list := m.spec.name
	write := newSweepID()
	header := storedPage{Token: page.token, Next: page.next, Count: len(page.items)}
	items := make([]session.SizedItem[[]byte], 0, 4+len(payload)/partBytes)
	for k := 0; k*partBytes < len(payload); k++ {
		part := payload[k*partBytes : min((k+1)*partBytes, len(payload))]
		key := fmt.Sprintf("%s/%s.%d", pageKey(list, sweep, n), write, k)
		header.Parts = append(header.Parts, storedPart{Key: key, Size: len(part)})
		items = append(items, sized(key, part))
	}
	headerJSON, err := json.Marshal(header)
	if err != nil {
		m.note(ctx, s, fmt.Errorf("encoding page %d: %w", n, err))
		return
	}
	items = append(items, sized(pageKey(list, sweep, n), headerJSON), sized(tokenKey(list, sweep, page.token), []byte(strconv.Itoa(n))))
	if page.next == "" {
		marker, err := json.Marshal(storedMarker{Sweep: sweep, Pages: n + 1})
		if err != nil {
			m.note(ctx, s, err)
			return
		}
		items = append(items, sized(markerKey(list), marker))
	}
	if err := s.setMany(ctx, items); err != nil {
		m.note(ctx, s, fmt.Errorf("storing page %d: %w", n, err))
		return
	}
	if page.next == "" {
		logger(ctx).Debug("baton-celigo: list stored in the sync's session store", zap.String("list", list), zap.Int("pages", n+1))
	}
}

// storedPageOf returns the page number at which sweep read token, as another process stored it.
func (m *listMemory[T]) storedPageOf(ctx context.Context, s syncScope, sweep, token string) (int, bool) {
	if m.storeOff(s) {
		return 0, false
	}
	v, found, err := s.get(ctx, tokenKey(m.spec.name, sweep, token))
	if err != nil {
		m.note(ctx, s, err)
		return 0, false
	}
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(string(v))
	return n, err == nil
}

// load reads the sync's complete list from the store: nil when the store has none, or holds one that does not
// hold together (a page or part missing, next links that do not chain), which is then read again.
func (m *listMemory[T]) load(ctx context.Context, s syncScope) (string, *walkedList[T]) {
	if m.storeOff(s) {
		return "", nil
	}
	raw, found, err := s.get(ctx, markerKey(m.spec.name))
	if err != nil {
		m.note(ctx, s, err)
		return "", nil
	}
	if !found {
		return "", nil
	}
	var mk storedMarker
	if err := json.Unmarshal(raw, &mk); err != nil || !validSweepID(mk.Sweep) || mk.Pages < 1 || mk.Pages > maxListPages {
		m.incomplete(ctx, fmt.Sprintf("its marker %q is not one this connector writes", raw))
		return "", nil
	}
	pages, why, err := m.loadPages(ctx, s, mk)
	if err != nil {
		m.note(ctx, s, err)
		return "", nil
	}
	if why != "" {
		m.incomplete(ctx, why)
		return "", nil
	}
	l := assemble(m.spec, pages)
	if l == nil {
		m.incomplete(ctx, "its pages' next links do not chain from the first page to the last")
		return "", nil
	}
	return mk.Sweep, l
}

// loadPages reads the pages mk names and their parts. why says what is missing, if anything.
func (m *listMemory[T]) loadPages(ctx context.Context, s syncScope, mk storedMarker) ([]walkPage[T], string, error) {
	keys := make([]string, mk.Pages)
	for n := range keys {
		keys[n] = pageKey(m.spec.name, mk.Sweep, n)
	}
	raw, err := s.getMany(ctx, keys, nil)
	if err != nil {
		return nil, "", err
	}
	headers := make([]storedPage, mk.Pages)
	var partKeys []string
	var partSizes []int
	for n, key := range keys {
		v, ok := raw[key]
		if !ok {
			return nil, fmt.Sprintf("page %d is missing", n), nil
		}
		if err := json.Unmarshal(v, &headers[n]); err != nil {
			return nil, fmt.Sprintf("page %d cannot be read: %v", n, err), nil
		}
		for _, p := range headers[n].Parts {
			partKeys = append(partKeys, p.Key)
			partSizes = append(partSizes, p.Size)
		}
	}
	parts, err := s.getMany(ctx, partKeys, partSizes)
	if err != nil {
		return nil, "", err
	}
	pages := make([]walkPage[T], mk.Pages)
	for n, h := range headers {
		items, why := decodePage[T](h, parts)
		if why != "" {
			return nil, fmt.Sprintf("page %d: %s", n, why), nil
		}
		pages[n] = walkPage[T]{token: h.Token, next: h.Next, items: items}
	}
	return pages, "", nil
}

func decodePage[T any](h storedPage, parts map[string][]byte) ([]T, string) {
	var payload []byte
	for _, p := range h.Parts {
		v, ok := parts[p.Key]
		if !ok || len(v) != p.Size {
			return nil, "a part is missing or cut short"
		}
		payload = append(payload, v...)
	}
	var items []T
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &items); err != nil {
			return nil, fmt.Sprintf("its records cannot be read: %v", err)
		}
	}
	if len(items) != h.Count {
		return nil, fmt.Sprintf("%d records, the page says %d", len(items), h.Count)
	}
	return items, ""
}

func (m *listMemory[T]) incomplete(ctx context.Context, why string) {
	logger(ctx).Info("baton-celigo: the sync's stored list is incomplete; reading it again from Celigo",
		zap.String("list", m.spec.name), zap.String("reason", why))
}

// storeOff reports whether the sync is known to have no session store.
func (m *listMemory[T]) storeOff(s syncScope) bool {
	if s.store == nil || s.id == "" {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncID == s.id && m.noStore
}

// note logs a session-store problem once per sync and list.
func (m *listMemory[T]) note(ctx context.Context, s syncScope, err error) {
	m.mu.Lock()
	m.forSync(s.id)
	first := !m.noted
	m.noted = true
	if errors.Is(err, errNoStore) {
		m.noStore = true
	}
	m.mu.Unlock()
	if !first {
		return
	}
	if errors.Is(err, errNoStore) {
		logger(ctx).Debug("baton-celigo: the list is kept in this process only; a resumed sync, or another process serving this one, reads it again",
			zap.String("list", m.spec.name), zap.Error(err))
		return
	}
	logger(ctx).Warn("baton-celigo: the sync's session store failed; where it lacks a list, the list is read again from Celigo",
		zap.String("list", m.spec.name), zap.Error(err))
}
