// Package elf is the content of Event Monitoring log files, the CSV bodies
// of EventLogFile records (REST API Developer Guide, "Get Event Monitoring
// Content from a Large Object":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_event_log_file_download.htm):
// the columns of each event type as "EventLogFile Supported Event Types"
// documents them (columns.go), deterministic realistic rows of any number
// or size (rows.go), and the CSV Salesforce writes (csv.go). The org keeps
// the files (simulator/org), the REST API serves them (simulator/rest).
package elf

import (
	"slices"
)

// column is one column of an EventLogFile CSV: its header name and its
// LogFileFieldTypes entry.
type column struct{ name, typ string }

// Column sets per event type, as Salesforce's EventLogFile event type
// reference documents them (order as in real files: the event's own
// columns, then the *_DERIVED ones). Enough of each to exercise typing
// (Number, Boolean, Id, IP, DateTime) and the attribute mapping.
var (
	lead = []column{
		{"EVENT_TYPE", "String"}, {"TIMESTAMP", "String"}, {"REQUEST_ID", "String"},
		{"ORGANIZATION_ID", "Id"}, {"USER_ID", "Id"},
	}
	request = []column{
		{"RUN_TIME", "Number"}, {"CPU_TIME", "Number"}, {"URI", "String"}, {"SESSION_KEY", "String"},
		{"LOGIN_KEY", "String"}, {"USER_TYPE", "String"}, {"REQUEST_STATUS", "String"}, {"DB_TOTAL_TIME", "Number"},
	}
	derived = []column{
		{"TIMESTAMP_DERIVED", "DateTime"}, {"USER_ID_DERIVED", "Id"}, {"CLIENT_IP", "IP"}, {"URI_ID_DERIVED", "Id"},
	}
)

func cols(parts ...[]column) []column { return slices.Concat(parts...) }

