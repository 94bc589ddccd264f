// Package stream holds the poll loop every stream shares: load the cursor,
// poll the source, hand each page to the next consumer and save the cursor
// only once the consumer accepted the page.
package stream

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/retry"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// Emit hands one page of records to the runner together with the cursor
// that is true once they are accepted. It returns only when the page was
// accepted and the cursor recorded, or with the context's error.
type Emit[C any] func(ctx context.Context, logs plog.Logs, next C) error

// Source is what differs between streams: how to read what is new after a
// cursor. The runner owns the org and the cursor: Initial gives the cursor
// of a first start (the backfill), and Poll gets the org and the last
// accepted cursor, emits pages in order and returns when it has caught up.
// Poll must not change the cursor it was given (nor maps or slices inside
// it): on an error the runner polls again from it.
type Source[C any] interface {
	Initial() C
	Poll(ctx context.Context, org convert.Resource, cursor C, emit Emit[C]) error
}

// Checker is implemented by sources that can try their real query before
// their first poll, for the start-up connection test.
type Checker interface {
	Check(ctx context.Context) (Readiness, error)
}

// Readiness is what a Check found: the object read and the fields wanted
// that the org does not show (records will lack them).
type Readiness struct {
	Object  string
	Missing []string
	Note    string // anything else worth a line, e.g. "big object"
	// Partial, when set, says why the stream can see only part of its
	// object (a permission Salesforce enforces by hiding rows, not by an
	// error); the stream still runs.
	Partial string
}

// Runner drives one stream.
type Runner[C any] struct {
	Stream   Descriptor
	Interval time.Duration
	Source   Source[C]
	Consumer consumer.Logs
	Store    *checkpoint.Store
	// Org resolves the org the stream reads, once: checkpoints are kept
	// per org, and records carry it as their resource.
	Org    func(ctx context.Context) (convert.Resource, error)
	Logger *zap.Logger
	// Observer, when set, hears about delivered pages and poll outcomes.
	Observer Observer
	// Obs, when set, reports every delivery as the collector's standard
	// receiver telemetry (receiverhelper.ObsReport has these methods).
	Obs ObsReport
	// RetryInitial and RetryMax bound the waits between refused deliveries
	// and between failed polls; zero values take defaults.
	RetryInitial, RetryMax time.Duration
	// Map, when set, rewrites each page once before its first delivery
	// (the receiver's schema option), so a retried page is not mapped twice.
	Map func(plog.Logs)

	key    string
	org    convert.Resource
	cursor C

	// progress of the current poll
	pollStart, lastProgress time.Time
	pollRecords             int
}

// ObsReport is the collector's standard receiver telemetry
// (otelcol_receiver_accepted_log_records and _refused_log_records).
type ObsReport interface {
	StartLogsOp(ctx context.Context) context.Context
	EndLogsOp(ctx context.Context, format string, numReceivedLogRecords int, err error)
}

// Observer is told what a runner did, for telemetry and status.
type Observer interface {
	Delivered(stream string, records int)
	// Advanced reports the event time a saved cursor has reached.
	Advanced(stream string, eventTime time.Time)
	PollDone(stream string, err error)
	// Working reports a page accepted in the middle of a poll: the stream
	// works, whatever its last poll ended with. A subscription is one
	// poll that never ends while it is healthy, and a backfill a long one,
	// so this, not PollDone, is what clears their last failure.
	Working(stream string)
}

// EventTimer is implemented by cursors that know the event time they have
// reached, for lag and progress.
type EventTimer interface {
	EventTime() time.Time
}

// progressEvery paces the progress lines of a long poll (a backfill).
const progressEvery = 30 * time.Second

