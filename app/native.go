package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/certdesk/certdesk/store"
)

// nativeOS says whether this operating system has native certificate
// stores (store.OpenSystem): the crypt32 system stores on Windows, the
// keychains on macOS. There, TargetSystem means the native store of the
// same context and name, so certmgr.msc, Keychain Access and every program
// that reads them (Edge, Chrome, Safari) see what certdesk published.
var nativeOS = runtime.GOOS == "windows" || runtime.GOOS == "darwin"

// NativeOpener opens the native store n of context c; store.OpenSystem is
// the real one.
type NativeOpener func(c store.Context, n store.Name) (store.System, error)

// NativeStores reports whether TargetSystem means the native stores
// (Windows, macOS, or a core given Options.NativeStore).
func (c *Core) NativeStores() bool { return c.hasNative }

// openNative opens the native store n of cx.
func (c *Core) openNative(cx store.Context, n store.Name) (store.System, error) {
	open := c.native
	if open == nil {
		open = store.OpenSystem
	}
	return open(cx, n)
}

// NativeList lists the native store n of context cx, the certificates
// certmgr.msc or Keychain Access shows there. Where the system has none
// (Linux, application contexts) the error wraps store.ErrUnsupported.
func (c *Core) NativeList(ctx context.Context, cx store.Context, n store.Name) ([]store.Entry, error) {
	if !c.hasNative || (cx != store.User && cx != store.Machine) {
		return nil, &store.OpError{Op: "open", Context: cx, Store: n, Err: store.ErrUnsupported}
	}
	sys, err := c.openNative(cx, n)
	if err != nil {
		return nil, err
	}
	defer sys.Close()
	return sys.List(ctx)
}

// nativeOutcome says what publishNative found and did.
type nativeOutcome struct {
	found  bool // the certificate was in the native store already: left as it was
	landed bool // it is in the native store now, even if a later step failed
}

// publishNative adds entry e of store n to the native store of the same
// name: a Root or CA certificate as such, a My certificate with its key
// and chain as a PKCS#12 under a one-time random password, in the
// Compatible profile every Windows and macOS version imports (the
// password protects only these bytes in memory). A certificate already
// there (put there by someone else, or by an earlier publication) is left
// as it is, so its own key stays linked.
func (c *Core) publishNative(ctx context.Context, s *store.Store, n store.Name, e store.Entry) (nativeOutcome, error) {
	sys, err := c.openNative(s.Context(), n)
	if err != nil {
		return nativeOutcome{}, err
	}
	defer sys.Close()
	present := func() bool {
		es, err := sys.List(ctx)
		return err == nil && slices.ContainsFunc(es, func(x store.Entry) bool { return x.Thumbprint == e.Thumbprint })
	}
	if present() {
		return nativeOutcome{found: true, landed: true}, nil
	}
	if n != store.My {
		err = sys.Add(ctx, e.Certificate)
	} else {
		var pw string
		var pfx []byte
		if pw, err = oneTimePassword(); err == nil {
			pfx, err = s.Export(ctx, n, e.Thumbprint, store.ExportOptions{Format: store.FormatPFX, Profile: store.Compatible, Password: pw, Chain: true})
		}
		if err == nil {
			err = sys.ImportPFX(ctx, pfx, pw)
		}
	}
	if err != nil {
		return nativeOutcome{landed: present()}, err
	}
	return nativeOutcome{landed: true}, nil
}

// unpublishNative removes the certificate from the native store; one that
// is not there any more is not an error.
func (c *Core) unpublishNative(ctx context.Context, cx store.Context, n store.Name, thumbprint string) error {
	sys, err := c.openNative(cx, n)
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := sys.Delete(ctx, thumbprint); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// ErrBrowsersUseSystem is CheckTarget's answer to TargetBrowsers where
// native stores exist (Windows, macOS): the browsers read the system
// certificate store, so TargetSystem is the one to publish to.
var ErrBrowsersUseSystem = errors.New("browsers on this system use its certificate store, not databases of their own")

// checkNative is CheckTarget where native stores exist: the system target
// is the native store of the user or machine context, for My (with key),
// Root and CA; browsers read that store too, so they are not a target of
// their own.
func checkNative(cx store.Context, n store.Name, t Target) error {
	switch {
	case t == TargetBrowsers:
		return ErrBrowsersUseSystem
	case t != TargetSystem:
		return fmt.Errorf("unknown target %q: use system or browsers", t)
	case cx != store.User && cx != store.Machine:
		return fmt.Errorf("the system certificate store is for the user and machine contexts, not %s", cx)
	case n != store.My && n != store.Root && n != store.CA:
		return fmt.Errorf("the system certificate store takes the My, Root and CA stores, not %s", n)
	}
	return nil
}

// NativeGet returns the certificate with the thumbprint from the native
// store n of cx.
func (c *Core) NativeGet(ctx context.Context, cx store.Context, n store.Name, thumbprint string) (store.Entry, error) {
	th, err := store.NormalizeThumbprint(thumbprint)
	if err != nil {
		return store.Entry{}, err
	}
	es, err := c.NativeList(ctx, cx, n)
	if err != nil {
		return store.Entry{}, err
	}
	for _, e := range es {
		if e.Thumbprint == th {
			return e, nil
		}
	}
	return store.Entry{}, &store.OpError{Op: "get", Context: cx, Store: n, Err: store.ErrNotFound}
}

// NativeChain builds the chain of a native store's certificate now, from
// the same context's native Root (trusted) and CA stores plus the system
// roots, as certmgr.msc would show it.
func (c *Core) NativeChain(ctx context.Context, cx store.Context, n store.Name, thumbprint string) (*store.Chain, error) {
	e, err := c.NativeGet(ctx, cx, n, thumbprint)
	if err != nil {
		return nil, err
	}
	var sets []store.ChainSet
	for _, sn := range []store.Name{store.Root, store.CA} {
		es, err := c.NativeList(ctx, cx, sn)
		if err != nil {
			continue // the OS has no such store here
		}
		set := store.ChainSet{Source: string(sn), Trusted: sn == store.Root}
		for _, x := range es {
			set.Certs = append(set.Certs, x.Certificate)
		}
		sets = append(sets, set)
	}
	return store.LeafFrom(store.BuildChain(e.Certificate, c.clock.Now(), sets...), n), nil
}

// publishIssued adds a newly issued certificate (entry th of My) to the
// native store when the settings ask for it (Settings.PublishIssued, on
// Windows and macOS). A failure goes to the history; the certificate
// stays installed. The caller holds the context lock.
func (c *Core) publishIssued(ctx context.Context, s *store.Store, th string) {
	cx := s.Context()
	if !c.hasNative || !c.Settings().PublishIssued || (cx != store.User && cx != store.Machine) {
		return
	}
	e, err := s.Get(ctx, store.My, th)
	if err == nil {
		_, err = c.publishEntry(ctx, s, store.My, e, TargetSystem)
	}
	rec := Record{Action: ActionPublish, Outcome: OutcomeOK, Thumbprint: th, Subject: e.Subject,
		Reason: "added to the system certificate store"}
	if err != nil {
		rec.Outcome, rec.Reason = OutcomeFailed, "adding the certificate to the system certificate store: "+err.Error()
	}
	_ = c.record(cx, rec)
}
