// Package pubsub is the simulated org's Pub/Sub API (gRPC, plaintext on
// loopback), as "Pub/Sub API" documents it
// (https://developer.salesforce.com/docs/platform/pub-sub-api/overview):
// GetTopic, GetSchema, Subscribe with replay and flow control, Publish and
// PublishStream (grpc.go), over the topics of the Real-Time Event
// Monitoring events in internal/catalog and of the org's own events, with
// their Avro schemas shaped like Salesforce's (topics.go) and Avro binary
// payloads (avro.go). Events go on one event bus (this file), with replay
// ids, retention, faults and counters; an event whose topic has a storage
// object also becomes a row of it in the org (simulator/org).
package pubsub

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"

	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// Events live on one event bus shared by all topics, so
// replay ids of a topic are not contiguous, and a keepalive's
// latest_replay_id can be ahead of the topic's last event.
//
// Replay ids are 8 bytes: a fixed 16-bit prefix derived from the org and
// seed, then the 48-bit big-endian position on the bus, which starts at a
// random-looking offset and advances by 1 to 3 per event. Clients must treat
// them as opaque: store the bytes, compare nothing. An id of another length
// or prefix is malformed (validation.failed); a well-formed id beyond the
// bus's tip, or at or before an event retention dropped, is corrupted.

// Defaults of the Pub/Sub options. Retention: "Salesforce stores platform
// events and change data capture events for 72 hours" (Pub/Sub API, "Event
// Message Durability":
// https://developer.salesforce.com/docs/platform/pub-sub-api/guide/event-message-durability.html).
// A Subscribe stream with nothing to send gets a keepalive FetchResponse
// ("Subscribe Keepalive Behavior"; 270 s is the simulator's figure) and
// "The maximum value for num_requested is 100" (Pub/Sub API, "Subscribe RPC Method":
// https://developer.salesforce.com/docs/platform/pub-sub-api/references/methods/subscribe-rpc.html).
// The idle timeout and the 50-event batch are the simulator's choices.
const (
	DefaultKeepalive   = 270 * time.Second
	DefaultIdleTimeout = 60 * time.Second
	DefaultRetention   = 72 * time.Hour

	// MaxOutstanding is the most events a Subscribe stream may have
	// requested and not yet received; more is treated as this many.
	MaxOutstanding = 100
	// maxBatch is the most events one FetchResponse carries.
	maxBatch = 50
)

// Error codes the simulator sends in the "error-code" trailer (Pub/Sub
// API, "Pub/Sub API Error Codes":
// https://developer.salesforce.com/docs/platform/pub-sub-api/guide/handling-errors.html).
const (
	ErrAuth               = "sfdc.platform.eventbus.grpc.service.auth.error"
	ErrUnavailable        = "sfdc.platform.eventbus.grpc.service.unavailable"
	ErrReplayIDCorrupted  = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
	ErrReplayIDValidation = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed"
	ErrConcurrentLimit    = "sfdc.platform.eventbus.grpc.concurrent.client.limit.exceeded"
	// Not confirmed against Salesforce's documentation (the statuses are):
	ErrTopicNotFound    = "sfdc.platform.eventbus.grpc.topic.not.found"
	ErrTopicPermission  = "sfdc.platform.eventbus.grpc.topic.permission.denied"
	ErrSchemaNotFound   = "sfdc.platform.eventbus.grpc.schema.not.found"
	ErrInvalidRequest   = "sfdc.platform.eventbus.grpc.subscription.fetch.invalid.request"
	ErrTopicMismatch    = "sfdc.platform.eventbus.grpc.subscription.topic.mismatch"
	ErrPublishNotPermit = "sfdc.platform.eventbus.grpc.publish.permission.denied"
)

// Config is what the Pub/Sub API depends on; simulator.Options documents
// the fields it shares. Nothing here is defaulted.
type Config struct {
	OrgID string
	Seed  int64
	Now   func() time.Time
	// DeniedTopics: the integration user may not subscribe to them.
	DeniedTopics []string
	// Keepalive, IdleTimeout and Retention are Options.PubSubKeepalive,
	// PubSubIdleTimeout and PubSubRetention.
	Keepalive, IdleTimeout, Retention time.Duration
	// ValidToken reports whether the org issued an access token and still
	// honors it (the REST API's token endpoint issues them).
	ValidToken func(token string) bool
	// InstanceURL is the org's URL ("" when it has none: any instanceurl
	// is accepted).
	InstanceURL func() string
}

