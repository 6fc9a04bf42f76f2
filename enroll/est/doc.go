// Package est is an Enrollment over Secure Transport client (RFC 7030,
// with the clarifications of RFC 8951): /cacerts, /simpleenroll,
// /simplereenroll and /csrattrs over HTTPS only, with HTTP basic
// authentication or a TLS client certificate, an optional label segment
// (/.well-known/est/<label>/…), and 202 Accepted with Retry-After as a
// pending answer.
//
// No maintained EST module is served by the Go module proxy
// (github.com/globalsign/est is not), so the client is written on
// net/http and github.com/smallstep/pkcs7. Everything the server sends is
// treated as hostile: bodies are capped (MaxResponseBytes), content types
// are checked, base64 may carry line breaks but nothing else, and
// Retry-After is bounded (MinRetryAfter, MaxRetryAfter).
package est
