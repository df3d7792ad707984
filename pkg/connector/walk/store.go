package walk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/conductorone/baton-sdk/pkg/session"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
	"go.uber.org/zap"
)

// How a walk lies in the sync's session store (keys are scoped to the sync by the SDK):
//
//	walk/account                     the account the sync reads (CheckAccount)
//	walk/<list>/complete             "<sweep>/<pages>": the sweep whose pages make the whole list
//	walk/<list>/<sweep>/<n>          page n of the sweep: its token, next link, record count and parts
//	walk/<list>/<sweep>/<n>/<w>.<k>  part k of the records of write w of page n (JSON, cut in ≤ 1 MiB parts)
//
// Parts are never overwritten (each write of a page has its own id), so a page always names its own parts.
// The store answers at most 100 keys and about 4 MB a call; reads and writes are batched under both.
const (
	accountKey    = "walk/account"
	partBytes     = 1 << 20
	maxBatchBytes = 3 << 20
)

type storedPage struct {
	Token string `json:"token"`
	Next  string `json:"next"`
	Count int    `json:"count"`
	Write string `json:"write"`
	Parts []int  `json:"parts"` // the size of each part
}

func markerKey(list string) string { return "walk/" + list + "/complete" }

func pageKey(list, sweep string, n int) string { return fmt.Sprintf("walk/%s/%s/%d", list, sweep, n) }

func (p storedPage) partKey(page string, k int) string {
	return fmt.Sprintf("%s/%s.%d", page, p.Write, k)
}

// Sync is what a call knows of its sync: its id, and the session store every process serving the sync
// shares (nil when the SDK gave none).
type Sync struct {
	ID    string
	Store sessions.SessionStore
}

// errNoStore: the sync has no session store; the walk lives in this process only.
var errNoStore = errors.New("the sync has no session store")

// do runs fn against the store. The SDK passes a store even when none is configured: one that refuses every
// call (session.ErrSessionStoreDisabled), or, in a connector server built without one, a wrapper around
// nothing that panics. Both mean "no store", never a failed sync.
func (s Sync) do(fn func(sessions.SessionStore) error) (err error) {
	if s.Store == nil || s.ID == "" {
		return errNoStore
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (calling it failed: %v)", errNoStore, r)
		}
	}()
	err = fn(s.Store)
	if errors.Is(err, session.ErrSessionStoreDisabled) {
		return errNoStore
	}
	return err
}

func (s Sync) get(ctx context.Context, key string) (v []byte, found bool, err error) {
	err = s.do(func(ss sessions.SessionStore) error {
		v, found, err = ss.Get(ctx, key)
		return err
	})
	return v, found, err
}

