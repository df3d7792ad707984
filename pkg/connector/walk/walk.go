// Package walk keeps what grants need from each list a sync reads, so that every list is read from Celigo
// once per sync, whichever process serves each call.
//
// Each page List reads is added here: to this process's memory and to the sync's session store, which every
// process serving the sync shares (ConductorOne's, when hosted; the c1z's, when run from the command line).
// Grants take a list only when it is complete: every page of one sweep (one reading of the list, first page to
// last), each page's next link leading to the page after it. A list found incomplete (a store that is
// missing, a targeted sync) is read again through a plain read function rather than serve grants from half
// the data.
package walk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/conductorone/baton-sdk/pkg/session"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// MaxPages bounds the Celigo pages of one list. At Celigo's documented 1000 records a page it is ten million
// records, more than any real account has; a list that goes on past it never ends (a loop across processes
// included), and fails. A variable so tests can lower it.
var MaxPages = 10_000

// MaxRecords bounds the records one list holds in memory (about 1 KB each while a list is walked), so a list
// that never ends, page after full page, fails long before it exhausts memory. A variable so tests can lower it.
var MaxRecords = 500_000

// Spec names one list and tells its records apart: a record listed on two pages (a list that shifted) is
// kept once.
type Spec[T any] struct {
	Name string // in errors, logs and session-store keys
	Key  func(T) string
}

// Read reads the page of a list at token ("" for the first) and returns its next link ("" after the last).
type Read[T any] func(ctx context.Context, token string) ([]T, string, error)

// Page is one page of a list as read: the token it was read with, its next link and its records.
type Page[T any] struct {
	Token, Next string
	Items       []T
}

// List is a complete list: its records in list order, and where each is.
type List[T any] struct {
	Items []T
	index map[string]int
}

// Find returns the record listed under key.
func (l *List[T]) Find(key string) (T, bool) {
	i, ok := l.index[key]
	if !ok {
		var zero T
		return zero, false
	}
	return l.Items[i], true
}

// Has says whether the list holds key.
func (l *List[T]) Has(key string) bool {
	_, ok := l.index[key]
	return ok
}

// NewSweepID names a sweep (or one write of a page): unique across the processes serving a sync.
func NewSweepID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error since Go 1.24)
	return hex.EncodeToString(b)
}

// ValidSweepID says whether id is one NewSweepID makes.
func ValidSweepID(id string) bool {
	b, err := hex.DecodeString(id)
	return err == nil && len(b) == 8
}

// Trail follows one reading of a list page by page. It is the one place that ends a list whose next links
// lead back to a page already read (a server whose links cycle would keep a sync busy forever) or go on past
// MaxPages. Reading the same page twice (a retry) is not a loop.
type Trail struct {
	list string
	at   map[string]int // token → the page number it was read at
}

// NewTrail starts following list.
func NewTrail(list string) *Trail { return &Trail{list: list, at: map[string]int{}} }

// Step notes that page n (counted from 0) was read with token and links to next.
func (t *Trail) Step(n int, token, next string) error {
	t.at[token] = n
	if next == "" {
		return nil
	}
	if back, ok := t.at[next]; ok && back <= n {
		return status.Errorf(codes.Internal, "baton-celigo: list %s: Celigo's next-page links lead back to a page already read; stopping instead of looping", t.list)
	}
	if n+1 >= MaxPages {
		return status.Errorf(codes.Internal,
			"baton-celigo: list %s: Celigo is still linking to more pages after %d, more than any real account has; stopping instead of reading for ever",
			t.list, MaxPages)
	}
	return nil
}

// Memory is this process's memory of each list of the sync it serves, in front of the session store.
type Memory struct {
	mu      sync.Mutex
	lists   map[string]any // list name → *memory[T]
	checked [2]string      // the sync and account CheckAccount last agreed on
}

// NewMemory is an empty memory.
func NewMemory() *Memory { return &Memory{lists: map[string]any{}} }

func memoryOf[T any](w *Memory, spec Spec[T]) *memory[T] {
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.lists[spec.Name].(*memory[T])
	if !ok {
		m = &memory[T]{spec: spec}
		w.lists[spec.Name] = m
	}
	return m
}

// memory is one list of one sync: the pages of the sweep under way, then the complete list.
type memory[T any] struct {
	spec Spec[T]
	fill sync.Mutex // serialises loads and re-reads, so two grant calls never read the same list at once

	mu        sync.Mutex
	syncID    string
	sweep     string
	pages     map[int]Page[T]
	trail     *Trail
	records   int // records in pages
	done      *List[T]
	doneSweep string // the sweep done came from
	noted     bool   // a session-store problem was logged for syncID
	storeOff  bool   // syncID has no session store: no time is spent on one
}

// forSync switches the memory to syncID, dropping any other sync's data. Caller holds mu.
func (m *memory[T]) forSync(syncID string) {
	if m.syncID == syncID && m.pages != nil {
		return
	}
	m.syncID, m.noted, m.storeOff = syncID, false, false
	m.startSweep("")
	m.done, m.doneSweep = nil, ""
}

// startSweep drops the pages held and holds sweep's instead. Caller holds mu.
func (m *memory[T]) startSweep(sweep string) {
	m.sweep, m.pages, m.trail, m.records = sweep, map[int]Page[T]{}, NewTrail(m.spec.Name), 0
}