// Run polls until ctx ends.
func (r *Runner[C]) Run(ctx context.Context) {
	// A failed poll is retried sooner than the next interval, but never
	// more often than the interval itself would poll.
	failures := r.backoff(r.Interval)

	for {
		err := r.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		if r.Observer != nil {
			r.Observer.PollDone(r.Stream.Name, err)
		}
		wait := r.Interval
		switch class := sfapi.Classify(err); {
		case err == nil:
			failures.Reset()
		case class.Permanent():
			// Only an operator can fix it (credentials, a permission, a
			// field): asking again sooner than the poll would only spend
			// the org's allowance.
			r.Logger.Warn("Poll failed; retrying at the poll interval", zap.String("stream", r.Stream.Name),
				zap.String("class", class.String()), zap.Duration("retry_in", wait), zap.Error(err))
		default:
			wait = failures.NextBackOff()
			r.Logger.Warn("Poll failed; retrying", zap.String("stream", r.Stream.Name), zap.Duration("retry_in", wait), zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (r *Runner[C]) poll(ctx context.Context) error {
	if r.key == "" {
		org, err := r.Org(ctx)
		if err != nil {
			return err
		}
		key := checkpoint.Key(org.OrgID, r.Stream.Name)
		var c C
		found, err := r.Store.Load(ctx, key, &c)
		if err != nil {
			return err
		}
		if !found {
			c = r.Source.Initial()
		}
		r.org, r.cursor, r.key = org, c, key
	}
	r.pollStart, r.lastProgress, r.pollRecords = time.Now(), time.Now(), 0
	err := r.Source.Poll(ctx, r.org, r.cursor, r.emit)
	if r.pollRecords > 0 && time.Since(r.pollStart) >= progressEvery {
		r.Logger.Info("Caught up", append(r.position(), zap.Int("records", r.pollRecords),
			zap.Duration("took", time.Since(r.pollStart).Round(time.Second)))...)
	}
	return err
}

// position describes how far the stream has come, for log lines.
func (r *Runner[C]) position() []zap.Field {
	fields := []zap.Field{zap.String("stream", r.Stream.Name)}
	if et, ok := any(r.cursor).(EventTimer); ok && !et.EventTime().IsZero() {
		fields = append(fields, zap.Time("event_time", et.EventTime()),
			zap.Duration("lag", time.Since(et.EventTime()).Round(time.Second)))
	}
	return fields
}

func (r *Runner[C]) emit(ctx context.Context, logs plog.Logs, next C) error {
	n := logs.LogRecordCount()
	if n > 0 {
		if r.Map != nil {
			r.Map(logs)
		}
		if err := r.deliver(ctx, logs, n); err != nil {
			return err
		}
		if r.Observer != nil {
			r.Observer.Delivered(r.Stream.Name, n)
		}
	}
	r.cursor = next
	// The records are accepted: save even if shutdown has begun, or a
	// graceful restart would deliver them again.
	if err := r.Store.Save(context.WithoutCancel(ctx), r.key, next); err != nil {
		// The in-memory cursor still moves, so this process sends nothing
		// twice; only a restart before the next good save could.
		r.Logger.Error("Could not save the cursor; a restart now would resend the last page", zap.String("stream", r.Stream.Name), zap.Error(err))
	}
	if r.Observer != nil {
		r.Observer.Working(r.Stream.Name)
		if et, ok := any(next).(EventTimer); ok && !et.EventTime().IsZero() {
			r.Observer.Advanced(r.Stream.Name, et.EventTime())
		}
	}
	r.pollRecords += n
	if time.Since(r.lastProgress) >= progressEvery {
		r.lastProgress = time.Now()
		r.Logger.Info("Backfill progress", append(r.position(), zap.Int("records", r.pollRecords))...)
	}
	return nil
}

// deliver retries a refused page until the consumer takes it or ctx ends:
// the cursor stays behind it meanwhile, so nothing is lost or skipped.
func (r *Runner[C]) deliver(ctx context.Context, logs plog.Logs, n int) error {
	// The page is the pipeline's once the runner is done with it, not
	// before: under pdata's pdata.useProtoPooling gate the collector
	// releases what it was handed as soon as ConsumeLogs returns, refused
	// or not, unless it is already marked, and a retry would then send
	// emptied records and move the cursor past them.
	if pref.MarkPipelineOwnedLogs(logs) {
		defer pref.UnrefLogs(logs)
	}
	b := r.backoff(0)
	for attempt := 1; ; attempt++ {
		err := r.consume(ctx, logs, n)
		if err == nil {
			if attempt > 1 {
				r.Logger.Info("Delivery accepted after refusals", zap.String("stream", r.Stream.Name), zap.Int("records", n), zap.Int("attempts", attempt))
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := b.NextBackOff()
		level := r.Logger.Warn
		if consumererror.IsPermanent(err) {
			// Not dropped: a permanent refusal usually means a misconfigured
			// pipeline, which an operator can fix while we hold the page.
			level = r.Logger.Error
		}
		level("Next consumer refused records; holding the cursor and retrying",
			zap.String("stream", r.Stream.Name), zap.Int("records", n), zap.Int("attempt", attempt),
			zap.Duration("retry_in", wait), zap.Error(err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// consume hands logs to the next consumer once, reported as the
// collector's standard receiver telemetry.
func (r *Runner[C]) consume(ctx context.Context, logs plog.Logs, n int) error {
	if r.Obs == nil {
		return r.Consumer.ConsumeLogs(ctx, logs)
	}
	octx := r.Obs.StartLogsOp(ctx)
	err := r.Consumer.ConsumeLogs(octx, logs)
	r.Obs.EndLogsOp(octx, dataFormat, n, err)
	return err
}

// dataFormat names what the receiver reads, for the standard telemetry.
const dataFormat = "salesforce"

// backoff returns the retry schedule, capped at limit when limit > 0
// (layers 3 and 4 of package retry).
func (r *Runner[C]) backoff(limit time.Duration) *backoff.ExponentialBackOff {
	return retry.Policy{Initial: r.RetryInitial, Max: r.RetryMax}.New(limit)
}
