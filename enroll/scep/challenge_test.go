package scep

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16le(s string, bom bool) []byte {
	var out []byte
	if bom {
		out = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

func TestParseAdminPage(t *testing.T) {
	page := `<HTML><Body><P> The enrollment challenge password is: <B> 8B6F1E2D3C4A5968 </B><P> This password can be used only once</Body></HTML>`
	for _, tt := range []struct {
		data  []byte
		ctype string
	}{{utf16le(page, true), "text/html"}, {utf16le(page, false), "text/html; charset=utf-16"}, {[]byte(page), "text/html; charset=utf-8"}} {
		if got, err := ParseAdminPage(tt.data, tt.ctype); err != nil || got != "8B6F1E2D3C4A5968" {
			t.Errorf("%q: %q, %v", tt.ctype, got, err)
		}
	}
	for page, want := range map[string]string{
		"<P>The password cache is full.</P>":                     "expire",
		"<P>You do not have sufficient permission to enroll</P>": "Enroll permission",
		"<P>nothing here</P>":                                    "no challenge",
	} {
		if _, err := ParseAdminPage(utf16le(page, true), "text/html"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", page, err)
		}
	}
	if got := AdminURL("http://ndes.example.com/CertSrv/mscep/mscep.dll?x=1"); got != "http://ndes.example.com/certsrv/mscep_admin/" {
		t.Errorf("AdminURL: %q", got)
	}
	if got := AdminURL("https://ca.example.com/scep/prov"); got != "" {
		t.Errorf("AdminURL of step-ca: %q", got)
	}
}

func FuzzParseAdminPage(f *testing.F) {
	f.Add(utf16le(`challenge password is: <B> 0011 </B>`, true), "text/html")
	f.Fuzz(func(t *testing.T, data []byte, ctype string) {
		c, err := ParseAdminPage(data, ctype)
		if err == nil && (c == "" || strings.ContainsAny(c, " <\t\n")) {
			t.Fatalf("challenge %q", c)
		}
	})
}