// Server is the org's Pub/Sub API; it is safe for concurrent use. Its
// state (topics, schemas, the bus) is built on first use.
type Server struct {
	cfg  Config
	org  *org.Org
	once sync.Once
	st   atomic.Pointer[state]
}

// New makes the Pub/Sub API of an org.
func New(cfg Config, o *org.Org) *Server { return &Server{cfg: cfg, org: o} }

// PublishedEvent is the ground truth of one event on a topic.
type PublishedEvent struct {
	Topic    string
	ReplayID []byte // opaque
	SchemaID string // the schema it was encoded with
	// ID is the ProducerEvent id (a UUID).
	ID string
	// EventIdentifier and EventUuid, where the event has them (Real-Time
	// Event Monitoring events).
	EventIdentifier, EventUuid string
	PublishedAt                time.Time // bus time, which retention counts from
	// Fields holds the encoded value of each top-level schema field, typed
	// as the REST API types them: time.Time for date-time fields (UTC,
	// milliseconds), float64, int64, bool, string, nil; records (the CDC
	// header, compound fields) as map[string]any, arrays as []string.
	Fields  map[string]any
	Payload []byte // Avro binary, no container header
	// StorageObject and StorageID name the storage row Publish also wrote
	// (LoginEventStream → LoginEvent); both "" when there is none.
	// StorageID is the simulator's own id of the row (Record.ID): a big
	// object's rows show the empty Id in the REST API.
	StorageObject, StorageID string
}

func (e PublishedEvent) clone() PublishedEvent {
	e.ReplayID = slices.Clone(e.ReplayID)
	e.Fields = maps.Clone(e.Fields)
	return e
}

// Fault ends Subscribe streams. A fault is taken by the first
// matching stream that is open (or, when none is, the next one opened)
// after it is injected; that stream ends once it has sent AfterEvents more
// events (0: at once, or right after the first FetchRequest of a new
// stream). Times streams take it (0 = 1).
type Fault struct {
	Topic       string     // "" any topic
	Code        codes.Code // default UNAVAILABLE
	ErrorCode   string     // "error-code" trailer; default by Code (UNAVAILABLE: service.unavailable)
	Message     string
	AfterEvents int
	// Drop closes the stream's TCP connection abruptly (every RPC on it
	// fails with UNAVAILABLE at the client) instead of ending with a status.
	Drop  bool
	Times int
}

// StreamStats describes one Subscribe stream.
type StreamStats struct {
	Topic string
	// MaxOutstanding is the most events ever outstanding at once: requested
	// and not yet sent, counted before the cap of MaxOutstanding.
	MaxOutstanding int
	Requests       int // FetchRequests received
	EventsSent     int
	Keepalives     int // empty FetchResponses
	Open           bool
	IdleClosed     bool       // ended by the idle timeout (status OK)
	EndCode        codes.Code // final status once closed
}

// Stats counts Pub/Sub API activity since the server started.
type Stats struct {
	Subscribes     int // Subscribe RPCs that passed authentication
	IdleCloses     int
	EventsSent     int
	Keepalives     int
	MaxOutstanding int // over all streams, see StreamStats
	GetTopic       int
	GetSchema      int
	Publish        int // Publish and PublishStream requests
	AuthFailures   int
	Streams        []StreamStats
}

type busEvent struct {
	pos uint64
	ev  PublishedEvent
}

type pubsubTopic struct {
	def    pubsubTopicDef
	schema *pubsubSchema // current
	events []busEvent    // retained, by position
	// droppedMax is the position of the newest event retention dropped
	// (0: none).
	droppedMax uint64
}

type state struct {
	mu      sync.Mutex
	topics  map[string]*pubsubTopic
	schemas map[string]*pubsubSchema // every schema ever current, by id
	prefix  uint16
	tip     uint64 // newest position on the bus
	step    uint64 // pseudo-random state for the gaps between positions
	faults  []*Fault
	wake    chan struct{} // closed and replaced on every change streams watch
	stats   Stats
	streams []*StreamStats

	srv  *grpc.Server
	ln   *trackingListener
	addr string
}

