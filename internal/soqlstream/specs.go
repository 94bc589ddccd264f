package soqlstream

import (
	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// LoginHistory reads every login to the org, keyed by LoginTime.
var LoginHistory = fromCatalog("login_history", semconv.EventLoginHistory, "LoginHistory")

// SetupAuditTrail reads the org's configuration changes, keyed by CreatedDate.
var SetupAuditTrail = fromCatalog("setup_audit_trail", semconv.EventSetupAuditTrail, "SetupAuditTrail")

// fromCatalog is the spec of a security stream over an ordinary object
// the catalog lists: its access, time field, own-rows field and the
// fields it reads (where the org shows them).
func fromCatalog(name, event, object string) Spec {
	e := catalog.Lookup(object)
	return Spec{
		Stream: stream.Descriptor{
			Name:     name,
			Priority: sfapi.PrioritySecurity,
			Object:   e.Name,
			Access:   e.Access,
			Map:      convert.Mapping{EventName: event, TimestampField: e.Timestamp}.ForObject(e.Name),
		},
		OwnRows: e.OwnRows,
		Fields:  e.FieldNames(),
	}
}
