package elf

import (
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// RowGen makes deterministic, realistic rows for one event type. Rows
// are produced one at a time, so a file of any size can be streamed.
//
// A row's cells follow its column's catalog entry: the values the page
// lists where it lists some (the usual one half the time), else a value
// shaped by the column's name and type. What a user does is stable, as in
// a real org: each user works through one connected app (AppFor), whose
// client name and user agent its API rows carry, and uses one browser.
type RowGen struct {
	typ   string
	cols  []column
	text  []int // free-text columns tricky cells may go into
	rnd   *rand.Rand
	from  time.Time
	span  time.Duration
	org   string
	users []User
	n     int
	// STATUS_CODE's listed values: 2xx, and the others
	statusOK, statusBad []string

	// the current row's
	user     int // index into users
	failed   bool
	apiLogin bool // a Login row of an API login type (LOGIN_TYPE)
}

// User is a user rows are about: an 18-character Id and a username.
type User struct{ ID, Username string }

// defaultUsers are the users of generated files with no org behind them
// (load tests, benchmarks).
var defaultUsers = func() []User {
	names := []string{"admin@sfsim.example.com", "jane.doe@sfsim.example.com", "zoë.müller@sfsim.example.com",
		"li.wei@sfsim.example.com", "integration@sfsim.example.com", "support@sfsim.example.com"}
	out := make([]User, len(names))
	for i, n := range names {
		out[i] = User{ID: sfid.New("005", 4_000_000+uint64(i)*7919), Username: n}
	}
	return out
}()

// App is a connected app the simulated org's users call the API through:
// its Id (the 15-character form CONNECTED_APP_ID holds, key prefix 0H4 as
// ApiTotalUsage's page describes), its name, the client name it passes
// in the Sforce-Call-Options header (CLIENT_NAME) and its HTTP user agent.
// The apps are the simulator's own.
type App struct{ ID, Name, Client, UserAgent string }

// Apps are the org's connected apps.
var Apps = []App{
	{ID: sfid.New("0H4", 310_001)[:15], Name: "Data Loader", Client: "DataLoaderBulkUI/60.0.2", UserAgent: "Java/17.0.10"},
	{ID: sfid.New("0H4", 310_002)[:15], Name: "Salesforce CLI", Client: "sfdx toolbelt:7.209.6",
		UserAgent: "sfdx toolbelt:7.209.6 (linux-x64) node-v20.11.1"},
	{ID: sfid.New("0H4", 310_003)[:15], Name: "sfsim Integration", Client: "sfsim/1.0", UserAgent: "sfsim/1.0 (+https://sfsim.example.com)"},
	{ID: sfid.New("0H4", 310_004)[:15], Name: "Acme Chat Connector", Client: "AcmeChatSync/3.2",
		UserAgent: "AcmeChatSync/3.2 (+https://chat.example.com)"},
}

// AppFor is the connected app the i-th user of an org works through.
func AppFor(i int) App { return Apps[i%len(Apps)] }

// browserFor is the i-th user's browser.
func browserFor(i int) string { return browsers[i%len(browsers)] }

var browsers = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
}

// apiLoginTypes are the LOGIN_TYPE codes of logins by API clients rather
// than browsers (the Login type's page: 6 Remote Access Client, i Remote
// Access 2.0, I Other Apex API, R Partner Product); BROWSER_TYPE then holds
// the client's user agent.
var apiLoginTypes = []string{"6", "i", "I", "R"}

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

// identityColumns say who did what: tricky cells never go there, so a
// user's client, app and name stay what they are (the detections compare
// them over time).
var identityColumns = []string{"EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "REQUEST_STATUS", "LOGIN_STATUS",
	"USER_NAME", "DELEGATED_USER_NAME", "CLIENT_NAME", "BROWSER_TYPE", "USER_AGENT", "CONNECTED_APP_ID",
	"CONNECTED_APP_NAME", "CLIENT_IP", "SOURCE_IP", "API_VERSION", "JOB_ID", "BATCH_ID", "COUNTRY_CODE"}

var uris = []string{
	"/lightning/r/Account/0015g00000AbCdEAAZ/view",
	"/services/data/v66.0/query",
	"/services/data/v66.0/sobjects/Contact/0035g00000XyZ12AAA",
	"/apex/PipelineDashboard",
	"/secur/frontdoor.jsp",
	"/index.jsp",
	"/home/home.jsp",
}

