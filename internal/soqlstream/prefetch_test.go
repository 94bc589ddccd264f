package soqlstream

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// countingQuerier counts the QueryMore calls that returned.
type countingQuerier struct {
	sfapi.Querier
	more atomic.Int32
}

func (q *countingQuerier) QueryMore(ctx context.Context, c sfapi.Caller, url string, n int) (*sfapi.QueryResult, error) {
	r, err := q.Querier.QueryMore(ctx, c, url, n)
	q.more.Add(1)
	return r, err
}

// The next page is fetched while the current one is being delivered; pages
// still go out in order, and a poll stopped during a delivery leaves no
// fetch behind (the package's leak check).
func TestNextPageFetchedDuringDelivery(t *testing.T) {
	for _, stop := range []bool{false, true} {
		e := newEnv(t, simulator.Options{LoginHistoryRows: 1000, SetupAuditTrailRows: -1})
		q := &countingQuerier{Querier: e.client}
		src := New(q, LoginHistory, Options{Backfill: 30 * 24 * time.Hour, Overlap: DefaultOverlap, BatchSize: 200})
		org, err := e.client.Org(context.Background())
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		var got []string
		var last time.Time
		pages := 0
		err = src.Poll(ctx, org, src.Initial(), func(ctx context.Context, logs plog.Logs, _ Cursor) error {
			pages++
			// While page n of 5 is held, page n+1 arrives.
			if pages < 5 {
				require.Eventually(t, func() bool { return int(q.more.Load()) >= pages }, 10*time.Second, time.Millisecond)
			}
			if stop && pages == 2 {
				cancel()
				return ctx.Err()
			}
			lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			for i := range lrs.Len() {
				ts := lrs.At(i).Timestamp().AsTime()
				require.False(t, ts.Before(last), "in order")
				last = ts
				id, _ := lrs.At(i).Attributes().Get(semconv.AttrRecordID)
				got = append(got, id.Str())
			}
			return nil
		})
		cancel()
		if stop {
			require.ErrorIs(t, err, context.Canceled)
			require.Len(t, got, 200)
			continue
		}
		require.NoError(t, err)
		require.Len(t, got, 1000)
		require.Equal(t, 5, pages)
	}
}
