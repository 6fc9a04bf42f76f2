package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/certdesk/certdesk/app"
)

// TestExportWritesPrivateFile: an exported file is 0600, as the command
// line writes it (issue #15).
func TestExportWritesPrivateFile(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	r := selectRow(t, v, 1)
	path := filepath.Join(t.TempDir(), "kiosk.pfx")
	wr, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file exists before anything was exported: %v", err)
	}
	v.export(newExporter(r, false), wr)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("exported file: %v, mode %v; dialog %s", err, fi.Mode(), overlayText(t, w))
	}
}

// TestSaveDialogErrorShown: an error of the Save dialog is said, not
// dropped, and a path typed as the name is the file written (issue #15).
func TestSaveDialogErrorShown(t *testing.T) {
	_, _, w, _ := newTestMain(t)
	called := false
	savedTo(w, func(fyne.URIWriteCloser) { called = true })(nil, errors.New("open /x: no such file or directory"))
	if called || !strings.Contains(overlayText(t, w), "could not be saved there") {
		t.Fatalf("called %v; dialog %q", called, overlayText(t, w))
	}
	folder, target := t.TempDir(), filepath.Join(t.TempDir(), "typed.pem")
	wr, err := storage.Writer(storage.NewFileURI(folder + "/" + target)) // as the dialog appends a typed path
	if err != nil {
		t.Fatal(err)
	}
	savedTo(w, func(w fyne.URIWriteCloser) {
		if err := finishSave(w, 0o600, []byte("pem"), nil); err != nil {
			t.Error(err)
		}
	})(wr, nil)
	if got, err := os.ReadFile(target); string(got) != "pem" {
		t.Fatalf("typed path holds %q: %v", got, err)
	}
}

// TestOfflineRequestFailureLeavesNoFile: a request the core refuses leaves
// no empty request.csr behind (issue #15).
func TestOfflineRequestFailureLeavesNoFile(t *testing.T) {
	v, c, w, _ := newTestMain(t)
	c.err = errFake
	path := filepath.Join(t.TempDir(), "request.csr")
	wr, _ := storage.Writer(storage.NewFileURI(path))
	v.requests.createCSR("user", app.OfflineRequest{}, wr)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("request.csr left behind: %v", err)
	}
	if !strings.Contains(overlayText(t, w), "The request could not be created") {
		t.Errorf("dialog %q", overlayText(t, w))
	}
}
