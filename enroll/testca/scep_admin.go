package testca

import (
	"crypto/subtle"
	"net/http"
	"unicode/utf16"
)

// serveSCEPAdmin is NDES's mscep_admin page: a new one-time challenge
// for an authenticated account, as UTF-16 HTML. NDES asks for Windows
// authentication; testca offers Basic, and only over HTTPS.
func (s *Server) serveSCEPAdmin(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil {
		http.Error(w, "mscep_admin is served over HTTPS only", http.StatusForbidden)
		return
	}
	user, pw, ok := r.BasicAuth()
	want, known := s.ca.Users()[user]
	if !ok || !known || subtle.ConstantTimeCompare([]byte(pw), []byte(want)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="NDES"`)
		http.Error(w, "401 - Unauthorized: Access is denied due to invalid credentials.", http.StatusUnauthorized)
		return
	}
	page := `<HTML><Head><Meta HTTP-Equiv="Content-Type" Content="text/html; charset=UTF-16"><Title>Network Device Enrollment Service</Title></Head>` +
		`<Body BgColor=#FFFFFF><Font ID=locPageFont Face="Arial"><P ID=locPageTitle><Font Size=+1><Font Color=#0000FF><B>Network Device Enrollment Service</B></Font></Font>` +
		`<P> Network Device Enrollment Service allows you to obtain certificates for routers or other network devices using the Simple Certificate Enrollment Protocol (SCEP).` +
		`<P> To complete certificate enrollment for your network device you will need the following information:` +
		`<P> The enrollment challenge password is: <B> ` + s.SCEPChallenge() + ` </B>` +
		`<P> This password can be used only once and will expire within 60 minutes.` +
		`<P> Each enrollment requires a new challenge password. You can refresh this web page to obtain a new challenge password.</Font></Body></HTML>`
	u := utf16.Encode([]rune(page))
	out := []byte{0xFF, 0xFE} // UTF-16LE with its byte order mark, as IIS sends it
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-16")
	w.Write(out)
}
