package sfapi

import (
	"errors"
	"net/http"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

// Class is what kind of failure an error is, which decides how soon it is
// worth trying again and what the component status says.
type Class int

const (
	// ClassNone: no error.
	ClassNone Class = iota
	// ClassTransient: the network, a 5xx, a query Salesforce gave up on;
	// retry on the failure backoff.
	ClassTransient
	// ClassAuth: Salesforce refused the credentials or the session; only
	// the operator can fix it. The token source paces its own attempts.
	ClassAuth
	// ClassQuery: Salesforce refused this stream's query or object (a
	// field, object, permission or license it lacks, an API version it
	// does not serve). Retried at the stream's poll interval, never faster,
	// since an admin may fix the org without touching the collector.
	ClassQuery
	// ClassLimit: the org's daily API allowance is spent; the budget
	// holds every stream back until a reading shows room again. The
	// concurrency limits that share its error code are ClassTransient.
	ClassLimit
)

func (c Class) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassTransient:
		return "transient"
	case ClassAuth:
		return "auth"
	case ClassQuery:
		return "query"
	case ClassLimit:
		return "limit"
	}
	return "unknown"
}

// Permanent reports whether retrying soon cannot help: the failure waits
// for an operator (credentials, permissions, configuration).
func (c Class) Permanent() bool { return c == ClassAuth || c == ClassQuery }

// ErrNotReadable marks a stream that cannot read its object as the org
// shows it to this user (a cursor field it cannot see, a listed field that
// does not exist); Classify puts it in ClassQuery.
var ErrNotReadable = errors.New("salesforce: not readable")

// Classify is the one classification of errors every part of the receiver
// uses: the runner's retry pace, component status, the connection test.
// A context that ended is the caller's to tell (ctx.Err()): a request
// timeout also surfaces as a canceled context, and that is transient.
func Classify(err error) Class {
	switch {
	case err == nil:
		return ClassNone
	case auth.IsPermanent(err), errors.Is(err, auth.ErrBadResponse):
		return ClassAuth
	case errors.Is(err, ErrNotReadable), errors.As(err, new(*VersionError)):
		return ClassQuery
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return ClassTransient
	}
	switch {
	case apiErr.Limit() == LimitDaily:
		return ClassLimit
	case apiErr.Limit() != LimitNone:
		return ClassTransient // a concurrency limit lifts in seconds
	case apiErr.Code == CodeInvalidSession || apiErr.Status == http.StatusUnauthorized:
		return ClassAuth
	case apiErr.retryable(), apiErr.Status == http.StatusTooManyRequests:
		return ClassTransient
	case apiErr.Code == CodeInvalidQueryLocator:
		return ClassTransient // the stream queries again from its cursor
	case apiErr.Status >= 400:
		return ClassQuery
	}
	return ClassTransient
}
