package soqlstream

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

// pageOrg answers every query with the same rows, in pages of two.
type pageOrg struct{ rows [][]byte }

func (o *pageOrg) Describe(context.Context, sfapi.Caller, string) (*sfapi.Describe, error) {
	return sftest.Describe("Peer__b", "Id", "CreatedDate", "V"), nil
}

func (o *pageOrg) Query(_ context.Context, _ sfapi.Caller, _ string, _ int) (*sfapi.QueryResult, error) {
	return o.page(0), nil
}

func (o *pageOrg) QueryMore(_ context.Context, _ sfapi.Caller, next string, _ int) (*sfapi.QueryResult, error) {
	var off int
	_, _ = fmt.Sscanf(next, "/p/%d", &off)
	return o.page(off), nil
}

func (o *pageOrg) page(off int) *sfapi.QueryResult {
	end := min(off+2, len(o.rows))
	next := ""
	if end < len(o.rows) {
		next = fmt.Sprintf("/p/%d", end)
	}
	return sftest.Page(next == "", next, o.rows[off:end]...)
}

// Rows that all carry Salesforce's placeholder Id, as a peer's published
// Event Log Object samples do, are not one row: each is delivered once,
// including two identical in every field, a second poll over the same
// rows delivers nothing, and no uid derives from the placeholder. Rows
// with real Ids that share one with different content are both delivered,
// and the collision is named once.
func TestNeverKeysOnThePlaceholder(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	row := func(id, v string, sec int) []byte {
		return fmt.Appendf(nil, `{"attributes":{"type":"Peer__b"},"Id":%q,"CreatedDate":%q,"V":%q}`,
			id, at.Add(time.Duration(sec)*time.Second).Format("2006-01-02T15:04:05.000+0000"), v)
	}
	tests := []struct {
		name     string
		rows     [][]byte
		want     map[string]int
		collided bool
	}{
		{"placeholder Ids", [][]byte{
			row(catalog.PlaceholderID, "a", 0), row(catalog.PlaceholderID, "b", 0), row(catalog.PlaceholderID, "a", 0),
			row(catalog.PlaceholderID, "c", 1), row(catalog.PlaceholderID, "d", 2),
		}, map[string]int{"a": 2, "b": 1, "c": 1, "d": 1}, false},
		{"a shared real Id", [][]byte{row("a0S000000000001AAA", "a", 0), row("a0S000000000001AAA", "b", 0), row("a0S000000000002AAA", "c", 1)},
			map[string]int{"a": 1, "b": 1, "c": 1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zap.WarnLevel)
			d := stream.Descriptor{Name: "object/Peer__b", Object: "Peer__b", Map: convert.Mapping{TimestampField: "CreatedDate"}}
			src := New(&pageOrg{rows: tc.rows}, Spec{Stream: d}, Options{Backfill: 24 * time.Hour, Overlap: DefaultOverlap,
				Now: func() time.Time { return at.Add(time.Hour) }, Logger: zap.New(core)})
			sink := sftest.NewSink()
			cur := src.Initial()
			for range 2 { // the second poll re-reads the same rows
				require.NoError(t, src.Poll(context.Background(), testRes, cur, func(ctx context.Context, l plog.Logs, next Cursor) error {
					cur = next
					return sink.ConsumeLogs(ctx, l)
				}))
			}
			assert.Equal(t, tc.want, sink.Counts(sftest.Body("V")))
			uids := sink.Counts(sftest.UID)
			assert.Len(t, uids, len(tc.rows))
			assert.Zero(t, uids[convert.RecordUID(testRes.OrgID, d.Name, catalog.PlaceholderID)])
			for k := range cur.Seen {
				assert.NotEqual(t, catalog.PlaceholderID, k)
			}
			assert.Equal(t, tc.collided, logs.FilterMessageSnippet("different rows under one key").Len() == 1)
		})
	}
}

var testRes = convert.Resource{OrgID: "00D000000000001AAA", InstanceURL: "https://example.my.salesforce.com"}
