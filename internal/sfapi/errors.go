package sfapi

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

// ErrLimitExceeded matches (errors.Is) the error for 403 REQUEST_LIMIT_EXCEEDED:
// the org's API allowance is spent.
var ErrLimitExceeded = errors.New("salesforce: API request limit exceeded")

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
	return target == ErrLimitExceeded && e.Code == CodeRequestLimitExceeded
}

// IsCode reports whether err is (or wraps) an APIError with the given errorCode.
func IsCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// retryable: server side trouble, or a query Salesforce gave up on but may finish next time.
func (e *APIError) retryable() bool {
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
