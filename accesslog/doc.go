// Package accesslog writes CloudFront standard (access) logs: the W3C extended format with
// the 33 tab-separated fields of CloudFront's standard logs, one line per viewer request.
//
// # Format
//
// A log starts with the two directive lines "#Version: 1.0" and "#Fields: …" ([Header]).
// Every record is one line of [NumFields] values separated by tabs ("Standard log file fields",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html):
//
//   - an absent value is written "-";
//   - inside text values, ASCII 0–32, 127–255 and < > " # % { } | \ ^ ~ [ ] ` ' are
//     percent-encoded ("%20", "%3C", …), so a value never holds a tab, a newline or a space;
//   - date is YYYY-MM-DD and time HH:MM:SS, both UTC; time-taken and time-to-first-byte are
//     seconds with three decimals ("0.082").
//
// A text value that is exactly "-" is written "%2D", so that [Decode] can tell it from an
// absent value; CloudFront itself leaves that case unspecified.
//
// # Writing
//
// [Writer.Write] formats a [Record] into the current memory buffer and returns; it allocates
// nothing once warmed up and never waits for the destination. One background goroutine
// writes each buffer as soon as it is full, and the current one every
// [Config.FlushInterval]. While the destination is slow, full buffers queue up to
// [Config.MaxPending] bytes; past that, records are dropped and counted ([Writer.Dropped])
// rather than stalling the viewer, in the spirit of CloudFront's best-effort log delivery.
// [Writer.Reopen] supports rotation by rename (SIGHUP).
//
// # Reading
//
// [ParseLine] splits a record line into its fields by name, for tests and tools; [Decode]
// reverses the value encoding.
package accesslog
