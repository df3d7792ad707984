package connector_test

import (
	"context"
	"slices"
	"testing"

	sdksync "github.com/conductorone/baton-sdk/pkg/sync"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestSyncWithParallelWorkersEqualsSequential: with the SDK's parallel workers (--workers), lists are read
// while other types are listed and granted, and a list grants need whole may be read again while List is
// still reading it. The sync finishes and holds exactly what a sequential sync holds.
func TestSyncWithParallelWorkersEqualsSequential(t *testing.T) {
	acct := celigotest.Generate(41, 120, 12)
	sync := func(opts ...sdksync.SyncOpt) *synctest.Dump {
		t.Helper()
		fake := celigotest.NewServer(token, acct)
		defer fake.Close()
		fake.SetPageSize(7)
		client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return syncClient(t, client, opts...)
	}
	keys := func(d *synctest.Dump) (resources, grants []string) {
		for k := range d.Resources {
			resources = append(resources, k)
		}
		for _, g := range d.Grants {
			grants = append(grants, g.GetId())
		}
		slices.Sort(resources)
		slices.Sort(grants)
		return resources, grants
	}
	wantResources, wantGrants := keys(sync())
	for run := 0; run < 3; run++ {
		gotResources, gotGrants := keys(sync(sdksync.WithWorkerCount(4)))
		if !slices.Equal(gotResources, wantResources) || !slices.Equal(gotGrants, wantGrants) {
			t.Errorf("run %d with 4 workers: %d resources and %d grants, sequential %d and %d",
				run, len(gotResources), len(gotGrants), len(wantResources), len(wantGrants))
		}
	}
}
