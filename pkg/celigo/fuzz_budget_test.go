package celigo

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMakeFuzzRunsEveryTargetByCount keeps `make fuzz` (part of make ci) on an input-count budget for every fuzz
// target in this package: a duration budget can fail a clean run in Go 1.26's fuzzing coordinator
// (go.dev/issue/75804), and a target missing from FUZZ_TARGETS would only ever run its seeds.
func TestMakeFuzzRunsEveryTargetByCount(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	recipe := makeRecipe(t, string(makefile), "fuzz")
	if !regexp.MustCompile(`-fuzztime \$\(FUZZ_EXECS\)x`).MatchString(recipe) {
		t.Errorf("make fuzz does not budget by count (-fuzztime $(FUZZ_EXECS)x):\n%s", recipe)
	}
	if m := regexp.MustCompile(`(?m)^FUZZ_EXECS \?= ([0-9]+)$`).FindStringSubmatch(string(makefile)); m == nil {
		t.Error("FUZZ_EXECS has no default count")
	}
	ci := makeRecipe(t, string(makefile), "ci")
	if !strings.Contains(ci, " fuzz ") || strings.Contains(ci, "fuzz-long") {
		t.Errorf("make ci must run fuzz and not fuzz-long: %q", ci)
	}

	m := regexp.MustCompile(`(?m)^FUZZ_TARGETS := (.*)$`).FindStringSubmatch(string(makefile))
	if m == nil {
		t.Fatal("the Makefile has no FUZZ_TARGETS list")
	}
	listed := strings.Fields(m[1])
	for _, target := range fuzzTargetsInPackage(t) {
		if !slices.Contains(listed, target) {
			t.Errorf("%s is not in the Makefile's FUZZ_TARGETS, so make fuzz never fuzzes it", target)
		}
	}
}

// TestMakeTestHasRoomUnderLoad: go test's default limit of 10 minutes per package is a wall-clock budget that
// a busy 2-core machine exceeded with the race detector on; make test and make test-race set their own.
func TestMakeTestHasRoomUnderLoad(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"test", "test-race"} {
		if recipe := makeRecipe(t, string(makefile), target); !strings.Contains(recipe, "-timeout $(TEST_TIMEOUT)") {
			t.Errorf("make %s runs go test without -timeout $(TEST_TIMEOUT):\n%s", target, recipe)
		}
	}
	m := regexp.MustCompile(`(?m)^TEST_TIMEOUT \?= ([0-9]+)m$`).FindStringSubmatch(string(makefile))
	if m == nil || len(m[1]) < 2 {
		t.Error("TEST_TIMEOUT has no default of at least 10 minutes")
	}
}

// makeRecipe returns the rule line and recipe of target in a Makefile.
func makeRecipe(t *testing.T, makefile, target string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:.*\n(\t.*\n)*`).FindString(makefile)
	if m == "" {
		t.Fatalf("the Makefile has no target %q", target)
	}
	return m
}

// fuzzTargetsInPackage lists the Fuzz functions declared in this package's test files.
func fuzzTargetsInPackage(t *testing.T) []string {
	t.Helper()
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			targets = append(targets, m[1])
		}
	}
	if len(targets) == 0 {
		t.Fatal("found no fuzz targets in this package")
	}
	return targets
}
