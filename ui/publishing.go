package ui

import (
	"context"
	"encoding/hex"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// canPublish reports whether the core publishes entries of the browser's
// store to target at all.
func (v *mainView) canPublish(target app.Target) bool {
	p, ok := v.core.(Publisher)
	return ok && p.CheckTarget(v.browser.contextID, v.browser.store, target) == nil
}

// publishAllowed reports whether r, of the browser's store, may be
// published to target now or, when undo, removed from there: the store is
// writable, the core can publish it there, and it is published there
// (undo) or not known to be (publish). The details fetched where it is.
func (v *mainView) publishAllowed(r row, target app.Target, undo bool) bool {
	if v.browser.readOnly() || !v.canPublish(target) {
		return false
	}
	pub, known := v.browser.publication(r)
	there := known && pub.On(target)
	if !undo && v.browser.store == store.My && !r.HasKey {
		return false // an identity goes with its key; taking one back needs none
	}
	return there == undo
}

// publishSelected asks, then publishes the selected entry to target or,
// when undo, removes it from there.
func (v *mainView) publishSelected(target app.Target, undo bool) {
	r, ok := v.browser.current()
	p, isPublisher := v.core.(Publisher)
	if !ok || !isPublisher || !v.publishAllowed(r, target, undo) {
		return
	}
	ctxID, n := v.browser.contextID, v.browser.store
	thumb := "SHA-1 thumbprint " + r.Thumbprint + "."
	if b, err := hex.DecodeString(r.Thumbprint); err == nil {
		thumb = "SHA-1 thumbprint " + formatHex(b, 2) + "."
	}
	m := publishText(r.subject, target, n == store.My, undo, v.nativeSystem)
	do := func(ctx context.Context, c store.Context, n store.Name, thumbprint string, t app.Target) error {
		_, err := p.Publish(ctx, c, n, thumbprint, t)
		return err
	}
	if undo {
		do = p.Unpublish
	}
	confirm(v.win, m.title, m.what+thumb, func(yes bool) {
		if !yes {
			return
		}
		done := showBusy(v.win, m.busy)
		v.tasks.run(func() func() {
			err := do(context.Background(), ctxID, n, r.Thumbprint, target)
			return func() {
				done()
				if err != nil {
					showError(v.win, m.failed, err)
				}
				v.refresh()
			}
		})
	})
}

// publishMessages are what publishing, or its undo, says: the
// confirmation's title and text (before the thumbprint), the progress and
// the sentence on failure.
type publishMessages struct{ title, what, busy, failed string }

// publishText words the publication of the certificate subject to target
// (an identity with its key when identity), or its undo.
func publishText(subject string, target app.Target, identity, undo, native bool) publishMessages {
	q := "“" + subject + "”"
	switch {
	case target == app.TargetSystem && native && undo:
		return publishMessages{"Remove " + q + " from the system certificate store?",
			"Programs that use the system store will no longer see it. ",
			"Removing " + q + "…", q + " could not be removed from the system certificate store."}
	case target == app.TargetSystem && native && identity:
		return publishMessages{"Add " + q + " to the system certificate store?",
			"Browsers, mail and VPN clients will be able to use this certificate and its private key to sign you in. ",
			"Publishing " + q + "…", q + " could not be added to the system certificate store."}
	case target == app.TargetSystem && native:
		return publishMessages{"Add " + q + " to the system certificate store?",
			"Programs that use the system store will trust certificates it issues. ",
			"Publishing " + q + "…", q + " could not be added to the system certificate store."}
	case target == app.TargetSystem && !undo:
		return publishMessages{"Trust " + q + " system-wide?",
			"Every program on this device will trust certificates it issues. ",
			"Publishing " + q + "…", q + " could not be trusted system-wide."}
	case target == app.TargetSystem:
		return publishMessages{"Stop trusting " + q + " system-wide?",
			"Programs on this device will no longer trust certificates it issues. ",
			"Removing " + q + "…", "certdesk could not stop trusting " + q + " system-wide."}
	case !undo && identity:
		return publishMessages{"Make " + q + " available to your browsers?",
			"Your browsers will be able to use this certificate and its private key to sign you in to websites. ",
			"Publishing " + q + "…", q + " could not be added to the browsers."}
	case !undo:
		return publishMessages{"Trust " + q + " in your browsers?",
			"Your browsers will trust the websites and certificates it issues. ",
			"Publishing " + q + "…", q + " could not be added to the browsers."}
	case identity:
		return publishMessages{"Remove " + q + " from your browsers?",
			"Your browsers will no longer offer this certificate and its private key to sign you in to websites. ",
			"Removing " + q + "…", q + " could not be removed from the browsers."}
	default:
		return publishMessages{"Remove " + q + " from your browsers?",
			"Your browsers will no longer trust the websites and certificates it issues. ",
			"Removing " + q + "…", q + " could not be removed from the browsers."}
	}
}
