package eventlog

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/convert"
)

// A file's rows go through three goroutines, so the second core converts
// while the first reads: the reading stage downloads, gunzips and splits
// rows; the converting stage turns them into batches; the stream's own
// goroutine delivers the batches in order and moves the cursor only after
// each is accepted. The hand-offs are small and bounded (chunksInFlight
// chunks of rows, batchesInFlight converted batches waiting), so memory
// stays flat and a refused batch holds the stages back instead of piling
// rows up. Rows converted but not yet accepted when delivery stops are
// dropped: the cursor still points before them, so they are read again.
const (
	chunkRows       = 256 // rows per hand-off from reading to converting
	chunksInFlight  = 3   // one being filled, one waiting, one being converted
	batchesInFlight = 1   // waiting for delivery, besides the one being delivered
)

// rowChunk is a run of consecutive rows. Field strings come from the
// reader's arena and are never overwritten, so they are passed on as they
// are; only the slices holding them are reused.
type rowChunk struct {
	fields []string   // every parsed row's fields, back to back
	rows   []chunkRow // in file order
	last   bool       // the input ended after these rows
	err    error      // why it ended, when not cleanly (see pipelineInput.end)
}

type chunkRow struct {
	nfields int    // the row's fields, taken from the front of what is left of fields
	raw     string // the text of a row that did not parse (perr) or is not the header's width
	perr    error
}

func (c *rowChunk) reset() {
	c.fields, c.rows, c.last, c.err = c.fields[:0], c.rows[:0], false, nil
}

// converted is one batch for delivery: rows is the file's row number of its
// last record. The last batch ends the file, cleanly or with err.
type converted struct {
	logs plog.Logs
	rows int64
	last bool
	err  error
}

// pipelineInput is what the stages need of one download.
type pipelineInput struct {
	res    convert.Resource
	file   logFile
	header *convert.CSVHeader
	first  int64       // rows skipped already (delivered before)
	more   bool        // false: nothing after the skipped rows
	next   func() bool // advances the reader to the next whole row
	end    func() error
}

type pipeline struct {
	batches <-chan converted
	wg      sync.WaitGroup
}

// stop ends the stages (cancel aborts a body read they may be blocked in)
// and waits for them.
func (p *pipeline) stop(cancel context.CancelFunc) {
	cancel()
	p.wg.Wait()
}

// startPipeline starts the reading and converting stages. Both end when the
// file ends or ctx is canceled; batches is closed after the last batch (or
// on cancellation, possibly without one).
func (s *Source) startPipeline(ctx context.Context, in pipelineInput) *pipeline {
	free := make(chan *rowChunk, chunksInFlight)
	for range chunksInFlight {
		free <- &rowChunk{}
	}
	chunks := make(chan *rowChunk, chunksInFlight-1)
	batches := make(chan converted, batchesInFlight)
	p := &pipeline{batches: batches}
	p.wg.Go(func() { s.readRows(ctx, in, free, chunks) })
	p.wg.Go(func() { s.convertRows(ctx, in, chunks, free, batches) })
	return p
}

// readRows is the reading stage: it fills chunks with rows until the input
// ends, and marks the last one.
func (s *Source) readRows(ctx context.Context, in pipelineInput, free <-chan *rowChunk, out chan<- *rowChunk) {
	defer close(out)
	rd := &s.reader
	more := in.more
	for {
		var ch *rowChunk
		select {
		case ch = <-free:
		case <-ctx.Done():
			return
		}
		ch.reset()
		for len(ch.rows) < chunkRows {
			if more = more && in.next(); !more {
				break
			}
			if perr := rd.ParseError(); perr != nil {
				ch.rows = append(ch.rows, chunkRow{raw: string(rd.Raw()), perr: perr})
				continue
			}
			f := rd.Fields()
			r := chunkRow{nfields: len(f)}
			if len(f) != in.header.Len() {
				r.raw = string(rd.Raw()) // delivered raw: convertRows will say why
			}
			ch.fields = append(ch.fields, f...)
			ch.rows = append(ch.rows, r)
		}
		if !more {
			ch.last, ch.err = true, in.end()
		}
		select {
		case out <- ch:
		case <-ctx.Done():
			return
		}
		if ch.last {
			return
		}
	}
}

// convertRows is the converting stage: rows into batches of BatchRows,
// numbered from in.first, then a last (possibly empty) batch.
func (s *Source) convertRows(ctx context.Context, in pipelineInput, chunks <-chan *rowChunk, free chan<- *rowChunk, out chan<- converted) {
	defer close(out)
	mapping := Descriptor.Mapping().ForEventType(in.file.EventType)
	id := in.file.ID
	row := in.first
	// One observed time per batch: the rows of a batch are read together.
	observed := s.opts.Now()
	batch := convert.NewBatch(in.res, s.opts.BatchRows)
	send := func(b converted) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ch := range chunks {
		fields := ch.fields
		for i := range ch.rows {
			r := &ch.rows[i]
			row++
			key := s.rowKey(id, row)
			if r.perr != nil {
				s.parseError()
				mapping.AppendRaw(batch, r.raw, r.perr.Error(), convert.Origin{Key: key, Observed: observed, LogFileID: id})
				continue
			}
			cells := fields[:r.nfields:r.nfields]
			fields = fields[r.nfields:]
			o := convert.Origin{Key: key, Observed: observed, LogFileID: id}
			if _, err := mapping.AppendCSV(batch, in.header, cells, o); err != nil {
				s.parseError()
				mapping.AppendRaw(batch, r.raw, err.Error(), o)
			}
			if batch.Len() >= s.opts.BatchRows {
				if !send(converted{logs: batch.Logs(), rows: row}) {
					return
				}
				observed = s.opts.Now()
				batch = convert.NewBatch(in.res, s.opts.BatchRows)
			}
		}
		if ch.last {
			send(converted{logs: batch.Logs(), rows: row, last: true, err: ch.err})
			return
		}
		free <- ch // never blocks: there are only chunksInFlight chunks
	}
}
