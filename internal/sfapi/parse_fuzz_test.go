package sfapi

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseLimitInfo: any header parses or is refused without panicking;
// a reading is never negative and never has a zero or negative maximum;
// a well-formed api-usage part reads back exactly, whatever surrounds it.
func FuzzParseLimitInfo(f *testing.F) {
	for _, s := range []string{
		// Every form Salesforce documents ("Limit Info Header").
		"api-usage=18/5000",
		"api-usage=10018/100000",
		"api-usage=10018/100000; api-bursts=1/750",
		"api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)",
		"api-usage=18/5000, per-app-api-usage=17/250(appName=sample-app)",
		"per-app-api-usage=1/2(appName=x),api-usage= 7 / 9 ",
		"api-usage=-1/5000", "api-usage=5/0", "api-usage=5", "api-usage=9223372036854775808/1",
		"api-usage=1/2/3", "", ",,,", "=", "api-usage=",
	} {
		f.Add(s, int64(3), int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, used, limit int64) {
		if li, ok := ParseLimitInfo(h); ok {
			if li.Used < 0 || li.Max <= 0 || li.App != nil && (li.App.Used < 0 || li.App.Max <= 0) {
				t.Fatalf("%q read as %+v", h, li)
			}
		}
		if used < 0 || limit <= 0 {
			return
		}
		// Other parts never hide or change a well-formed reading, first
		// or last, with either separator, as long as they keep their
		// parentheses closed.
		other := strings.NewReplacer("api-usage", "x", "(", "", ")", "").Replace(strings.ToLower(h))
		for _, hdr := range []string{
			fmt.Sprintf("api-usage=%d/%d; %s", used, limit, other),
			fmt.Sprintf("%s,api-usage=%d/%d", other, used, limit),
		} {
			li, ok := ParseLimitInfo(hdr)
			if !ok || li.Used != used || li.Max != limit {
				t.Fatalf("%q read as %+v, %v", hdr, li, ok)
			}
		}
	})
}

// FuzzParseAPIError: any error body from Salesforce (or a proxy in front of
// it) gives an APIError with the status kept, a bounded message and, when
// the body is a Salesforce error array, its code.
func FuzzParseAPIError(f *testing.F) {
	for _, s := range []string{
		`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`,
		`{"message":"x","errorCode":"QUERY_TIMEOUT"}`,
		`{"error":"invalid_grant","error_description":"authentication failure"}`,
		`[]`, `[null]`, `[{"errorCode":5}]`, `{"errorCode":["a"]}`, `null`, `"text"`,
		"<html><body>502 Bad Gateway</body></html>", "\xff\xfe garbage \x00",
		strings.Repeat("é", 400),
	} {
		f.Add(503, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseAPIError(status, body)
		if e == nil || e.Status != status {
			t.Fatalf("status %d lost: %+v", status, e)
		}
		_ = e.Error()
		_ = e.retryable()
		if len(e.Message) > len(body)+len("…") && len(e.Message) > maxErrorText+len("…") {
			t.Fatalf("message of %d bytes from a %d-byte body", len(e.Message), len(body))
		}
		if e.Code == "" && len(e.Message) > maxErrorText+len("…") {
			t.Fatalf("unstructured body kept at %d bytes", len(e.Message))
		}
		if e.Code == "" && utf8.Valid(body) && !utf8.ValidString(e.Message) {
			t.Fatalf("truncation split a rune: %q", e.Message)
		}
	})
}
