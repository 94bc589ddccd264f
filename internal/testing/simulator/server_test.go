package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
)

func TestOptionsDefaults(t *testing.T) {
	s := New(Options{History: -1})
	require.Empty(t, s.Records("LoginHistory"))
	o := s.Options()
	require.Equal(t, DefaultOrgID, o.OrgID)
	require.Len(t, o.UserID, 18)
	require.False(t, o.SameTimestampRuns)
	require.True(t, Defaults().SameTimestampRuns)
	require.Equal(t, int64(100000), o.DailyLimit)
}

func TestArrivalTicker(t *testing.T) {
	opts := testOptions()
	opts.History = -1
	opts.ArrivalEvery = 5 * time.Millisecond
	s := NewTestServer(t, opts)
	require.Eventually(t, func() bool {
		return len(s.Records("LoginHistory")) > 0 && len(s.Records("SetupAuditTrail")) > 0
	}, 5*time.Second, 10*time.Millisecond)
	s.Close()
	n := len(s.Records("LoginHistory"))
	time.Sleep(30 * time.Millisecond)
	require.Equal(t, n, len(s.Records("LoginHistory")), "Close stops arrivals")
}

func TestStartPubSub(t *testing.T) {
	s := New(testOptions())
	defer s.Close()
	require.Empty(t, s.PubSubAddr())
	addr, err := s.StartPubSub("127.0.0.1:0")
	require.NoError(t, err)
	require.Equal(t, addr, s.PubSubAddr())
	_, err = s.StartPubSub("127.0.0.1:0")
	require.Error(t, err)
	// Without an HTTP URL any instanceurl is accepted; the token must still
	// be one the org issued.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	tok := s.issueToken()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "accesstoken", tok, "instanceurl", "https://x.my.salesforce.com", "tenantid", s.Options().OrgID)
	_, err = pb.NewPubSubClient(conn).GetTopic(ctx, &pb.TopicRequest{TopicName: "/event/LoginEventStream"})
	require.NoError(t, err)
}
