package connector

import (
	"context"
	"sync"
)

// recordLocks serialises writes to one access record within the process. The service runs several tasks at
// once, and two read-modify-write rounds on one record would otherwise race: the second PUT, built from a
// read made before the first landed, would undo it. Across processes nothing can serialise (Celigo has no
// conditional write); the read-back check in changeUser is what remains there.
type recordLocks struct {
	mu   sync.Mutex
	held map[string]*recordLock
}

// recordLock is one record's lock: a one-slot channel, so waiting for it can end with the context.
type recordLock struct {
	slot chan struct{}
	refs int // holders and waiters; the entry is dropped at zero so the map does not grow with every id
}

// lock waits for the record's lock and returns its release; it gives up when ctx ends.
func (l *recordLocks) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*recordLock{}
	}
	e := l.held[key]
	if e == nil {
		e = &recordLock{slot: make(chan struct{}, 1)}
		l.held[key] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.slot <- struct{}{}:
		return func() {
			<-e.slot
			l.release(key, e)
		}, nil
	case <-ctx.Done():
		l.release(key, e)
		return nil, ctx.Err()
	}
}

func (l *recordLocks) release(key string, e *recordLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.held, key)
	}
}

// queued is how many callers hold or wait for key's lock (tests use it to see a writer waiting).
func (l *recordLocks) queued(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.held[key]; e != nil {
		return e.refs
	}
	return 0
}
