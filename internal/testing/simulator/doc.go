// Package simulator is a stand-in Salesforce org for tests and demos (make
// run serves one with cmd/sfsim). This package is its public face: Options,
// New, NewTestServer, Start and Close, and a Server whose methods set up,
// inspect and disturb the org: its records and incidents, its API usage,
// faults, sessions and logins, its Pub/Sub topics and events. Tests and
// sfsim need nothing else.
//
// What the org serves lives in packages of its own, each saying where
// Salesforce documents what it simulates:
//
//   - org: the org's data: the objects (from internal/catalog and the
//     simulator's own), the record store, generated history and arrivals,
//     users, Event Log Object rows, Event Monitoring log files, the
//     inventory (OAuth tokens, connected apps, permission set assignments)
//     and its actions, incidents, and what field-level security hides;
//   - soql: the SOQL subset the Query resource runs, with the rules of big
//     objects and Event Log Objects;
//   - rest: the REST API (query, describe, limits, versions, log file
//     downloads) and the OAuth token endpoint, with API-usage accounting
//     and fault injection;
//   - pubsub: the Pub/Sub API (gRPC): topics, Avro schemas and payloads,
//     replay, flow control, faults;
//   - elf: the content of Event Monitoring log files (columns, generated
//     rows, CSV);
//   - sfid: Salesforce record ids;
//   - anynum: numbers of any Go type, as JSON and Avro decoders hand them.
//
// New builds an org (org.New) and the two APIs over it (rest.New,
// pubsub.New), and this package's forwarding methods are theirs (server.go
// wires them; data.go, rest.go and pubsub.go forward). Fleet serves many
// orgs on one listener.
package simulator
