package cache

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// ErrCallAborted is the error collapsed callers receive when the call they waited for ended
// with runtime.Goexit (for example t.FailNow in a test) instead of returning.
var ErrCallAborted = errors.New("cache: collapsed call exited without returning (runtime.Goexit)")

// PanicError is the error collapsed callers receive when the call they waited for panicked.
// The leading caller re-panics with the same *PanicError.
type PanicError struct {
	Value any    // what fn panicked with
	Stack []byte // fn's goroutine stack at the panic
}

// Error describes the panic value and includes the stack of the panicking call.
func (p *PanicError) Error() string {
	return fmt.Sprintf("cache: collapsed call panicked: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error, so errors.Is and errors.As see through.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// Group collapses concurrent calls with the same key into one, as CloudFront collapses
// simultaneous misses on one cache key: while a call for a key is in flight, later callers for
// that key wait for it and receive its result with shared=true. Only calls that overlap in time
// are collapsed; a caller arriving after a call finished starts a new one (so a fill should
// re-check the Store first). The zero value is ready to use; a Group is safe for concurrent use
// and must not be copied after first use.
type Group[T any] struct {
	mu sync.Mutex          // guards m
	m  map[string]*call[T] // in-flight calls by key
}

// call is one in-flight or finished Do call.
type call[T any] struct {
	done chan struct{} // closed when val and err are final
	val  T
	err  error
}

// Do runs fn for key unless a call for key is in flight, in which case it waits for that call
// and returns its result with shared=true. The caller that ran fn gets shared=false.
//
// If fn panics, the waiting callers get a *PanicError as err and the caller that ran fn
// re-panics with that *PanicError (so a panic is neither swallowed nor able to deadlock the
// waiters). If fn calls runtime.Goexit, the waiters get ErrCallAborted. Either way the key is
// released, and the next Do for it runs fn again.
func (g *Group[T]) Do(key string, fn func() (T, error)) (v T, shared bool, err error) {
	g.mu.Lock()
	if c, ok := g.m[key]; ok {
		g.mu.Unlock()
		<-c.done
		return c.val, true, c.err
	}
	c := &call[T]{done: make(chan struct{})}
	if g.m == nil {
		g.m = make(map[string]*call[T])
	}
	g.m[key] = c
	g.mu.Unlock()

	g.run(c, key, fn)
	return c.val, false, c.err
}

// run calls fn, publishes its outcome to c and releases key. The two nested defers tell a
// normal return, a panic (recovered, then re-raised after the waiters are released) and a
// runtime.Goexit (which recover cannot stop) apart, as in golang.org/x/sync/singleflight.
func (g *Group[T]) run(c *call[T], key string, fn func() (T, error)) {
	returned := false
	var perr *PanicError
	defer func() {
		if !returned && perr == nil {
			c.err = ErrCallAborted // runtime.Goexit: no value, no panic
		}
		g.mu.Lock()
		if g.m[key] == c {
			delete(g.m, key)
		}
		g.mu.Unlock()
		close(c.done)
		if perr != nil {
			panic(perr)
		}
	}()
	func() {
		defer func() {
			if !returned {
				if r := recover(); r != nil {
					perr = &PanicError{Value: r, Stack: debug.Stack()}
					var zero T
					c.val, c.err = zero, perr
				}
			}
		}()
		c.val, c.err = fn()
		returned = true
	}()
}
