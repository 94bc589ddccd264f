package sftest

import (
	"context"
	"errors"
	"maps"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// SharedStorage is a storage extension every replica reaches, as contrib's
// redis_storage or db_storage are: each client sees the keys of every other
// client opened for the same component, whichever extension instance
// opened it. Sets counts the writes.
type SharedStorage struct {
	mu   sync.Mutex
	kv   map[string][]byte
	sets int
}

// NewSharedStorage returns an empty SharedStorage.
func NewSharedStorage() *SharedStorage { return &SharedStorage{kv: map[string][]byte{}} }

// Start implements component.Component.
func (*SharedStorage) Start(context.Context, component.Host) error { return nil }

// Shutdown implements component.Component.
func (*SharedStorage) Shutdown(context.Context) error { return nil }

// GetClient implements storage.Extension.
func (s *SharedStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	return &sharedClient{s: s, prefix: kind.String() + "/" + id.String() + "/" + name + "/"}, nil
}

// Sets is how many values were written.
func (s *SharedStorage) Sets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets
}

// Snapshot is a copy of every key and value.
func (s *SharedStorage) Snapshot() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.kv)
}

type sharedClient struct {
	s      *SharedStorage
	prefix string
	closed bool
}

var errClosed = errors.New("sftest: storage client used after Close")

func (c *sharedClient) Get(ctx context.Context, key string) ([]byte, error) {
	op := storage.GetOperation(key)
	err := c.Batch(ctx, op)
	return op.Value, err
}

func (c *sharedClient) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *sharedClient) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

func (c *sharedClient) Batch(_ context.Context, ops ...*storage.Operation) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.closed {
		return errClosed
	}
	for _, op := range ops {
		k := c.prefix + op.Key
		switch op.Type {
		case storage.Get:
			op.Value = nil
			if v, ok := c.s.kv[k]; ok {
				op.Value = append([]byte(nil), v...)
			}
		case storage.Set:
			c.s.kv[k] = append([]byte(nil), op.Value...)
			c.s.sets++
		case storage.Delete:
			delete(c.s.kv, k)
		}
	}
	return nil
}

func (c *sharedClient) Close(context.Context) error {
	c.s.mu.Lock()
	c.closed = true
	c.s.mu.Unlock()
	return nil
}

// Elector is one replica's leader-election extension, with the method
// contrib's k8s_leader_elector has. A Lease moves leadership between
// Electors.
type Elector struct {
	mu      sync.Mutex
	start   func(context.Context)
	stop    func()
	leading context.CancelFunc // non-nil while this replica leads
}

// Start implements component.Component.
func (*Elector) Start(context.Context, component.Host) error { return nil }

// Shutdown implements component.Component.
func (*Elector) Shutdown(context.Context) error { return nil }

// SetCallBackFuncs is k8s_leader_elector's: onStartLeading is called with
// a context that ends with the lease, onStopLeading after it ended.
func (e *Elector) SetCallBackFuncs(onStartLeading func(context.Context), onStopLeading func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.start, e.stop = onStartLeading, onStopLeading
}

// lead gives e the lease; the callback runs on its own goroutine, as the
// elector's own goroutine calls it, and lead waits for it.
func (e *Elector) lead() {
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	e.leading = cancel
	if e.start != nil {
		done := make(chan struct{})
		go func() { e.start(ctx); close(done) }()
		<-done
	}
}

// resign ends e's lease: its context first, then onStopLeading, which
// returns once the receiver stopped.
func (e *Elector) resign() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leading == nil {
		return
	}
	e.leading()
	e.leading = nil
	if e.stop != nil {
		done := make(chan struct{})
		go func() { e.stop(); close(done) }()
		<-done
	}
}

// Lease is the one lease replicas compete for.
type Lease struct {
	mu      sync.Mutex
	leader  *Elector
	changes int
}

// MoveTo ends the current leader's lease, then gives it to e (nil: no
// one leads).
func (l *Lease) MoveTo(e *Elector) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leader == e {
		return
	}
	if l.leader != nil {
		l.leader.resign()
	}
	l.leader = e
	if e != nil {
		e.lead()
		l.changes++
	}
}

// Changes is how many times a replica took the lease.
func (l *Lease) Changes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changes
}
