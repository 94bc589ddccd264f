// Package e2e holds the end-to-end suite (build tag e2e, run by `make e2e`):
// the built collector against the simulator and a local OTLP/HTTP sink.
package e2e
