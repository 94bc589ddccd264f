package sfapi

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseLimitInfo(t *testing.T) {
	app := func(name string, used, limit int64) *AppUsage { return &AppUsage{Name: name, Used: used, Max: limit} }
	tests := []struct {
		in   string
		want LimitInfo
		ok   bool
	}{
		// The forms Salesforce documents ("Limit Info Header", current and older versions).
		{"api-usage=18/5000", LimitInfo{Used: 18, Max: 5000}, true},
		{"api-usage=10018/100000", LimitInfo{Used: 10018, Max: 100000}, true},
		{"api-usage=10018/100000; api-bursts=1/750", LimitInfo{Used: 10018, Max: 100000}, true},
		{"api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)",
			LimitInfo{Used: 25, Max: 5000, App: app("sample-connected-app", 17, 250)}, true},
		// Tolerated: commas, no spaces, other orders, unknown parts, names with separators.
		{"api-usage=18/5000, per-app-api-usage=17/250(appName=sample-app)", LimitInfo{Used: 18, Max: 5000, App: app("sample-app", 17, 250)}, true},
		{"per-app-api-usage=17/250(appName=x);api-usage=99/15000", LimitInfo{Used: 99, Max: 15000, App: app("x", 17, 250)}, true},
		{"per-app-api-usage=1/2(appName=Acme; Inc, EU);api-usage=3/4", LimitInfo{Used: 3, Max: 4, App: app("Acme; Inc, EU", 1, 2)}, true},
		{"future-part=a/b; api-usage=5/10 ;", LimitInfo{Used: 5, Max: 10}, true},
		{" API-Usage = 0 / 100 ", LimitInfo{Used: 0, Max: 100}, true},
		{"api-usage=9000000000/9000000001", LimitInfo{Used: 9000000000, Max: 9000000001}, true},
		{"api-usage=5/10; per-app-api-usage=3/x(appName=y)", LimitInfo{Used: 5, Max: 10}, true},
		{"api-usage=5/10; per-app-api-usage=3/4", LimitInfo{Used: 5, Max: 10, App: app("", 3, 4)}, true},
		{"", LimitInfo{}, false},
		{"per-app-api-usage=17/250(appName=x)", LimitInfo{}, false},
		{"api-usage=18", LimitInfo{}, false},
		{"api-usage=a/b", LimitInfo{}, false},
		{"api-usage=5/0", LimitInfo{}, false},
		{"api-usage=-1/10", LimitInfo{}, false},
		{"garbage,,,==//", LimitInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseLimitInfo(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestQuoteString(t *testing.T) {
	tests := map[string]string{
		"":               `''`,
		"plain":          `'plain'`,
		"O'Brien":        `'O\'Brien'`,
		`back\slash`:     `'back\\slash'`,
		`say "hi"`:       `'say \"hi\"'`,
		"a\nb\rc\td":     `'a\nb\rc\td'`,
		"\b\f":           `'\b\f'`,
		`\' OR Id != '`:  `'\\\' OR Id != \''`,
		"unicode ünï ✓":  `'unicode ünï ✓'`,
		"100% _wildcard": `'100% _wildcard'`,
	}
	for in, want := range tests {
		assert.Equal(t, want, QuoteString(in), in)
	}
}

func TestFormatDateTime(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	assert.Equal(t, "2024-05-01T12:34:56Z", FormatDateTime(time.Date(2024, 5, 1, 12, 34, 56, 999_999_999, time.UTC)))
	assert.Equal(t, "2024-05-01T17:34:56Z", FormatDateTime(time.Date(2024, 5, 1, 12, 34, 56, 0, est)))
}

func TestParseAPIError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want APIError
	}{
		{"array", `[{"message":"unexpected token: FORM","errorCode":"MALFORMED_QUERY"}]`, APIError{400, "MALFORMED_QUERY", "unexpected token: FORM"}},
		{"object", `{"message":"m","errorCode":"C"}`, APIError{400, "C", "m"}},
		{"oauth style", `{"error":"invalid_grant","error_description":"d"}`, APIError{400, "invalid_grant", "d"}},
		{"html", "<html>\n  Bad   Request\n</html>", APIError{400, "", "<html> Bad Request </html>"}},
		{"empty", "", APIError{400, "", ""}},
		{"empty array", "[]", APIError{400, "", "[]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, &tt.want, parseAPIError(400, []byte(tt.body)))
		})
	}
	assert.Equal(t, "salesforce: 503", (&APIError{Status: 503}).Error())
	long := parseAPIError(500, []byte(strings.Repeat("é", 400)))
	assert.LessOrEqual(t, len(long.Message), maxErrorText+len("…"))
}
