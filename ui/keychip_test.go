package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// keyCellIcon is the icon the table's key cell shows for row i.
func keyCellIcon(t *testing.T, b *browser, i int) *widget.Icon {
	t.Helper()
	o := b.cellCreate()
	b.cellUpdate(widget.TableCellID{Row: i, Col: colKey}, o)
	var found *widget.Icon
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Icon:
			found = x
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	if found == nil || found.Hidden {
		t.Fatalf("row %d shows no key symbol", i)
	}
	return found
}

// TestKeyChipInList: a key held in a TPM, on a token or by CNG shows the
// chip beside the key symbol in the list; a software key the key alone;
// the details name the place.
func TestKeyChipInList(t *testing.T) {
	v, c, _, f := newTestMain(t)
	tpm := issued(entryOf(f.rsaLeaf, true))
	tpm.Meta.KeyStorage = store.KeyTPM
	c.put("user", "My", false, tpm, issued(entryOf(f.ecLeaf, true)))
	v.refresh()
	v.tasks.wait()
	b := v.browser
	seen := map[string]bool{}
	for i, r := range b.rows {
		res := keyCellIcon(t, b, i).Resource
		hardware := r.Meta.KeyStorage == store.KeyTPM
		if hardware != (res == hardwareKeyIcon) || !hardware && res != keyIcon {
			t.Errorf("row %s (%q) shows %s", r.subject, r.Meta.KeyStorage, res.Name())
		}
		seen[r.Meta.KeyStorage] = true
	}
	if !seen[store.KeyTPM] || !seen[""] {
		t.Fatalf("rows %v", seen)
	}
	for _, k := range []string{store.KeyPKCS11, store.KeyCNG} {
		i := widget.NewIcon(keyIcon)
		if showKeyIcon(i, store.Meta{KeyStorage: k}); i.Resource != hardwareKeyIcon {
			t.Errorf("%s: %s", k, i.Resource.Name())
		}
	}
	if got := keyText(tpm.Meta); got != "in the TPM (not exportable)" {
		t.Errorf("the details say %q", got)
	}
}
