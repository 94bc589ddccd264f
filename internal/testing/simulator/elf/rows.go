package elf

import (
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// RowGen makes deterministic, realistic rows for one event type. Rows
// are produced one at a time, so a file of any size can be streamed.
type RowGen struct {
	typ   string
	cols  []column
	text  []int // String columns free text may go into (tricky cells)
	rnd   *rand.Rand
	from  time.Time
	span  time.Duration
	org   string
	users []string // 15-char user ids
	n     int
}

// trickyCells are the values CSV readers get wrong; every generated file of
// 20 rows or more has each of them in some free-text column.
var trickyCells = []string{
	"Acme, Inc.",
	`She said "hi", then "bye"`,
	"line one\nline two\r\nline three",
	"Zoë Müller – 山田太郎 ✓ Ünïcødé",
	"",
	`"`,
	`,"` + "\n" + `",`,
	"trailing space, and \"quotes\" and a\nnewline",
}

var userAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
	"SFDC-Callout/66.0",
	"sfdx toolbelt:7.209.6 (linux-x64) node-v20.11.1",
	"Dataloader/60.0.2",
}

var uris = []string{
	"/lightning/r/Account/0015g00000AbCdEAAZ/view",
	"/services/data/v66.0/query",
	"/services/data/v66.0/sobjects/Contact/0035g00000XyZ12AAA",
	"/apex/PipelineDashboard",
	"/secur/frontdoor.jsp",
	"/index.jsp",
	"/home/home.jsp",
}

var userNames = []string{
	"admin@sfsim.example.com", "jane.doe@sfsim.example.com", "zoë.müller@sfsim.example.com",
	"li.wei@sfsim.example.com", "integration@sfsim.example.com",
}

// NewRowGen seeds a generator; rows' timestamps spread over [from, from+span)
// and their ORGANIZATION_ID is orgID's first 15 characters.
func NewRowGen(eventType, orgID string, seed uint64, from time.Time, span time.Duration) *RowGen {
	g := &RowGen{
		typ:  eventType,
		cols: schemas[eventType],
		rnd:  rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)),
		from: from.UTC(),
		span: max(span, time.Second),
		org:  orgID[:15],
	}
	for i := range 6 {
		g.users = append(g.users, sfid.New("005", 4_000_000+uint64(i)*7919)[:15])
	}
	for i, c := range g.cols {
		if c.typ != "String" {
			continue
		}
		switch c.name {
		case "EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "REQUEST_STATUS", "LOGIN_STATUS":
		default:
			g.text = append(g.text, i)
		}
	}
	return g
}

func (g *RowGen) key(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = sfid.Base62[g.rnd.IntN(62)]
	}
	return string(b)
}

func (g *RowGen) ip() string {
	b := strconv.AppendInt(nil, int64(1+g.rnd.IntN(223)), 10)
	for range 3 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(g.rnd.IntN(256)), 10)
	}
	return string(b)
}

func (g *RowGen) pick(xs []string) string { return xs[g.rnd.IntN(len(xs))] }

// Next returns the next row's values, aligned with the columns, in dst's
// storage: the row is overwritten by the call after.
func (g *RowGen) Next(dst []string) []string {
	dst = dst[:0]
	// Ascending times across the file, wrapping inside the span.
	ts := g.from.Add(time.Duration(int64(g.n)*int64(1013*time.Millisecond)) % g.span)
	user := g.users[g.rnd.IntN(len(g.users))]
	failed := g.rnd.IntN(20) == 0
	for _, c := range g.cols {
		dst = append(dst, g.value(c, ts, user, failed))
	}
	if g.n%20 == 7 && len(g.text) > 0 {
		dst[g.text[(g.n/20)%len(g.text)]] = trickyCells[(g.n/20)%len(trickyCells)]
	}
	g.n++
	return dst
}

