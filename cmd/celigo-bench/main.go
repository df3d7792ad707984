// Command celigo-bench measures full syncs of generated Celigo accounts: API requests by endpoint, wall and
// CPU time, peak memory, c1z size, grants before and after expansion. Each sync runs in a child process of
// its own (syncer and connector in process, as baton runs them) so its peak memory is its own; the fake
// Celigo API runs in the parent, so the fake's data does not count.
//
//	go run ./cmd/celigo-bench -sizes 1000x100,3000x300,5000x500 -latency 0,25ms
//
// -mode hosted serves every RPC of the sync from a connector built for that call alone, sharing nothing but
// the sync's session store: the most fragmented way ConductorOne may host the connector.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/dotc1z/c1zstore"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/conductorone/baton-sdk/pkg/types"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

const token = "bench-token"

// childResult is what a child reports about its own sync.
type childResult struct {
	WallSeconds float64 `json:"wall_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	Error       string  `json:"error,omitempty"`
}

type row struct {
	Users, Integrations int
	Mode                string
	Latency             time.Duration
	Engine              string
	Workers             int
	childResult
	Requests       map[string]int
	C1ZBytes       int64
	GrantsDirect   int
	GrantsExpanded int
	MicrosPerGrant float64
}

func main() {
	child := flag.Bool("child", false, "internal: run one sync and report as JSON")
	baseURL := flag.String("base-url", "", "internal: fake API URL for -child")
	out := flag.String("out", "", "internal: c1z path for -child")
	sizes := flag.String("sizes", "1000x100,3000x300,5000x500", "comma-separated USERSxINTEGRATIONS")
	latencies := flag.String("latency", "0", "comma-separated per-request latencies of the fake API, e.g. 0,25ms")
	engine := flag.String("storage-engine", "pebble", "c1z storage engine: pebble or sqlite")
	workers := flag.Int("workers", 0, "SDK sync workers (0 = sequential, the SDK default)")
	pageSize := flag.Int("page-size", 1000, "fake API page size (Celigo documents 1000)")
	seed := flag.Int64("seed", 1, "account generator seed")
	rolePercent := flag.Int("role-percent", 70, "share of users with an account-wide role (docs/performance.md's main table uses 51)")
	mode := flag.String("mode", "one-shot", "one-shot (one connector for the sync) or hosted (a new connector for every RPC)")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of each child sync to this path (suffixed per run)")
	flag.Parse()
	if *mode != "one-shot" && *mode != "hosted" {
		fatal(fmt.Errorf("-mode %q: want one-shot or hosted", *mode))
	}

	if *child {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				fatal(err)
			}
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
		res := runChild(*baseURL, *out, *engine, *mode, *workers)
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	var rows []row
	for _, size := range strings.Split(*sizes, ",") {
		u, i, err := parseSize(size)
		if err != nil {
			fatal(err)
		}
		for _, l := range strings.Split(*latencies, ",") {
			lat, err := parseLatency(l)
			if err != nil {
				fatal(err)
			}
			prof := ""
			if *cpuProfile != "" {
				prof = fmt.Sprintf("%s.%dx%d.%s", *cpuProfile, u, i, lat)
			}
			r, err := measure(u, i, lat, *engine, *mode, *workers, *pageSize, *seed, *rolePercent, prof)
			if err != nil {
				fatal(err)
			}
			rows = append(rows, r)
			printRows(rows[len(rows)-1:], len(rows) == 1)
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rows, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o600); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "celigo-bench:", err)
	os.Exit(1)
}

func parseSize(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "x")
	u, err1 := strconv.Atoi(a)
	i, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || u < 0 || i < 0 {
		return 0, 0, fmt.Errorf("size %q: want USERSxINTEGRATIONS, e.g. 1000x100", s)
	}
	return u, i, nil
}

func parseLatency(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// measure serves one generated account and syncs it in a child process.
func measure(users, integrations int, latency time.Duration, engine, mode string, workers, pageSize int, seed int64, rolePercent int, cpuProfile string) (row, error) {
	fake := celigotest.NewServer(token, celigotest.GenerateMix(seed, users, integrations, rolePercent))
	defer fake.Close()
	fake.SetPageSize(pageSize)
	fake.SetLatency(latency)

	dir, err := os.MkdirTemp("", "celigo-bench")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	c1z := filepath.Join(dir, "sync.c1z")

	self, err := os.Executable()
	if err != nil {
		return row{}, err
	}
	// Re-runs this very binary with flags it built itself.
	cmd := exec.Command(self, "-child", "-base-url", fake.URL, "-out", c1z, //nolint:gosec // see above
		"-storage-engine", engine, "-mode", mode, "-workers", strconv.Itoa(workers), "-cpuprofile", cpuProfile)
	cmd.Stderr = os.Stderr
	outBytes, err := cmd.Output()
	if err != nil {
		return row{}, fmt.Errorf("child sync of %dx%d: %w", users, integrations, err)
	}
	var res childResult
	if err := json.Unmarshal(outBytes, &res); err != nil {
		return row{}, fmt.Errorf("child output %q: %w", outBytes, err)
	}
	if res.Error != "" {
		return row{}, fmt.Errorf("child sync of %dx%d: %s", users, integrations, res.Error)
	}
	r := row{Users: users, Integrations: integrations, Mode: mode, Latency: latency, Engine: engine, Workers: workers, childResult: res, Requests: map[string]int{}}
	for _, req := range fake.Requests() {
		r.Requests[req.Method+" "+req.Path]++
	}
	if st, err := os.Stat(c1z); err == nil {
		r.C1ZBytes = st.Size()
	}
	d, err := synctest.Read(context.Background(), c1z)
	if err != nil {
		return row{}, err
	}
	for _, g := range d.Grants {
		if isExpanded(g) {
			r.GrantsExpanded++
		} else {
			r.GrantsDirect++
		}
	}
	if total := r.GrantsDirect + r.GrantsExpanded; total > 0 {
		r.MicrosPerGrant = res.WallSeconds * 1e6 / float64(total)
	}
	return r, nil
}

// isExpanded: a grant the SDK derived (all its sources are other entitlements).
func isExpanded(g *v2.Grant) bool {
	src := g.GetSources().GetSources()
	return len(src) > 0 && src[g.GetEntitlement().GetId()] == nil
}

func runChild(baseURL, out, engine, mode string, workers int) childResult {
	ctx := context.Background()
	start := time.Now()
	err := func() error {
		build := func() (connectorbuilder.ConnectorBuilderV2, error) {
			client, err := celigo.New(ctx, celigo.Config{BaseURL: baseURL, Token: token})
			if err != nil {
				return nil, err
			}
			return connector.NewWithClient(client), nil
		}
		serve := func() (types.ConnectorClient, func(), error) {
			if mode == "hosted" {
				return synctest.ServeFresh(ctx, build)
			}
			b, err := build()
			if err != nil {
				return nil, nil, err
			}
			return synctest.Serve(ctx, b)
		}
		cc, stop, err := serve()
		if err != nil {
			return err
		}
		defer stop()
		opts := []sdksync.SyncOpt{sdksync.WithStorageEngine(c1zstore.Engine(engine))}
		if workers != 0 {
			opts = append(opts, sdksync.WithWorkerCount(workers))
		}
		return synctest.Sync(ctx, cc, out, opts...)
	}()
	res := childResult{WallSeconds: time.Since(start).Seconds()}
	if err != nil {
		res.Error = err.Error()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		res.CPUSeconds = tv(ru.Utime) + tv(ru.Stime)
		res.PeakRSSMB = float64(ru.Maxrss) / 1024 // Linux reports KiB
		if runtime.GOOS == "darwin" {
			res.PeakRSSMB = float64(ru.Maxrss) / (1 << 20) // bytes there
		}
	}
	return res
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func printRows(rows []row, header bool) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if header {
		fmt.Fprintln(w, "users\tintegrations\tmode\tlatency\tengine\twall s\tCPU s\tpeak MB\tc1z MB\tgrants\texpanded\tµs/grant\trequests\t")
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%.2f\t%.2f\t%.0f\t%.1f\t%d\t%d\t%.2f\t%s\t\n",
			r.Users, r.Integrations, r.Mode, r.Latency, r.Engine, r.WallSeconds, r.CPUSeconds, r.PeakRSSMB,
			float64(r.C1ZBytes)/(1<<20), r.GrantsDirect, r.GrantsExpanded, r.MicrosPerGrant, requestSummary(r.Requests))
	}
	_ = w.Flush()
}

func requestSummary(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, "GET /v1/"), m[k]))
	}
	return strings.Join(parts, " ")
}
