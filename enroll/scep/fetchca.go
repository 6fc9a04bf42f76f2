package scep

import (
	"context"
	"crypto/x509"
)

// FetchCA asks GetCACert only and returns the CA it names, unchecked: for
// a person to compare with the administrator's fingerprint before it
// becomes Pin (the GUI's Add dialog). Nothing but that request is sent,
// also over plain http.
func (c *Client) FetchCA(ctx context.Context) (*x509.Certificate, error) {
	s, err := c.getCACert(ctx)
	if err != nil {
		return nil, err
	}
	return s.CA, nil
}

// getCACert asks GetCACert and parses the answer, unchecked.
func (c *Client) getCACert(ctx context.Context) (*Server, error) {
	data, ctype, err := c.get(ctx, "GetCACert", "")
	if err != nil {
		return nil, err
	}
	return ParseCACert(data, ctype)
}
