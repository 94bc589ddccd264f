package salesforcereceiver

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// streamCheck is one enabled stream's part of the connection test.
type streamCheck struct {
	stream  stream.Descriptor
	checker stream.Checker
}

// checkConnection is the start-up connection test: a token, the API
// version, the org's allowance, and each enabled stream's real query, one
// log line each. It runs beside the streams and never blocks the collector.
func (r *salesforceReceiver) checkConnection(ctx context.Context, client *sfapi.Client, checks []streamCheck) {
	logger := r.set.Logger
	org, instance, err := client.Identity(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if auth.IsPermanent(err) {
			logger.Error("Salesforce rejected the receiver's credentials", zap.String("flow", string(r.cfg.Auth.Flow)),
				zap.String("fix", r.cfg.Auth.Flow.Fix()), zap.Error(err))
		} else {
			logger.Warn("Cannot reach Salesforce yet; the streams keep retrying", zap.String("login_url", r.cfg.LoginURL), zap.Error(err))
		}
		r.monitor.fail(err)
		return
	}
	if err := client.CheckAPIVersion(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		var verErr *sfapi.VersionError
		if errors.As(err, &verErr) {
			logger.Error("Salesforce does not serve the configured api_version; no stream can read until it is changed",
				zap.String("org_id", org), zap.String("api_version", verErr.Configured),
				zap.String("newest_served", verErr.Newest), zap.Error(err))
			r.monitor.fail(err)
			return
		}
		logger.Warn("Could not check the org's API versions", zap.Error(err))
	}
	if limits, err := client.Limits(ctx); err == nil {
		logger.Info("Connected to Salesforce", zap.String("org_id", org), zap.String("instance_url", instance),
			zap.Int64("api_remaining", limits.DailyAPIRequests.Remaining), zap.Int64("api_max", limits.DailyAPIRequests.Max))
	} else if ctx.Err() == nil {
		logger.Warn("Connected to Salesforce, but could not read the org's limits", zap.String("org_id", org),
			zap.String("fix", "give the integration user's profile View Setup and Configuration"), zap.Error(err))
	}
	for _, c := range checks {
		ready, err := c.checker.Check(ctx)
		fields := []zap.Field{zap.String("stream", c.stream.Name), zap.String("object", c.stream.Object)}
		if len(ready.Missing) > 0 {
			fields = append(fields, zap.Strings("missing_fields", ready.Missing),
				zap.String("missing_fix", "grant the integration user field access (or raise api_version) to add them"))
		}
		if ready.Note != "" {
			fields = append(fields, zap.String("note", ready.Note))
		}
		switch class := sfapi.Classify(err); {
		case ctx.Err() != nil:
			return
		case err == nil && ready.Partial != "":
			logger.Warn("Stream ready, but it sees only part of its object", append(fields, zap.String("why", ready.Partial),
				zap.String("needs", c.stream.Access.Needs), zap.String("fix", c.stream.Access.Fix))...)
		case err == nil:
			logger.Info("Stream ready", fields...)
		case class == sfapi.ClassQuery:
			logger.Error("Stream cannot read its object", append(fields, zap.String("needs", c.stream.Access.Needs),
				zap.String("fix", c.stream.Access.Fix), zap.Error(err))...)
			r.monitor.fail(fmt.Errorf("%s: cannot read %s: %w", c.stream.Name, c.stream.Object, err))
		case class == sfapi.ClassLimit:
			logger.Warn("Stream not checked: the org's daily API allowance is used up", fields...)
		default:
			logger.Warn("Stream not checked", append(fields, zap.Error(err))...)
		}
	}
	if r.cfg.LeaderElector != nil {
		// A standby replica polls nothing: the test is what tells its
		// status (still Starting otherwise) that it could take over.
		r.monitor.PollDone(connectionKey, nil)
	}
}
