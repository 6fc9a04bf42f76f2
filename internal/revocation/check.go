package revocation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Limits of one fetch.
const (
	DefaultTimeout = 15 * time.Second
	MaxOCSPBytes   = 64 << 10
	MaxCRLBytes    = 32 << 20 // AD CS CRLs of large CAs run to megabytes
	maxRedirects   = 3
)

// CRLCache keeps downloaded CRLs between checks, by URL. Checker verifies
// what it loads again, so a damaged or planted file only costs a fetch.
// Implementations must be safe for concurrent use.
type CRLCache interface {
	LoadCRL(url string) []byte // nil when absent
	StoreCRL(url string, der []byte)
}

// Checker fetches and verifies revocation answers. A Checker remembers,
// for its lifetime, each CRL and each failed URL, so checking thousands of
// certificates of one CA downloads its CRL once and waits on a dead
// responder once; make one per pass. It is safe for concurrent use.
type Checker struct {
	// Client makes the requests; nil means one with DefaultTimeout that
	// refuses redirects to anything but http(s) and keeps no cookies.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CRLs, if set, keeps CRLs beyond this Checker.
	CRLs CRLCache

	once   sync.Once
	mu     sync.Mutex
	crls   map[string]*CRL  // url + issuer → verified CRL
	failed map[string]error // url → why it could not be fetched
}

func (c *Checker) init() {
	c.once.Do(func() {
		c.crls, c.failed = map[string]*CRL{}, map[string]error{}
		if c.Client == nil {
			c.Client = NewClient(DefaultTimeout)
		}
		if c.Now == nil {
			c.Now = time.Now
		}
	})
}

// NewClient returns the HTTP client Checker uses by default: the default
// transport (proxy from the environment), no cookie jar, a timeout, and at
// most three redirects, each to an http(s) URL without credentials.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("too many redirects")
			}
			return CheckURL(req.URL)
		},
	}
}

// CheckURL refuses a URL certdesk will not fetch: anything but http and
// https (ldap, file, …), one without a host, and one carrying credentials.
func CheckURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("revocation: refusing %q: only http and https URLs are fetched", u.Scheme+":")
	case u.Host == "":
		return errors.New("revocation: refusing a URL without a host")
	case u.User != nil:
		return errors.New("revocation: refusing a URL with credentials")
	}
	return nil
}

// Check asks for cert's status: each OCSP responder of its AIA extension,
// then each CRL of its CDP extension, until one gives a verified good or
// revoked answer. asked is false when the certificate names no http(s)
// source at all. notBefore is the thisUpdate of the newest answer already
// seen for cert (zero for none): an OCSP response older than it is a replay.
func (c *Checker) Check(ctx context.Context, cert, issuer *x509.Certificate, notBefore time.Time) (a Answer, asked bool) {
	c.init()
	var why []string
	for _, u := range cert.OCSPServer {
		if checkURLString(u) != nil {
			continue
		}
		asked = true
		got, err := c.ocsp(ctx, u, cert, issuer, notBefore)
		if err == nil && got.Status != StatusUnknown {
			return got, true
		}
		if err == nil {
			err = errors.New(got.Reason)
		}
		why = append(why, err.Error())
	}
	for _, u := range cert.CRLDistributionPoints {
		if checkURLString(u) != nil {
			continue
		}
		asked = true
		l, err := c.crl(ctx, u, issuer, func(der []byte) (*CRL, error) { return VerifyCRL(der, issuer, c.Now()) })
		var a Answer
		if err == nil {
			a, err = c.withDelta(ctx, cert, issuer, l)
		}
		if err == nil {
			a.URL = u
			return a, true
		}
		why = append(why, err.Error())
	}
	if !asked {
		return unknown("the certificate names no http(s) OCSP responder or CRL"), false
	}
	return unknown("%s", strings.Join(why, "; ")), true
}

func checkURLString(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	return CheckURL(u)
}

