package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/certdesk/certdesk/enroll"
	"github.com/certdesk/certdesk/store"
)

// UnconfirmedHostsError is returned, before anything is sent, when a
// password server's policy would send the password to hosts the person
// has not confirmed for it (a policy update that brought in another CES).
// The GUI asks the person and calls Core.ConfirmHosts; a headless pulse
// records the renewal as failed, not permanently.
type UnconfirmedHostsError struct {
	Server string   // the server's id
	Hosts  []string // host[:port], lower-case
}

func (e *UnconfirmedHostsError) Error() string {
	return fmt.Sprintf("server %s: nothing was sent to %s: its policy names it for the password, but the host is not confirmed for this server",
		e.Server, strings.Join(e.Hosts, ", "))
}

// HostOf returns the lower-case host[:port] of a URL as PasswordHosts
// holds it: no trailing dot, no port 443 on https; "" if raw has no host.
func HostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if h == "" {
		return ""
	}
	if p := u.Port(); p != "" && !(p == "443" && u.Scheme == "https") {
		return net.JoinHostPort(h, p)
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// PasswordHosts returns the hosts a password server with CEP cepURL and
// policy pol sends the password to: the CEP's and those of every CES the
// policy lists for username and password, in that order, without repeats.
// It is the list to show before the person confirms ("Your password will
// be sent to: …"); pol may be nil.
func PasswordHosts(cepURL string, pol *enroll.Policies) []string {
	out := []string{HostOf(cepURL)}
	if pol == nil {
		return out
	}
	for _, u := range pol.Endpoints(nil, enroll.AuthUsernamePassword, true) {
		if h := HostOf(u); h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// ConfirmedHosts returns the hosts a password server's password may go
// to: the CEP's, which the person typed, then PasswordHosts. A server
// registered before PasswordHosts existed has the CEP's host only. Servers
// without password authentication send no password: nil.
func (srv Server) ConfirmedHosts() []string {
	if srv.Auth != AuthPassword {
		return nil
	}
	return append([]string{HostOf(srv.URL)}, srv.PasswordHosts...)
}

// checkPasswordHosts is the one rule for where a password goes: when cred
// carries one, every URI must be on a host confirmed for it. It is asked
// before a request is built (so a refusal sends nothing to any endpoint,
// and failover never reaches an unconfirmed one) and again by the
// transport for every request (passwordGuard).
func checkPasswordHosts(cred credential, uris []string) error {
	if cred.user == "" {
		return nil
	}
	var bad []string
	for _, u := range uris {
		if h := HostOf(u); !slices.Contains(cred.hosts, h) && !slices.Contains(bad, h) {
			bad = append(bad, h)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &UnconfirmedHostsError{Server: cred.server, Hosts: bad}
}

// passwordGuard refuses, at the transport, any request with a password
// credential to a host checkPasswordHosts does not allow.
type passwordGuard struct {
	next http.RoundTripper
	cred credential
}

func (g passwordGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := checkPasswordHosts(g.cred, []string{r.URL.String()}); err != nil {
		if r.Body != nil {
			_ = r.Body.Close() // RoundTrip closes the body, also on errors
		}
		return nil, err
	}
	return g.next.RoundTrip(r)
}

// extraHosts returns hosts in HostOf's form without the host of cepURL,
// which needs no confirmation: a server's PasswordHosts.
func extraHosts(cepURL string, hosts []string) ([]string, error) {
	norm, err := normalHosts(hosts)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range norm {
		if h != HostOf(cepURL) {
			out = append(out, h)
		}
	}
	return out, nil
}

// normalHosts turns host[:port] names or URLs into HostOf's form.
func normalHosts(in []string) ([]string, error) {
	var out []string
	for _, h := range in {
		raw := strings.TrimSpace(h)
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw
		}
		n := HostOf(raw)
		if n == "" || strings.ContainsAny(n, "/?#@ ") {
			return nil, fmt.Errorf("%q is not a host name", h)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// UnconfirmedHosts returns the hosts the policy of password server ref
// would send the password to that the person has not confirmed, with the
// server; a server without password authentication is an error. It reads
// the cached policies (the CEP's and the key-based-renewal CEP's, whose
// password CES a renewal may fall back to) and fetches the CEP's when none
// is cached, with the password, which goes to the CEP's host only.
func (c *Core) UnconfirmedHosts(ctx context.Context, cx store.Context, ref string) (Server, []string, error) {
	srv, err := c.passwordServer(cx, ref)
	if err != nil {
		return srv, nil, err
	}
	s, err := c.Store(cx)
	if err != nil {
		return srv, nil, err
	}
	pc, err := readPolicyCache(s, srv.ID)
	if err != nil {
		return srv, nil, err
	}
	if pc.Policies == nil || pc.URL != srv.URL {
		if pc.Policies, err = c.Policies(ctx, cx, srv.ID, "", false); err != nil {
			return srv, nil, err
		}
	}
	hosts := PasswordHosts(srv.URL, pc.Policies)
	if srv.KBRURL != "" {
		if kbr, err := readPolicyCache(s, policyCacheID(srv, srv.KBRURL)); err == nil && kbr.Policies != nil {
			hosts = append(hosts, PasswordHosts(srv.URL, kbr.Policies)...)
		}
	}
	var out []string
	for _, h := range hosts {
		if !slices.Contains(srv.ConfirmedHosts(), h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return srv, out, nil
}

// ConfirmHosts records that the person confirmed hosts (host[:port] or
// URLs) to receive the password of server ref in cx, after being shown
// them (UnconfirmedHosts, or an *UnconfirmedHostsError). The renewals of
// the server's certificates that were waiting for a retry are tried at the
// next pulse.
func (c *Core) ConfirmHosts(ctx context.Context, cx store.Context, ref string, hosts []string) (Server, error) {
	srv, err := c.passwordServer(cx, ref)
	if err != nil {
		return Server{}, err
	}
	add, err := normalHosts(hosts)
	if err != nil {
		return Server{}, err
	}
	s, tx, err := c.lock(ctx, cx)
	if err != nil {
		return Server{}, err
	}
	defer tx.Unlock()
	err = rewriteServers(s, func(list []Server) ([]Server, error) {
		for i := range list {
			if list[i].ID != srv.ID {
				continue
			}
			for _, h := range add {
				if !slices.Contains(list[i].ConfirmedHosts(), h) {
					list[i].PasswordHosts = append(list[i].PasswordHosts, h)
				}
			}
			srv = list[i]
		}
		return list, nil
	})
	if err != nil {
		return Server{}, err
	}
	return srv, c.resetServerRetries(ctx, s, srv.ID)
}

// passwordServer is Server for a server whose hosts can be confirmed.
func (c *Core) passwordServer(cx store.Context, ref string) (Server, error) {
	srv, err := c.Server(cx, ref)
	if err == nil && srv.Auth != AuthPassword {
		err = fmt.Errorf("server %s uses %s authentication; it sends no password to any host", srv.ID, srv.Auth)
	}
	return srv, err
}

// resetServerRetries forgets the backoff of server id's certificates and
// autoenrollments; the caller holds the lock.
func (c *Core) resetServerRetries(ctx context.Context, s *store.Store, id string) error {
	retry, err := readRetry(s)
	if err != nil || len(retry) == 0 {
		return err
	}
	es, err := s.List(ctx, store.My, store.ListOptions{})
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, e := range es {
		mine[e.Thumbprint] = e.Meta.PolicyServer == id
	}
	for k, st := range retry {
		if !st.Permanent && (mine[k] || strings.HasPrefix(k, autoPrefix+id)) {
			retry[k] = st.Reset()
		}
	}
	return writeRetry(s, retry)
}
