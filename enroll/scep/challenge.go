package scep

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/Azure/go-ntlmssp"
	"github.com/certdesk/certdesk/enroll"
)

// AdminURL returns the mscep_admin page of an NDES SCEP URL
// (…/certsrv/mscep/mscep.dll), or "" for a URL that is not NDES's.
func AdminURL(scepURL string) string {
	u, err := url.Parse(scepURL)
	if err != nil {
		return ""
	}
	base, ok := strings.CutSuffix(strings.ToLower(strings.TrimSuffix(u.Path, "/")), "/certsrv/mscep/mscep.dll")
	if !ok {
		return ""
	}
	u.Path, u.RawQuery, u.Fragment = u.Path[:len(base)]+"/certsrv/mscep_admin/", "", ""
	return u.String()
}

// challengeRe finds the challenge on an mscep_admin page.
var challengeRe = regexp.MustCompile(`(?is)challenge password is:\s*<B>\s*([^<\s]{1,128})\s*</B>`)

// NDES's refusals on mscep_admin, in the person's words.
var adminRefusals = []struct{ text, says string }{
	{"password cache is full", "NDES has handed out all the challenges it keeps; they expire within an hour, or its administrator can raise the limit"},
	{"sufficient permission", "this account may not get NDES challenges (it needs Enroll permission on NDES's template)"},
}

// FetchChallenge asks NDES's mscep_admin page for a one-time challenge
// with the person's credentials: NTLM (also inside Negotiate) where the
// page offers it, Basic only over https. The page is UTF-16 HTML.
func FetchChallenge(ctx context.Context, hc *http.Client, adminURL, user, password string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("scep: %q is not a URL", adminURL)
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := &http.Client{Timeout: hc.Timeout, Transport: &ntlmssp.Negotiator{RoundTripper: base, AllowBasicAuth: u.Scheme == "https"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL, nil)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(user, password)
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("scep: mscep_admin: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &HTTPError{Operation: "mscep_admin", Status: resp.Status, Code: resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", fmt.Errorf("scep: mscep_admin: %w", err)
	}
	return ParseAdminPage(data, resp.Header.Get("Content-Type"))
}

// ParseAdminPage reads the challenge from an mscep_admin page, UTF-16
// (with or without a byte order mark, as the charset says) or UTF-8.
func ParseAdminPage(data []byte, contentType string) (string, error) {
	page := decodePage(data, contentType)
	if m := challengeRe.FindStringSubmatch(page); m != nil {
		return m[1], nil
	}
	for _, r := range adminRefusals {
		if strings.Contains(strings.ToLower(page), r.text) {
			return "", fmt.Errorf("scep: mscep_admin gave no challenge: %s", r.says)
		}
	}
	return "", fmt.Errorf("%w: the mscep_admin page holds no challenge password", enroll.ErrMalformed)
}

func decodePage(data []byte, contentType string) string {
	_, params, _ := mime.ParseMediaType(contentType)
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		order, data = binary.LittleEndian, data[2:]
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		order, data = binary.BigEndian, data[2:]
	case strings.EqualFold(params["charset"], "utf-16"), strings.EqualFold(params["charset"], "utf-16le"):
		order = binary.LittleEndian
	case strings.EqualFold(params["charset"], "utf-16be"):
		order = binary.BigEndian
	default:
		return string(data)
	}
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = order.Uint16(data[2*i:])
	}
	return string(utf16.Decode(u))
}
