package store

import (
	"os"
	"path/filepath"
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
				PollURL: "https://x/ces", Archived: true, KeyStorage: KeyPKCS11, KeyRef: "T/01", NonExportable: true, ImportedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}},
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

// TestIndexVersion2: an index.bin and an index.log written by the codec
// of index version 2 (testdata/index-v2.*, which carried Meta.Renewal)
// are read, the renewal state left out, and a journal holding rows of
// both layouts applies in order.
func TestIndexVersion2(t *testing.T) {
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	old := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	a := Entry{Store: My, Thumbprint: "AB", SHA256: "CD", Subject: "CN=é, O=x", SubjectCN: "é", Issuer: "CN=i", IssuerCN: "i",
		SANs: []string{"DNS:a", "IP:::1"}, Serial: "01", NotBefore: old, NotAfter: far, KeyType: "RSA", KeySize: 4096,
		HasKey: true, KeyStorage: KeyPKCS11, SelfSigned: true, IsCA: true,
		Meta: Meta{FriendlyName: "f", TemplateName: "User", TemplateOID: "1.2.3", PolicyServer: "srv", RequestID: "7",
			PollURL: "https://x/ces", Archived: true, KeyStorage: KeyPKCS11, KeyRef: "T/01", NonExportable: true, ImportedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}}
	b := Entry{Store: My, Thumbprint: "CC", Subject: "CN=b", NotAfter: time.Unix(2e9, 0).UTC(), Meta: Meta{TemplateName: "Web"}}
	c := Entry{Store: My, Thumbprint: "DD", Subject: "CN=d", NotAfter: time.Unix(2e9, 0).UTC()}
	dir := t.TempDir()
	for _, name := range []string{indexName, journalName} {
		data, err := os.ReadFile(filepath.Join("testdata", "index-v2"+filepath.Ext(name)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := loadIndexFile(dir)
	if err != nil || !reflect.DeepEqual(got, []Entry{a, b}) {
		t.Fatalf("version 2 index and journal:\n got %+v, %v\nwant %+v", got, err, []Entry{a, b})
	}
	// A commit after the upgrade appends a row of the new layout.
	b2 := b
	b2.Meta.FriendlyName = "now"
	if err := appendJournal(dir, encodeFrame([]logRow{{t: "CC", e: &b2}, {t: "DD", e: &c}})); err != nil {
		t.Fatal(err)
	}
	got, err = loadIndexFile(dir)
	if err != nil || !reflect.DeepEqual(got, []Entry{a, b2, c}) {
		t.Fatalf("with a version 3 frame:\n got %+v, %v\nwant %+v", got, err, []Entry{a, b2, c})
	}
}