// pubsub returns the Pub/Sub state, built on first use.
func (s *Server) state() *state {
	s.once.Do(func() {
		h := fnv.New64a()
		h.Write([]byte(s.cfg.OrgID))
		seed := h.Sum64() ^ uint64(s.cfg.Seed)*0x9e3779b97f4a7c15
		ps := &state{
			topics:  map[string]*pubsubTopic{},
			schemas: map[string]*pubsubSchema{},
			prefix:  uint16(seed>>48) | 0x0100, // never all zero
			tip:     1<<24 + (seed>>8)%(1<<30),
			step:    seed | 1,
			wake:    make(chan struct{}),
		}
		for _, d := range pubsubTopicDefs {
			js, id := recordSchema(d.eventName(), d.fields())
			sch, err := compileSchema(js, id)
			if err != nil {
				panic(fmt.Sprintf("simulator: schema of %s: %v", d.name, err))
			}
			ps.schemas[id] = sch
			ps.topics[d.name] = &pubsubTopic{def: d, schema: sch}
		}
		s.st.Store(ps)
	})
	return s.st.Load()
}

// broadcastLocked wakes every stream; callers hold ps.mu.
func (ps *state) broadcastLocked() {
	close(ps.wake)
	ps.wake = make(chan struct{})
}

// AuthChanged wakes the streams so they check their tokens again.
func (s *Server) AuthChanged() {
	if ps := s.st.Load(); ps != nil {
		ps.mu.Lock()
		ps.broadcastLocked()
		ps.mu.Unlock()
	}
}

func (ps *state) replayID(pos uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(ps.prefix)<<48|pos&(1<<48-1))
	return b
}

// parseReplayID returns the position of a replay id; ok is false for a
// malformed one.
func (ps *state) parseReplayID(b []byte) (pos uint64, ok bool) {
	if len(b) != 8 {
		return 0, false
	}
	v := binary.BigEndian.Uint64(b)
	if uint16(v>>48) != ps.prefix {
		return 0, false
	}
	return v & (1<<48 - 1), true
}

// advanceLocked moves the bus on by 1..3 positions and returns the new tip.
func (ps *state) advanceLocked() uint64 {
	ps.step ^= ps.step << 13
	ps.step ^= ps.step >> 7
	ps.step ^= ps.step << 17
	ps.tip += 1 + ps.step%3
	return ps.tip
}

// pruneLocked drops events older than the retention window.
func (ps *state) pruneLocked(t *pubsubTopic, now time.Time, retention time.Duration) {
	cut := now.Add(-retention)
	i := 0
	for i < len(t.events) && t.events[i].ev.PublishedAt.Before(cut) {
		t.droppedMax = t.events[i].pos
		i++
	}
	if i > 0 {
		t.events = slices.Delete(t.events, 0, i)
	}
}

// Topics lists the topics the simulator serves.
func (s *Server) Topics() []string {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := slices.Collect(maps.Keys(ps.topics))
	sort.Strings(out)
	return out
}

// Schema returns a topic's current schema id and JSON.
func (s *Server) Schema(topic string) (id, schemaJSON string, err error) {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	t := ps.topics[topic]
	if t == nil {
		return "", "", fmt.Errorf("simulator: no topic %s", topic)
	}
	return t.schema.id, t.schema.json, nil
}

