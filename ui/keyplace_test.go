package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

func TestKeyPlaceInDetailsAndExport(t *testing.T) {
	v, c, _, _ := newTestMain(t)
	at := func(cn string, m store.Meta) store.Entry {
		e := entryOf(plainCert(cn, "Issuing CA 1", testNow.Add(-day), testNow.Add(time.Duration(len(cn))*day)), true)
		e.Meta.KeyStorage, e.Meta.KeyRef, e.Meta.NonExportable = m.KeyStorage, m.KeyRef, m.NonExportable
		return e
	}
	c.put(store.User, store.My, false,
		at("soft.example.com", store.Meta{}),
		at("token-held.example.com", store.Meta{KeyStorage: store.KeyPKCS11, KeyRef: "Kiosk Token/01ab", NonExportable: true}),
		at("tpm-held-key.example.com", store.Meta{KeyStorage: store.KeyTPM, KeyRef: "0x81000001", NonExportable: true}),
		at("template-says-no.example.com", store.Meta{NonExportable: true}),
	)
	v.refresh()
	v.tasks.wait()
	pfx := exportFormats[0].label
	tests := []struct {
		row           int
		details, hint string
	}{
		{0, haveKeyText + ", kept in this device's software store.", ""},
		{1, haveKeyText + ", kept on token Kiosk Token (not exportable).", "The private key stays on token Kiosk Token: only the certificate can be exported."},
		{2, haveKeyText + ", kept in the TPM (not exportable).", "The private key stays in the TPM: only the certificate can be exported."},
		{3, haveKeyText + ", kept in this device's software store (not exportable).", "The certificate's template does not allow its private key to be exported: only the certificate can be."},
	}
	for _, tt := range tests {
		r := selectRow(t, v, tt.row)
		t.Run(r.subject, func(t *testing.T) {
			if got := generalText(v.browser.details); !strings.Contains(got, tt.details) {
				t.Errorf("details %q, want %q", got, tt.details)
			}
			v.showExport()
			ex := v.exporter
			if got := slices.Contains(ex.format.Options, pfx); got != (tt.hint == "") {
				t.Errorf("PFX offered: %v (%q)", got, ex.format.Options)
			}
			if tt.hint != "" && (ex.items[0].HintText != tt.hint || ex.pfx() || ex.options().Format != store.FormatDER) {
				t.Errorf("format %q with hint %q, want DER with %q", ex.format.Selected, ex.items[0].HintText, tt.hint)
			}
		})
	}
}
