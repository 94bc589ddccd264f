// Package soql is the simulator's SOQL: the subset of the Salesforce Object
// Query Language the REST API's query resource runs, parsed (lex.go,
// parse.go), bound to the org's schemas as a request may see them
// (bind.go) and run over the org's rows (run.go), with the restrictions of
// big objects (bigobjects.go) and Event Log Objects (eventlogobjects.go).
//
// The subset: SELECT fields|COUNT() FROM Object [WHERE cond] SELECT fields|COUNT() FROM Object [WHERE cond]
// [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
// (SOQL and SOSL Reference, "SOQL SELECT Syntax":
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm;
// comparison operators:
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_comparisonoperators.htm;
// ORDER BY with NULLS FIRST for ascending and NULLS LAST for descending by
// default: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_orderby.htm;
// date formats:
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm;
// escape sequences:
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm).
// GROUP BY, HAVING, aggregates, subqueries and date literals (TODAY,
// LAST_N_DAYS:n) are not in the subset: they answer MALFORMED_QUERY.
// Errors mimic Salesforce's codes and its caret-pointing messages, because
// receivers are expected to log them and tests assert on the codes. The
// docs give no message texts: the caret layout and the texts of
// MALFORMED_QUERY, INVALID_FIELD ("No such column ...") and INVALID_TYPE
// ("sObject type ... is not supported") are those real orgs send; the
// others are the simulator's own.
package soql

import (
	"fmt"
	"strings"
)

// Error is a Salesforce REST error: HTTP status, errorCode and message.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errAt formats a message the way Salesforce does: the offending line, a
// caret under the token, its row and column, then the detail.
func errAt(code, src string, pos int, detail string) *Error {
	pos = min(max(pos, 0), len(src))
	row := strings.Count(src[:pos], "\n") + 1
	lineStart := strings.LastIndex(src[:pos], "\n") + 1
	lineEnd := strings.IndexByte(src[pos:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src)
	} else {
		lineEnd += pos
	}
	col := pos - lineStart + 1
	msg := fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s",
		src[lineStart:lineEnd], strings.Repeat(" ", col-1), row, col, detail)
	return &Error{Status: 400, Code: code, Message: msg}
}
