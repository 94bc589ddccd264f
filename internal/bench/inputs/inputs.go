// Package inputs generates the inputs the performance benchmarks share:
// EventLogFile Login CSV files and SOQL query pages of LoginEvent records,
// deterministic and realistic (typical empty cells, failed logins, long user
// agents), so the receiver's converter and its peers (encoding/csv,
// encoding/json, the contrib filelog receiver) read exactly the same bytes.
// Nothing here is committed data: everything is generated on demand.
package inputs

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// LoginNames are the 28 columns of an ELF Login file, in Salesforce's order.
var LoginNames = []string{"EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "RUN_TIME", "CPU_TIME", "URI",
	"SESSION_KEY", "LOGIN_KEY", "USER_TYPE", "REQUEST_STATUS", "DB_TOTAL_TIME", "LOGIN_TYPE", "BROWSER_TYPE", "API_TYPE",
	"API_VERSION", "USER_NAME", "TLS_PROTOCOL", "CIPHER_SUITE", "AUTHENTICATION_METHOD_REFERENCE", "LOGIN_SUB_TYPE",
	"TIMESTAMP_DERIVED", "USER_ID_DERIVED", "CLIENT_IP", "URI_ID_DERIVED", "LOGIN_STATUS", "SOURCE_IP"}

// LoginTypes are the file's LogFileFieldTypes for LoginNames.
var LoginTypes = []string{"String", "String", "String", "Id", "Id", "Number", "Number", "String", "String", "String", "String",
	"String", "Number", "String", "String", "String", "String", "String", "String", "String", "String", "String",
	"DateTime", "Id", "IP", "Id", "String", "IP"}

var (
	userAgents = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
		"Unknown",
		"Dataloader/60.0.2",
	}
	userNames  = []string{"jdoe@example.com", "admin@example.com", "li.wei@example.com", "integration@example.com"}
	loginTypes = []string{"Application", "Remote Access 2.0", "SAML Idp Initiated SSO", "Other Apex API"}
	uris       = []string{"/index.jsp", "/secur/frontdoor.jsp", "https://acme.my.salesforce.com/services/oauth2/token", "/services/Soap/u/66.0"}
	failures   = []string{"LOGIN_ERROR_INVALID_PASSWORD", "LOGIN_ERROR_SSO_INVALID", "LOGIN_ERROR_RATE_EXCEEDED"}
)

// LoginRows returns n Login rows. About 1 in 10 is a failed login; the
// cells Salesforce typically leaves empty are empty (7 of 28 on a
// successful browser login).
func LoginRows(n int) [][]string {
	rnd := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]string, n)
	for i := range rows {
		ts := base.Add(time.Duration(i)*1713*time.Millisecond + time.Duration(rnd.IntN(1000))*time.Millisecond)
		user := fmt.Sprintf("0055g00000U%04d", rnd.IntN(5000))
		ip := fmt.Sprintf("203.0.%d.%d", rnd.IntN(256), rnd.IntN(256))
		ua := userAgents[rnd.IntN(len(userAgents))]
		status, reqStatus, sess := "LOGIN_NO_ERROR", "S", ""
		if rnd.IntN(10) == 0 {
			status, reqStatus = failures[rnd.IntN(len(failures))], "F"
		} else if rnd.IntN(3) == 0 {
			sess = fmt.Sprintf("sK%014d", rnd.Int64N(1e14))
		}
		apiType, apiVersion := "", ""
		if rnd.IntN(4) == 0 {
			apiType, apiVersion = "SOAP Partner", "66.0"
		}
		rows[i] = []string{
			"Login", ts.Format("20060102150405.000"), fmt.Sprintf("4exLFFQZ%010d", i), "00D5g00000OrgAb", user,
			strconv.Itoa(rnd.IntN(500)), strconv.Itoa(rnd.IntN(200)), uris[rnd.IntN(len(uris))],
			sess, fmt.Sprintf("Zh1pDqYT%08x", rnd.Uint32()), "Standard", reqStatus, strconv.Itoa(rnd.IntN(90_000_000)),
			loginTypes[rnd.IntN(len(loginTypes))], ua, apiType, apiVersion, userNames[rnd.IntN(len(userNames))],
			"TLSv1.3", "TLS_AES_256_GCM_SHA384", "", "", ts.Format("2006-01-02T15:04:05.000Z"),
			user + "AAA", ip, "", status, ip,
		}
	}
	return rows
}

