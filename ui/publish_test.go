package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// newPublishMain is newTestMain with a machine context, writable unless
// readOnly, whose Root holds the fixtures' root.
func newPublishMain(t *testing.T, readOnly bool) (*mainView, *fakeCore, fyne.Window) {
	t.Helper()
	v, c, w, f := newTestMain(t)
	c.put(store.Machine, store.Root, false, entryOf(f.root, false))
	c.mu.Lock()
	for i := range c.contexts {
		if c.contexts[i].ID == store.Machine {
			c.contexts[i].ReadOnly = readOnly
		}
	}
	c.mu.Unlock()
	v.refresh()
	v.tasks.wait()
	return v, c, w
}

// selectIn shows a store and selects its row.
func selectIn(v *mainView, node string, row int) {
	v.browser.tree.Select(node)
	v.tasks.wait()
	v.browser.table.Select(widget.TableCellID{Row: row, Col: 0})
	v.tasks.wait()
}

// generalText joins the texts of the details' General section.
func generalText(d *details) string {
	var out []string
	for _, o := range d.general.Objects[0].(*fyne.Container).Objects {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, " | ")
}

func TestPublishEnabled(t *testing.T) {
	tests := []struct {
		name             string
		node             string
		row              int
		readOnly         bool
		system, browsers bool
	}{
		{"user identity with key", "user/My", 1, false, false, true},
		{"user certificate without key", "user/My", 0, false, false, false},
		{"user root", "user/Root", 0, false, false, true},
		{"machine root", "machine/Root", 0, false, true, false},
		{"machine root read-only", "machine/Root", 0, true, false, false},
		{"machine identity", "machine/My", 0, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _, _ := newPublishMain(t, tt.readOnly)
			selectIn(v, tt.node, tt.row)
			if _, ok := v.browser.current(); !ok {
				t.Fatal("nothing selected")
			}
			if got := !v.trustSystemItem.Disabled; got != tt.system {
				t.Errorf("Trust system-wide enabled = %v", got)
			}
			if got := !v.browsersItem.Disabled; got != tt.browsers {
				t.Errorf("Add to browsers enabled = %v", got)
			}
		})
	}
	v, _, _ := newPublishMain(t, false)
	if !v.trustSystemItem.Disabled || !v.browsersItem.Disabled {
		t.Error("publish actions enabled without a selection")
	}
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name, node string
		row        int
		item       func(v *mainView) *fyne.MenuItem
		target     string
		err        error
		confirm    string // in the confirmation
		want       string // in the error dialog, or the details' Published line
	}{
		{"system", "machine/Root", 0, func(v *mainView) *fyne.MenuItem { return v.trustSystemItem }, "system", nil,
			"Every program on this device will trust certificates it issues. SHA-1 thumbprint D788 6972 ",
			"Published | trusted system-wide"},
		{"browsers identity", "user/My", 1, func(v *mainView) *fyne.MenuItem { return v.browsersItem }, "browsers", nil,
			"Make “kiosk01.corp.example.com” available to your browsers?", "Published | available to browsers"},
		{"browsers root", "user/Root", 0, func(v *mainView) *fyne.MenuItem { return v.browsersItem }, "browsers", nil,
			"Trust “Example Corp Root CA” in your browsers?", "Published | available to browsers"},
		{"system fails", "machine/Root", 0, func(v *mainView) *fyne.MenuItem { return v.trustSystemItem }, "system", errFake,
			"system-wide?", "“Example Corp Root CA” could not be trusted system-wide."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, w := newPublishMain(t, false)
			c.err = tt.err
			selectIn(v, tt.node, tt.row)
			r, _ := v.browser.current()
			if got := generalText(v.browser.details); strings.Contains(got, "Published") {
				t.Errorf("details before publishing: %q", got)
			}

			tt.item(v).Action()
			if got := overlayText(t, w); !strings.Contains(got, tt.confirm) || !strings.Contains(got, "SHA-1 thumbprint") ||
				!strings.Contains(got, "“"+r.subject+"”") {
				t.Errorf("confirmation says %q, want %q", got, tt.confirm)
			}
			tapOverlayButton(t, w, "No")
			if got := c.recorded(); got != "" {
				t.Fatalf("the core was called after No: %q", got)
			}

			tt.item(v).Action()
			tapOverlayButton(t, w, "Yes")
			v.tasks.wait()
			if got, want := c.recorded(), "Publish "+tt.node+" "+r.Thumbprint+" "+tt.target; got != want {
				t.Errorf("core calls %q, want %q", got, want)
			}
			if tt.err != nil {
				if got := overlayText(t, w); !strings.Contains(got, tt.want) {
					t.Errorf("error dialog says %q, want %q", got, tt.want)
				}
				return
			}
			if got := generalText(v.browser.details); !strings.Contains(got, tt.want) {
				t.Errorf("details say %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppCorePublisher(t *testing.T) {
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Keyring: &memoryKeyring{m: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	ac := NewAppCore(core, nil)
	for _, tt := range []struct {
		c      store.Context
		n      store.Name
		target string
		want   bool
	}{
		{store.Machine, store.Root, TargetSystem, true},
		{store.Machine, store.CA, TargetSystem, true},
		{store.User, store.Root, TargetSystem, false},
		{store.User, store.Root, TargetBrowsers, true},
		{store.User, store.My, TargetBrowsers, true},
		{store.Machine, store.My, TargetBrowsers, false},
		{store.User, store.Root, "elsewhere", false},
	} {
		if got := ac.CanPublish(tt.c, tt.n, tt.target); got != tt.want {
			t.Errorf("CanPublish(%s, %s, %s) = %v", tt.c, tt.n, tt.target, got)
		}
	}
	if p, err := ac.Publication(context.Background(), store.User, store.Root, "00"); err != nil || p != (Publication{}) {
		t.Errorf("Publication of nothing published = %+v, %v", p, err)
	}
}
