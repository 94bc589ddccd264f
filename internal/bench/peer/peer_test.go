package peer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/entry"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/parser/csv"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/sfevents/salesforcereceiver/internal/bench/inputs"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/eventlog"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

// rows per op: large enough that the filelog receiver's start, first poll
// and shutdown are a small part of an op.
const rows = 50_000

// writeFile writes the generated Login file (with or without its header
// line) into a temp dir and returns its path and size.
func writeFile(b *testing.B, header bool) (string, int) {
	data := inputs.LoginCSV(rows)
	if !header {
		for i, c := range data {
			if c == '\n' {
				data = data[i+1:]
				break
			}
		}
	}
	path := filepath.Join(b.TempDir(), "Login.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path, len(data)
}

// BenchmarkPeerFilelogCSV is what a user would assemble from stock parts:
// the contrib filelog receiver reading the file from the beginning with a
// csv_parser operator (header given, parsed into the body), delivering plog
// to a consumer that counts records.
func BenchmarkPeerFilelogCSV(b *testing.B) {
	path, size := writeFile(b, false)
	f := filelogreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*filelogreceiver.FileLogConfig)
	cfg.InputConfig.Include = []string{path}
	cfg.InputConfig.StartAt = "beginning"
	cfg.InputConfig.PollInterval = 10 * time.Millisecond
	parser := csv.NewConfig()
	parser.Header = inputs.HeaderLine()
	parser.ParseTo = entry.RootableField{Field: entry.NewBodyField()}
	cfg.Operators = []operator.Config{{Builder: parser}}

	var got atomic.Int64
	done := make(chan struct{}, 1)
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		if got.Add(int64(ld.LogRecordCount())) >= rows {
			select {
			case done <- struct{}{}:
			default:
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	set := receivertest.NewNopSettings(f.Type())
	host := componenttest.NewNopHost()
	ctx := context.Background()

	meas := inputs.StartPerRow(b, rows, size)
	for b.Loop() {
		got.Store(0)
		rcv, err := f.CreateLogs(ctx, set, cfg, next)
		if err != nil {
			b.Fatal(err)
		}
		if err := rcv.Start(ctx, host); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("filelog delivered %d of %d rows", got.Load(), rows)
		}
		if err := rcv.Shutdown(ctx); err != nil {
			b.Fatal(err)
		}
		if n := got.Load(); n != rows {
			b.Fatalf("filelog delivered %d rows, want %d", n, rows)
		}
	}
	meas.Stop()
}

// BenchmarkPeerReceiverELF is the receiver's own path for the same rows:
// the EventLogFile stream (Source.Poll: reading, converting and delivering
// goroutines, batches of 500) over the file, each batch handed to a
// consumer like filelog's.
func BenchmarkPeerReceiverELF(b *testing.B) {
	path, size := writeFile(b, true)
	res := convert.Resource{OrgID: "00D5g00000OrgAbEAC", InstanceURL: "https://acme.my.salesforce.com"}
	var got int64
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		got += int64(ld.LogRecordCount())
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	client := sftest.LogFile{ID: "0AT5g00000Elf01GAA", EventType: "Login", Names: inputs.LoginNames, Types: inputs.LoginTypes,
		Body: func() io.Reader {
			fh, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			return fh // closed with the download
		}}
	now := func() time.Time { return time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC) }

	meas := inputs.StartPerRow(b, rows, size)
	for b.Loop() {
		got = 0
		src := eventlog.New(client, eventlog.Options{Backfill: 30 * 24 * time.Hour, Now: now})
		err := src.Poll(ctx, res, src.Initial(), func(ctx context.Context, logs plog.Logs, _ eventlog.Cursor) error {
			return next.ConsumeLogs(ctx, logs)
		})
		if err != nil {
			b.Fatal(err)
		}
		if got != rows {
			b.Fatalf("delivered %d rows, want %d", got, rows)
		}
	}
	meas.Stop()
}