// Add records page n of sweep in this process and in the sync's session store. The page that ends a sweep
// whose every page this process holds makes the list complete.
func Add[T any](ctx context.Context, w *Memory, spec Spec[T], s Sync, sweep string, n int, page Page[T]) error {
	m := memoryOf(w, spec)
	m.mu.Lock()
	m.forSync(s.ID)
	if m.done != nil && m.doneSweep == sweep {
		m.mu.Unlock()
		return nil // a page read again after its sweep completed adds nothing new
	}
	if m.sweep != sweep {
		if n == 0 {
			m.done, m.doneSweep = nil, "" // the list is being listed anew
		}
		m.startSweep(sweep)
	}
	m.records += len(page.Items) - len(m.pages[n].Items)
	if m.records > MaxRecords {
		m.mu.Unlock()
		return status.Errorf(codes.Internal,
			"baton-celigo: list %s: Celigo has sent more than %d records, more than any real account has; stopping before they exhaust memory",
			spec.Name, MaxRecords)
	}
	if err := m.trail.Step(n, page.Token, page.Next); err != nil {
		m.mu.Unlock()
		return err
	}
	m.pages[n] = page
	m.mu.Unlock()

	m.persist(ctx, s, sweep, n, page)
	if page.Next == "" {
		m.completeFromMemory(s.ID, sweep, n)
	}
	return nil
}

// completeFromMemory makes the list complete when this process holds every page of sweep up to last.
func (m *memory[T]) completeFromMemory(syncID, sweep string, last int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncID != syncID || m.sweep != sweep {
		return
	}
	pages := make([]Page[T], last+1)
	for i := range pages {
		p, ok := m.pages[i]
		if !ok {
			return
		}
		pages[i] = p
	}
	if l := assemble(m.spec, pages); l != nil {
		m.done, m.doneSweep = l, sweep
		m.startSweep("")
	}
}

// assemble joins the pages of a sweep into the list, or returns nil when they do not chain from the first
// page to the last.
func assemble[T any](spec Spec[T], pages []Page[T]) *List[T] {
	if len(pages) == 0 || pages[0].Token != "" || pages[len(pages)-1].Next != "" {
		return nil
	}
	l := &List[T]{index: map[string]int{}}
	for i, p := range pages {
		if i > 0 && p.Token != pages[i-1].Next {
			return nil
		}
		for _, it := range p.Items {
			k := spec.Key(it)
			if at, ok := l.index[k]; ok {
				l.Items[at] = it
				continue
			}
			l.index[k] = len(l.Items)
			l.Items = append(l.Items, it)
		}
	}
	return l
}

// completeList returns the complete list held for syncID, if any.
func (m *memory[T]) completeList(syncID string) *List[T] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncID != syncID {
		return nil
	}
	return m.done
}

// Complete returns the sync's complete list: from this process's memory, else from the session store, else
// read again with read (and stored, for the calls that follow).
func Complete[T any](ctx context.Context, w *Memory, spec Spec[T], s Sync, read Read[T]) (*List[T], error) {
	m := memoryOf(w, spec)
	if l := m.completeList(s.ID); l != nil {
		return l, nil
	}
	m.fill.Lock()
	defer m.fill.Unlock()
	if l := m.completeList(s.ID); l != nil {
		return l, nil
	}
	if sweep, l := m.load(ctx, s); l != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.forSync(s.ID)
		m.done, m.doneSweep = l, sweep
		return l, nil
	}
	return readAgain(ctx, w, m, s, read)
}

// readAgain reads the whole list from Celigo as a new sweep.
func readAgain[T any](ctx context.Context, w *Memory, m *memory[T], s Sync, read Read[T]) (*List[T], error) {
	sweep := NewSweepID()
	for n, token := 0, ""; ; n++ {
		items, next, err := read(ctx, token)
		if err != nil {
			return nil, err
		}
		if err := Add(ctx, w, m.spec, s, sweep, n, Page[T]{Token: token, Next: next, Items: items}); err != nil {
			return nil, err
		}
		if next == "" {
			break
		}
		token = next
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncID != s.ID || m.doneSweep != sweep || m.done == nil {
		// Another sync took the memory over meanwhile. Failing beats returning an empty list, which C1 would
		// read as "nobody has access" and prune every grant.
		return nil, status.Errorf(codes.Aborted, "baton-celigo: list %s: another sync replaced this sync's data while it was being read; retry the sync", m.spec.Name)
	}
	return m.done, nil
}

// CheckAccount ties the sync to account in its session store: it returns the account the store names when
// that is another one, else "". Without a store, or with one that fails, the page tokens still carry the
// account, so nothing more is done.
func (w *Memory) CheckAccount(ctx context.Context, s Sync, account string) (other string) {
	w.mu.Lock()
	done := w.checked == [2]string{s.ID, account}
	w.mu.Unlock()
	if done {
		return ""
	}
	stored, found, err := s.get(ctx, accountKey)
	switch {
	case err != nil:
	case found && string(stored) != account:
		return string(stored)
	case !found:
		_ = s.setMany(ctx, []session.SizedItem[[]byte]{sized(accountKey, []byte(account))})
	}
	w.mu.Lock()
	w.checked = [2]string{s.ID, account}
	w.mu.Unlock()
	return ""
}

var logger = ctxzap.Extract
