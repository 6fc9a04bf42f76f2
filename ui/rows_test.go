package ui

import (
	"slices"
	"testing"
	"time"

	"github.com/certdesk/certdesk/store"
)

func TestFilterRows(t *testing.T) {
	day := 24 * time.Hour
	entries := []store.Entry{
		{Thumbprint: "AA", SHA256: "3FA9B2C417", SubjectCN: "kiosk01", IssuerCN: "Root", NotBefore: testNow.Add(-day), NotAfter: testNow.Add(30 * day), HasKey: true,
			Meta: store.Meta{TemplateName: "WebServer"}},
		{Thumbprint: "BB", SubjectCN: "Anna", IssuerCN: "Sub CA", NotBefore: testNow.Add(-day), NotAfter: testNow.Add(300 * day),
			SANs: []string{"DNS:vpn.example.com"}},
		{Thumbprint: "CC", Subject: "O=No Name", IssuerCN: "Root", NotBefore: testNow.Add(-90 * day), NotAfter: testNow.Add(-day)},
		{Thumbprint: "DD", SubjectCN: "old kiosk", IssuerCN: "Root", NotBefore: testNow.Add(-90 * day), NotAfter: testNow.Add(10 * day),
			Meta: store.Meta{Archived: true}},
	}
	all := make([]row, len(entries))
	for i := range entries {
		all[i] = newRow(&entries[i], "", testNow)
	}
	tests := []struct {
		name     string
		q        string
		archived bool
		col      int
		desc     bool
		want     []string // thumbprints in order
	}{
		{"by subject", "", false, colSubject, false, []string{"BB", "AA", "CC"}},
		{"by subject, descending", "", false, colSubject, true, []string{"CC", "AA", "BB"}},
		{"by expiry with archived", "", true, colExpires, false, []string{"CC", "DD", "AA", "BB"}},
		{"by key, then expiry", "", false, colKey, false, []string{"AA", "CC", "BB"}},
		{"search a SAN, any case", "  VPN.example ", false, colSubject, false, []string{"BB"}},
		{"search an archived one hidden", "old kiosk", false, colSubject, false, nil},
		{"search the template", "webserver", true, colSubject, false, []string{"AA"}},
		{"search a thumbprint", "cc", false, colSubject, false, []string{"CC"}},
		{"a thumbprint with spaces", " C C ", false, colSubject, false, []string{"CC"}},
		{"a SHA-256 with colons", "3f:a9:B2", false, colSubject, false, []string{"AA"}},
		{"a SHA-256 with spaces", "A9 B2 C4 17", false, colSubject, false, []string{"AA"}},
		{"words keep their spaces", "no name", false, colSubject, false, []string{"CC"}},
		{"not hex: no separators dropped", "kiosk 01", false, colSubject, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range filterRows(all, tt.q, tt.archived, tt.col, tt.desc) {
				got = append(got, r.Thumbprint)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name     string
		shown    int
		archived bool
		want     string
	}{
		{"all shown, archived hidden", 3, false, "3 certificates"},
		{"some shown, archived hidden", 1, false, "1 of 3"},
		{"all shown with archived", 4, true, "4 certificates"},
		{"some shown with archived", 2, true, "2 of 4"},
	} {
		if got := countText(tt.shown, all, tt.archived); got != tt.want {
			t.Errorf("%s: countText = %q, want %q", tt.name, got, tt.want)
		}
	}
	if r := all[2]; r.subject != "O=No Name" || r.status != StatusExpired {
		t.Errorf("a row without a CN: subject %q, status %v", r.subject, r.status)
	}
}
