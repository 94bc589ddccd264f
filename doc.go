// Package salesforcereceiver polls a Salesforce org's security event streams
// and emits every event as a log record.
//
//go:generate mdatagen metadata.yaml
package salesforcereceiver
