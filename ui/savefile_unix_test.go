//go:build unix

package ui

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/storage"
)

// TestExportToPipeDoesNotBlock: a named pipe chosen as the export target is
// refused with a message; nothing waits for a reader (issue #15).
func TestExportToPipeDoesNotBlock(t *testing.T) {
	v, _, w, _ := newTestMain(t)
	r := selectRow(t, v, 1)
	fifo := filepath.Join(t.TempDir(), "pipe.pfx")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		wr, err := storage.Writer(storage.NewFileURI(fifo))
		if err != nil {
			t.Error(err)
			return
		}
		v.export(newExporter(r, false), wr)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the export blocks on a named pipe")
	}
	if got := overlayText(t, w); !strings.Contains(got, "named pipe") {
		t.Errorf("dialog %q", got)
	}
}
