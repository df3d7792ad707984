package celigotest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSleepRecorder(t *testing.T) {
	var s SleepRecorder
	if err := s.Sleep(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Hook = func(context.Context) { cancel() }
	if err := s.Sleep(ctx, 2*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("a wait whose context ends returns its error, got %v", err)
	}
	if got, want := s.Waits(), []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if s.Total() != 3*time.Second {
		t.Errorf("total %v", s.Total())
	}
}
