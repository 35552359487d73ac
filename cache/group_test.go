package cache

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestGroupCollapses runs 200 concurrent Do calls for one key while the first is held in fn.
func TestGroupCollapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[string]
		var runs, shared atomic.Int64
		release := make(chan struct{})
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				v, sh, err := g.Do("GET|/a.jpg", func() (string, error) {
					runs.Add(1)
					<-release
					return "body", nil
				})
				if v != "body" || err != nil {
					t.Errorf("Do: got (%q, %v), want (body, nil)", v, err)
				}
				if sh {
					shared.Add(1)
				}
			})
		}
		synctest.Wait() // all 200 are blocked: one in fn, the rest waiting for it
		close(release)
		wg.Wait()
		if runs.Load() != 1 || shared.Load() != 199 {
			t.Errorf("got %d runs and %d shared, want 1 and 199", runs.Load(), shared.Load())
		}
		if len(g.m) != 0 {
			t.Errorf("in-flight map: got %d keys after all calls returned, want 0", len(g.m))
		}
	})
}

// TestGroupKeysIndependent checks that calls for different keys run in parallel: each fn waits
// for the other to start, which deadlocks (and synctest reports it) if they were serialized.
func TestGroupKeysIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[int]
		aStarted, bStarted := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			v, sh, _ := g.Do("a", func() (int, error) { close(aStarted); <-bStarted; return 1, nil })
			if v != 1 || sh {
				t.Errorf("a: got (%d, %v), want (1, false)", v, sh)
			}
		})
		wg.Go(func() {
			v, sh, _ := g.Do("b", func() (int, error) { close(bStarted); <-aStarted; return 2, nil })
			if v != 2 || sh {
				t.Errorf("b: got (%d, %v), want (2, false)", v, sh)
			}
		})
		wg.Wait()
	})
}

// TestGroupSequential checks that calls that do not overlap are not collapsed.
func TestGroupSequential(t *testing.T) {
	var g Group[int]
	n := 0
	for i := range 3 {
		v, sh, err := g.Do("k", func() (int, error) { n++; return n, nil })
		if v != i+1 || sh || err != nil {
			t.Errorf("call %d: got (%d, %v, %v), want (%d, false, nil)", i, v, sh, err, i+1)
		}
	}
}

func TestGroupSharesError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[*Entry]
		errOrigin := errors.New("origin: connection refused")
		release := make(chan struct{})
		var wg sync.WaitGroup
		var errs atomic.Int64
		for range 20 {
			wg.Go(func() {
				v, _, err := g.Do("k", func() (*Entry, error) { <-release; return nil, fmt.Errorf("fetch: %w", errOrigin) })
				if v != nil || !errors.Is(err, errOrigin) {
					t.Errorf("got (%v, %v), want (nil, wrapping errOrigin)", v, err)
				}
				errs.Add(1)
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		if errs.Load() != 20 {
			t.Errorf("got %d results, want 20", errs.Load())
		}
	})
}

// TestGroupPanic checks that a panic in fn reaches the leader as a re-panic and the waiters as
// an error, deadlocks nobody, and leaves the key free for the next call.
func TestGroupPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[int]
		errBoom := errors.New("boom")
		release := make(chan struct{})
		var wg sync.WaitGroup
		var leaderPanic any
		wg.Go(func() {
			defer func() { leaderPanic = recover() }()
			g.Do("k", func() (int, error) { <-release; panic(errBoom) })
		})
		synctest.Wait() // the leader is in fn
		var waiterErrs [10]error
		for i := range waiterErrs {
			wg.Go(func() {
				v, sh, err := g.Do("k", func() (int, error) { t.Error("waiter ran fn"); return 0, nil })
				if v != 0 || !sh {
					t.Errorf("waiter: got (%d, shared %v), want (0, true)", v, sh)
				}
				waiterErrs[i] = err
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()

		pe, ok := leaderPanic.(*PanicError)
		if !ok {
			t.Fatalf("leader: recovered %T %v, want *PanicError", leaderPanic, leaderPanic)
		}
		if pe.Value != errBoom || len(pe.Stack) == 0 {
			t.Errorf("PanicError: got value %v and %d stack bytes, want errBoom and a stack", pe.Value, len(pe.Stack))
		}
		for i, err := range waiterErrs {
			var got *PanicError
			if !errors.As(err, &got) || got != pe || !errors.Is(err, errBoom) {
				t.Errorf("waiter %d: got %v, want the leader's *PanicError wrapping errBoom", i, err)
			}
		}
		v, sh, err := g.Do("k", func() (int, error) { return 7, nil })
		if v != 7 || sh || err != nil {
			t.Errorf("Do after panic: got (%d, %v, %v), want (7, false, nil)", v, sh, err)
		}
	})
}

// TestGroupGoexit checks that runtime.Goexit in fn releases the waiters with ErrCallAborted.
func TestGroupGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[int]
		release := make(chan struct{})
		leaderDone := make(chan bool)
		go func() {
			returned := false
			defer func() { leaderDone <- returned }()
			g.Do("k", func() (int, error) { <-release; runtime.Goexit(); return 1, nil })
			returned = true
		}()
		synctest.Wait()
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, sh, err := g.Do("k", func() (int, error) { return 2, nil }); !sh || !errors.Is(err, ErrCallAborted) {
				t.Errorf("waiter: got (shared %v, %v), want (true, ErrCallAborted)", sh, err)
			}
		})
		synctest.Wait()
		close(release)
		wg.Wait()
		if <-leaderDone {
			t.Error("leader: Do returned, want its goroutine to exit")
		}
		if v, _, err := g.Do("k", func() (int, error) { return 3, nil }); v != 3 || err != nil {
			t.Errorf("Do after Goexit: got (%d, %v), want (3, nil)", v, err)
		}
	})
}

// TestGroupPanicNil checks that panic(nil) is reported, not mistaken for Goexit.
func TestGroupPanicNil(t *testing.T) {
	var g Group[int]
	defer func() {
		r := recover()
		pe, ok := r.(*PanicError)
		if !ok {
			t.Fatalf("recovered %T, want *PanicError", r)
		}
		var pn *runtime.PanicNilError
		if !errors.As(pe, &pn) {
			t.Errorf("got value %T, want *runtime.PanicNilError", pe.Value)
		}
	}()
	g.Do("k", func() (int, error) { panic(nil) })
	t.Fatal("Do returned after fn panicked")
}
