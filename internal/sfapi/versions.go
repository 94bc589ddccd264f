package sfapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

// VersionError says the configured API version is newer than the org
// serves: every call under it would answer 404.
type VersionError struct {
	Configured, Newest string
}

func (e *VersionError) Error() string {
	if e.Newest == "" {
		return fmt.Sprintf("salesforce: this org serves no API version at or below api_version %s", e.Configured)
	}
	return fmt.Sprintf("salesforce: api_version %s is newer than this org serves; the newest it serves is %s: set api_version to %q",
		e.Configured, e.Newest, e.Newest)
}

// CheckAPIVersion reports whether the org serves the configured API
// version (nil when it does or the org's listing could not tell).
func (c *Client) CheckAPIVersion(ctx context.Context) error {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return classifyTokenErr(ctx, err)
	}
	return c.checkVersion(ctx, tok)
}

// checkVersion makes sure, once per client, that the org serves the
// configured API version, from its Versions resource (GET /services/data/,
// which is not charged against the allowance, so it bypasses the budget).
// Only a listing that says the version is not served stops calls: one
// that fails or cannot be read is tried again a minute later, and the
// calls go ahead meanwhile and say themselves what is wrong.
func (c *Client) checkVersion(ctx context.Context, tok *auth.Token) error {
	c.verMu.Lock()
	defer c.verMu.Unlock()
	if c.verDone || time.Now().Before(c.verRetry) {
		return c.verErr
	}
	newest, ok, err := c.listVersions(ctx, tok)
	switch {
	case ctx.Err() != nil:
		return backoff.Permanent(ctx.Err())
	case err != nil:
		c.log.Debug("Could not list the org's API versions; not checking api_version yet", zap.Error(err))
		c.verRetry = time.Now().Add(time.Minute)
		return nil
	case !ok:
		c.verErr = backoff.Permanent(&VersionError{Configured: c.apiVersion, Newest: newest})
	}
	c.verDone = true
	return c.verErr
}

// listVersions reads the Versions resource: the newest version listed and
// whether the configured one is among them.
func (c *Client) listVersions(ctx context.Context, tok *auth.Token) (newest string, ok bool, err error) {
	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, strings.TrimRight(tok.InstanceURL, "/")+"/services/data/", nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Accept", "application/json")
	// Salesforce does not need the session here, but stand-ins and
	// proxies in front of an instance may.
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", false, fmt.Errorf("status %d", resp.StatusCode)
	}
	var versions []struct {
		Version string `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&versions); err != nil {
		return "", false, err
	}
	newest, ok = servedVersion(c.apiVersion, versions)
	return newest, ok, nil
}

// servedVersion reports whether want is among the listed versions and
// the newest one listed.
func servedVersion(want string, list []struct {
	Version string `json:"version"`
}) (newest string, ok bool) {
	w, _ := strconv.ParseFloat(want, 64)
	best := -1.0
	for _, v := range list {
		f, err := strconv.ParseFloat(v.Version, 64)
		if err != nil {
			continue
		}
		if f == w {
			ok = true
		}
		if f > best {
			best, newest = f, v.Version
		}
	}
	return newest, ok || len(list) == 0
}
