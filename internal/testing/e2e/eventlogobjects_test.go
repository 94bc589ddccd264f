//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// eloRow is an Event Log Object row as text: its string fields and its
// Timestamp in milliseconds, whichever side (the simulator's row, the
// delivered body) it is read from.
func eloRow(e *catalog.Entry, get func(field string) (any, bool)) string {
	var b strings.Builder
	for _, f := range e.Fields {
		v, ok := get(f.Name)
		if !ok || v == nil {
			continue
		}
		switch t := v.(type) {
		case time.Time:
			v = t.UnixMilli()
		case string:
			if f.Type == "datetime" {
				if ts, err := time.Parse("2006-01-02T15:04:05.000-0700", t); err == nil {
					v = ts.UnixMilli()
				}
			}
		case int64:
			v = float64(t) // numbers compare as doubles (JSON has one kind)
		}
		fmt.Fprintf(&b, "%s=%v;", f.Name, v)
	}
	return b.String()
}

// An Event Log Object of 10,000 rows, every one with the placeholder Id,
// some sharing their millisecond and some identical in every field,
// arrives complete and once (by log.record.uid; only pages in flight at a
// kill come again, with their uid), across three SIGKILLs, with user.id
// and client.address set from UserIdentifier and ClientIp.
func TestEventLogObjectThroughSIGKILLs(t *testing.T) {
	const object, rows = "AuraRequestEventLog", 10000
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1}, envConfig{
		Exporter: syncExport,
		Receiver: "    event_log_objects:\n      enabled: true\n      objects: [" + object + "]\n      poll_interval: 1s\n      backfill: 30h\n",
	})
	now := time.Now()
	rnd := rand.New(rand.NewPCG(uint64(now.UnixNano()), 7))
	for range rows / 5 { // five rows per millisecond
		at := now.Add(-2*time.Hour - time.Duration(rnd.Int64N(int64(24*time.Hour)))).Truncate(time.Millisecond)
		e.sim.Arrive(object, 5, at)
	}
	entry := catalog.Lookup(object)
	truth := map[string]int{}
	for _, r := range e.sim.Records(object) {
		require.True(t, catalog.IsPlaceholderID(fmt.Sprint(r.Fields["Id"])), "the simulator gives every row the placeholder Id")
		truth[eloRow(entry, func(f string) (any, bool) { v, ok := r.Fields[f]; return v, ok })]++
	}
	total := 0
	for _, n := range truth {
		total += n
	}
	require.Equal(t, rows, total)
	identical := 0
	for _, n := range truth {
		if n > 1 {
			identical += n
		}
	}
	t.Logf("ELO %d rows, %d of them identical to another in every field", total, identical)

	e.sink.keepRecords()
	e.sim.InjectFault(simulator.Fault{Path: "/query", Delay: 1500 * time.Millisecond, Times: 1 << 30})
	e.sink.setDelay(300 * time.Millisecond)
	// Each kill lands while pages arrive: once the run delivered
	// something, within the next second.
	var resent []int
	var snapshot map[string]int
	for k := range 3 {
		before := len(e.sink.snapshot())
		e.start()
		require.Eventually(t, func() bool { return len(e.sink.snapshot()) > before }, 60*time.Second, 20*time.Millisecond)
		time.Sleep(time.Duration(rnd.IntN(1000)) * time.Millisecond)
		e.stop(syscall.SIGKILL)
		time.Sleep(400 * time.Millisecond) // requests already read land
		now := e.sink.snapshot()
		if k > 0 {
			r, _ := resentSince(e.sink, snapshot, now)
			resent = append(resent, r)
		}
		snapshot = now
		t.Logf("kill %d: %d of %d rows received so far", k+1, len(now), rows)
	}
	require.Less(t, len(e.sink.snapshot()), rows, "the kills must land while the object is read")
	e.start()
	require.Eventually(t, func() bool { return len(e.sink.snapshot()) >= rows }, 180*time.Second, 200*time.Millisecond)
	time.Sleep(2 * time.Second) // a repeat would land now
	r, _ := resentSince(e.sink, snapshot, e.sink.snapshot())
	resent = append(resent, r)

	byUID := map[string]sinkRecord{}
	copies := 0
	for _, rec := range e.sink.records() {
		uid := fmt.Sprint(rec.Attrs[semconv.AttrLogRecordUID])
		if _, dup := byUID[uid]; dup {
			copies++
			continue
		}
		byUID[uid] = rec
	}
	got := map[string]int{}
	withUser, withAddr, wantAddr := 0, 0, 0
	for uid, rec := range byUID {
		require.NotEqual(t, convert.RecordUID(e.sim.Options().OrgID, "object/"+object, catalog.PlaceholderID), uid)
		got[eloRow(entry, func(f string) (any, bool) { v, ok := rec.Body[f]; return v, ok })]++
		if u, ok := rec.Attrs[semconv.AttrUserID].(string); ok && len(u) == 18 {
			withUser++
		}
		if ip, ok := rec.Body["ClientIp"].(string); ok {
			if _, err := netip.ParseAddr(ip); err == nil {
				wantAddr++
				if rec.Attrs[semconv.AttrClientAddr] == ip {
					withAddr++
				}
			}
		}
		assert.Equal(t, object, rec.Attrs[semconv.AttrEventType])
	}
	missing, extra := 0, 0
	for k, n := range truth {
		missing += max(n-got[k], 0)
	}
	for k, n := range got {
		extra += max(n-truth[k], 0)
	}
	report(t, "Event Log Object, SIGKILL x3", tally{Expected: rows, Delivered: e.sink.total(), Missing: missing, Duplicated: copies, Mismatched: extra},
		fmt.Sprintf("identical_rows=%d resent_per_kill=%v with_user_id=%d client_address=%d/%d", identical, resent, withUser, withAddr, wantAddr))
	require.Zero(t, missing, "every row arrives")
	require.Zero(t, extra, "no row arrives as another's copy")
	assert.Len(t, byUID, rows, "one uid per row")
	sum := 0
	for _, n := range resent {
		sum += n
	}
	assert.Equal(t, sum, copies, "every repeat follows a kill, with its uid")
	assert.Equal(t, rows, withUser, "user.id on every row")
	assert.Positive(t, wantAddr)
	assert.Equal(t, wantAddr, withAddr, "client.address wherever ClientIp is an address")
	assert.True(t, slices.ContainsFunc(e.sim.Records(object), func(r simulator.Record) bool { return r.Fields["ClientIp"] == "Salesforce.com IP" }) || wantAddr == rows)
	e.stop(syscall.SIGTERM)
}