func (g *RowGen) value(c column, ts time.Time, user string, failed bool) string {
	switch c.name {
	case "EVENT_TYPE":
		return g.typ
	case "TIMESTAMP":
		return ts.Format("20060102150405.000")
	case "TIMESTAMP_DERIVED":
		return ts.Format("2006-01-02T15:04:05.000Z")
	case "REQUEST_ID":
		return "4" + g.key(14)
	case "ORGANIZATION_ID":
		return g.org
	case "USER_ID":
		return user
	case "USER_ID_DERIVED":
		return sfid.WithChecksum(user)
	case "SESSION_KEY", "LOGIN_KEY", "DEVICE_SESSION_ID", "CLIENT_ID":
		if g.rnd.IntN(10) == 0 {
			return ""
		}
		return g.key(16)
	case "URI", "PAGE_URL", "REFERRER_URI", "PREVPAGE_URL":
		return g.pick(uris)
	case "USER_TYPE":
		return "Standard"
	case "REQUEST_STATUS":
		if failed {
			return "F"
		}
		return "S"
	case "LOGIN_STATUS":
		if failed {
			return "LOGIN_ERROR_INVALID_PASSWORD"
		}
		return "LOGIN_NO_ERROR"
	case "CLIENT_IP":
		// A failed login's CLIENT_IP is Salesforce's own; the client's
		// address is then only in SOURCE_IP.
		if (failed && g.typ == "Login") || g.rnd.IntN(30) == 0 {
			return "Salesforce.com IP"
		}
		return g.ip()
	case "SOURCE_IP":
		return g.ip()
	case "USER_AGENT", "BROWSER_TYPE", "CLIENT_INFO":
		return g.pick(userAgents)
	case "USER_NAME", "DELEGATED_USER_NAME":
		return g.pick(userNames)
	case "QUERY":
		return "SELECT Id, Name FROM Account WHERE Name = 'Acme, Inc.' LIMIT 200"
	case "REPORT_DESCRIPTION":
		return "Pipeline by region, \"draft\"\nQ2 only"
	case "API_VERSION":
		return g.pick([]string{"60.0", "64.0", "66.0"})
	case "LOGIN_TYPE":
		return g.pick([]string{"Application", "Remote Access 2.0", "SAML Idp Initiated SSO"})
	case "TLS_PROTOCOL":
		return "TLSv1.3"
	case "CIPHER_SUITE":
		return "TLS_AES_256_GCM_SHA384"
	case "METHOD":
		return g.pick([]string{"GET", "POST", "PATCH", "DELETE"})
	case "ENTITY_NAME", "PAGE_ENTITY_TYPE", "PREVPAGE_ENTITY_TYPE":
		return g.pick([]string{"Account", "Contact", "Opportunity", "Case", ""})
	}
	switch c.typ {
	case "Number":
		if g.rnd.IntN(10) == 0 {
			return ""
		}
		if g.rnd.IntN(8) == 0 {
			return strconv.FormatFloat(float64(g.rnd.IntN(100000))/100, 'f', 2, 64)
		}
		return strconv.Itoa(g.rnd.IntN(5000))
	case "Boolean":
		return strconv.Itoa(g.rnd.IntN(2))
	case "Id":
		if g.rnd.IntN(4) == 0 {
			return ""
		}
		return sfid.New("0XX", g.rnd.Uint64N(1<<40))[:15]
	case "IP":
		return g.ip()
	case "DateTime":
		return ts.Format("2006-01-02T15:04:05.000Z")
	}
	if g.rnd.IntN(3) == 0 {
		return ""
	}
	return g.pick([]string{"Standard", "Lightning", "Mobile", "Classic", "Console"})
}

// stream is a generated log file as an io.Reader: the header, then rows
// until maxRows (if > 0) or at least maxBytes (if > 0) have been written.
// Only one row is held at a time.
type stream struct {
	g        *RowGen
	header   []string
	maxRows  int
	maxBytes int64
	written  int64
	rows     int
	buf      []byte
	off      int
	vals     []string
	started  bool
}

// NewReader streams a deterministic generated log file of eventType (rows
// as NewRowGen makes them): rows until maxRows rows (when > 0) or until at
// least maxBytes bytes (when > 0) have been produced. Nothing but the
// current row is held in memory, so load tests can read gigabytes.
func NewReader(eventType, orgID string, seed uint64, from time.Time, span time.Duration, maxRows int, maxBytes int64) io.Reader {
	names, _ := Columns(eventType)
	return &stream{g: NewRowGen(eventType, orgID, seed, from, span), header: names, maxRows: maxRows, maxBytes: maxBytes}
}

func (s *stream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if s.off == len(s.buf) {
			if !s.fill() {
				break
			}
		}
		c := copy(p[n:], s.buf[s.off:])
		s.off += c
		n += c
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (s *stream) fill() bool {
	s.buf, s.off = s.buf[:0], 0
	if !s.started {
		s.started = true
		s.buf = appendCSVRow(s.buf, s.header)
	} else {
		if (s.maxRows > 0 && s.rows >= s.maxRows) || (s.maxBytes > 0 && s.written >= s.maxBytes) ||
			(s.maxRows <= 0 && s.maxBytes <= 0) {
			return false
		}
		s.vals = s.g.Next(s.vals)
		s.buf = appendCSVRow(s.buf, s.vals)
		s.rows++
	}
	s.written += int64(len(s.buf))
	return true
}
