package connector

import (
	"context"
	"sync"

	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
)

// listSpec describes one list a sync walks.
type listSpec[T any] struct {
	name string         // in errors, logs and session-store keys
	key  func(T) string // tells records apart: a record listed on two pages (a list that shifted) is kept once
	// read reads one page from Celigo, for a walk that has to read the list again.
	read func(ctx context.Context, c *Connector, s syncScope, token string) ([]T, string, error)
}

// walkedList is a complete list: its records in list order, and where each is.
type walkedList[T any] struct {
	items []T
	index map[string]int
}

func (l *walkedList[T]) has(key string) bool {
	_, ok := l.index[key]
	return ok
}

// walkPage is one page of a list as read: its records, the token it was read with ("" for the first page)
// and its next link ("" for the last).
type walkPage[T any] struct {
	token, next string
	items       []T
}

// walk holds this process's memory of each list, created on first use.
type walk struct {
	mu    sync.Mutex
	lists map[string]any // list name → *listMemory[T]
}

func newWalk() *walk { return &walk{lists: map[string]any{}} }

func memoryOf[T any](w *walk, spec listSpec[T]) *listMemory[T] {
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.lists[spec.name].(*listMemory[T])
	if !ok {
		m = &listMemory[T]{spec: spec}
		w.lists[spec.name] = m
	}
	return m
}

// listMemory is this process's memory of one list of one sync, in front of the session store. It holds the
// pages of one sweep (one reading of the list, first page to last, named in the page tokens) until the sweep is
// complete, then the complete list.
type listMemory[T any] struct {
	spec listSpec[T]
	fill sync.Mutex // serialises loads and re-reads, so two grant calls never read the same list at once

	mu        sync.Mutex
	syncID    string
	sweep     string
	pages     map[int]walkPage[T]
	held      int            // pages 0 to held-1 of sweep are all in pages
	tokens    map[string]int // page token → page number, in sweep: catches next links that lead back
	records   int            // records in pages
	done      *walkedList[T]
	doneSweep string // the sweep done came from
	noted     bool   // a session-store problem was logged for syncID
	noStore   bool   // syncID has no session store: no time is spent on one
}

// forSync switches the memory to syncID, dropping any other sync's data. Caller holds mu.
func (m *listMemory[T]) forSync(syncID string) {
	if m.syncID == syncID && m.pages != nil {
		return
	}
	m.syncID, m.noted, m.noStore = syncID, false, false
	m.startSweep("")
	m.done, m.doneSweep = nil, ""
}

// startSweep drops the pages held and holds sweep's instead. Caller holds mu.
func (m *listMemory[T]) startSweep(sweep string) {
	m.sweep, m.pages, m.held, m.tokens, m.records = sweep, map[int]walkPage[T]{}, 0, map[string]int{}, 0
}

// add records page number n of sweep, read with token, in this process and in the sync's session store.
// It fails when the page's next link leads back to a page of the sweep already read: a server whose links
// cycle (A → B → A) would otherwise keep a sync busy forever. Reading the same page twice (a retry) is not
// a loop.
func (m *listMemory[T]) add(ctx context.Context, s syncScope, sweep string, n int, page walkPage[T]) error {
	if sweep == "" {
		return nil // a page token from an earlier version of the connector names no sweep: grants will read again
	}
	m.mu.Lock()
	m.forSync(s.id)
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
	m.records += len(page.items) - len(m.pages[n].items)
	if m.records > maxListRecords {
		m.mu.Unlock()
		return tooManyRecords(m.spec.name)
	}
	m.tokens[page.token] = n
	back, seen := m.tokens[page.next]
	sawEarlier := m.held >= n
	m.pages[n] = page
	for _, ok := m.pages[m.held]; ok; _, ok = m.pages[m.held] {
		m.held++
	}
	m.mu.Unlock()

	if page.next != "" && !seen && !sawEarlier {
		// Earlier pages were read by other processes: ask the store where this next link was seen.
		back, seen = m.storedPageOf(ctx, s, sweep, page.next)
	}
	if page.next != "" && seen && back <= n {
		return loopError(m.spec.name)
	}
	m.persist(ctx, s, sweep, n, page)
	if page.next == "" {
		m.completeFromMemory(s.id, sweep, n)
	}
	return nil
}

