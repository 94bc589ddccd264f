package simulator

import (
	"io"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/elf"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// The org's data: simulator/org holds and documents it.

// Record is a stored record as ground truth for tests (org.Record).
type Record = org.Record

// LogFile describes an EventLogFile to add (org.LogFile).
type LogFile = org.LogFile

// Incident is the ground truth of one injected incident (org.Incident).
type Incident = org.Incident

// The incidents Inject knows (org.Incident*).
const (
	IncidentFailedLoginBurst = org.IncidentFailedLoginBurst
	IncidentPasswordSpray    = org.IncidentPasswordSpray
	IncidentNewCountry       = org.IncidentNewCountry
	IncidentLoginAs          = org.IncidentLoginAs
	IncidentPermissionChange = org.IncidentPermissionChange
	IncidentMassReportExport = org.IncidentMassReportExport
	IncidentAPIAnomaly       = org.IncidentAPIAnomaly

	IncidentMassAPIExport          = org.IncidentMassAPIExport
	IncidentNewAPIClient           = org.IncidentNewAPIClient
	IncidentRefreshTokenNewAddress = org.IncidentRefreshTokenNewAddress

	// Incidents that change the inventory: inject them after a first
	// reading (org.IncidentOAuthAppAuthorized).
	IncidentOAuthAppAuthorized = org.IncidentOAuthAppAuthorized
	IncidentPrivilegeGrant     = org.IncidentPrivilegeGrant
)

// InventoryIncident reports whether the incident name changes the org's
// inventory (and so is seen only if injected after a first reading).
func InventoryIncident(name string) bool {
	return name == IncidentOAuthAppAuthorized || name == IncidentPrivilegeGrant
}

// IncidentNames lists every incident Inject knows, in a stable order.
func IncidentNames() []string { return org.IncidentNames() }

// NoEventLogObjectDelay, as Options.EventLogObjectDelay, makes Event Log
// Object rows queryable at once.
const NoEventLogObjectDelay = org.NoEventLogObjectDelay

// EventLogObjects lists the Event Log Objects the simulator serves.
func EventLogObjects() []string { return org.EventLogObjects() }

// Records returns a copy of every stored record of object, ordered by Id
// (nil for an unknown object).
func (s *Server) Records(object string) []Record { return s.org.Records(object) }

// Arrive adds n generated records of object whose timestamp field is at
// (org.Org.Arrive).
func (s *Server) Arrive(object string, n int, at time.Time) { s.org.Arrive(object, n, at) }

// AddRecord stores a record with exactly these fields (others null) and
// returns its Id (org.Org.AddRecord).
func (s *Server) AddRecord(object string, fields map[string]any) string {
	return s.org.AddRecord(object, fields)
}

// HideField hides a field from the integration user, as field-level
// security does (org.Org.HideField).
func (s *Server) HideField(object, name string) { s.org.HideField(object, name) }

// RemoveField drops a field from an object's schema (org.Org.RemoveField).
func (s *Server) RemoveField(object, name string) { s.org.RemoveField(object, name) }

// AddLogFile stores an EventLogFile and its body and returns its Id
// (org.Org.AddLogFile).
func (s *Server) AddLogFile(f LogFile) string { return s.org.AddLogFile(f) }

// SeedLogFiles adds realistic files over [from, to) (org.Org.SeedLogFiles).
func (s *Server) SeedLogFiles(from, to time.Time, hourly bool, rowsPerFile int) []string {
	return s.org.SeedLogFiles(from, to, hourly, rowsPerFile)
}

// LogFileRows returns the data rows of a log file added with Rows or
// GenRows (nil otherwise).
func (s *Server) LogFileRows(id string) [][]string { return s.org.LogFileRows(id) }

// LogFileRowCount is the number of data rows of a log file (-1 if unknown id).
func (s *Server) LogFileRowCount(id string) int { return s.org.LogFileRowCount(id) }

// LogFileGzipBytes is the size on the wire of a gzip download of a
// Precompress file (-1: unknown file, or not precompressed).
func (s *Server) LogFileGzipBytes(id string) int { return s.org.LogFileGzipBytes(id) }

// Inject adds the records of incident name at the server's Now and
// returns its ground truth (org.Org.Inject).
func (s *Server) Inject(name string) (Incident, error) { return s.org.Inject(name) }

// Incidents returns every incident injected so far, in order.
func (s *Server) Incidents() []Incident { return s.org.Incidents() }

// ELFEventTypes lists the event types the simulator has column sets for
// (elf.EventTypes).
func ELFEventTypes() []string { return elf.EventTypes() }

// ELFColumns returns the documented header and LogFileFieldTypes of an
// event type, nil for an unknown one (elf.Columns).
func ELFColumns(eventType string) (names, types []string) { return elf.Columns(eventType) }

// EncodeCSV renders rows the way Salesforce writes log files (elf.EncodeCSV).
func EncodeCSV(header []string, rows [][]string) []byte { return elf.EncodeCSV(header, rows) }

// NewLogFileReader streams a deterministic generated log file of eventType
// of the default org (elf.NewReader).
func NewLogFileReader(eventType string, seed uint64, from time.Time, span time.Duration, maxRows int, maxBytes int64) io.Reader {
	return elf.NewReader(eventType, DefaultOrgID, seed, from, span, maxRows, maxBytes)
}

// The org's inventory (simulator/org's inventory.go): its apps, tokens
// and permission sets, and the actions that change them.

// App is a connected app as users authorize it (org.App).
type App = org.App

// Permission sets the actions use (org.PermSet*).
const (
	PermSetModifyAllData = org.PermSetModifyAllData
	PermSetViewAllData   = org.PermSetViewAllData
	PermSetReportBuilder = org.PermSetReportBuilder
)

// Apps lists the apps the org's users can hold tokens of, by label.
func (s *Server) Apps() []App { return s.org.Apps() }

// AuthorizeApp has user (an Id) authorize the app labeled app: a new
// token (org.Org.AuthorizeApp).
func (s *Server) AuthorizeApp(user, app string) (string, error) { return s.org.AuthorizeApp(user, app) }

// AuthorizeForeignApp has user authorize an app of another org labeled
// app, under a new App Picker item (org.Org.AuthorizeForeignApp).
func (s *Server) AuthorizeForeignApp(user, app string) (string, error) {
	return s.org.AuthorizeForeignApp(user, app)
}

// RevokeToken revokes user's newest token for app (org.Org.RevokeToken).
func (s *Server) RevokeToken(user, app string) (string, error) { return s.org.RevokeToken(user, app) }

// UseToken records a use of user's newest token for app (org.Org.UseToken).
func (s *Server) UseToken(user, app string) error { return s.org.UseToken(user, app) }

// AssignPermissionSet assigns the permission set named set to user
// (org.Org.AssignPermissionSet).
func (s *Server) AssignPermissionSet(user, set string) (string, error) {
	return s.org.AssignPermissionSet(user, set)
}

// UnassignPermissionSet removes user's assignment of set
// (org.Org.UnassignPermissionSet).
func (s *Server) UnassignPermissionSet(user, set string) (string, error) {
	return s.org.UnassignPermissionSet(user, set)
}

// SetAdminApprovedOnly changes a connected app's permitted-users policy
// (org.Org.SetAdminApprovedOnly).
func (s *Server) SetAdminApprovedOnly(app string, only bool) error {
	return s.org.SetAdminApprovedOnly(app, only)
}

// InventoryChurn makes a clean org's routine inventory changes and returns
// how many items changed (org.Org.InventoryChurn).
func (s *Server) InventoryChurn() int { return s.org.InventoryChurn() }
