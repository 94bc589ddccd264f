package receiver

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// access is what one enabled stream needs to be able to read.
type access struct {
	stream, object string
	fix            string // what to grant when Salesforce says no
}

// accessNeeded lists, per enabled stream, the object it reads and the
// permission that lets the integration user read it.
func (cfg *Config) accessNeeded() []access {
	var out []access
	if cfg.LoginHistory.Enabled {
		out = append(out, access{"login_history", "LoginHistory", "give the integration user's profile Manage Users and View All Data"})
	}
	if cfg.SetupAuditTrail.Enabled {
		out = append(out, access{"setup_audit_trail", "SetupAuditTrail", "give the integration user's profile View Setup and Configuration (View All Data covers it)"})
	}
	if cfg.EventLogFile.Enabled {
		out = append(out, access{"event_log_file", "EventLogFile", "give the integration user's profile View Event Log Files and API Enabled; the org needs Event Monitoring for more than the free Login and Logout files"})
	}
	for _, o := range cfg.Objects {
		out = append(out, access{"object/" + o.Name, o.Name, "give the integration user read access to " + o.Name + " (for Real-Time Event Monitoring objects: View Real-Time Event Monitoring Data, and the object enabled in Event Manager)"})
	}
	return out
}

// checkConnection is the start-up connection test: a token, the org's
// allowance, and each enabled stream's access, one log line each. It runs
// beside the streams and never blocks the collector.
func (r *salesforceReceiver) checkConnection(ctx context.Context, client *sfapi.Client) {
	logger := r.set.Logger
	org, instance, err := client.Identity(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if auth.IsPermanent(err) {
			logger.Error("Salesforce rejected the receiver's credentials", zap.String("flow", r.cfg.Auth.Flow),
				zap.String("fix", credentialsFix(r.cfg.Auth.Flow)), zap.Error(err))
		} else {
			logger.Warn("Cannot reach Salesforce yet; the streams keep retrying", zap.String("login_url", r.cfg.LoginURL), zap.Error(err))
		}
		r.monitor.fail(err)
		return
	}
	if limits, err := client.Limits(ctx); err == nil {
		logger.Info("Connected to Salesforce", zap.String("org_id", org), zap.String("instance_url", instance),
			zap.Int64("api_remaining", limits.DailyAPIRequests.Remaining), zap.Int64("api_max", limits.DailyAPIRequests.Max))
	} else if ctx.Err() == nil {
		logger.Warn("Connected to Salesforce, but could not read the org's limits", zap.String("org_id", org),
			zap.String("fix", "give the integration user's profile View Setup and Configuration"), zap.Error(err))
	}
	for _, a := range r.cfg.accessNeeded() {
		_, err := client.Query(ctx, a.stream, fmt.Sprintf("SELECT Id FROM %s LIMIT 1", a.object), 0)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			logger.Info("Stream ready", zap.String("stream", a.stream), zap.String("object", a.object))
		case sfapi.IsCode(err, "INVALID_TYPE") || sfapi.IsCode(err, "INSUFFICIENT_ACCESS"):
			logger.Error("Stream cannot read its object", zap.String("stream", a.stream), zap.String("object", a.object),
				zap.String("fix", a.fix), zap.Error(err))
			r.monitor.fail(fmt.Errorf("%s: cannot read %s: %w", a.stream, a.object, err))
		case errors.Is(err, sfapi.ErrLimitExceeded):
			logger.Warn("Stream not checked: the org's daily API allowance is used up", zap.String("stream", a.stream))
		default:
			logger.Warn("Stream not checked", zap.String("stream", a.stream), zap.Error(err))
		}
	}
}

// credentialsFix says what usually fixes a rejected token request.
func credentialsFix(flow string) string {
	switch flow {
	case flowJWTBearer:
		return "check that the app's certificate matches private_key_file, the user is pre-authorized (Permitted Users: admin approved, profile or permission set added), and audience is https://test.salesforce.com for sandboxes"
	case flowClientCredentials:
		return "enable the Client Credentials Flow on the app, set its Run As user, and use your My Domain URL as login_url"
	case flowRefreshToken:
		return "the refresh token was revoked or expired, or the app's refresh token policy ended it: authorize again and update refresh_token"
	case flowPassword:
		return "check username, password and security_token, and that the org still allows the username-password flow"
	}
	return "check client_id and the flow's credentials"
}