// LoginCSV returns a Login EventLogFile of n rows as Salesforce writes it:
// a header line, every field quoted, CRLF-free.
func LoginCSV(n int) []byte {
	var sb strings.Builder
	writeQuoted(&sb, LoginNames)
	for _, r := range LoginRows(n) {
		writeQuoted(&sb, r)
	}
	return []byte(sb.String())
}

func writeQuoted(sb *strings.Builder, row []string) {
	for i, v := range row {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		sb.WriteString(strings.ReplaceAll(v, `"`, `""`))
		sb.WriteByte('"')
	}
	sb.WriteByte('\n')
}

// HeaderLine is the header of LoginCSV without its newline.
func HeaderLine() string {
	var sb strings.Builder
	writeQuoted(&sb, LoginNames)
	return strings.TrimSuffix(sb.String(), "\n")
}

// PlainCSV is LoginCSV re-encoded by encoding/csv (quotes only where
// needed), for readers that do not accept Salesforce's always-quoted form.
func PlainCSV(n int) []byte {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write(LoginNames)
	_ = w.WriteAll(LoginRows(n))
	return []byte(sb.String())
}

// LoginEventPage returns one SOQL query response page of n LoginEvent
// records, shaped like Salesforce's (attributes, nulls, numbers, a
// relationship), with done=true.
func LoginEventPage(n int) []byte {
	rnd := rand.New(rand.NewPCG(3, 5))
	base := time.Date(2024, 5, 3, 10, 0, 0, 0, time.UTC)
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"totalSize":%d,"done":true,"records":[`, n)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		id := fmt.Sprintf("0Yw5g%013d", i)
		status := "Success"
		if rnd.IntN(10) == 0 {
			status = "Invalid Password"
		}
		fmt.Fprintf(&sb, `{"attributes":{"type":"LoginEvent","url":"/services/data/v66.0/sobjects/LoginEvent/%s"},`+
			`"EventIdentifier":"%08x-1c55-4e7f-9a0b-%012x","EventDate":"%s","UserId":"0055g00000U%04dAAA",`+
			`"Username":"%s","SourceIp":"192.0.%d.%d","Browser":"Firefox 125","Platform":"Linux","Status":"%s",`+
			`"LoginType":"Application","LoginUrl":"login.salesforce.com","SessionKey":"vMASKu8P%08x","CountryIso":"FR",`+
			`"Latitude":48.8566,"Longitude":2.3522,"EvaluationTime":%d,"LoginLatitude":null,"PolicyOutcome":"NoAction",`+
			`"Application":"Browser","CipherSuite":"ECDHE-RSA-AES256-GCM-SHA384","TlsProtocol":"TLS 1.2","HttpMethod":"POST",`+
			`"LoginKey":"a1b2c3d4%04x","UserType":"Standard","CreatedBy":{"attributes":{"type":"User"},"Username":"%s"},"Id":"%s"}`,
			id, rnd.Uint32(), rnd.Uint64()&0xffffffffffff,
			base.Add(time.Duration(i)*997*time.Millisecond).Format("2006-01-02T15:04:05.000Z"),
			rnd.IntN(5000), userNames[rnd.IntN(len(userNames))], rnd.IntN(256), rnd.IntN(256), status,
			rnd.Uint32(), rnd.IntN(40), rnd.IntN(0xffff), userNames[rnd.IntN(len(userNames))], id)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}
