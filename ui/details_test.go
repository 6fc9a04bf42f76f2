package ui

import (
	"crypto/x509"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/certdesk/certdesk/store"
)

func TestDetailsMarkup(t *testing.T) {
	f := newFixtures(t)
	tests := []struct {
		name  string
		chain *store.Chain
	}{
		{"rsa", &store.Chain{Valid: true, Elements: []store.ChainElement{
			{Certificate: f.rsaLeaf, Source: "My", Status: "ok"}, {Certificate: f.root, Source: "Root", Status: "ok"}}}},
		{"ecdsa", &store.Chain{Error: "x509: certificate signed by unknown authority", Elements: []store.ChainElement{
			{Certificate: f.ecLeaf, Source: "My", Status: "ok"}, {Certificate: f.root, Source: "CA", Status: "untrusted root"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := test.NewTempApp(t)
			d := newDetails(a.Clipboard())
			w := test.NewTempWindow(t, d.content)
			w.Resize(fyne.NewSize(640, 900))
			d.show(tt.chain.Elements[0].Certificate, tt.chain, testNow, facts{})
			for i, tab := range []string{"general", "extensions", "chain"} {
				d.tabs.SelectIndex(i)
				test.AssertRendersToMarkup(t, "details_"+tt.name+"_"+tab+".xml", w.Canvas())
			}
		})
	}
}

func TestDetailsCopyAndClear(t *testing.T) {
	f := newFixtures(t)
	a := test.NewTempApp(t)
	d := newDetails(a.Clipboard())
	test.NewTempWindow(t, d.content)
	d.show(f.rsaLeaf, nil, testNow, facts{})
	test.Tap(d.copySHA1)
	if got := a.Clipboard().Content(); got != entryOf(f.rsaLeaf, false).Thumbprint {
		t.Errorf("SHA-1 copied %q", got)
	}
	test.Tap(d.copySHA256)
	if got := a.Clipboard().Content(); len(got) != 64 || strings.Contains(got, " ") {
		t.Errorf("SHA-256 copied %q", got)
	}
	d.clear()
	if d.tabs.Visible() || !d.empty.Visible() {
		t.Error("clear left the details visible")
	}
}

func TestDescribeExtensions(t *testing.T) {
	f := newFixtures(t)
	got := map[string]string{}
	for _, c := range []*x509.Certificate{f.rsaLeaf, f.ecLeaf} {
		for _, ext := range c.Extensions {
			title, lines := describeExtension(c, ext, nil)
			got[title] += strings.Join(lines, "|")
			if title == "Certificate Template Information" {
				_, named := describeExtension(c, ext, map[string]string{"1.3.6.1.4.1.311.21.8.7.1": "KioskUser"})
				got["named"] = strings.Join(named, "|")
			}
		}
	}
	tests := []struct{ name, title, want string }{
		{"san", "Subject Alternative Name", "DNS: kiosk01.corp.example.com|DNS: kiosk01|IP: 192.0.2.17UPN: kiosk@corp.example.com|Email: kiosk@corp.example.com"},
		{"eku", "Enhanced Key Usage", "Server Authentication (1.3.6.1.5.5.7.3.1)|Client Authentication (1.3.6.1.5.5.7.3.2)Client Authentication (1.3.6.1.5.5.7.3.2)|Smart Card Logon (1.3.6.1.4.1.311.20.2.2)|Encrypting File System (1.3.6.1.4.1.311.10.3.4)"},
		{"template name", "Certificate Template Name", "WebServer"},
		{"template info", "Certificate Template Information", "Template: 1.3.6.1.4.1.311.21.8.7.1|Version: 100.4"},
		{"template info named", "named", "Template: KioskUser (1.3.6.1.4.1.311.21.8.7.1)|Version: 100.4"},
		{"policies", "Certificate Policies", "1.3.6.1.4.1.311.21.8.1.2.3"},
		{"aia", "Authority Information Access", "OCSP: http://ocsp.corp.example.com|CA issuers: http://pki.corp.example.com/root.crt"},
		{"cdp", "CRL Distribution Points", "http://pki.corp.example.com/root.crl"},
		{"unknown", "Unknown extension", "1.2.3.4.5|04 03 01 02 03"},
		{"basic constraints", "Basic Constraints (critical)", "End entity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got[tt.title] != tt.want {
				t.Errorf("%s = %q, want %q", tt.title, got[tt.title], tt.want)
			}
		})
	}
}

// TestDetailsGeneralKeyPurposesTemplate: General says that the private
// key is there and where it lives, names the intended purposes, and names
// the template where the certificate carries only its OID, from what the
// store's entries recorded (issue #15).
func TestDetailsGeneralKeyPurposesTemplate(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	f := newFixtures(t)
	withKey := entryOf(f.ecLeaf, true) // its template extension carries the OID only
	withKey.Meta.KeyStorage, withKey.Meta.NonExportable = store.KeyTPM, true
	recorded := entryOf(plainCert("other.example.com", "Issuing CA 1", testNow.Add(-day), testNow.Add(400*day)), false)
	recorded.Meta.TemplateOID, recorded.Meta.TemplateName = "1.3.6.1.4.1.311.21.8.7.1", "KioskUser"
	c.put(store.User, store.My, false, withKey, entryOf(f.rsaLeaf, false), recorded)
	v.refresh()
	v.tasks.wait()
	tests := []struct {
		subject   string
		want, not []string
	}{
		{"Kiosk User", []string{haveKeyText + ", kept in the TPM (not exportable).",
			"Intended for | Client Authentication, Smart Card Logon, Encrypting File System", "Template | KioskUser"}, nil},
		{"kiosk01.corp.example.com", []string{"Intended for | Server Authentication, Client Authentication", "Template | WebServer"},
			[]string{haveKeyText}},
		{"other.example.com", []string{"Intended for | Any purpose"}, []string{haveKeyText, "Template |"}},
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			for i, r := range v.browser.rows {
				if r.subject == tt.subject {
					selectRow(t, v, i)
				}
			}
			got := generalText(v.browser.details)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("General %q lacks %q", got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("General %q says %q", got, w)
				}
			}
		})
	}
}