// completeFromMemory makes the list complete when this process holds every page of sweep up to last, each
// next link leading to the page after it.
func (m *listMemory[T]) completeFromMemory(syncID, sweep string, last int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncID != syncID || m.sweep != sweep || m.held <= last {
		return
	}
	pages := make([]walkPage[T], last+1)
	for i := range pages {
		pages[i] = m.pages[i]
	}
	if l := assemble(m.spec, pages); l != nil {
		m.done, m.doneSweep = l, sweep
		m.startSweep("")
	}
}

// assemble joins the pages of a sweep into the list, or returns nil when they do not chain from the first
// page to the last.
func assemble[T any](spec listSpec[T], pages []walkPage[T]) *walkedList[T] {
	if len(pages) == 0 || pages[0].token != "" || pages[len(pages)-1].next != "" {
		return nil
	}
	l := &walkedList[T]{index: map[string]int{}}
	for i, p := range pages {
		if i > 0 && p.token != pages[i-1].next {
			return nil
		}
		for _, it := range p.items {
			k := spec.key(it)
			if at, ok := l.index[k]; ok {
				l.items[at] = it
				continue
			}
			l.index[k] = len(l.items)
			l.items = append(l.items, it)
		}
	}
	return l
}

// cached returns the complete list held for syncID, if any.
func (m *listMemory[T]) cached(syncID string) *walkedList[T] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncID != syncID {
		return nil
	}
	return m.done
}

// keep holds l, loaded from the store, as syncID's complete list.
func (m *listMemory[T]) keep(syncID, sweep string, l *walkedList[T]) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forSync(syncID)
	m.done, m.doneSweep = l, sweep
}

// recordPage keeps the page List read at pos in the sync's walk of spec.
func recordPage[T any](ctx context.Context, c *Connector, spec listSpec[T], opts rs.SyncOpAttrs, pos listPosition, items []T, next string) error {
	return memoryOf(c.walk, spec).add(ctx, scopeOf(opts), pos.Sweep, pos.Page, walkPage[T]{token: pos.URL, next: next, items: items})
}

// walked returns the complete list of the sync: from this process's memory, else from the session store,
// else read again from Celigo (and stored, for the calls that follow).
func walked[T any](ctx context.Context, c *Connector, spec listSpec[T], s syncScope) (*walkedList[T], error) {
	m := memoryOf(c.walk, spec)
	if l := m.cached(s.id); l != nil {
		return l, nil
	}
	m.fill.Lock()
	defer m.fill.Unlock()
	if l := m.cached(s.id); l != nil {
		return l, nil
	}
	if sweep, l := m.load(ctx, s); l != nil {
		m.keep(s.id, sweep, l)
		return l, nil
	}
	return m.readAgain(ctx, c, s)
}

// readAgain reads the whole list from Celigo as a new sweep.
func (m *listMemory[T]) readAgain(ctx context.Context, c *Connector, s syncScope) (*walkedList[T], error) {
	sweep := newSweepID()
	token := ""
	for n := 0; ; n++ {
		items, next, err := m.spec.read(ctx, c, s, token)
		if err != nil {
			return nil, err
		}
		if err := m.add(ctx, s, sweep, n, walkPage[T]{token: token, next: next, items: items}); err != nil {
			return nil, err
		}
		if next == "" {
			break
		}
		if err := tooManyPages(m.spec.name, n+1); err != nil {
			return nil, err
		}
		token = next
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncID != s.id || m.doneSweep != sweep || m.done == nil {
		return nil, walkReplaced(m.spec.name)
	}
	return m.done, nil
}
