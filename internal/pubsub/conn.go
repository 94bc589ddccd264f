// Package pubsub holds the real-time streams: Salesforce Pub/Sub API
// topics (gRPC), one stream.Source per topic over one connection per org.
package pubsub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sfevents/salesforcereceiver/internal/eventavro"
	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// DefaultEndpoint is Salesforce's Pub/Sub API.
const DefaultEndpoint = "api.pubsub.salesforce.com:7443"

// Sessions supplies the access token every RPC carries; *sfapi.Client has
// it, over the receiver's shared token source.
type Sessions interface {
	Session(ctx context.Context) (sfapi.Session, error)
	RefreshSession(ctx context.Context, stale sfapi.Session) (sfapi.Session, error)
}

// ConnConfig configures the connection.
type ConnConfig struct {
	Endpoint string // host:port
	// TLS is the client TLS config (nil: the system roots). A loopback
	// host (the simulator) is dialed in plaintext.
	TLS *tls.Config
}

// Conn is one gRPC connection to the Pub/Sub API, shared by every topic
// of an org, with the schemas it has fetched.
type Conn struct {
	cc       *grpc.ClientConn
	client   pb.PubSubClient
	sessions Sessions

	mu      sync.Mutex
	schemas map[string]*eventavro.Schema
}

// IsLoopback reports whether endpoint's host is a loopback address or
// localhost: the only hosts dialed without TLS.
func IsLoopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckEndpoint accepts host:port with a numeric port.
func CheckEndpoint(endpoint string) error {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("%q is not host:port such as %s", endpoint, DefaultEndpoint)
	}
	if _, err := net.LookupPort("tcp", port); err != nil || strings.Trim(port, "0123456789") != "" {
		return fmt.Errorf("%q: port %q is not a number", endpoint, port)
	}
	return nil
}

// Dial prepares the connection; it connects on first use and reconnects
// by itself.
func Dial(cfg ConnConfig, sessions Sessions) (*Conn, error) {
	if err := CheckEndpoint(cfg.Endpoint); err != nil {
		return nil, err
	}
	var creds credentials.TransportCredentials
	if IsLoopback(cfg.Endpoint) {
		creds = insecure.NewCredentials()
	} else {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.TLS != nil {
			tc = cfg.TLS.Clone()
			// The REST host's server name, if one was set, is not this host's.
			tc.ServerName = ""
		}
		creds = credentials.NewTLS(tc)
	}
	cc, err := grpc.NewClient(cfg.Endpoint,
		grpc.WithTransportCredentials(creds),
		// An event can be up to 1 MB and a response holds many.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 20 * time.Second}),
	)
	if err != nil {
		return nil, fmt.Errorf("pubsub: %w", err)
	}
	return &Conn{cc: cc, client: pb.NewPubSubClient(cc), sessions: sessions, schemas: map[string]*eventavro.Schema{}}, nil
}

// Close closes the connection; every stream on it ends.
func (c *Conn) Close() error { return c.cc.Close() }

// withSession adds the metadata every RPC carries.
func withSession(ctx context.Context, s sfapi.Session) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", s.AccessToken, "instanceurl", s.InstanceURL, "tenantid", s.OrgID)
}

// unary runs one RPC with the current session, and once more with a new
// one if Salesforce says the session is no longer valid.
func unary[T any](ctx context.Context, c *Conn, call func(context.Context) (T, error)) (T, error) {
	var zero T
	sess, err := c.sessions.Session(ctx)
	if err != nil {
		return zero, err
	}
	for refreshed := false; ; refreshed = true {
		out, err := call(withSession(ctx, sess))
		if err == nil || refreshed || status.Code(err) != codes.Unauthenticated {
			return out, wrapRPC(err)
		}
		if sess, err = c.sessions.RefreshSession(ctx, sess); err != nil {
			return zero, err
		}
	}
}

// Topic asks Salesforce about a topic.
func (c *Conn) Topic(ctx context.Context, name string) (*pb.TopicInfo, error) {
	return unary(ctx, c, func(ctx context.Context) (*pb.TopicInfo, error) {
		return c.client.GetTopic(ctx, &pb.TopicRequest{TopicName: name})
	})
}

// Schema returns the compiled schema of id, fetching it once.
func (c *Conn) Schema(ctx context.Context, id string) (*eventavro.Schema, error) {
	c.mu.Lock()
	s := c.schemas[id]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	info, err := unary(ctx, c, func(ctx context.Context) (*pb.SchemaInfo, error) {
		return c.client.GetSchema(ctx, &pb.SchemaRequest{SchemaId: id})
	})
	if err != nil {
		return nil, fmt.Errorf("GetSchema %s: %w", id, err)
	}
	s, err = eventavro.Compile(info.GetSchemaJson())
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	c.mu.Lock()
	c.schemas[id] = s
	c.mu.Unlock()
	return s, nil
}

// RPCError is a failed Pub/Sub call: its gRPC code and Salesforce's
// error-code trailer.
type RPCError struct {
	Code      codes.Code
	ErrorCode string // e.g. sfdc.platform.eventbus.grpc.service.unavailable; "" when none
	err       error
}

func (e *RPCError) Error() string {
	if e.ErrorCode != "" {
		return fmt.Sprintf("pubsub: %v (%s)", e.err, e.ErrorCode)
	}
	return "pubsub: " + e.err.Error()
}

func (e *RPCError) Unwrap() error { return e.err }

// Salesforce's error codes the streams act on.
const (
	errCodeAuth            = "sfdc.platform.eventbus.grpc.service.auth.error"
	errCodeReplayCorrupted = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
	errCodeReplayInvalid   = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed"
)

// wrapRPC makes an RPC's error an *RPCError; a refusal only an admin can
// lift (permission, unknown topic) is also sfapi.ErrNotReadable.
func wrapRPC(err error) error { return wrapRPCTrailer(err, nil) }

func wrapRPCTrailer(err error, trailer metadata.MD) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &RPCError{Code: st.Code(), err: err}
	if v := trailer.Get("error-code"); len(v) > 0 {
		e.ErrorCode = v[0]
	} else if i := strings.Index(st.Message(), "sfdc.platform.eventbus."); i >= 0 {
		e.ErrorCode = strings.Fields(st.Message()[i:])[0]
	}
	switch e.Code {
	case codes.PermissionDenied, codes.NotFound:
		return fmt.Errorf("%w: %w", sfapi.ErrNotReadable, e)
	}
	return e
}

// isAuth reports a refused session.
func isAuth(err error) bool {
	var e *RPCError
	return errors.As(err, &e) && (e.Code == codes.Unauthenticated || strings.HasPrefix(e.ErrorCode, errCodeAuth))
}

// isReplayGone reports a replay id Salesforce no longer holds (or never did).
func isReplayGone(err error) bool {
	var e *RPCError
	if !errors.As(err, &e) {
		return false
	}
	return e.ErrorCode == errCodeReplayCorrupted || e.ErrorCode == errCodeReplayInvalid
}
