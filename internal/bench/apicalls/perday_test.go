package apicalls

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/plog"

	salesforcereceiver "github.com/sfevents/salesforcereceiver"
	"github.com/sfevents/salesforcereceiver/internal/eventlog"
	"github.com/sfevents/salesforcereceiver/internal/eventlogobjects"
	"github.com/sfevents/salesforcereceiver/internal/inventory"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// Daily volumes of a busy org (the README's "What to turn on" quotes these
// runs): logins and LoginEvents per day, audit-trail changes per day, and
// the ELF event types whose daily file it produces.
const (
	busyLoginsPerDay  = 100_000
	busyChangesPerDay = 2_000
)

var busyELFTypes = []string{"Login", "Logout", "API", "RestApi", "URI", "Report", "ReportExport", "LightningPageView", "ApexExecution", "LoginAs"}

// steady runs a source's first poll (the backfill, not counted), then one
// poll after arrive() added an interval's worth of data, and returns the
// data API calls of that second poll: what every poll of a running
// collector costs.
func steady[C any](b *testing.B, sim *simulator.Server, c *sfapi.Client, src stream.Source[C], arrive func()) int64 {
	ctx := context.Background()
	org, err := c.Org(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cur := src.Initial()
	keep := func(_ context.Context, _ plog.Logs, next C) error { cur = next; return nil }
	if err := src.Poll(ctx, org, cur, keep); err != nil {
		b.Fatal(err)
	}
	arrive()
	before := sim.Calls().Total
	if err := src.Poll(ctx, org, cur, keep); err != nil {
		b.Fatal(err)
	}
	return sim.Calls().Total - before
}

// BenchmarkAPICallsPerDay is what each stream costs the org's daily API
// allowance at the default poll intervals: the measured calls of one
// steady poll, idle and busy, times the polls in a day. Token calls do
// not count against the allowance; Pub/Sub costs none but tokens.
func BenchmarkAPICallsPerDay(b *testing.B) {
	cfg := salesforcereceiver.NewFactory().CreateDefaultConfig().(*salesforcereceiver.Config)
	var obj salesforcereceiver.ObjectConfig
	if err := obj.Unmarshal(confmap.New()); err != nil { // an object's defaults
		b.Fatal(err)
	}
	objectInterval := obj.PollInterval
	perDay := func(interval time.Duration) float64 { return float64(24*time.Hour) / float64(interval) }
	intervalRows := func(perDayRows int, interval time.Duration) int {
		return int(math.Ceil(float64(perDayRows) / perDay(interval)))
	}
	newSim := func(b *testing.B) (*simulator.Server, *sfapi.Client) {
		sim := simulator.NewTestServer(b, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, History: -1,
			DailyLimit: 1 << 40, NoLoginHistory: true})
		return sim, sftest.Client(b, sim, sftest.DefaultPacing)
	}
	soql := func(spec soqlstream.Spec, object string, interval time.Duration, perDayRows int) func(b *testing.B, busy bool) int64 {
		return func(b *testing.B, busy bool) int64 {
			sim, c := newSim(b)
			src := soqlstream.New(c, spec, soqlstream.Options{Backfill: time.Hour, Overlap: soqlstream.DefaultOverlap})
			return steady(b, sim, c, src, func() {
				if busy {
					sim.Arrive(object, intervalRows(perDayRows, interval), time.Now().Add(-time.Second))
				}
			})
		}
	}
	tests := []struct {
		stream   string
		interval time.Duration
		calls    func(b *testing.B, busy bool) int64
	}{
		{"login_history", cfg.LoginHistory.PollInterval,
			soql(soqlstream.LoginHistory, "LoginHistory", cfg.LoginHistory.PollInterval, busyLoginsPerDay)},
		{"setup_audit_trail", cfg.SetupAuditTrail.PollInterval,
			soql(soqlstream.SetupAuditTrail, "SetupAuditTrail", cfg.SetupAuditTrail.PollInterval, busyChangesPerDay)},
		{"event_log_file", cfg.EventLogFile.PollInterval, func(b *testing.B, busy bool) int64 {
			sim, c := newSim(b)
			src := eventlog.New(c, eventlog.Options{Backfill: 3 * 24 * time.Hour})
			yesterday := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
			return steady(b, sim, c, src, func() {
				if busy { // the day's files appear in one of the day's polls
					for _, typ := range busyELFTypes {
						sim.AddLogFile(simulator.LogFile{EventType: typ, LogDate: yesterday, GenRows: 100})
					}
				}
			})
		}},
		{"objects/LoginEvent", objectInterval, func(b *testing.B, busy bool) int64 {
			sim, c := newSim(b)
			// A big object is read in windows that end a lag behind now: the
			// clock moves one interval between the polls.
			clock := time.Now().Add(-time.Hour)
			src := objects.New(c, objects.Config{Name: "LoginEvent", TimestampField: "EventDate"},
				objects.Options{Backfill: time.Hour, Now: func() time.Time { return clock }})
			return steady(b, sim, c, src, func() {
				if busy {
					sim.Arrive("LoginEvent", intervalRows(busyLoginsPerDay, objectInterval), clock.Add(time.Minute))
				}
				clock = clock.Add(objectInterval)
			})
		}},
		// Every Event Log Object the org has (all 44 the catalog knows):
		// each is a window reader whose windows end an hour behind now.
		{"event_log_objects", cfg.EventLogObjects.PollInterval, func(b *testing.B, busy bool) int64 {
			sim, c := newSim(b)
			interval := cfg.EventLogObjects.PollInterval
			clock := time.Now()
			src := eventlogobjects.New(c, eventlogobjects.Options{Backfill: 2 * time.Hour, Now: func() time.Time { return clock }})
			return steady(b, sim, c, src, func() {
				if busy { // an hour of logins, past Salesforce's delay before they are queryable
					sim.Arrive("LoginEventLog", intervalRows(busyLoginsPerDay, interval), clock.Add(-interval+time.Minute))
				}
				clock = clock.Add(interval)
			})
		}},
		// The inventory reads every part in full each poll: its calls
		// follow the org's size, not its changes. Idle is the simulator's
		// small org; busy a large one (5,000 tokens, 1,000 privileged
		// assignments) with a clean hour's changes.
		{"inventory", cfg.Inventory.PollInterval, func(b *testing.B, busy bool) int64 {
			sim, c := newSim(b)
			if busy {
				largeInventory(b, sim)
			}
			src := inventory.New(c, inventory.Options{})
			return steady(b, sim, c, src, func() {
				if busy {
					sim.InventoryChurn()
				}
			})
		}},
	}
	for _, tt := range tests {
		b.Run(tt.stream, func(b *testing.B) {
			var idle, busy int64
			for b.Loop() {
				idle, busy = tt.calls(b, false), tt.calls(b, true)
			}
			polls := perDay(tt.interval)
			b.ReportMetric(float64(idle), "calls/idle-poll")
			b.ReportMetric(float64(busy), "calls/busy-poll")
			dayIdle, day := float64(idle)*polls, float64(busy)*polls
			switch tt.stream {
			case "event_log_file": // one poll a day sees the day's files
				day = float64(idle)*(polls-1) + float64(busy)
			case "inventory": // and once a day the describe of External Client Apps, which the org does not expose
				dayIdle++
				day++
			}
			b.ReportMetric(dayIdle, "calls/day-idle")
			b.ReportMetric(day, "calls/day-busy")
			fmt.Printf("APICALLS_PER_DAY stream=%s interval=%s idle_poll=%d busy_poll=%d day_idle=%.0f day_busy=%.0f\n",
				tt.stream, tt.interval, idle, busy, dayIdle, day)
		})
	}
}

// largeInventory grows sim's inventory to a large org's: 5,000 tokens
// (each user at most five of an app, as Salesforce allows) and 1,000
// privileged permission set assignments.
func largeInventory(b *testing.B, sim *simulator.Server) {
	b.Helper()
	users := sim.Records("User")
	for i := range 5000 {
		u := users[i%len(users)].ID
		if _, err := sim.AuthorizeApp(u, fmt.Sprintf("App %d", i/(5*len(users)))); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1000 {
		if _, err := sim.AssignPermissionSet(users[i%len(users)].ID, simulator.PermSetViewAllData); err != nil {
			b.Fatal(err)
		}
	}
}
