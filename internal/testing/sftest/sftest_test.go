package sftest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// page is a delivery of records, each with a uid, a record id and a body
// field Key.
func page(keys ...string) plog.Logs {
	l := plog.NewLogs()
	lrs := l.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, k := range keys {
		lr := lrs.AppendEmpty()
		lr.Attributes().PutStr("log.record.uid", "uid-"+k)
		lr.Attributes().PutStr("salesforce.record.id", k)
		lr.Body().SetEmptyMap().PutStr("Key", "body-"+k)
	}
	return l
}

// failures runs check against a TB that records failures instead of
// failing the test.
func failures(check func(testing.TB)) []string {
	tb := &recorder{TB: &testing.T{}}
	var wg sync.WaitGroup
	wg.Go(func() { check(tb) })
	wg.Wait()
	return tb.errs
}

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow() { runtime.Goexit() }

func TestSinkCountsAndRefuses(t *testing.T) {
	s := NewSink()
	var seen []Delivery
	s.SetRefuse(func(d Delivery) error {
		d.Logs = plog.Logs{}
		seen = append(seen, d)
		if d.Attempt == 2 {
			return errors.New("full")
		}
		return nil
	})
	ctx := context.Background()
	require.NoError(t, s.ConsumeLogs(ctx, page("a", "b")))
	require.Error(t, s.ConsumeLogs(ctx, page("c")))
	require.NoError(t, s.ConsumeLogs(ctx, page("c", "a")))
	assert.Equal(t, []Delivery{{Attempt: 1}, {Attempt: 2, Pages: 1, Records: 2}, {Attempt: 3, Pages: 1, Records: 2, Refused: 1}}, seen)
	assert.Equal(t, 4, s.Count())
	assert.Equal(t, 2, s.Pages())
	assert.Equal(t, 3, s.Attempts())
	assert.Equal(t, 1, s.Refused())
	assert.Equal(t, 2, s.Times("uid-a"))
	assert.Equal(t, map[string]int{"a": 2, "b": 1, "c": 1}, s.Counts(RecordID))
	assert.Equal(t, map[string]int{"body-a": 2, "body-b": 1, "body-c": 1}, s.Counts(Body("Key")))
	assert.Len(t, s.By(UID), 3)
	m, dup := s.Missing(RecordID, map[string]string{"a": "", "b": "", "d": ""})
	assert.Equal(t, 1, m)
	assert.Equal(t, 1, dup)
}

func TestExactlyOnceFails(t *testing.T) {
	s, more := NewSink(), NewSink()
	require.NoError(t, s.ConsumeLogs(context.Background(), page("a", "b")))
	require.NoError(t, more.ConsumeLogs(context.Background(), page("c")))
	want := map[string]string{"a": "A", "b": "B", "c": "C"}
	assert.Empty(t, failures(func(tb testing.TB) { s.ExactlyOnce(tb, RecordID, want, more) }))
	for name, w := range map[string]map[string]string{
		"missing": {"a": "A", "b": "B", "c": "C", "d": "D"},
		"extra":   {"a": "A", "b": "B"},
	} {
		assert.Len(t, failures(func(tb testing.TB) { s.ExactlyOnce(tb, RecordID, w, more) }), 1, name)
	}
	require.NoError(t, more.ConsumeLogs(context.Background(), page("a")))
	assert.Len(t, failures(func(tb testing.TB) { s.ExactlyOnce(tb, RecordID, want, more) }), 1, "a repeat")
}