// SetTopicSchema makes schemaJSON (an Avro record) the topic's schema from
// now on: later events carry its id, earlier ones keep theirs, and
// GetSchema serves both. Fields the new schema adds are null in generated
// events (so they must be nullable); fields it drops are left out. The id
// is a fingerprint of schemaJSON, which is served as given.
func (s *Server) SetTopicSchema(topic, schemaJSON string) (string, error) {
	ps := s.state()
	sch, err := compileSchema(schemaJSON, "")
	if err != nil {
		return "", err
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	t := ps.topics[topic]
	if t == nil {
		return "", fmt.Errorf("simulator: no topic %s", topic)
	}
	if old := ps.schemas[sch.id]; old != nil {
		sch = old
	}
	ps.schemas[sch.id] = sch
	t.schema = sch
	ps.broadcastLocked()
	return sch.id, nil
}

// Publish appends n generated events to topic at the server's Now and
// returns them. Publishing to a topic whose catalog entry is a storage
// object (/event/LoginEventStream: LoginEvent; /event/UniversalAnomalyEvent:
// UniversalAnomalyEventStore; ...) also stores each event as a row of it
// with the same EventIdentifier and values. It panics on an unknown topic.
func (s *Server) Publish(topic string, n int) []PublishedEvent {
	out := make([]PublishedEvent, 0, n)
	for range n {
		ev, err := s.PublishEvent(topic, nil)
		if err != nil {
			panic(err)
		}
		out = append(out, ev)
	}
	return out
}

// PublishEvent appends one event whose fields are generated, then
// overridden by fields (names as in the schema; date-times as time.Time;
// a nil value makes the field null).
func (s *Server) PublishEvent(topic string, fields map[string]any) (ev PublishedEvent, err error) {
	ps := s.state()
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	s.org.Locked(func(tx org.Tx) { ev, err = s.publishGenerated(tx, ps, topic, fields, now) })
	return ev, err
}

// publishGenerated is PublishEvent inside the org's lock.
func (s *Server) publishGenerated(tx org.Tx, ps *state, topic string, fields map[string]any, now time.Time) (PublishedEvent, error) {
	ps.mu.Lock()
	t := ps.topics[topic]
	ps.mu.Unlock()
	if t == nil {
		return PublishedEvent{}, fmt.Errorf("simulator: no topic %s", topic)
	}
	ps.mu.Lock()
	root := t.schema.root
	ps.mu.Unlock()
	for k := range fields {
		if !slices.ContainsFunc(root.fields, func(f avroFieldNode) bool { return f.name == k }) {
			return PublishedEvent{}, fmt.Errorf("simulator: %s has no field %s", topic, k)
		}
	}
	rec := t.def.gen(tx.Gen(), now)
	for k, v := range fields {
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC().Truncate(time.Millisecond)
		}
		rec[k] = v
	}
	id := tx.Gen().UUID()
	return s.appendEvent(tx, t, rec, id, now)
}

// appendEvent encodes rec with the topic's current schema and puts it on
// the bus, inside the org's lock.
func (s *Server) appendEvent(tx org.Tx, t *pubsubTopic, rec map[string]any, id string, now time.Time) (PublishedEvent, error) {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	payload, err := encodeEvent(t.schema, rec)
	if err != nil {
		return PublishedEvent{}, err
	}
	// The ground truth is what a decoder reads back: every field of the
	// schema, nested records complete.
	used, err := decodeTyped(t.schema, payload)
	if err != nil {
		return PublishedEvent{}, err
	}
	ev := PublishedEvent{
		Topic: t.def.name, SchemaID: t.schema.id, ID: id, PublishedAt: now,
		Fields: used, Payload: payload,
	}
	ev.EventIdentifier, _ = rec["EventIdentifier"].(string)
	ev.EventUuid, _ = rec["EventUuid"].(string)
	if t.def.storage != "" {
		// The storage object keeps the event: the same EventIdentifier and
		// values (org.Tx.StoreEvent).
		sid, err := tx.StoreEvent(t.def.storage, rec)
		if err != nil {
			return PublishedEvent{}, err
		}
		ev.StorageObject, ev.StorageID = t.def.storage, sid
	}
	pos := ps.advanceLocked()
	ev.ReplayID = ps.replayID(pos)
	ps.pruneLocked(t, s.cfg.Now(), s.cfg.Retention)
	t.events = append(t.events, busEvent{pos: pos, ev: ev})
	ps.broadcastLocked()
	return ev.clone(), nil
}

// Events returns the events of topic the bus still retains, oldest
// first.
func (s *Server) Events(topic string) []PublishedEvent {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	t := ps.topics[topic]
	if t == nil {
		return nil
	}
	ps.pruneLocked(t, s.cfg.Now(), s.cfg.Retention)
	out := make([]PublishedEvent, len(t.events))
	for i, e := range t.events {
		out[i] = e.ev.clone()
	}
	return out
}

// LatestReplayID is the replay id of the bus's tip, as a keepalive
// would carry it now.
func (s *Server) LatestReplayID() []byte {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.replayID(ps.tip)
}

