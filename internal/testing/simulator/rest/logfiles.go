package rest

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// Event Monitoring log files: EventLogFile records whose LogFile field is
// the path of a CSV body (the org's, org.LogFileBody) served at
// /services/data/vXX.X/sobjects/EventLogFile/<Id>/LogFile (REST API
// Developer Guide, "Get Event Monitoring Content from a Large Object":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_event_log_file_download.htm).

var logFilePathRe = regexp.MustCompile(`^/sobjects/EventLogFile/([0-9A-Za-z]{15,18})/LogFile$`)

func isLogFilePath(rest string) bool { return logFilePathRe.MatchString(rest) }

// handleLogFile serves a log file body, gzip-compressed when the client
// accepts it, as Salesforce does.
func (s *Server) handleLogFile(w http.ResponseWriter, r *http.Request, rest string) {
	id := logFilePathRe.FindStringSubmatch(rest)[1]
	body := s.org.LogFile(id)
	if body == nil && len(id) == 15 {
		body = s.org.LogFile(sfid.WithChecksum(id))
	}
	if body == nil {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	if rate := s.downloadRate.Load(); rate > 0 {
		w = &pacedWriter{ResponseWriter: w, ctx: r.Context(), rate: rate, start: time.Now()}
	}
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Length", strconv.FormatInt(body.Length(), 10))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, body.Open())
		}
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if gz := body.Gzip(); gz != nil {
		_, _ = w.Write(gz)
		return
	}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if _, err := io.Copy(zw, body.Open()); err == nil {
		_ = zw.Close()
	}
}

// SetDownloadRate caps how fast each LogFile download from now on is served,
// in bytes per second on the wire (after gzip); 0 lifts the cap.
func (s *Server) SetDownloadRate(bytesPerSecond int64) { s.downloadRate.Store(max(bytesPerSecond, 0)) }

// pacedWriter sends a body no faster than rate bytes/s since start, in
// slices of about 10 ms each, as a network link of that bandwidth would.
type pacedWriter struct {
	http.ResponseWriter
	ctx   context.Context
	rate  int64
	start time.Time
	sent  int64
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	slice := int(max(p.rate/100, 512))
	n := 0
	for len(b) > 0 {
		k := min(slice, len(b))
		due := p.start.Add(time.Duration(float64(p.sent) / float64(p.rate) * float64(time.Second)))
		if wait := time.Until(due); wait > 0 && !sleepCtx(p.ctx, wait) {
			return n, p.ctx.Err()
		}
		w, err := p.ResponseWriter.Write(b[:k])
		n += w
		p.sent += int64(w)
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// Flush passes on to the connection, so a paced body is not held back in
// the server's buffer.
func (p *pacedWriter) Flush() {
	if f, ok := p.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
