package simulator

import (
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/pubsub"
)

// The Pub/Sub API: simulator/pubsub serves and documents it.

// PublishedEvent is the ground truth of one event on a topic
// (pubsub.PublishedEvent).
type PublishedEvent = pubsub.PublishedEvent

// PubSubFault ends Subscribe streams (pubsub.Fault).
type PubSubFault = pubsub.Fault

// PubSubStats counts Pub/Sub API activity since the server started
// (pubsub.Stats); PubSubStreamStats describes one Subscribe stream.
type (
	PubSubStats       = pubsub.Stats
	PubSubStreamStats = pubsub.StreamStats
)

// Defaults of the Pub/Sub options, and the most events a Subscribe stream
// may have outstanding.
const (
	DefaultPubSubKeepalive   = pubsub.DefaultKeepalive
	DefaultPubSubIdleTimeout = pubsub.DefaultIdleTimeout
	DefaultPubSubRetention   = pubsub.DefaultRetention
	MaxPubSubOutstanding     = pubsub.MaxOutstanding
)

// Error codes of the "error-code" trailer (pubsub.Err*).
const (
	PubSubErrAuth               = pubsub.ErrAuth
	PubSubErrUnavailable        = pubsub.ErrUnavailable
	PubSubErrReplayIDCorrupted  = pubsub.ErrReplayIDCorrupted
	PubSubErrReplayIDValidation = pubsub.ErrReplayIDValidation
	PubSubErrConcurrentLimit    = pubsub.ErrConcurrentLimit
	PubSubErrTopicNotFound      = pubsub.ErrTopicNotFound
	PubSubErrTopicPermission    = pubsub.ErrTopicPermission
	PubSubErrSchemaNotFound     = pubsub.ErrSchemaNotFound
	PubSubErrInvalidRequest     = pubsub.ErrInvalidRequest
	PubSubErrTopicMismatch      = pubsub.ErrTopicMismatch
	PubSubErrPublishNotPermit   = pubsub.ErrPublishNotPermit
)

// StartPubSub serves the Pub/Sub API (plaintext gRPC) on addr, e.g.
// 127.0.0.1:0, until Close, and returns the address it listens on. With
// Options.PublishEvery set it also starts publishing LoginEventStream
// events on that tick.
func (s *Server) StartPubSub(addr string) (string, error) {
	a, err := s.ps.Start(addr)
	if err != nil {
		return "", err
	}
	s.addCloser(s.ps.Stop)
	s.every(s.opts.PublishEvery, s.ps.PublishTick)
	return a, nil
}

// PubSubAddr is the host:port the Pub/Sub API listens on ("" when not
// serving).
func (s *Server) PubSubAddr() string { return s.ps.Addr() }

// PubSubTopics lists the topics the simulator serves.
func (s *Server) PubSubTopics() []string { return s.ps.Topics() }

// PubSubSchema returns a topic's current schema id and JSON.
func (s *Server) PubSubSchema(topic string) (id, schemaJSON string, err error) {
	return s.ps.Schema(topic)
}

// SetTopicSchema makes schemaJSON the topic's schema from now on
// (pubsub.Server.SetTopicSchema).
func (s *Server) SetTopicSchema(topic, schemaJSON string) (string, error) {
	return s.ps.SetTopicSchema(topic, schemaJSON)
}

// Publish appends n generated events to topic at the server's Now and
// returns them (pubsub.Server.Publish).
func (s *Server) Publish(topic string, n int) []PublishedEvent { return s.ps.Publish(topic, n) }

// PublishEvent appends one event whose fields are generated, then
// overridden by fields (pubsub.Server.PublishEvent).
func (s *Server) PublishEvent(topic string, fields map[string]any) (PublishedEvent, error) {
	return s.ps.PublishEvent(topic, fields)
}

// PubSubEvents returns the events of topic the bus still retains, oldest
// first.
func (s *Server) PubSubEvents(topic string) []PublishedEvent { return s.ps.Events(topic) }

// PubSubLatestReplayID is the replay id of the bus's tip, as a keepalive
// would carry it now.
func (s *Server) PubSubLatestReplayID() []byte { return s.ps.LatestReplayID() }

// InjectPubSubFault queues a fault for Subscribe streams.
func (s *Server) InjectPubSubFault(f PubSubFault) { s.ps.InjectFault(f) }

// PendingPubSubFaults is how many injected faults no stream has taken yet.
func (s *Server) PendingPubSubFaults() int { return s.ps.PendingFaults() }

// PubSubStats returns a snapshot of the counters.
func (s *Server) PubSubStats() PubSubStats { return s.ps.Stats() }
