package sfapi

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

// ErrLimitExceeded matches (errors.Is) the error for 403 REQUEST_LIMIT_EXCEEDED
// that reports the org's daily API allowance spent (LimitDaily).
var ErrLimitExceeded = errors.New("salesforce: API request limit exceeded")

// LimitKind is what a 403 REQUEST_LIMIT_EXCEEDED reports. Salesforce uses
// the one code for its daily allowance and for its concurrency limits
// (REST API Developer Guide, "Status Codes and Error Responses":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm)
// and tells them apart only in the message: "TotalRequests Limit
// exceeded." for the allowance; "ConcurrentRequests (Concurrent API
// Requests) Limit exceeded." for long-running requests in flight, which
// "aren't processed until there are fewer requests than the allowed
// limit" (Salesforce help 000389067,
// https://help.salesforce.com/s/articleView?id=000389067&type=1; App
// Limits Cheatsheet,
// https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html);
// and "ConcurrentPerOrgLongTxn Limit exceeded", which public clients retry
// after seconds. The docs list no other texts, nor the text of a connected
// app's quota running out: those are LimitUnknown.
type LimitKind int

const (
	// LimitNone: not a REQUEST_LIMIT_EXCEEDED.
	LimitNone LimitKind = iota
	// LimitDaily: "TotalRequests Limit exceeded." The org's rolling 24-hour
	// allowance is spent; nothing helps until a reading shows room.
	LimitDaily
	// LimitConcurrent: "ConcurrentPerOrgLongTxn Limit exceeded",
	// "ConcurrentRequests ..." and the like: too many requests in flight
	// in the org right now. Gone in seconds.
	LimitConcurrent
	// LimitUnknown: a text the receiver does not know; treated as
	// transient, and named.
	LimitUnknown
)

func (k LimitKind) String() string {
	switch k {
	case LimitDaily:
		return "daily"
	case LimitConcurrent:
		return "concurrent"
	case LimitUnknown:
		return "unknown"
	}
	return "none"
}

// Salesforce error codes the receiver acts on.
const (
	CodeInvalidSession         = "INVALID_SESSION_ID"
	CodeRequestLimitExceeded   = "REQUEST_LIMIT_EXCEEDED"
	CodeQueryTimeout           = "QUERY_TIMEOUT"
	CodeServerUnavailable      = "SERVER_UNAVAILABLE"
	CodeInvalidField           = "INVALID_FIELD"
	CodeInvalidType            = "INVALID_TYPE"
	CodeInsufficientAccess     = "INSUFFICIENT_ACCESS"
	CodeMalformedQuery         = "MALFORMED_QUERY"
	CodeInvalidQueryLocator    = "INVALID_QUERY_LOCATOR"
	CodeNotFound               = "NOT_FOUND"
	CodeAPIDisabledForOrg      = "API_DISABLED_FOR_ORG"
	CodeAPICurrentlyDisabled   = "API_CURRENTLY_DISABLED"
	CodeFunctionalityDisabled  = "FUNCTIONALITY_NOT_ENABLED"
	CodeBigObjectUnsupported   = "BIG_OBJECT_UNSUPPORTED_OPERATION"
	CodeInvalidQueryFilterOper = "INVALID_QUERY_FILTER_OPERATOR"
)

// APIError is a non-2xx REST response.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return auth.FormatError("salesforce", e.Status, e.Code, e.Message)
}

// Is lets errors.Is(err, ErrLimitExceeded) see through an APIError.
func (e *APIError) Is(target error) bool {
	return target == ErrLimitExceeded && e.Limit() == LimitDaily
}

// Limit tells which limit a REQUEST_LIMIT_EXCEEDED reports, by its message.
func (e *APIError) Limit() LimitKind {
	if e.Code != CodeRequestLimitExceeded {
		return LimitNone
	}
	msg := strings.ToLower(e.Message)
	switch {
	case strings.Contains(msg, "totalrequests"):
		return LimitDaily
	case strings.Contains(msg, "concurrent"):
		return LimitConcurrent
	}
	return LimitUnknown
}

// IsCode reports whether err is (or wraps) an APIError with the given errorCode.
func IsCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// retryable: server side trouble, a query Salesforce gave up on but may
// finish next time, or a limit that lifts in seconds.
func (e *APIError) retryable() bool {
	switch e.Limit() {
	case LimitConcurrent, LimitUnknown:
		return true
	case LimitDaily:
		return false
	}
	return e.Status >= 500 || (e.Status == 400 && e.Code == CodeQueryTimeout)
}

const maxErrorText = 300

// parseAPIError reads Salesforce's usual [{"message","errorCode"}], a single such
// object, an OAuth style {"error","error_description"}, or falls back to the text.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	type item struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
		Error     string `json:"error"`
		Desc      string `json:"error_description"`
	}
	var items []item
	if err := json.Unmarshal(body, &items); err != nil || len(items) == 0 {
		var one item
		if json.Unmarshal(body, &one) == nil && one != (item{}) {
			items = []item{one}
		} else {
			items = nil
		}
	}
	if len(items) > 0 {
		it := items[0]
		e.Code, e.Message = it.ErrorCode, it.Message
		if e.Code == "" && e.Message == "" {
			e.Code, e.Message = it.Error, it.Desc
		}
		return e
	}
	e.Message = truncate(strings.Join(strings.Fields(string(body)), " "), maxErrorText)
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
