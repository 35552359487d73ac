package smooth

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
)

// memo is a bounded LRU map with per-key load collapsing: concurrent loads of one missing key
// run the load function once and share its result. Failed loads are not remembered. It holds at
// most max values and, when weigh is set, values of at most maxWeight in all (the most recent
// value is kept whatever its weight).
type memo[V any] struct {
	max       int
	weigh     func(V) int64 // nil: values weigh nothing
	maxWeight int64

	mu      sync.Mutex // guards weight, items, order and flights
	weight  int64      // sum of weigh over the values held
	items   map[string]*list.Element
	order   *list.List // of *memoEntry[V], most recent first
	flights map[string]*flight[V]
}

type memoEntry[V any] struct {
	key    string
	val    V
	weight int64
}

type flight[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func newMemo[V any](max int) *memo[V] {
	return &memo[V]{max: max, items: map[string]*list.Element{}, order: list.New(), flights: map[string]*flight[V]{}}
}

// newWeighedMemo is newMemo whose values also weigh at most maxWeight in all.
func newWeighedMemo[V any](max int, weigh func(V) int64, maxWeight int64) *memo[V] {
	m := newMemo[V](max)
	m.weigh, m.maxWeight = weigh, maxWeight
	return m
}

// get returns the value stored under key.
func (m *memo[V]) get(key string) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.order.MoveToFront(el)
		return el.Value.(*memoEntry[V]).val, true
	}
	var zero V
	return zero, false
}

// put stores val under key, evicting the least recently used entry when full.
func (m *memo[V]) put(key string, val V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(key, val)
}

func (m *memo[V]) putLocked(key string, val V) {
	var w int64
	if m.weigh != nil {
		w = m.weigh(val)
	}
	if el, ok := m.items[key]; ok {
		e := el.Value.(*memoEntry[V])
		m.weight += w - e.weight
		e.val, e.weight = val, w
		m.order.MoveToFront(el)
	} else {
		m.items[key] = m.order.PushFront(&memoEntry[V]{key: key, val: val, weight: w})
		m.weight += w
	}
	for m.order.Len() > 1 && (m.order.Len() > m.max || m.weight > m.maxWeight) {
		m.removeLocked(m.order.Back())
	}
}

func (m *memo[V]) removeLocked(el *list.Element) {
	e := el.Value.(*memoEntry[V])
	m.order.Remove(el)
	delete(m.items, e.key)
	m.weight -= e.weight
}

// removeIf drops key if drop reports true for its current value.
func (m *memo[V]) removeIf(key string, drop func(V) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok && drop(el.Value.(*memoEntry[V]).val) {
		m.removeLocked(el)
	}
}

// do returns the value under key, loading it with load when missing. Only one load per key is
// in flight; other callers wait for it (or for their own ctx). A waiter whose leader failed
// only because the leader's context ended loads again itself.
func (m *memo[V]) do(ctx context.Context, key string, load func() (V, error)) (V, error) {
	for {
		m.mu.Lock()
		if el, ok := m.items[key]; ok {
			m.order.MoveToFront(el)
			m.mu.Unlock()
			return el.Value.(*memoEntry[V]).val, nil
		}
		if f, ok := m.flights[key]; ok {
			m.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				var zero V
				return zero, ctx.Err()
			}
			if f.err != nil && isContextErr(f.err) && ctx.Err() == nil {
				continue
			}
			return f.val, f.err
		}
		f := &flight[V]{done: make(chan struct{})}
		m.flights[key] = f
		m.mu.Unlock()

		func() {
			// A panicking load must still release its waiters.
			defer func() {
				if p := recover(); p != nil {
					f.err = fmt.Errorf("smooth: loading %q panicked: %v", key, p)
				}
			}()
			f.val, f.err = load()
		}()

		m.mu.Lock()
		delete(m.flights, key)
		if f.err == nil {
			m.putLocked(key, f.val)
		}
		m.mu.Unlock()
		close(f.done)
		return f.val, f.err
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
