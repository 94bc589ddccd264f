package sfapi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LimitInfo is one reading of the Sforce-Limit-Info header's api-usage part.
type LimitInfo struct {
	Used, Max int64
}

// ParseLimitInfo reads "api-usage=18/5000" out of a Sforce-Limit-Info header,
// ignoring the other comma separated parts (e.g. per-app-api-usage).
func ParseLimitInfo(h string) (LimitInfo, bool) {
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(k) != "api-usage" {
			continue
		}
		used, limit, ok := strings.Cut(strings.TrimSpace(v), "/")
		if !ok {
			return LimitInfo{}, false
		}
		u, err1 := strconv.ParseInt(strings.TrimSpace(used), 10, 64)
		m, err2 := strconv.ParseInt(strings.TrimSpace(limit), 10, 64)
		if err1 != nil || err2 != nil || u < 0 || m <= 0 {
			return LimitInfo{}, false
		}
		return LimitInfo{Used: u, Max: m}, true
	}
	return LimitInfo{}, false
}

// CheckURL accepts an absolute http(s) URL; plain http only for loopback hosts
// (the local simulator), since the URL carries credentials and tokens.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q must be an absolute https:// URL", u.Redacted())
	}
	if u.User != nil {
		return fmt.Errorf("%q must not contain user info", u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%q: http:// is only accepted for a loopback host (localhost, 127.0.0.0/8, ::1); use https://", u.Redacted())
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var soqlEscaper = strings.NewReplacer(
	`\`, `\\`, `'`, `\'`, `"`, `\"`,
	"\n", `\n`, "\r", `\r`, "\t", `\t`, "\b", `\b`, "\f", `\f`,
)

// QuoteString renders s as a SOQL string literal.
func QuoteString(s string) string {
	return "'" + soqlEscaper.Replace(s) + "'"
}

// FormatDateTime renders t as a SOQL dateTime literal (UTC, whole seconds, truncated).
func FormatDateTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}