// getMany reads keys in batches of at most 100 keys and, when sizes (the values' lengths) are given, about
// maxBatchBytes of values. Missing keys are missing from the answer.
func (s Sync) getMany(ctx context.Context, keys []string, sizes []int) (map[string][]byte, error) {
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
func (s Sync) setMany(ctx context.Context, items []session.SizedItem[[]byte]) error {
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

// persist writes page n of sweep to the store: its parts first, then the page naming them, and, for the
// last page, the marker that makes the sweep the list. A failed write is logged and the walk goes on in this
// process: a list whose pages the store lacks is read again where it is needed.
func (m *memory[T]) persist(ctx context.Context, s Sync, sweep string, n int, page Page[T]) {
	if m.noStore(s) {
		m.note(ctx, s, errNoStore)
		return
	}
	payload, err := json.Marshal(page.Items)
	if err != nil {
		m.note(ctx, s, fmt.Errorf("encoding page %d: %w", n, err))
		return
	}
	key := pageKey(m.spec.Name, sweep, n)
	header := storedPage{Token: page.Token, Next: page.Next, Count: len(page.Items), Write: NewSweepID()}
	var items []session.SizedItem[[]byte]
	for k := 0; k*partBytes < len(payload); k++ {
		part := payload[k*partBytes : min((k+1)*partBytes, len(payload))]
		header.Parts = append(header.Parts, len(part))
		items = append(items, sized(header.partKey(key, k), part))
	}
	headerJSON, _ := json.Marshal(header) // strings and ints only
	items = append(items, sized(key, headerJSON))
	if page.Next == "" {
		items = append(items, sized(markerKey(m.spec.Name), fmt.Appendf(nil, "%s/%d", sweep, n+1)))
	}
	if err := s.setMany(ctx, items); err != nil {
		m.note(ctx, s, fmt.Errorf("storing page %d: %w", n, err))
		return
	}
	if page.Next == "" {
		logger(ctx).Debug("baton-celigo: list stored in the sync's session store", zap.String("list", m.spec.Name), zap.Int("pages", n+1))
	}
}

// load reads the sync's complete list from the store: nil when the store has none, or holds one that does
// not hold together (a page or part missing, next links that do not chain), which is then read again.
func (m *memory[T]) load(ctx context.Context, s Sync) (string, *List[T]) {
	if m.noStore(s) {
		return "", nil
	}
	raw, found, err := s.get(ctx, markerKey(m.spec.Name))
	if err != nil || !found {
		if err != nil {
			m.note(ctx, s, err)
		}
		return "", nil
	}
	sweep, count, _ := strings.Cut(string(raw), "/")
	pageCount, err := strconv.Atoi(count)
	if err != nil || !ValidSweepID(sweep) || pageCount < 1 || pageCount > MaxPages {
		m.incomplete(ctx, fmt.Sprintf("its marker %q is not one this connector writes", raw))
		return "", nil
	}
	pages, why, err := m.loadPages(ctx, s, sweep, pageCount)
	if err != nil {
		m.note(ctx, s, err)
		return "", nil
	}
	l := assemble(m.spec, pages)
	if why == "" && l == nil {
		why = "its pages' next links do not chain from the first page to the last"
	}
	if why != "" {
		m.incomplete(ctx, why)
		return "", nil
	}
	return sweep, l
}

// loadPages reads pages 0 to count-1 of sweep and their parts. why says what is missing, if anything.
func (m *memory[T]) loadPages(ctx context.Context, s Sync, sweep string, count int) ([]Page[T], string, error) {
	keys := make([]string, count)
	for n := range keys {
		keys[n] = pageKey(m.spec.Name, sweep, n)
	}
	raw, err := s.getMany(ctx, keys, nil)
	if err != nil {
		return nil, "", err
	}
	headers := make([]storedPage, count)
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
		for k, size := range headers[n].Parts {
			partKeys = append(partKeys, headers[n].partKey(key, k))
			partSizes = append(partSizes, size)
		}
	}
	parts, err := s.getMany(ctx, partKeys, partSizes)
	if err != nil {
		return nil, "", err
	}
	pages := make([]Page[T], count)
	for n, h := range headers {
		var payload []byte
		for k, size := range h.Parts {
			v := parts[h.partKey(keys[n], k)]
			if len(v) != size {
				return nil, fmt.Sprintf("page %d: a part is missing or cut short", n), nil
			}
			payload = append(payload, v...)
		}
		var items []T
		if len(payload) > 0 {
			if err := json.Unmarshal(payload, &items); err != nil {
				return nil, fmt.Sprintf("page %d: its records cannot be read: %v", n, err), nil
			}
		}
		if len(items) != h.Count {
			return nil, fmt.Sprintf("page %d: %d records, the page says %d", n, len(items), h.Count), nil
		}
		pages[n] = Page[T]{Token: h.Token, Next: h.Next, Items: items}
	}
	return pages, "", nil
}

func (m *memory[T]) incomplete(ctx context.Context, why string) {
	logger(ctx).Info("baton-celigo: the sync's stored list is incomplete; reading it again from Celigo",
		zap.String("list", m.spec.Name), zap.String("reason", why))
}

// noStore reports whether the sync is known to have no session store.
func (m *memory[T]) noStore(s Sync) bool {
	if s.Store == nil || s.ID == "" {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncID == s.ID && m.storeOff
}

// note logs a session-store problem once per sync and list.
func (m *memory[T]) note(ctx context.Context, s Sync, err error) {
	m.mu.Lock()
	m.forSync(s.ID)
	first := !m.noted
	m.noted = true
	m.storeOff = m.storeOff || errors.Is(err, errNoStore)
	m.mu.Unlock()
	switch {
	case !first:
	case errors.Is(err, errNoStore):
		logger(ctx).Debug("baton-celigo: the list is kept in this process only; a resumed sync, or another process serving this one, reads it again",
			zap.String("list", m.spec.Name), zap.Error(err))
	default:
		logger(ctx).Warn("baton-celigo: the sync's session store failed; where it lacks a list, the list is read again from Celigo",
			zap.String("list", m.spec.Name), zap.Error(err))
	}
}
