package rest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

func TestLogFileDownload(t *testing.T) {
	s := simulator.NewTestServer(t, simtest.Options())
	day := simtest.Now.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	tok := simtest.Login(t, s)
	for _, ev := range simulator.ELFEventTypes() {
		t.Run(ev, func(t *testing.T) {
			id := s.AddLogFile(simulator.LogFile{EventType: ev, LogDate: day, GenRows: 45})
			recs, _ := simtest.QueryAll(t, s, tok, "SELECT Id, LogFile, LogFileFieldNames, LogFileFieldTypes, LogFileLength, Interval, Sequence FROM EventLogFile WHERE Id = '"+id+"'", 0)
			require.Len(t, recs, 1)
			path := recs[0]["LogFile"].(string)
			require.Equal(t, "/services/data/v66.0/sobjects/EventLogFile/"+id+"/LogFile", path)
			names, types := simulator.ELFColumns(ev)
			require.Equal(t, strings.Join(names, ","), recs[0]["LogFileFieldNames"])
			require.Equal(t, strings.Join(types, ","), recs[0]["LogFileFieldTypes"])
			require.Equal(t, "Daily", recs[0]["Interval"])

			plain := simtest.Get(t, s, tok, path, nil)
			require.Equal(t, 200, plain.Status)
			require.EqualValues(t, len(plain.Body), recs[0]["LogFileLength"])
			zipped := simtest.Get(t, s, tok, path, map[string]string{"Accept-Encoding": "gzip"})
			require.Equal(t, "gzip", zipped.Header.Get("Content-Encoding"))
			zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
			require.NoError(t, err)
			unzipped, err := io.ReadAll(zr)
			require.NoError(t, err)
			require.Equal(t, plain.Body, unzipped)

			all, err := csv.NewReader(bytes.NewReader(plain.Body)).ReadAll()
			require.NoError(t, err)
			require.Equal(t, names, all[0])
			require.Equal(t, s.LogFileRows(id), all[1:])
			require.Equal(t, 45, s.LogFileRowCount(id))
		})
	}
	require.Equal(t, 404, simtest.Get(t, s, tok, "/services/data/v66.0/sobjects/EventLogFile/0AT5g0000000000AAA/LogFile", nil).Status)
}

// A paced download takes at least its bytes over the rate and serves the
// same body as an unpaced one.
func TestDownloadRate(t *testing.T) {
	s := simulator.NewTestServer(t, simtest.Options())
	id := s.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: simtest.Now.Add(-48 * time.Hour), GenBytes: 300 << 10})
	tok := simtest.Login(t, s)
	path := "/services/data/v66.0/sobjects/EventLogFile/" + id + "/LogFile"
	// identity: net/http would otherwise ask for gzip and unzip it unseen.
	unpaced := simtest.Get(t, s, tok, path, map[string]string{"Accept-Encoding": "identity"})
	for _, gz := range []bool{false, true} {
		hdr := map[string]string{"Accept-Encoding": "identity"}
		if gz {
			hdr["Accept-Encoding"] = "gzip"
		}
		wire := len(simtest.Get(t, s, tok, path, hdr).Body)
		const rate = 2 << 20
		s.SetDownloadRate(rate)
		began := time.Now()
		paced := simtest.Get(t, s, tok, path, hdr)
		took := time.Since(began)
		s.SetDownloadRate(0)
		require.Equal(t, 200, paced.Status)
		require.Len(t, paced.Body, wire)
		if !gz {
			require.Equal(t, unpaced.Body, paced.Body)
		}
		// The last slice is sent without waiting after it.
		want := time.Duration(float64(wire-rate/100) / rate * float64(time.Second))
		require.GreaterOrEqual(t, took, want, "gzip %v: %d bytes at %d B/s", gz, wire, rate)
	}
}
