// Package apicalls measures how many Salesforce API calls each stream
// spends per 100,000 records against the minimum Salesforce allows (SOQL
// pages of 2,000 rows; one download per EventLogFile), driving the real
// streams against the simulator and reading its call counters. It holds
// benchmarks only.
package apicalls
