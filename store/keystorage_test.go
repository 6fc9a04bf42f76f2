package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyHeldElsewhere: an entry whose key lives on a token records only
// where it is; List and Get say so, the store never hands out or exports
// the key, and the certificate alone still exports.
func TestKeyHeldElsewhere(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "token.example")
	e, _, err := s.Add(ctx, My, leaf, key, Meta{KeyStorage: KeyPKCS11, KeyRef: "T/01", NonExportable: true})
	if err != nil {
		t.Fatal(err)
	}
	if !e.HasKey || e.KeyStorage != KeyPKCS11 {
		t.Fatalf("added: hasKey %v keyStorage %q", e.HasKey, e.KeyStorage)
	}
	b, err := os.ReadFile(filepath.Join(s.storeDir(My), entryName(e.Thumbprint)))
	if err != nil || strings.Contains(string(b), `"key"`) {
		t.Fatalf("the entry file must hold no key: %s %v", b, err)
	}
	list, err := s.List(ctx, My, ListOptions{})
	if err != nil || len(list) != 1 || list[0].KeyStorage != KeyPKCS11 || list[0].Meta.KeyRef != "T/01" || !list[0].HasKey {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := s.Signer(ctx, My, e.Thumbprint); !errors.Is(err, ErrKeyElsewhere) {
		t.Fatalf("signer: %v", err)
	}
	for _, opt := range []ExportOptions{{Format: FormatPFX, Password: "x"}, {Format: FormatPEM, Key: true}} {
		if _, err := s.Export(ctx, My, e.Thumbprint, opt); !errors.Is(err, ErrNotExportable) {
			t.Fatalf("export %s: %v", opt.Format, err)
		}
	}
	if der, err := s.Export(ctx, My, e.Thumbprint, ExportOptions{Format: FormatDER}); err != nil || len(der) == 0 {
		t.Fatalf("certificate-only export: %v", err)
	}
}

// TestNonExportableSoftwareKey: a software key the template marked
// non-exportable is kept and used, but not exported.
func TestNonExportableSoftwareKey(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	leaf, key := p.leaf(t, "sw.example")
	e, _, err := s.Add(ctx, My, leaf, key, Meta{NonExportable: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.KeyStorage != KeySoftware {
		t.Fatalf("keyStorage %q", e.KeyStorage)
	}
	if _, err := s.Signer(ctx, My, e.Thumbprint); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Export(ctx, My, e.Thumbprint, ExportOptions{Format: FormatPFX, Password: "x"}); !errors.Is(err, ErrNotExportable) {
		t.Fatalf("export: %v", err)
	}
}

// TestKeyHeldElsewhereAttached: a token key attached to a certificate the
// store already had (without a key, or archived) is referenced, not
// sealed, and adding it again changes nothing.
func TestKeyHeldElsewhereAttached(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	p := newPKI(t)
	for _, archived := range []bool{false, true} {
		leaf, key := p.leaf(t, "attach.example")
		if _, _, err := s.Add(ctx, My, leaf, nil, Meta{FriendlyName: "kept"}); err != nil {
			t.Fatal(err)
		}
		if archived {
			if err := s.Delete(ctx, My, Thumbprint(leaf.Raw)); err != nil {
				t.Fatal(err)
			}
		}
		place := Meta{KeyStorage: KeyPKCS11, KeyRef: "T/02", NonExportable: true}
		e, ch, err := s.Add(ctx, My, leaf, key, place)
		if err != nil || !e.HasKey || e.KeyStorage != KeyPKCS11 || e.Meta.KeyRef != "T/02" || e.Meta.FriendlyName != "kept" {
			t.Fatalf("archived %v: %s %+v %v", archived, ch, e, err)
		}
		if _, ch, err := s.Add(ctx, My, leaf, key, place); err != nil || ch != Unchanged {
			t.Errorf("archived %v: adding again: %s %v", archived, ch, err)
		}
	}
}