var apiResources = []string{"/v66.0/query", "/v66.0/sobjects/Account/describe", "/v66.0/sobjects/Contact/0035g00000XyZ12AAA",
	"/v66.0/limits", "query", "queryMore", "describeSObjects"}

var entities = []string{"Account", "Contact", "Opportunity", "Case", "Lead"}

var countries = []string{"US", "GB", "DE", "FR", "IN", "JP"}

// keyPrefixes are the Id prefixes of the ids some columns hold:
// 750 a Bulk API job, 751 a batch, 00O a report (each object's key
// prefix, the same in every org).
var keyPrefixes = map[string]string{"JOB_ID": "750", "BATCH_ID": "751", "REPORT_ID": "00O", "REPORT_ID_DERIVED": "00O"}

// NewRowGen seeds a generator; rows' timestamps spread over [from, from+span),
// their ORGANIZATION_ID is orgID's first 15 characters, and they are about
// users (none: the simulator's own six).
func NewRowGen(eventType, orgID string, seed uint64, from time.Time, span time.Duration, users ...User) *RowGen {
	if len(users) == 0 {
		users = defaultUsers
	}
	g := &RowGen{
		typ:   eventType,
		cols:  schema(eventType),
		rnd:   rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)),
		from:  from.UTC(),
		span:  max(span, time.Second),
		org:   orgID[:15],
		users: users,
	}
	for i, c := range g.cols {
		if (c.typ == "String" || c.typ == "EscapedString") && len(c.values) == 0 && !slices.Contains(identityColumns, c.name) {
			g.text = append(g.text, i)
		}
		if c.name == "STATUS_CODE" {
			for _, v := range c.values {
				if strings.HasPrefix(v, "2") {
					g.statusOK = append(g.statusOK, v)
				} else {
					g.statusBad = append(g.statusBad, v)
				}
			}
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

// listed is one of a column's documented values: the first (the usual
// one) half the time, else any.
func (g *RowGen) listed(xs []string) string {
	if g.rnd.IntN(2) == 0 {
		return xs[0]
	}
	return g.pick(xs)
}

// rows is a row count of one request, query page or batch: mostly small,
// at most 2,000, the most a REST query page or SOAP query batch returns
// (REST API Developer Guide, "Query Options Header":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm).
// Clean rows stay far below the mass-export detection's threshold.
func (g *RowGen) rows() string {
	u := g.rnd.Float64()
	return strconv.Itoa(int(2000 * math.Pow(u, 4)))
}

// Next returns the next row's values, aligned with the columns, in dst's
// storage: the row is overwritten by the call after.
func (g *RowGen) Next(dst []string) []string {
	dst = dst[:0]
	// Ascending times across the file, wrapping inside the span.
	ts := g.from.Add(time.Duration(int64(g.n)*int64(1013*time.Millisecond)) % g.span)
	g.user = g.rnd.IntN(len(g.users))
	g.failed = g.rnd.IntN(20) == 0
	g.apiLogin = false
	for _, c := range g.cols {
		dst = append(dst, g.value(c, ts))
	}
	if g.n%20 == 7 && len(g.text) > 0 {
		dst[g.text[(g.n/20)%len(g.text)]] = trickyCells[(g.n/20)%len(trickyCells)]
	}
	g.n++
	return dst
}

func (g *RowGen) value(c column, ts time.Time) string {
	u := g.users[g.user]
	app := AppFor(g.user)
	// What the row is, who made it and whether it failed, whatever the
	// page lists.
	switch c.name {
	case "TIMESTAMP":
		return ts.Format("20060102150405.000")
	case "TIMESTAMP_DERIVED":
		return ts.Format("2006-01-02T15:04:05.000Z")
	case "REQUEST_ID":
		return "4" + g.key(14)
	case "ORGANIZATION_ID":
		return g.org
	case "USER_ID":
		return u.ID[:15]
	case "USER_ID_DERIVED":
		return sfid.WithChecksum(u.ID[:15])
	case "USER_NAME":
		return u.Username
	case "REQUEST_STATUS":
		if g.failed {
			return "F"
		}
		return "S"
	case "LOGIN_STATUS":
		if g.failed {
			return "LOGIN_ERROR_INVALID_PASSWORD"
		}
		return "LOGIN_NO_ERROR"
	case "SUCCESS":
		if g.failed {
			return "0"
		}
		return "1"
	case "LOGIN_TYPE":
		v := g.listed(c.values)
		g.apiLogin = slices.Contains(apiLoginTypes, v)
		return v
	case "STATUS_CODE":
		// An HTTP status that agrees with the row: 2xx unless it failed.
		if g.failed && len(g.statusBad) > 0 {
			return g.pick(g.statusBad)
		}
		if len(g.statusOK) > 0 {
			return g.listed(g.statusOK)
		}
	case "CONNECTED_APP_ID":
		return app.ID
	case "CONNECTED_APP_NAME":
		return app.Name
	case "CLIENT_NAME":
		return app.Client
	}
	if len(c.values) > 0 {
		return g.listed(c.values)
	}
	switch {
	case c.name == "BROWSER_TYPE" && g.apiLogin:
		return app.UserAgent // an API client's login: its user agent
	case c.name == "USER_AGENT", c.name == "BROWSER_TYPE", c.name == "CLIENT_INFO":
		return browserFor(g.user)
	case c.name == "SESSION_KEY", c.name == "LOGIN_KEY", c.name == "DEVICE_SESSION_ID", c.name == "CLIENT_ID":
		if g.rnd.IntN(10) == 0 {
			return ""
		}
		return g.key(16)
	case c.name == "URI", c.name == "PAGE_URL", c.name == "REFERRER_URI", c.name == "PREVPAGE_URL":
		return g.pick(uris)
	case c.name == "API_RESOURCE":
		return g.pick(apiResources)
	case c.name == "CLIENT_IP":
		// A failed login's CLIENT_IP is Salesforce's own; the client's
		// address is then only in SOURCE_IP.
		if (g.failed && g.typ == "Login") || g.rnd.IntN(30) == 0 {
			return "Salesforce.com IP"
		}
		return g.ip()
	case c.name == "SOURCE_IP":
		return g.ip()
	case c.name == "DELEGATED_USER_NAME":
		return g.users[(g.user+1)%len(g.users)].Username
	case c.name == "QUERY":
		return "SELECT Id, Name FROM Account WHERE Name = 'Acme, Inc.' LIMIT 200"
	case c.name == "REPORT_DESCRIPTION":
		return "Pipeline by region, \"draft\"\nQ2 only"
	case c.name == "API_VERSION":
		return g.pick([]string{"60.0", "64.0", "66.0"})
	case c.name == "COUNTRY_CODE":
		return countries[g.user%len(countries)]
	case c.name == "ENTITY_NAME", c.name == "ENTITY_TYPE", c.name == "PAGE_ENTITY_TYPE", c.name == "PREVPAGE_ENTITY_TYPE":
		if g.rnd.IntN(5) == 0 {
			return ""
		}
		return g.pick(entities)
	case c.name == "ROWS_PROCESSED", c.name == "RECORDS_PROCESSED", c.name == "ROW_COUNT", c.name == "NUMBER_OF_RECORDS":
		return g.rows()
	case strings.Contains(c.name, "FAIL"): // NUMBER_FAILURES, RECORDS_FAILED
		if !g.failed {
			return "0"
		}
		return strconv.Itoa(1 + g.rnd.IntN(50))
	case strings.HasPrefix(c.name, "BOT_"), strings.HasPrefix(c.name, "PLANNER_"), c.name == "FORWARDED_FOR_IP",
		c.name == "HTTP_REFERER", c.name == "EXCEPTION_MESSAGE":
		// Filled only for agents, proxies, referrals and errors.
		return ""
	case keyPrefixes[c.name] != "":
		return sfid.New(keyPrefixes[c.name], g.rnd.Uint64N(1<<40))[:15]
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
	case "Id", "Reference":
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
// as NewRowGen makes them, about users): rows until maxRows rows (when >
// 0) or until at least maxBytes bytes (when > 0) have been produced.
// Nothing but the current row is held in memory, so load tests can read
// gigabytes.
func NewReader(eventType, orgID string, seed uint64, from time.Time, span time.Duration, maxRows int, maxBytes int64, users ...User) io.Reader {
	names, _ := Columns(eventType)
	return &stream{g: NewRowGen(eventType, orgID, seed, from, span, users...), header: names, maxRows: maxRows, maxBytes: maxBytes}
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
