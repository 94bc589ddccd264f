// Package org is the simulated org's data: the objects it has (schemas
// from internal/catalog and the simulator's own, schema.go, data.go,
// catalog.go), the records it holds (store.go), generated as Salesforce
// would write them (generator.go, events.go) over a history and on
// arrival, its users, the rows of Event Log Objects and their delay
// (eventlogobjects.go), Event Monitoring log files (logfiles.go, with
// their content from simulator/elf), its inventory of OAuth tokens,
// connected apps and permission set assignments and the actions that change
// it (inventory.go), the security incidents it can be made to contain
// (incidents.go, inventory.go), and what field-level security hides from
// the integration user.
//
// The objects and fields follow Salesforce's Object Reference
// (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/)
// and the Real-Time Event Monitoring pages; each schema names the page it
// comes from (Schema.Doc). The REST API (simulator/rest) and the Pub/Sub
// API (simulator/pubsub) serve this data; SOQL (simulator/soql) reads it.
package org

import (
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

// The default org's id and newest API version (simulator.Options'
// defaults). Generated Event Monitoring rows and LoginAsEvent's
// DelegatedOrganizationId carry the default org's id in any org.
const (
	DefaultOrgID      = "00D5g0000SimOrgEQE"
	DefaultAPIVersion = "66.0"
)

// Config is what the org's data depends on; simulator.Options documents
// each field. Nothing here is defaulted: New takes it as given.
type Config struct {
	OrgID, UserID, Username string
	APIVersion              string // the newest version: LogFile paths name it
	Now                     func() time.Time
	Seed                    int64

	History                               time.Duration // <= 0: none
	LoginHistoryRows, SetupAuditTrailRows int
	SameTimestampRuns                     bool
	HiddenFields                          map[string][]string
	EventLogObjectRows                    map[string]int
	EventLogObjectDelay                   time.Duration
	Incidents                             []string
}

// Org is one simulated org's data; it is safe for concurrent use.
type Org struct {
	cfg Config
	reg Registry

	mu  sync.Mutex // guards st and gen (Locked)
	st  *store
	gen *Generator

	hiddenMu sync.RWMutex
	hidden   hiddenFields // never modified once published (HideField)

	files logFiles // EventLogFile bodies (logfiles.go)

	incMu     sync.Mutex
	incidents []Incident // incidents.go

	inv inventory // apps and permission sets by name (inventory.go); guarded by mu
}

// New builds an org and generates its history, deterministically from
// cfg.Seed. It panics on options that name what the org does not have.
func New(cfg Config) *Org {
	o := &Org{cfg: cfg, reg: NewRegistry()}
	seed := uint64(cfg.Seed)
	o.st = newStore(o.reg, func(object string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(object))
		const span = 62 * 62 * 62 * 62 * 62 * 62 // 62^6: ids look like 0Ya5g0000Ab3xZq
		return span + (h.Sum64()^seed)%span
	})
	o.gen = &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for object, fields := range cfg.HiddenFields {
		for _, f := range fields {
			o.HideField(object, f)
		}
	}
	o.seedUsers()
	o.generateHistory()
	o.generateObjectStreamHistory()
	o.generateEventLogObjectHistory()
	// After the history, so that it draws what it always did from Seed.
	o.seedInventory() // inventory.go
	o.injectConfig()  // incidents.go
	return o
}

// Schema is the schema of object (nil when the org has none).
func (o *Org) Schema(object string) *Schema { return o.reg.Lookup(object) }

// Schemas is every object the org has.
func (o *Org) Schemas() Registry { return o.reg }

// Locked runs fn with the org's records and generator to itself: what
// the APIs read and write beyond Records, Arrive and AddRecord.
func (o *Org) Locked(fn func(tx Tx)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn(Tx{o})
}

// Tx is the org's data inside Locked. Rows are never modified once
// stored, so a slice of them stays a snapshot after Locked returns.
type Tx struct{ o *Org }

// Rows is every row of object, ordered by Id (nil for an unknown object).
func (tx Tx) Rows(object string) []*Row {
	if t := tx.o.st.table(object); t != nil {
		return t.rows
	}
	return nil
}

// Row is the row of object with id (nil when there is none).
func (tx Tx) Row(object, id string) *Row {
	if t := tx.o.st.table(object); t != nil {
		return t.byID[id]
	}
	return nil
}

// Insert stores a record (as AddRecord) and returns its Id.
func (tx Tx) Insert(object string, fields map[string]any) (string, error) {
	return tx.o.st.insert(object, fields)
}

// MustInsert is Insert that panics on an error.
func (tx Tx) MustInsert(object string, fields map[string]any) string {
	return tx.o.mustInsert(object, fields)
}

// StoreEvent writes rec, an event of a storage object's topic, as a row of
// object: the same values in the fields the object has (but Id), and the
// store's own system fields the event does not carry (*EventNumber). It
// returns the row's Id. "EventIdentifier: The unique ID of the event,
// which is shared with the corresponding storage object" (every Real-Time
// Event Monitoring event's page, e.g.
// https://developer.salesforce.com/docs/platform/platform-events/guide/sforce-api-objects-logineventstream.html);
// a store's CreatedDate is when the row was written.
func (tx Tx) StoreEvent(object string, rec map[string]any) (string, error) {
	sch := tx.o.reg.Lookup(object)
	row := map[string]any{}
	for k, v := range rec {
		if sch.Field(k) != nil && k != "Id" {
			row[k] = v
		}
	}
	if e := catalog.Lookup(object); e != nil {
		tx.o.gen.storeFields(e, row)
	}
	return tx.o.st.insert(object, row)
}

// Gen is the org's generator of realistic values.
func (tx Tx) Gen() *Generator { return tx.o.gen }

