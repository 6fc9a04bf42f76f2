package ui

import (
	"image/png"
	"os"
	"testing"

	"fyne.io/fyne/v2/widget"
)

func TestZZCapture(t *testing.T) {
	if os.Getenv("CAPTURE") == "" {
		t.Skip()
	}
	v, _, w, _ := newTestMain(t)
	v.browser.table.Select(widget.TableCellID{Row: 1, Col: 0})
	v.tasks.wait()
	f, _ := os.Create("/tmp/browser.png")
	png.Encode(f, w.Canvas().Capture())
	f.Close()
}
