package sfapi

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseLimitInfo(t *testing.T) {
	tests := []struct {
		in   string
		want LimitInfo
		ok   bool
	}{
		{"api-usage=18/5000", LimitInfo{18, 5000}, true},
		{"api-usage=18/5000, per-app-api-usage=17/250(appName=sample-app)", LimitInfo{18, 5000}, true},
		{"per-app-api-usage=17/250(appName=x),api-usage=99/15000", LimitInfo{99, 15000}, true},
		{" api-usage = 0 / 100 ", LimitInfo{0, 100}, true},
		{"api-usage=9000000000/9000000001", LimitInfo{9000000000, 9000000001}, true},
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

func TestCheckURL(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"https://login.salesforce.com", ""},
		{"https://acme.my.salesforce.com/", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://127.1.2.3", ""},
		{"http://localhost:9999", ""},
		{"http://LOCALHOST", ""},
		{"http://[::1]:80", ""},
		{"http://login.salesforce.com", "loopback"},
		{"http://10.0.0.1", "loopback"},
		{"http://localhost.evil.test", "loopback"},
		{"ftp://x", "absolute https"},
		{"login.salesforce.com", "absolute https"},
		{"/services", "absolute https"},
		{"https://user:hunter2@x.test", "user info"},
		{"https://x.test/%zz", "not a valid URL"},
	}
	for _, tt := range tests {
		err := CheckURL(tt.in)
		if tt.wantErr == "" {
			assert.NoError(t, err, tt.in)
			continue
		}
		assert.ErrorContains(t, err, tt.wantErr, tt.in)
		assert.NotContains(t, err.Error(), "hunter2")
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
