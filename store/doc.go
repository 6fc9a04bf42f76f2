// Package store holds certdesk's certificate stores: contexts (machine, user,
// app:<id>), the stores inside them (My, Root, CA, Request) and their
// entries, with import and export of PFX, PEM, DER and P7B.
package store