// Tick adds the rows that arrive on one tick of the org's clock: a few
// LoginHistory and SetupAuditTrail rows (sometimes a run sharing one
// timestamp), and rows of the Event Log Objects that have generated
// history.
func (o *Org) Tick() {
	// LoginTime/CreatedDate have whole seconds in real orgs; ticks within one
	// second therefore add rows to a timestamp a client may have seen already.
	now := o.cfg.Now().Truncate(time.Second)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, name := range []string{"LoginHistory", "SetupAuditTrail"} {
		sch := o.reg.Lookup(name)
		for range o.gen.arrivalBatch(name, o.cfg.SameTimestampRuns) {
			o.mustInsert(name, sch.generate(o.gen, now))
		}
	}
	// Event Log Objects with generated history get new rows too, at the
	// millisecond; they become queryable after the documented delay.
	for _, name := range slices.Sorted(maps.Keys(o.cfg.EventLogObjectRows)) {
		if sch := o.reg.Lookup(name); sch != nil && sch.ELO && o.cfg.EventLogObjectRows[name] > 0 {
			at := o.cfg.Now().UTC().Truncate(time.Millisecond)
			o.insertELORows(sch, slices.Repeat([]time.Time{at}, o.gen.arrivalBatch(name, false)))
		}
	}
}

func (o *Org) seedUsers() {
	people := []struct{ user, name string }{
		{"admin@sfsim.example.com", "Ada Admin"},
		{"jane.doe@sfsim.example.com", "Jane Doe"},
		{"john.smith@sfsim.example.com", "John Smith"},
		{"priya.patel@sfsim.example.com", "Priya Patel"},
		{"li.wei@sfsim.example.com", "Li Wei"},
		{"autoproc@00d5g00000simorg", "Automated Process"},
		{"support@sfsim.example.com", "Salesforce Support"},
	}
	add := func(id, user, name string) {
		id = o.mustInsert("User", map[string]any{"Id": id, "Username": user, "Name": name, "IsActive": true, "UserType": "Standard"})
		o.gen.users = append(o.gen.users, simUser{id: id, username: user, name: name})
	}
	add(o.cfg.UserID, o.cfg.Username, "Integration User")
	for _, p := range people {
		add("", p.user, p.name)
	}
}

func (o *Org) generateHistory() {
	if o.cfg.History <= 0 {
		return
	}
	now := o.cfg.Now()
	r := noRuns
	if o.cfg.SameTimestampRuns {
		r = soqlRuns
	}
	for _, obj := range []struct {
		name string
		rows int
	}{{"LoginHistory", o.cfg.LoginHistoryRows}, {"SetupAuditTrail", o.cfg.SetupAuditTrailRows}} {
		sch := o.reg.Lookup(obj.name)
		for _, ts := range o.gen.timestamps(obj.rows, now.Add(-o.cfg.History), now, time.Second, r) {
			o.mustInsert(obj.name, sch.generate(o.gen, ts))
		}
	}
}

func (o *Org) mustInsert(object string, fields map[string]any) string {
	id, err := o.st.insert(object, fields)
	if err != nil {
		panic(err)
	}
	return id
}

// Records returns a copy of every stored record of object, ordered by Id
// (nil for an unknown object).
func (o *Org) Records(object string) []Record {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.st.table(object)
	if t == nil {
		return nil
	}
	return t.records()
}

// Arrive adds n generated records of object whose timestamp field is at.
// They share that timestamp; an `at` in the past makes records that become
// visible late (their Ids are still newer). Event Log Object rows become
// queryable after Config.EventLogObjectDelay, and some repeat the row
// before in every field. It panics on an object without a Generator.
func (o *Org) Arrive(object string, n int, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sch := o.reg.Lookup(object)
	if sch == nil || sch.generate == nil {
		panic("simulator: cannot generate records of " + object)
	}
	if sch.ELO {
		// Queryable after the documented delay; some rows twice.
		o.insertELORows(sch, slices.Repeat([]time.Time{at}, n))
		return
	}
	for range n {
		o.mustInsert(sch.Name, sch.generate(o.gen, at))
	}
}

// AddRecord stores a record with exactly these fields (others null) and
// returns its Id; an "Id" field is used as given. It panics on an unknown
// object or field, or a value of the wrong type.
func (o *Org) AddRecord(object string, fields map[string]any) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mustInsert(object, fields)
}

// Generated history rows per object (over Config.History).
var objectHistoryRows = []struct {
	object string
	rows   int
}{
	{"LoginEvent", 400},
	{"LogoutEvent", 200},
	{"ApiEvent", 600},
	{"Security_Case__c", 80},
	{"ReportEvent", 200}, // incidents.go: clean report activity
}

// generateObjectStreamHistory fills the big objects and the custom object
// over Config.History, with runs of events sharing one millisecond.
func (o *Org) generateObjectStreamHistory() {
	if o.cfg.History <= 0 {
		return
	}
	now := o.cfg.Now()
	for _, obj := range objectHistoryRows {
		sch := o.reg.Lookup(obj.object)
		for _, ts := range o.gen.timestamps(obj.rows, now.Add(-o.cfg.History), now, time.Millisecond, eventRuns) {
			o.mustInsert(obj.object, sch.generate(o.gen, ts))
		}
	}
}

// RemoveField drops a field from an object's schema, as on orgs or API
// versions that lack it (EventLogFile Interval and Sequence before API
// 37.0): queries naming it fail with INVALID_FIELD. Call it before the
// org's APIs take requests.
func (o *Org) RemoveField(object, name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sch := o.reg.Lookup(object)
	if sch == nil {
		panic("simulator: unknown object " + object)
	}
	sch.Fields = slices.DeleteFunc(sch.Fields, func(f Field) bool { return strings.EqualFold(f.Name, name) })
	sch.index()
}
