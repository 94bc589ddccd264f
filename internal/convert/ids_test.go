package convert

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestID18(t *testing.T) {
	tests := []struct{ in, want string }{
		{"001A0000006Vm9r", "001A0000006Vm9rIAC"},
		{"003A0000005QB3A", "003A0000005QB3AIAW"},
		{"001A0000006Vm9rIAC", "001A0000006Vm9rIAC"}, // already 18
		{"00000000000000A", "00000000000000AAAQ"},
		{"abc", "abc"},
		{"", ""},
		{"001A0000006Vm9-", "001A0000006Vm9-"}, // not an id
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ID18(tt.in), tt.in)
	}
}

func TestRecordUID(t *testing.T) {
	uuidLike := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a := RecordUID("00D1", "login_history", "0Ya1")
	assert.Regexp(t, uuidLike, a)
	assert.Equal(t, a, RecordUID("00D1", "login_history", "0Ya1"), "deterministic")
	assert.NotEqual(t, a, RecordUID("00D2", "login_history", "0Ya1"))
	assert.NotEqual(t, a, RecordUID("00D1", "setup_audit_trail", "0Ya1"))
	assert.NotEqual(t, a, RecordUID("00D1", "login_history", "0Ya2"))
	// Length prefixes keep field boundaries apart.
	assert.NotEqual(t, RecordUID("ab", "c", "d"), RecordUID("a", "bc", "d"))
	// Pinned so an accidental change of the scheme (which would defeat
	// backend de-duplication across upgrades) fails loudly.
	assert.Equal(t, "da3a7cc7-b376-8e4d-ba78-3fd15930156e", RecordUID("00D1", "login_history", "0Ya1"))
}

func TestBatchUIDMatchesRecordUID(t *testing.T) {
	b := NewBatch(Resource{OrgID: "00D1"}, 0)
	assert.Equal(t, RecordUID("00D1", "s", "k"), b.uid("s", "k"))
	long := string(make([]byte, 500))
	assert.Equal(t, RecordUID("00D1", "s", long), b.uid("s", long))
}

func TestParseDateTime(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return tm
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-05-01T12:34:56.000+0000", utc("2024-05-01T12:34:56Z")},
		{"2024-05-01T12:34:56.789+0000", utc("2024-05-01T12:34:56.789Z")},
		{"2024-05-01T12:34:56Z", utc("2024-05-01T12:34:56Z")},
		{"2024-05-01T12:34:56.1Z", utc("2024-05-01T12:34:56.1Z")},
		{"2024-05-01T12:34:56.123456789Z", utc("2024-05-01T12:34:56.123456789Z")},
		{"2024-05-01T14:34:56.000+0200", utc("2024-05-01T12:34:56Z")},
		{"2024-05-01T07:04:56-05:30", utc("2024-05-01T12:34:56Z")},
		{"2024-05-01T12:34:56", utc("2024-05-01T12:34:56Z")},
		{"2024-05-01", utc("2024-05-01T00:00:00Z")},
		{"2024-02-29T00:00:00Z", utc("2024-02-29T00:00:00Z")},
	}
	for _, tt := range tests {
		got, err := ParseDateTime(tt.in)
		require.NoError(t, err, tt.in)
		assert.True(t, tt.want.Equal(got), "%s: got %s", tt.in, got)
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
		"2024-05-01T24:00:00Z", "2024-05-01T12:34:56.Z", "2024-05-01T12:34:56+2", "2024-05-01T12:34:56 UTC",
		"2024-05-01T12:34:56.1234567890Z", "20240501123456"} {
		_, err := ParseDateTime(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseELFTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"20240501123456.789", time.Date(2024, 5, 1, 12, 34, 56, 789_000_000, time.UTC)},
		{"20240501123456", time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)},
		{"2024-05-01T12:34:56.789Z", time.Date(2024, 5, 1, 12, 34, 56, 789_000_000, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseELFTimestamp(tt.in)
		require.NoError(t, err, tt.in)
		assert.True(t, tt.want.Equal(got), "%s: got %s", tt.in, got)
	}
	for _, bad := range []string{"", "2024050112345", "20240501123456.", "20241301123456", "20240501123456.789Z", "notatime"} {
		_, err := ParseELFTimestamp(bad)
		assert.Error(t, err, bad)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = ParseELFTimestamp("20240501123456.789") }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = ParseDateTime("2024-05-01T12:34:56.000+0200") }))
}

// BenchmarkUID is the uid's share of a converted row (compare
// BenchmarkAppendCSV): the SHA-256 of an ELF row's (org, stream, key),
// and FNV-128a of the same bytes as the cheapest stable stdlib alternative.
func BenchmarkUID(b *testing.B) {
	const org, stream, key = "00D5g00000OrgAbEAC", "event_log_file", "0AT5g00000Elf01GAA/123456"
	b.Run("sha256", func(b *testing.B) {
		scratch := make([]byte, 0, 192)
		var sum [16]byte
		for b.Loop() {
			scratch, sum = uidSum(scratch, org, stream, key)
		}
		_ = sum
	})
	b.Run("fnv128a", func(b *testing.B) {
		scratch := make([]byte, 0, 192)
		h := fnv.New128a()
		var sum [16]byte
		for b.Loop() {
			scratch = scratch[:0]
			for _, s := range [3]string{org, stream, key} {
				scratch = binary.BigEndian.AppendUint32(scratch, uint32(len(s)))
				scratch = append(scratch, s...)
			}
			h.Reset()
			_, _ = h.Write(scratch)
			h.Sum(sum[:0])
		}
	})
}

// BenchmarkClientAddrCheck is the netip.ParseAddr check picks.offer makes
// for CLIENT_IP and SOURCE_IP, per row (compare BenchmarkAppendCSV).
func BenchmarkClientAddrCheck(b *testing.B) {
	for b.Loop() {
		var p picks
		p.offer(&roleRef{slot: slotClientAddr, prio: 0}, "Salesforce.com IP")
		p.offer(&roleRef{slot: slotClientAddr, prio: 1}, "203.0.113.7")
		if p.val[slotClientAddr] == "" {
			b.Fatal("no address")
		}
	}
}

// ipChars only turns away what netip.ParseAddr would refuse.
func TestIPChars(t *testing.T) {
	for _, v := range []string{"203.0.113.7", "2001:db8::1", "::ffff:198.51.100.2", "fe80::1%eth0", "FE80::A%1",
		"Salesforce.com IP", "", "%eth0", "1.2.3.4 ", "abc.def", "::", "1.2.3.400"} {
		_, err := netip.ParseAddr(v)
		if err == nil {
			assert.True(t, ipChars(v), v)
		}
		if !ipChars(v) {
			assert.Error(t, err, v)
		}
	}
	assert.False(t, ipChars("Salesforce.com IP"))
}
