package convert

import (
	"errors"
	"fmt"
	"time"
)

// Hand-rolled parsers: time.Parse would need one attempt per layout variant
// (millis or not, Z / ±hhmm / ±hh:mm), and failed attempts allocate errors.

var errBadTimestamp = errors.New("not a recognized timestamp")

// ParseDateTime parses a Salesforce JSON datetime such as
// "2024-05-01T12:34:56.000+0000": fractional seconds optional (1-9 digits),
// zone "Z", ±hhmm or ±hh:mm; without a zone it is taken as UTC. A bare date
// ("2024-05-01", a Date field) is midnight UTC.
func ParseDateTime(s string) (time.Time, error) {
	t, ok := parseISO(s)
	if !ok {
		return time.Time{}, fmt.Errorf("parse datetime %q: %w", s, errBadTimestamp)
	}
	return t, nil
}

// ParseELFTimestamp parses an EventLogFile TIMESTAMP ("20240501123456.789" or
// "20240501123456", UTC) or TIMESTAMP_DERIVED ("2024-05-01T12:34:56.789Z").
func ParseELFTimestamp(s string) (time.Time, error) {
	t, ok := parseCompact(s)
	if !ok {
		t, ok = parseISO(s)
	}
	if !ok {
		return time.Time{}, fmt.Errorf("parse event log timestamp %q: %w", s, errBadTimestamp)
	}
	return t, nil
}

// parseAny accepts either family; used for event-time fields whose format is
// not known in advance.
func parseAny(s string) (time.Time, bool) {
	if len(s) > 4 && s[4] == '-' {
		return parseISO(s)
	}
	return parseCompact(s)
}

func digits(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// digits3 reads three numbers of s: w digits at i, then two digits each
// at j and k.
func digits3(s string, w, i, j, k int) (a, b, c int, ok bool) {
	a, ok1 := digits(s[i:], w)
	b, ok2 := digits(s[j:], 2)
	c, ok3 := digits(s[k:], 2)
	return a, b, c, ok1 && ok2 && ok3
}

// parseCompact parses yyyyMMddHHmmss[.fraction] in UTC.
func parseCompact(s string) (time.Time, bool) {
	if len(s) < 14 {
		return time.Time{}, false
	}
	year, month, day, ok1 := digits3(s, 4, 0, 4, 6)
	hour, minute, sec, ok2 := digits3(s, 2, 8, 10, 12)
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	nsec, rest, ok := fraction(s[14:])
	if !ok || rest != "" {
		return time.Time{}, false
	}
	return build(year, month, day, hour, minute, sec, nsec, time.UTC)
}

// parseISO parses yyyy-MM-dd[Thh:mm:ss[.fraction][zone]].
func parseISO(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	year, month, day, ok := digits3(s, 4, 0, 5, 8)
	if !ok {
		return time.Time{}, false
	}
	if len(s) == 10 {
		return build(year, month, day, 0, 0, 0, 0, time.UTC)
	}
	if len(s) < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	hour, minute, sec, ok := digits3(s, 2, 11, 14, 17)
	if !ok {
		return time.Time{}, false
	}
	nsec, rest, ok := fraction(s[19:])
	if !ok {
		return time.Time{}, false
	}
	loc := time.UTC
	switch {
	case rest == "" || rest == "Z" || rest == "z":
	case rest[0] == '+' || rest[0] == '-':
		var hh, mm int
		var okh, okm bool
		switch len(rest) {
		case 5: // ±hhmm
			hh, okh = digits(rest[1:], 2)
			mm, okm = digits(rest[3:], 2)
		case 6: // ±hh:mm
			hh, okh = digits(rest[1:], 2)
			mm, okm = digits(rest[4:], 2)
			okm = okm && rest[3] == ':'
		case 3: // ±hh
			hh, okh = digits(rest[1:], 2)
			okm = true
		}
		if !okh || !okm || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		if off := (hh*60 + mm) * 60; off != 0 {
			if rest[0] == '-' {
				off = -off
			}
			// time.FixedZone allocates; converting to UTC keeps the instant
			// and avoids it.
			t, ok := build(year, month, day, hour, minute, sec, nsec, time.UTC)
			return t.Add(-time.Duration(off) * time.Second), ok
		}
	default:
		return time.Time{}, false
	}
	return build(year, month, day, hour, minute, sec, nsec, loc)
}

// fraction parses an optional ".ddd" (1-9 digits) prefix.
func fraction(s string) (nsec int, rest string, ok bool) {
	if s == "" || s[0] != '.' {
		return 0, s, true
	}
	i := 1
	scale := 100_000_000
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if i > 9 {
			return 0, s, false
		}
		nsec += int(s[i]-'0') * scale
		scale /= 10
		i++
	}
	if i == 1 {
		return 0, s, false
	}
	return nsec, s[i:], true
}

func build(year, month, day, hour, minute, sec, nsec int, loc *time.Location) (time.Time, bool) {
	// time.Date would silently normalise 2024-02-30 into March.
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}
