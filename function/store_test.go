package function

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestMemoryStore(t *testing.T) {
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	s := NewMemoryStore([]KeyValue{{"a", "1"}, {"b", `{"x":2}`}, {"a", "3"}}, at)
	if v, ok := s.Get("a"); !ok || string(v) != "3" {
		t.Errorf("a: %q %v, want the later duplicate", v, ok)
	}
	if _, ok := s.Get("c"); ok {
		t.Error("c: found")
	}
	if m := s.Meta(); m.KeyCount != 2 || !m.CreationTime.Equal(at) || !m.LastUpdatedTime.Equal(at) {
		t.Errorf("meta %+v", m)
	}
	f := mustCompile(t, `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const v = await kvs.get('b', {format: 'json'});
  const has = await kvs.exists('zz');
  return {statusCode: 200, body: String(v.x) + ' ' + has};
}`, Options{KVS: s})
	if r := run(t, f, typicalEvent()); r.Response == nil || r.Response.Body == nil || r.Response.Body.Data != "2 false" {
		t.Errorf("function over the store: %+v", r.Response)
	}
}

// TestBudgetIsCPUTime: with every core busy, a short function keeps its default 5 ms budget
// (its thread's CPU time, not the wall time it waited for a core), and an endless loop is still
// stopped.
func TestBudgetIsCPUTime(t *testing.T) {
	f := mustCompile(t, `function handler(e){ var s = 0; for (var i = 0; i < 2000; i++) { s += i } e.request.uri = '/x' + s; return e.request }`, Options{Compute: DefaultCompute})
	spin := mustCompile(t, `function handler(e){ while (true) {} }`, Options{Compute: DefaultCompute})
	stop := make(chan struct{})
	var hogs sync.WaitGroup
	for range 3 * runtime.GOMAXPROCS(0) {
		hogs.Add(1)
		go func() {
			defer hogs.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 1e5; i++ {
				}
			}
		}()
	}
	defer func() { close(stop); hogs.Wait() }()
	for i := range 300 {
		if _, err := f.Run(context.Background(), typicalEvent()); err != nil {
			t.Fatalf("run %d under load: %v", i, err)
		}
	}
	start := time.Now()
	if _, err := spin.Run(context.Background(), typicalEvent()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("endless loop: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("endless loop stopped after %v", took)
	}
}
