// Package checkpoint keeps each stream's cursor, in a storage extension's
// client when one is configured and in memory otherwise.
package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// KV is the part of a storage extension's client that checkpoints need;
// go.opentelemetry.io/collector/extension/xextension/storage.Client has it.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
}

// Store reads and writes cursors as JSON under one key per org and stream,
// so pointing a receiver at another org never reuses a cursor.
type Store struct {
	kv KV
}

// New returns a Store over kv; a nil kv keeps cursors in memory only.
func New(kv KV) *Store {
	if kv == nil {
		kv = &memory{m: map[string][]byte{}}
	}
	return &Store{kv: kv}
}

// Key names one stream's cursor.
func Key(orgID, stream string) string { return "cursor/" + orgID + "/" + stream }

// Load decodes the cursor at key into v; found is false when none was saved.
func (s *Store) Load(ctx context.Context, key string, v any) (found bool, err error) {
	b, err := s.kv.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("checkpoint: read %s: %w", key, err)
	}
	if len(b) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("checkpoint: decode %s: %w", key, err)
	}
	return true, nil
}

// Save encodes v and stores it at key.
func (s *Store) Save(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint: encode %s: %w", key, err)
	}
	if err := s.kv.Set(ctx, key, b); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", key, err)
	}
	return nil
}

type memory struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (m *memory) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[key], nil
}

func (m *memory) Set(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = append([]byte(nil), value...)
	return nil
}