// ocsp asks responder u about cert.
func (c *Checker) ocsp(ctx context.Context, u string, cert, issuer *x509.Certificate, notBefore time.Time) (Answer, error) {
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("revocation: OCSP request: %w", err)
	}
	der, err := c.fetch(ctx, u, req, MaxOCSPBytes)
	if err != nil {
		return Answer{}, err
	}
	a, err := VerifyOCSP(der, cert, issuer, c.Now(), notBefore)
	a.URL = u
	return a, err
}

// withDelta answers for cert from base and, when the certificate or base
// names delta CRLs (FreshestCRL), the first delta that verifies: a CA
// that publishes deltas means the base alone is not its latest word, so
// none verifying is an error.
func (c *Checker) withDelta(ctx context.Context, cert, issuer *x509.Certificate, base *CRL) (Answer, error) {
	urls := append(freshestCRL(cert.Extensions), freshestCRL(base.Extensions)...)
	var why []string
	for _, u := range urls {
		if checkURLString(u) != nil {
			continue
		}
		d, err := c.crl(ctx, u, issuer, func(der []byte) (*CRL, error) { return VerifyDeltaCRL(der, issuer, base, c.Now()) })
		if err == nil {
			return withDelta(base, d, cert.SerialNumber), nil
		}
		why = append(why, err.Error())
	}
	if len(why) > 0 {
		return Answer{}, fmt.Errorf("revocation: no delta CRL: %s", strings.Join(why, "; "))
	}
	return base.Lookup(cert.SerialNumber), nil
}

// crl returns the CRL at u that verify accepts, from memory, the CRLCache
// or the network, in that order.
func (c *Checker) crl(ctx context.Context, u string, issuer *x509.Certificate, verify func([]byte) (*CRL, error)) (*CRL, error) {
	sum := sha256.Sum256(issuer.Raw)
	key := u + "\x00" + string(sum[:])
	c.mu.Lock()
	l := c.crls[key]
	c.mu.Unlock()
	if l != nil {
		if err := current(l.ThisUpdate, l.NextUpdate, c.Now(), 0); err == nil {
			return l, nil
		}
	}
	if c.CRLs != nil {
		if der := c.CRLs.LoadCRL(u); der != nil {
			if l, err := verify(der); err == nil {
				c.remember(key, l)
				return l, nil
			}
		}
	}
	der, err := c.fetch(ctx, u, nil, MaxCRLBytes)
	if err != nil {
		return nil, err
	}
	if l, err = verify(der); err != nil {
		return nil, err
	}
	c.remember(key, l)
	if c.CRLs != nil {
		c.CRLs.StoreCRL(u, der)
	}
	return l, nil
}

func (c *Checker) remember(key string, l *CRL) {
	c.mu.Lock()
	c.crls[key] = l
	c.mu.Unlock()
}

// fetch GETs u, or POSTs body to it as an OCSP request, and returns at
// most max bytes of a 200 answer. A URL that failed once in this Checker
// fails again at once.
func (c *Checker) fetch(ctx context.Context, u string, body []byte, max int64) ([]byte, error) {
	c.mu.Lock()
	err := c.failed[u]
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	data, err := c.get(ctx, u, body, max)
	if err != nil && ctx.Err() == nil {
		c.mu.Lock()
		c.failed[u] = err
		c.mu.Unlock()
	}
	return data, err
}

func (c *Checker) get(ctx context.Context, u string, body []byte, max int64) ([]byte, error) {
	if err := checkURLString(u); err != nil {
		return nil, err
	}
	method, ct := http.MethodGet, ""
	if body != nil {
		method, ct = http.MethodPost, "application/ocsp-request"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("revocation: %w", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("revocation: fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("revocation: fetch %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("revocation: fetch %s: %w", u, err)
	case int64(len(data)) > max:
		return nil, fmt.Errorf("revocation: fetch %s: the answer is larger than %d bytes", u, max)
	}
	return data, nil
}
