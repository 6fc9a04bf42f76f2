package testca

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
)

// hostFaults is the extra-CES-host fault and the count of requests by the
// host they were addressed to; safe for concurrent use.
type hostFaults struct {
	extra atomic.Pointer[string]
	mu    sync.Mutex
	seen  map[string]int
}

// SetExtraCESHost makes GetPolicies list a second username/password CES at
// host on this server's port (e.g. "localhost" when clients use
// 127.0.0.1), preferred over the real one (priority 0): a policy update
// that brings in a host the person never confirmed for the password. The
// server answers there too (its TLS certificate names localhost), so a
// client that follows the policy blindly succeeds, and RequestsTo tells.
// "" stops the fault.
func (s *Server) SetExtraCESHost(host string) { s.hosts.extra.Store(&host) }

// RequestsTo returns how many requests arrived addressed to hostport (the
// Host header, e.g. "localhost:4430"), whatever their path.
func (s *Server) RequestsTo(hostport string) int {
	s.hosts.mu.Lock()
	defer s.hosts.mu.Unlock()
	return s.hosts.seen[strings.ToLower(hostport)]
}

// count records a request addressed to hostport.
func (h *hostFaults) count(hostport string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string]int{}
	}
	h.seen[strings.ToLower(hostport)]++
}

// withExtraCES adds the extra CES of SetExtraCESHost, first, to the CA URIs
// of a GetPoliciesResponse answered to a client that addressed hostport.
func (h *hostFaults) withExtraCES(body, hostport, cesPath string) string {
	p := h.extra.Load()
	if p == nil || *p == "" {
		return body
	}
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return body
	}
	uri := `<cAURI><clientAuthentication>4</clientAuthentication><uri>` + esc("https://"+net.JoinHostPort(*p, port)+cesPath) +
		`</uri><priority>0</priority><renewalOnly>false</renewalOnly></cAURI>`
	return strings.Replace(body, "<uris>", "<uris>"+uri, 1)
}
