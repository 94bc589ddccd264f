package pubsub

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
)

func TestReconnectCause(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "closed"},
		{&RPCError{Code: codes.Unauthenticated, err: errors.New("x")}, "auth"},
		{&RPCError{Code: codes.InvalidArgument, ErrorCode: errCodeReplayCorrupted, err: errors.New("x")}, "replay_expired"},
		{&RPCError{Code: codes.Unavailable, ErrorCode: "sfdc.platform.eventbus.grpc.service.unavailable", err: errors.New("x")}, "unavailable"},
		{errors.New("connection reset"), "error"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, cause(tc.err), "%v", tc.err)
	}
}
