// Package peer measures the contrib filelog receiver's csv_parser
// against the receiver's own EventLogFile converter on the same rows. It is
// a separate module so the receiver never depends on filelog.
package peer
