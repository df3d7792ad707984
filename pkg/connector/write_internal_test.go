package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

func TestRecordLocks(t *testing.T) {
	var l recordLocks
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	unlockB, err := l.lock(ctx, "b") // another record is not held up
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	acquired := make(chan func())
	go func() {
		unlock, err := l.lock(ctx, "a")
		if err != nil {
			t.Error(err)
		}
		acquired <- unlock
	}()
	for l.queued("a") < 2 {
		runtime.Gosched()
	}
	select {
	case <-acquired:
		t.Fatal("a second writer got the record while the first held it")
	default:
	}

	// A waiter whose context ends gives up and leaves the queue.
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error)
	go func() {
		_, err := l.lock(cctx, "a")
		gaveUp <- err
	}()
	for l.queued("a") < 3 {
		runtime.Gosched()
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}

	unlockA()
	(<-acquired)()
	if n := l.queued("a"); n != 0 || len(l.held) != 0 {
		t.Errorf("locks left behind: queued %d, held %v", n, l.held)
	}
}

// Two changes to one record at once in one process (the service runs tasks concurrently): the second
// waits for the first to finish before it reads, so neither is redone and both land.
func TestWritesToOneRecordAreSerialised(t *testing.T) {
	const rec, intA, intB = "6500000000000000000000e1", "6500000000000000000000a1", "6500000000000000000000a2"
	fake := celigotest.NewServer("tok", celigotest.Account{
		Owner:        celigotest.Person{ID: "6500000000000000000000f0", Email: "owner@example.com"},
		Shares:       []map[string]any{celigotest.NewShare(rec, celigotest.Person{ID: "6500000000000000000000p1", Email: "u@example.com"}, "monitor")},
		Integrations: []celigotest.Integration{{ID: intA, Name: "A"}, {ID: intB, Name: "B"}},
	})
	t.Cleanup(fake.Close)
	ctx := context.Background()
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	c := NewWithClient(client)
	path := "/v1/ashares/" + rec
	reads := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Method == http.MethodGet && r.Path == path {
				n++
			}
		}
		return n
	}
	grant := func(id string) changeFunc {
		return func(u *celigo.User) (bool, error) { return celigo.GrantIntegration(u, id, celigo.LevelManage) }
	}

	second := make(chan error, 1)
	var once sync.Once
	fake.OnBeforeWrite(func(string, string) {
		once.Do(func() {
			// The first writer's PUT is in flight: start a second writer on the same record.
			go func() {
				_, err := c.changeUser(ctx, rec, grant(intB))
				second <- err
			}()
			for c.locks.queued(rec) < 2 && reads() < 2 {
				runtime.Gosched()
			}
			if n := reads(); n != 1 {
				t.Errorf("the second writer read the record while the first was writing it (%d reads)", n)
			}
		})
	})
	if _, err := c.changeUser(ctx, rec, grant(intA)); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, r := range fake.Requests() {
		if r.Path == path {
			seq = append(seq, r.Method)
		}
	}
	if want := []string{"GET", "PUT", "GET", "GET", "PUT", "GET"}; !slices.Equal(seq, want) {
		t.Errorf("requests on the record %v, want %v (one round each, not interleaved)", seq, want)
	}
	got, _ := fake.Share(rec)
	if entries := fmt.Sprint(got["integrationAccessLevel"]); !strings.Contains(entries, intA) || !strings.Contains(entries, intB) {
		t.Errorf("a change was lost: %v", entries)
	}
}
