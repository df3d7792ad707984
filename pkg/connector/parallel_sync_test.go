package connector_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	sdksync "github.com/conductorone/baton-sdk/pkg/sync"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
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
		ctx := context.Background()
		client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		cc, stop, err := synctest.Serve(ctx, connector.NewWithClient(client))
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		path := filepath.Join(t.TempDir(), "sync.c1z")
		if err := synctest.Sync(ctx, cc, path, opts...); err != nil {
			t.Fatalf("sync %v: %v", opts, err)
		}
		d, err := synctest.Read(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return d
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
