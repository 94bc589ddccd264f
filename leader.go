package salesforcereceiver

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// elector is what the receiver needs of a leader-election extension.
// Contrib's k8s_leader_elector has this method (its StartCallback and
// StopCallback are aliases of these function types), so any extension with
// it serves and the receiver does not import contrib.
type elector interface {
	SetCallBackFuncs(onStartLeading func(context.Context), onStopLeading func())
}

// findElector returns the extension k8s_leader_elector names, or nil when
// the key is not set.
func (r *salesforceReceiver) findElector(host component.Host) (elector, error) {
	id := r.cfg.LeaderElector
	if id == nil {
		return nil, nil
	}
	ext, ok := host.GetExtensions()[*id]
	if !ok {
		return nil, fmt.Errorf("k8s_leader_elector: extension %q is not configured; add it under extensions and service.extensions", id)
	}
	e, ok := ext.(elector)
	if !ok {
		return nil, fmt.Errorf("k8s_leader_elector: extension %q has no SetCallBackFuncs(func(context.Context), func()); name a k8s_leader_elector extension", id)
	}
	return e, nil
}

// streams starts and stops every stream of a receiver as one: at once
// without leader election, and while this replica leads with it. Starting
// and stopping are idempotent and may come from any goroutine (the
// elector calls from its own).
type streams struct {
	// launches each run one stream until their context ends; a stream
	// started again loads its cursor from storage afresh, where the
	// replica that led meanwhile left it.
	launches []func(ctx context.Context)

	mu      sync.Mutex
	closed  bool
	running context.Context // nil while stopped
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// start runs every stream until parent or lease ends (lease may be nil),
// unless they run already or the receiver shut down.
func (s *streams) start(parent, lease context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.running != nil {
		if s.running.Err() == nil {
			return
		}
		s.stopLocked() // the last lease ended without a stop call
	}
	ctx, cancel := context.WithCancel(parent)
	if lease != nil {
		// The elector cancels the lease's context when it is lost, maybe
		// before it calls onStopLeading: stop polling at once.
		stopWatch := context.AfterFunc(lease, cancel)
		s.cancel = func() { stopWatch(); cancel() }
	} else {
		s.cancel = cancel
	}
	s.running = ctx
	for _, launch := range s.launches {
		s.wg.Go(func() { launch(ctx) })
	}
}

// stop ends every stream and returns once each has returned: a page in
// flight was then either accepted and its cursor saved, or not accepted
// and its cursor not saved, so the next leader resumes exactly there.
func (s *streams) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *streams) stopLocked() {
	if s.running == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
	s.running, s.cancel = nil, nil
}

// close stops the streams for good: later start calls do nothing.
func (s *streams) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	s.closed = true
}

// follow starts the streams while this replica leads and stops them when
// it loses the lease.
func (r *salesforceReceiver) follow(runCtx context.Context, e elector) {
	logger := r.set.Logger.With(zap.String("k8s_leader_elector", r.cfg.LeaderElector.String()))
	logger.Info("Standing by: this replica polls Salesforce only while it holds the lease")
	e.SetCallBackFuncs(
		func(lease context.Context) {
			logger.Info("Leading: starting the streams from the stored cursors")
			r.streams.start(runCtx, lease)
		},
		func() {
			r.streams.stop()
			r.monitor.standby()
			logger.Info("Lost the lease: every stream stopped; standing by")
		},
	)
}