var schemas = map[string][]column{
	"Login": cols(lead, request, []column{
		{"LOGIN_TYPE", "String"}, {"BROWSER_TYPE", "String"}, {"API_TYPE", "String"}, {"API_VERSION", "String"},
		{"USER_NAME", "String"}, {"TLS_PROTOCOL", "String"}, {"CIPHER_SUITE", "String"},
		{"AUTHENTICATION_METHOD_REFERENCE", "String"}, {"LOGIN_SUB_TYPE", "String"},
	}, derived, []column{{"LOGIN_STATUS", "String"}, {"SOURCE_IP", "IP"}}),
	"Logout": cols(lead, []column{
		{"SESSION_KEY", "String"}, {"LOGIN_KEY", "String"}, {"USER_TYPE", "String"}, {"API_TYPE", "String"},
		{"API_VERSION", "String"}, {"APP_TYPE", "Number"}, {"BROWSER_TYPE", "String"}, {"CLIENT_VERSION", "Number"},
		{"PLATFORM_TYPE", "Number"}, {"RESOLUTION_TYPE", "Number"}, {"SESSION_LEVEL", "Number"},
		{"USER_INITIATED_LOGOUT", "Boolean"}, {"SESSION_TYPE", "String"},
		{"TIMESTAMP_DERIVED", "DateTime"}, {"USER_ID_DERIVED", "Id"}, {"CLIENT_IP", "IP"},
	}),
	"API": cols(lead, request, []column{
		{"API_TYPE", "String"}, {"API_VERSION", "String"}, {"CLIENT_NAME", "String"}, {"METHOD_NAME", "String"},
		{"ENTITY_NAME", "String"}, {"ROWS_PROCESSED", "Number"}, {"REQUEST_SIZE", "Number"},
		{"RESPONSE_SIZE", "Number"}, {"QUERY", "String"}, {"DB_BLOCKS", "Number"}, {"DB_CPU_TIME", "Number"},
	}, derived),
	"RestApi": cols(lead, request, []column{
		{"ENTITY_NAME", "String"}, {"METHOD", "String"}, {"MEDIA_TYPE", "String"}, {"STATUS_CODE", "Number"},
		{"USER_AGENT", "String"}, {"ROWS_PROCESSED", "Number"}, {"NUMBER_FIELDS", "Number"},
		{"DB_BLOCKS", "Number"}, {"DB_CPU_TIME", "Number"}, {"REQUEST_SIZE", "Number"},
		{"RESPONSE_SIZE", "Number"}, {"CONNECTED_APP_ID", "Id"},
	}, derived),
	"URI": cols(lead, request, []column{
		{"REFERRER_URI", "String"}, {"DB_BLOCKS", "Number"}, {"DB_CPU_TIME", "Number"},
	}, derived),
	"Report": cols(lead, request, []column{
		{"ENTITY_NAME", "String"}, {"DISPLAY_TYPE", "String"}, {"RENDERING_TYPE", "String"}, {"REPORT_ID", "Id"},
		{"ROW_COUNT", "Number"}, {"NUMBER_EXCEPTION_FILTERS", "Number"}, {"NUMBER_COLUMNS", "Number"},
		{"AVERAGE_ROW_SIZE", "Number"}, {"SORT", "String"}, {"DB_BLOCKS", "Number"}, {"DB_CPU_TIME", "Number"},
		{"ORIGIN", "String"}, {"IS_SCHEDULED", "Boolean"},
	}, derived, []column{{"REPORT_ID_DERIVED", "Id"}}),
	"ReportExport": cols(lead, []column{
		{"URI", "String"}, {"CLIENT_INFO", "String"}, {"REPORT_DESCRIPTION", "String"},
	}, derived),
	"LightningPageView": cols(lead, []column{
		{"CLIENT_ID", "String"}, {"SESSION_KEY", "String"}, {"LOGIN_KEY", "String"}, {"USER_TYPE", "String"},
		{"APP_NAME", "String"}, {"DEVICE_PLATFORM", "String"}, {"DEVICE_SESSION_ID", "String"},
		{"DURATION", "Number"}, {"EFFECTIVE_PAGE_TIME", "Number"}, {"PAGE_APP_NAME", "String"},
		{"PAGE_CONTEXT", "String"}, {"PAGE_ENTITY_ID", "Id"}, {"PAGE_ENTITY_TYPE", "String"},
		{"PAGE_START_TIME", "Number"}, {"PAGE_URL", "String"}, {"PREVPAGE_ENTITY_ID", "Id"},
		{"PREVPAGE_ENTITY_TYPE", "String"}, {"PREVPAGE_URL", "String"}, {"BROWSER_NAME", "String"},
		{"BROWSER_VERSION", "String"}, {"OS_NAME", "String"}, {"OS_VERSION", "String"}, {"USER_AGENT", "String"},
		{"TIMESTAMP_DERIVED", "DateTime"}, {"USER_ID_DERIVED", "Id"}, {"CLIENT_IP", "IP"}, {"CLIENT_GEO", "String"},
	}),
	"ApexExecution": cols(lead, []column{
		{"RUN_TIME", "Number"}, {"CPU_TIME", "Number"}, {"URI", "String"}, {"QUIDDITY", "String"},
		{"ENTRY_POINT", "String"}, {"EXEC_TIME", "Number"}, {"CALLOUT_TIME", "Number"},
		{"NUMBER_SOQL_QUERIES", "Number"}, {"IS_LONG_RUNNING_REQUEST", "Boolean"}, {"DB_TOTAL_TIME", "Number"},
	}, derived),
	"LoginAs": cols(lead, request, []column{
		{"DELEGATED_USER_ID", "Id"}, {"DELEGATED_USER_NAME", "String"}, {"DELEGATED_ORGANIZATION_ID", "Id"},
	}, derived),
}

// EventTypes lists the event types the simulator has column sets for.
//
// Columns and types follow "EventLogFile Supported Event Types" (Object
// Reference: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile_supportedeventtypes.htm).
func EventTypes() []string {
	out := make([]string, 0, len(schemas))
	for k := range schemas {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Columns returns the documented header and LogFileFieldTypes of an
// event type (nil for an unknown one).
func Columns(eventType string) (names, types []string) {
	for _, c := range schemas[eventType] {
		names = append(names, c.name)
		types = append(types, c.typ)
	}
	return names, types
}
