package function

import "time"

// KeyValue is one key and its value in a KeyValueStore's data.
type KeyValue struct{ Key, Value string }

// MemoryStore is a KeyValueStore held in memory, built once from its data and never changed, so
// every invocation reads one consistent snapshot. It is safe for concurrent use.
type MemoryStore struct {
	m    map[string][]byte
	meta KVSMeta
}

// NewMemoryStore builds a store from data (a later duplicate key wins), loaded at loaded.
func NewMemoryStore(data []KeyValue, loaded time.Time) *MemoryStore {
	s := &MemoryStore{m: make(map[string][]byte, len(data))}
	for _, kv := range data {
		s.m[kv.Key] = []byte(kv.Value)
	}
	s.meta = KVSMeta{CreationTime: loaded, LastUpdatedTime: loaded, KeyCount: len(s.m)}
	return s
}

// Get implements KeyValueStore.
func (s *MemoryStore) Get(key string) ([]byte, bool) {
	v, ok := s.m[key]
	return v, ok
}

// Meta implements KeyValueStore.
func (s *MemoryStore) Meta() KVSMeta { return s.meta }
