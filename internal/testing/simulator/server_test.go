package simulator_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

func TestOptionsDefaults(t *testing.T) {
	s := simulator.New(simulator.Options{History: -1})
	require.Empty(t, s.Records("LoginHistory"))
	o := s.Options()
	require.Equal(t, simulator.DefaultOrgID, o.OrgID)
	require.Len(t, o.UserID, 18)
	require.False(t, o.SameTimestampRuns)
	require.True(t, simulator.Defaults().SameTimestampRuns)
	require.Equal(t, int64(100000), o.DailyLimit)
}

func TestArrivalTicker(t *testing.T) {
	opts := simtest.Options()
	opts.History = -1
	opts.ArrivalEvery = 5 * time.Millisecond
	s := simulator.NewTestServer(t, opts)
	require.Eventually(t, func() bool {
		return len(s.Records("LoginHistory")) > 0 && len(s.Records("SetupAuditTrail")) > 0
	}, 5*time.Second, 10*time.Millisecond)
	s.Close()
	n := len(s.Records("LoginHistory"))
	time.Sleep(30 * time.Millisecond)
	require.Len(t, s.Records("LoginHistory"), n, "Close stops arrivals")
}

func TestStartPubSub(t *testing.T) {
	s := simulator.New(simtest.Options())
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
	tok := simulator.IssueToken(s)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "accesstoken", tok, "instanceurl", "https://x.my.salesforce.com", "tenantid", s.Options().OrgID)
	_, err = pb.NewPubSubClient(conn).GetTopic(ctx, &pb.TopicRequest{TopicName: "/event/LoginEventStream"})
	require.NoError(t, err)
}
