package app

import "github.com/certdesk/certdesk/store"

// CanRenew reports whether Core.Renew can renew e: a current (unarchived)
// certificate of My with its private key, issued through a registered
// policy server. Imported certificates have no server to ask, archived
// ones were replaced or deleted, and pending requests (placeholders in
// Request) have no certificate yet. The GUI enables "Renew now" by it.
func CanRenew(e store.Entry) bool {
	return e.Store == store.My && !e.Meta.Archived && e.HasKey && e.Meta.PolicyServer != ""
}