// InjectFault queues a fault for Subscribe streams.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Code == codes.OK {
		f.Code = codes.Unavailable
	}
	if f.ErrorCode == "" {
		switch f.Code {
		case codes.Unavailable:
			f.ErrorCode = ErrUnavailable
		case codes.Unauthenticated:
			f.ErrorCode = ErrAuth
		case codes.InvalidArgument:
			f.ErrorCode = ErrReplayIDCorrupted
		case codes.ResourceExhausted:
			f.ErrorCode = ErrConcurrentLimit
		}
	}
	if f.Message == "" {
		f.Message = "Simulated fault: " + f.ErrorCode
	}
	ps := s.state()
	ps.mu.Lock()
	ps.faults = append(ps.faults, &f)
	ps.broadcastLocked()
	ps.mu.Unlock()
}

// PendingFaults is how many injected faults no stream has taken yet.
func (s *Server) PendingFaults() int {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.faults)
}

// takeFaultLocked hands a matching fault to a stream.
func (ps *state) takeFaultLocked(topic string) *Fault {
	for i, f := range ps.faults {
		if f.Topic != "" && f.Topic != topic {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			ps.faults = slices.Delete(ps.faults, i, i+1)
		}
		c := *f
		return &c
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st := ps.stats
	st.Streams = make([]StreamStats, len(ps.streams))
	for i, p := range ps.streams {
		st.Streams[i] = *p
	}
	return st
}

// Addr is the host:port the Pub/Sub API listens on ("" when not
// serving).
func (s *Server) Addr() string {
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.addr
}

// Start serves the Pub/Sub API (plaintext gRPC) on addr, e.g.
// 127.0.0.1:0, until Stop, and returns the address it listens on.
func (s *Server) Start(addr string) (string, error) {
	ps := s.state()
	ps.mu.Lock()
	if ps.srv != nil {
		ps.mu.Unlock()
		return "", errors.New("simulator: Pub/Sub API already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		ps.mu.Unlock()
		return "", err
	}
	tl := &trackingListener{Listener: ln, conns: map[string]net.Conn{}}
	gs := grpc.NewServer(
		grpc.UnaryInterceptor(s.unaryAuth),
		grpc.StreamInterceptor(s.streamAuth),
		grpc.WaitForHandlers(true), // Close returns once every stream has ended
		// Clients that ping every 10 s or more are fine (Salesforce does not
		// document a limit; gRPC's default would cut them off).
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	pb.RegisterPubSubServer(gs, &service{s: s})
	ps.srv, ps.ln, ps.addr = gs, tl, ln.Addr().String()
	ps.mu.Unlock()
	go func() { _ = gs.Serve(tl) }()
	return ln.Addr().String(), nil
}

// Stop ends every stream and stops serving (nothing when not serving).
func (s *Server) Stop() {
	ps := s.state()
	ps.mu.Lock()
	gs := ps.srv
	ps.mu.Unlock()
	if gs != nil {
		gs.Stop()
	}
}

// PublishTick publishes what one tick of Options.PublishEvery brings: one
// or two LoginEventStream events (and their LoginEvent rows).
func (s *Server) PublishTick() {
	var n int
	s.org.Locked(func(tx org.Tx) { n = 1 + tx.Gen().Rand().IntN(2) })
	s.Publish("/event/LoginEventStream", n)
}

// trackingListener remembers accepted connections by remote address, so a
// Drop fault can cut the one a stream runs on.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[string]net.Conn
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[c.RemoteAddr().String()] = tc
	l.mu.Unlock()
	return tc, nil
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c.RemoteAddr().String())
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// drop closes the connection of remote address addr abruptly.
func (l *trackingListener) drop(addr string) bool {
	l.mu.Lock()
	c := l.conns[addr]
	l.mu.Unlock()
	if c == nil {
		return false
	}
	if tc, ok := c.(*trackedConn); ok {
		if t, ok := tc.Conn.(*net.TCPConn); ok {
			_ = t.SetLinger(0) // RST, not FIN
		}
	}
	_ = c.Close()
	return true
}

func newRPCID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func deniedTopic(o Config, topic string) bool {
	return slices.ContainsFunc(o.DeniedTopics, func(d string) bool { return strings.EqualFold(d, topic) })
}
