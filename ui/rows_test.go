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
		{Thumbprint: "AA", SubjectCN: "kiosk01", IssuerCN: "Root", NotBefore: testNow.Add(-day), NotAfter: testNow.Add(30 * day), HasKey: true,
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
	if r := all[2]; r.subject != "O=No Name" || r.status != StatusExpired {
		t.Errorf("a row without a CN: subject %q, status %v", r.subject, r.status)
	}
}
