package app

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certdesk/certdesk/store"
)

// PublishedFile, in a context's directory, records where certificates of
// the context were published (thumbprint → Publication), so the CLI and
// the GUI can say "trusted system-wide" / "available to browsers" and a
// renewal can publish the successor. It holds no secret.
const PublishedFile = "published.json"

// Publication says where one certificate is published. Its JSON form is
// the shape of published.json and of "publication" in "store show -json".
type Publication struct {
	Store  store.Name `json:"store"`
	System bool       `json:"system,omitempty"` // an anchor in the system trust store, or in the native store (Native)
	Native bool       `json:"native,omitempty"` // System means the Windows store or macOS keychain of the context
	// Found: the certificate was in the native store before certdesk
	// published it, so unpublishing leaves it there.
	Found    bool     `json:"found,omitempty"`
	Browsers []string `json:"browsers,omitempty"` // NSS database directories holding it
	// Chain lists the thumbprints of the chain certificates an
	// identity's PKCS#12 carried; Added, per database, those of them that
	// were not there before and so are certdesk's to remove.
	Chain []string            `json:"chain,omitempty"`
	Added map[string][]string `json:"added,omitempty"`
	At    time.Time           `json:"at"` // last change
	// Certificate is the DER published, so Unpublish still works after
	// the entry was purged from the store.
	Certificate []byte `json:"certificate,omitempty"`
}

// Summary says where the certificate is published, for people: the words
// the command line and the GUI both show, "" when nowhere.
func (p Publication) Summary() string {
	var parts []string
	switch {
	case p.System && p.Native:
		parts = append(parts, "in the system certificate store")
	case p.System:
		parts = append(parts, "trusted system-wide")
	}
	switch len(p.Browsers) {
	case 0:
	case 1:
		parts = append(parts, "available to browsers ("+p.Browsers[0]+")")
	default:
		parts = append(parts, fmt.Sprintf("available to browsers (%d databases: %s)", len(p.Browsers), strings.Join(p.Browsers, ", ")))
	}
	return strings.Join(parts, "; ")
}

// addChain records chain certificates ths as added to database d.
func (p *Publication) addChain(d string, ths ...string) {
	if p.Added == nil {
		p.Added = map[string][]string{}
	}
	for _, th := range ths {
		if !slices.Contains(p.Added[d], th) {
			p.Added[d] = append(p.Added[d], th)
		}
	}
}

// Empty reports whether the certificate is published nowhere.
func (p Publication) Empty() bool { return !p.On(TargetSystem) && !p.On(TargetBrowsers) }

// On reports whether the certificate is published to t.
func (p Publication) On(t Target) bool {
	if t == TargetSystem {
		return p.System
	}
	return len(p.Browsers) > 0
}

// Published returns where the certificates of cx are published, by
// thumbprint, as recorded by Publish (read from published.json, no
// external tool runs).
func (c *Core) Published(cx store.Context) (map[string]Publication, error) {
	s, err := c.Store(cx)
	if err != nil {
		return nil, err
	}
	return readPublished(s)
}

// recorded returns the certificate published from store n as an entry,
// if the record has it.
func recorded(s *store.Store, n store.Name, thumbprint string) (store.Entry, bool) {
	th, err := store.NormalizeThumbprint(thumbprint)
	if err != nil {
		return store.Entry{}, false
	}
	m, err := readPublished(s)
	p, ok := m[th]
	if err != nil || !ok || p.Store != n || len(p.Certificate) == 0 {
		return store.Entry{}, false
	}
	cert, err := x509.ParseCertificate(p.Certificate)
	if err != nil {
		return store.Entry{}, false
	}
	return store.Entry{Thumbprint: th, Certificate: cert}, true
}

// chainOwner returns who keeps chain certificate th in database d when
// identity except leaves: th itself if it is a published root there,
// else another published identity whose chain carries it, else "".
func chainOwner(m map[string]Publication, except, d, th string) string {
	if slices.Contains(m[th].Browsers, d) {
		return th
	}
	for k, o := range m {
		if k != except && slices.Contains(o.Browsers, d) && slices.Contains(o.Chain, th) {
			return k
		}
	}
	return ""
}

func setPublication(m map[string]Publication, thumbprint string, p Publication) {
	if p.Empty() {
		delete(m, thumbprint)
	} else {
		m[thumbprint] = p
	}
}

func readPublished(s *store.Store) (map[string]Publication, error) {
	return readConfigMap[Publication](s.Dir(), PublishedFile)
}

// updatePublished rewrites PublishedFile; the caller holds the context lock.
func (c *Core) updatePublished(s *store.Store, f func(map[string]Publication)) error {
	return updateConfigMap(s.Dir(), PublishedFile, f)
}
