package eventlog

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// slowBody serves a body a few hundred bytes per Read, so the reading
// stage works through it while the other stages run.
type slowBody struct{ r io.Reader }

func (b slowBody) Read(p []byte) (int, error) { return b.r.Read(p[:min(len(p), 300)]) }

// pipelineFile is a log file of n rows whose REQUEST_IDs are R1..Rn.
func pipelineFile(n int) string {
	var b strings.Builder
	b.WriteString("\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ROWS_PROCESSED\",\"HUGE\"\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "\"API\",\"20260501120000.000\",\"R%d\",\"%d\",\"x\"\n", i, i)
	}
	return b.String()
}

// The pipeline keeps the checkpoint rule: a batch's cursor moves only once
// the batch is accepted, in file order. A refusal holds the stages back
// while the batches after it are read and converted; stopping then, or
// mid-file, loses nothing, and the restart re-reads nothing accepted.
func TestPipelineRefusalAndStop(t *testing.T) {
	const rows, batch = 1000, 100
	tests := []struct {
		name string
		// refuse is asked before each delivery of batch (1-based) with
		// the attempt; true refuses it. stopAt > 0 stops the poll at the
		// first delivery of that batch instead of accepting it.
		refuse func(batch, attempt int) bool
		stopAt int
	}{
		{name: "second batch refused while the third is converted",
			refuse: func(b, attempt int) bool { return b == 2 && attempt <= 3 }},
		{name: "stop while the second batch is refused and the third converted",
			refuse: func(b, _ int) bool { return b == 2 }, stopAt: 2},
		{name: "stop mid-file", stopAt: 5},
		{name: "every batch accepted at once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := pipelineFile(rows)
			// Now is asked once per batch, when the converting stage starts it:
			// the (k+1)th call means batch k is converted and handed over.
			var nows atomic.Int32
			now := func() time.Time { nows.Add(1); return time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC) }
			newSource := func() *Source {
				return New(oneFile{body: func() io.Reader { return slowBody{strings.NewReader(body)} }},
					Options{Backfill: 720 * time.Hour, BatchRows: batch, Now: now})
			}
			var (
				mu       sync.Mutex
				accepted []string // REQUEST_IDs in delivery order
				saved    Cursor   // the last accepted batch's cursor
			)
			poll := func(src *Source, from Cursor, refuse func(batch, attempt int) bool, stopAt int) error {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				delivered, attempts := 0, 0
				nows.Store(0)
				return src.Poll(ctx, testOrg, from, func(ctx context.Context, logs plog.Logs, next Cursor) error {
					n := delivered + 1
					for attempt := 1; ; attempt++ {
						attempts++
						if refuse == nil || !refuse(n, attempt) {
							break
						}
						// While batch 2 is held, the stages go on: wait until
						// batch 3 is converted (the converter asked for the
						// time of batch 4).
						require.Eventually(t, func() bool { return nows.Load() >= 4 }, 10*time.Second, time.Millisecond)
						if n == stopAt {
							break
						}
					}
					if n == stopAt {
						cancel()
						return ctx.Err()
					}
					mu.Lock()
					defer mu.Unlock()
					lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
					for i := range lrs.Len() {
						id, _ := lrs.At(i).Body().Map().Get("REQUEST_ID")
						accepted = append(accepted, id.Str())
					}
					if next.File != nil {
						require.EqualValues(t, len(accepted), next.File.Rows, "the cursor counts the rows accepted")
					}
					saved, delivered = next, n
					return nil
				})
			}

			first := newSource()
			err := poll(first, first.Initial(), tt.refuse, tt.stopAt)
			if tt.stopAt > 0 {
				require.ErrorIs(t, err, context.Canceled)
				require.NotNil(t, saved.File)
				require.EqualValues(t, (tt.stopAt-1)*batch, saved.File.Rows, "stopped after the accepted batches")
				second := newSource() // a restart: the saved cursor only
				require.NoError(t, poll(second, saved, nil, 0))
			} else {
				require.NoError(t, err)
			}
			require.Nil(t, saved.File, "the file is complete")
			want := make([]string, rows)
			for i := range want {
				want[i] = fmt.Sprintf("R%d", i+1)
			}
			require.Equal(t, want, accepted, "every row once, in order")
		})
	}
}
