package store

import (
	"reflect"
	"testing"
	"time"
)

func TestIndexCodecRoundTrip(t *testing.T) {
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) // past UnixNano's range
	old := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	entries := []Entry{
		{},
		{Store: My, Thumbprint: "AB", SHA256: "CD", Subject: "CN=é, O=x", SubjectCN: "é", Issuer: "CN=i", IssuerCN: "i",
			SANs: []string{"DNS:a", "IP:::1"}, Serial: "01", NotBefore: old, NotAfter: far, KeyType: "RSA", KeySize: 4096,
			HasKey: true, KeyStorage: KeyPKCS11, SelfSigned: true, IsCA: true,
			Meta: Meta{FriendlyName: "f", TemplateName: "User", TemplateOID: "1.2.3", PolicyServer: "srv", RequestID: "7",
				PollURL: "https://x/ces", Archived: true, KeyStorage: KeyPKCS11, KeyRef: "T/01", NonExportable: true, ImportedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
				Renewal: RenewalState{LastAttempt: far, Failures: -3, NextAttempt: old, LastError: "down", Permanent: true}}},
	}
	got, err := decodeIndex(encodeIndex(entries))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, entries) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, entries)
	}
}

func TestIndexCodecDamage(t *testing.T) {
	full := encodeIndex([]Entry{{Store: CA, Thumbprint: "00", SANs: []string{"DNS:x"}, NotAfter: time.Unix(1e9, 0).UTC()}})
	for n := range len(full) {
		if _, err := decodeIndex(full[:n]); err != ErrCorrupt {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrCorrupt", n, err)
		}
	}
	if _, err := decodeIndex(append(full, 0)); err != ErrCorrupt {
		t.Fatalf("trailing byte: err = %v", err)
	}
	huge := []byte(indexMagic + "\x01\xff\xff\xff\xff\x0f")
	if _, err := decodeIndex(huge); err != ErrCorrupt {
		t.Fatalf("absurd count: err = %v", err)
	}
}

func FuzzDecodeIndex(f *testing.F) {
	f.Add(encodeIndex([]Entry{{Store: My, Thumbprint: "AA", SANs: []string{"DNS:a"}}}))
	f.Add([]byte(indexMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if es, err := decodeIndex(b); err == nil {
			if again, err := decodeIndex(encodeIndex(es)); err != nil || len(again) != len(es) {
				t.Fatalf("re-encode of a decoded index failed: %v", err)
			}
		}
	})
}
