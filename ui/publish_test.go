package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/demo"

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
	return strings.Join(labelTexts(d.general), " | ")
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
			"system-wide?", "“Example Corp Root CA” could not be trusted system-wide"},
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
	core, err := app.New(app.Options{Location: store.LocationAt(t.TempDir()), Keyring: demo.NewMemoryKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	ac := newAppCore(core, nil)
	for _, tt := range []struct {
		c      store.Context
		n      store.Name
		target app.Target
		want   bool
	}{
		{store.Machine, store.Root, app.TargetSystem, true},
		{store.Machine, store.CA, app.TargetSystem, true},
		{store.User, store.Root, app.TargetSystem, false},
		{store.User, store.Root, app.TargetBrowsers, true},
		{store.User, store.My, app.TargetBrowsers, true},
		{store.Machine, store.My, app.TargetBrowsers, false},
		{store.User, store.Root, "elsewhere", false},
	} {
		if got := ac.CheckTarget(tt.c, tt.n, tt.target) == nil; got != tt.want {
			t.Errorf("CheckTarget(%s, %s, %s) allows: %v", tt.c, tt.n, tt.target, got)
		}
	}
	if ac.NativeStores() {
		t.Error("NativeStores on Linux")
	}
	if p, err := publicationOf(ac, store.User, store.Root, "00"); err != nil || !p.Empty() {
		t.Errorf("publication of nothing published = %+v, %v", p, err)
	}
}

// setPublished records p as where the entry of node ("context/store") with
// thumbprint is published, as if it had been published before.
func (c *fakeCore) setPublished(node, thumbprint string, p app.Publication) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.more.published == nil {
		c.more.published = map[string]app.Publication{}
	}
	_, n, _ := strings.Cut(node, "/")
	p.Store = store.Name(n)
	c.more.published[node+"/"+thumbprint] = p
}

// pubOf is where the fake core says the entry of node with thumbprint is
// published, without its Store.
func (c *fakeCore) pubOf(node, thumbprint string) app.Publication {
	ctxID, n, _ := strings.Cut(node, "/")
	p, _ := publicationOf(c, store.Context(ctxID), store.Name(n), thumbprint)
	p.Store = ""
	return p
}

// The browser databases of the fake core's publications.
var (
	oneDB  = []string{"/home/kiosk/.pki/nssdb"}
	twoDBs = []string{"/home/kiosk/.pki/nssdb", "/home/kiosk/snap/chromium/current/.pki/nssdb"}
)

// publishItems says which of the four publication items are enabled:
// trust system-wide, stop trusting, add to browsers, remove from browsers.
func publishItems(v *mainView) [4]bool {
	return [4]bool{!v.trustSystemItem.Disabled, !v.untrustSystemItem.Disabled,
		!v.browsersItem.Disabled, !v.unbrowsersItem.Disabled}
}

func TestUnpublishEnabled(t *testing.T) {
	tests := []struct {
		name     string
		node     string
		row      int
		readOnly bool
		pub      app.Publication
		want     [4]bool
	}{
		{"machine root not published", "machine/Root", 0, false, app.Publication{}, [4]bool{true, false, false, false}},
		{"machine root trusted", "machine/Root", 0, false, app.Publication{System: true}, [4]bool{false, true, false, false}},
		{"machine root trusted, read-only", "machine/Root", 0, true, app.Publication{System: true}, [4]bool{}},
		{"user identity not published", "user/My", 1, false, app.Publication{}, [4]bool{false, false, true, false}},
		{"user identity in browsers", "user/My", 1, false, app.Publication{Browsers: twoDBs}, [4]bool{false, false, false, true}},
		{"user root in browsers", "user/Root", 0, false, app.Publication{Browsers: oneDB}, [4]bool{false, false, false, true}},
		{"user certificate without key, published: only taking it back", "user/My", 0, false, app.Publication{Browsers: twoDBs}, [4]bool{false, false, false, true}},
		{"user certificate without key", "user/My", 0, false, app.Publication{}, [4]bool{}},
		{"machine identity", "machine/My", 0, false, app.Publication{System: true, Browsers: twoDBs}, [4]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, _ := newPublishMain(t, tt.readOnly)
			selectIn(v, tt.node, tt.row)
			r, ok := v.browser.current()
			if !ok {
				t.Fatal("nothing selected")
			}
			c.setPublished(tt.node, r.Thumbprint, tt.pub)
			// Away and back: selecting the row fetches its publication
			// anew, with no reload of the store after it.
			v.browser.tree.Select("user/CA")
			v.tasks.wait()
			selectIn(v, tt.node, tt.row)
			if got := publishItems(v); got != tt.want {
				t.Errorf("trust, stop trusting, add to browsers, remove from browsers enabled = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("before and after publishing", func(t *testing.T) {
		v, _, w := newPublishMain(t, false)
		if got := publishItems(v); got != [4]bool{} {
			t.Errorf("enabled without a selection: %v", got)
		}
		selectIn(v, "machine/Root", 0)
		if got, want := publishItems(v), [4]bool{true, false, false, false}; got != want {
			t.Errorf("before publishing: %v, want %v", got, want)
		}
		v.trustSystemItem.Action()
		tapOverlayButton(t, w, "Yes")
		v.tasks.wait()
		if got, want := publishItems(v), [4]bool{false, true, false, false}; got != want {
			t.Errorf("after publishing: %v, want %v", got, want)
		}
		// The same certificate in the user's Root is not published.
		selectIn(v, "user/Root", 0)
		if got, want := publishItems(v), [4]bool{false, false, true, false}; got != want {
			t.Errorf("the same certificate in user/Root: %v, want %v", got, want)
		}
	})

	t.Run("menu", func(t *testing.T) {
		v, _, _ := newPublishMain(t, false)
		var labels []string
		for _, m := range v.menu.Items {
			if m.Label == "Certificate" {
				for _, it := range m.Items {
					labels = append(labels, it.Label)
				}
			}
		}
		want := "Trust system-wide… | Stop trusting system-wide… | Add to browsers… | Remove from browsers…"
		if got := strings.Join(labels, " | "); !strings.Contains(got, want) {
			t.Errorf("Certificate menu %q, want %q in it", got, want)
		}
	})
}

func TestUnpublish(t *testing.T) {
	tests := []struct {
		name, node    string
		row           int
		undo, publish func(v *mainView) *fyne.MenuItem
		target        string
		pub           app.Publication
		published     string // the details' Published line before
		err           error
		confirm       []string // in the confirmation
		failed        string   // in the error dialog
	}{
		{"system", "machine/Root", 0,
			func(v *mainView) *fyne.MenuItem { return v.untrustSystemItem },
			func(v *mainView) *fyne.MenuItem { return v.trustSystemItem }, "system",
			app.Publication{System: true}, "Published | trusted system-wide", nil,
			[]string{"Stop trusting “Example Corp Root CA” system-wide?",
				"Programs on this device will no longer trust certificates it issues. SHA-1 thumbprint D788 6972 "}, ""},
		{"browsers identity", "user/My", 1,
			func(v *mainView) *fyne.MenuItem { return v.unbrowsersItem },
			func(v *mainView) *fyne.MenuItem { return v.browsersItem }, "browsers",
			app.Publication{Browsers: twoDBs}, "Published | available to browsers", nil,
			[]string{"Remove “kiosk01.corp.example.com” from your browsers?", "will no longer offer this certificate"}, ""},
		{"browsers root", "user/Root", 0,
			func(v *mainView) *fyne.MenuItem { return v.unbrowsersItem },
			func(v *mainView) *fyne.MenuItem { return v.browsersItem }, "browsers",
			app.Publication{Browsers: oneDB}, "Published | available to browsers", nil,
			[]string{"Remove “Example Corp Root CA” from your browsers?", "will no longer trust the websites"}, ""},
		{"system fails", "machine/Root", 0,
			func(v *mainView) *fyne.MenuItem { return v.untrustSystemItem },
			func(v *mainView) *fyne.MenuItem { return v.trustSystemItem }, "system",
			app.Publication{System: true}, "Published | trusted system-wide", errFake,
			[]string{"Stop trusting “Example Corp Root CA” system-wide?"},
			"certdesk could not stop trusting “Example Corp Root CA” system-wide"},
		{"browsers fails", "user/My", 1,
			func(v *mainView) *fyne.MenuItem { return v.unbrowsersItem },
			func(v *mainView) *fyne.MenuItem { return v.browsersItem }, "browsers",
			app.Publication{Browsers: twoDBs}, "Published | available to browsers", errFake,
			[]string{"Remove “kiosk01.corp.example.com” from your browsers?"},
			"“kiosk01.corp.example.com” could not be removed from the browsers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, w := newPublishMain(t, false)
			selectIn(v, tt.node, tt.row)
			r, ok := v.browser.current()
			if !ok {
				t.Fatal("nothing selected")
			}
			c.setPublished(tt.node, r.Thumbprint, tt.pub)
			c.err = tt.err
			v.refresh()
			v.tasks.wait()
			stillPublished := func(when string) {
				t.Helper()
				if got := c.pubOf(tt.node, r.Thumbprint); !reflect.DeepEqual(got, tt.pub) {
					t.Errorf("%s: publication %+v, want %+v", when, got, tt.pub)
				}
				if got := generalText(v.browser.details); !strings.Contains(got, tt.published) {
					t.Errorf("%s: details say %q, want %q", when, got, tt.published)
				}
				if tt.undo(v).Disabled || !tt.publish(v).Disabled {
					t.Errorf("%s: undo enabled %v, publish enabled %v", when, !tt.undo(v).Disabled, !tt.publish(v).Disabled)
				}
			}
			stillPublished("before")

			tt.undo(v).Action()
			got := overlayText(t, w)
			for _, want := range append(tt.confirm, "SHA-1 thumbprint") {
				if !strings.Contains(got, want) {
					t.Errorf("confirmation says %q, want %q in it", got, want)
				}
			}
			tapOverlayButton(t, w, "No")
			if got := c.recorded(); got != "" {
				t.Fatalf("the core was called after No: %q", got)
			}
			stillPublished("after No")

			tt.undo(v).Action()
			tapOverlayButton(t, w, "Yes")
			v.tasks.wait()
			if got, want := c.recorded(), "Unpublish "+tt.node+" "+r.Thumbprint+" "+tt.target; got != want {
				t.Errorf("core calls %q, want %q", got, want)
			}
			if tt.err != nil {
				if got := overlayText(t, w); !strings.Contains(got, tt.failed) {
					t.Errorf("error dialog says %q, want %q", got, tt.failed)
				}
				stillPublished("after the failure")
				return
			}
			if got := c.pubOf(tt.node, r.Thumbprint); !got.Empty() {
				t.Errorf("publication after removing: %+v", got)
			}
			if got := generalText(v.browser.details); strings.Contains(got, "Published") {
				t.Errorf("details after removing: %q", got)
			}
			if !tt.undo(v).Disabled || tt.publish(v).Disabled {
				t.Errorf("after removing: undo enabled %v, publish enabled %v", !tt.undo(v).Disabled, !tt.publish(v).Disabled)
			}
		})
	}
}

// menuLabels returns the labels of the Certificate menu.
func menuLabels(v *mainView) string {
	var out []string
	for _, it := range v.menu.Items[1].Items {
		out = append(out, it.Label)
	}
	return strings.Join(out, "|")
}

// TestPublishNativeSystem: where the system target is the OS's own store
// (Windows, macOS), the menu says so, offers no browser items, takes a
// personal certificate, and the details say where it went.
func TestPublishNativeSystem(t *testing.T) {
	_, c, w, _ := newTestMain(t)
	if l := menuLabels(newMainView(fyne.CurrentApp(), w, c, func() time.Time { return testNow }, &tasks{inline: true})); !strings.Contains(l, "Trust system-wide…") || !strings.Contains(l, "Add to browsers…") {
		t.Fatalf("Linux menu: %s", l)
	}
	c.mu.Lock()
	c.more.native = true
	c.mu.Unlock()
	v := newMainView(fyne.CurrentApp(), w, c, func() time.Time { return testNow }, &tasks{inline: true})
	w.SetContent(v.content)
	v.tasks.wait()
	if l := menuLabels(v); !strings.Contains(l, "|Add to system store…|Remove from system store…|") || strings.Contains(l, "browsers") {
		t.Fatalf("native menu: %s", l)
	}
	selectIn(v, "user/My", 1)
	r, _ := v.browser.current()
	if got := publishItems(v); !got[0] || got[1] {
		t.Fatalf("items for an unpublished personal certificate: %v", got)
	}
	v.trustSystemItem.Action()
	if got := overlayText(t, w); !strings.Contains(got, "Add “"+r.subject+"” to the system certificate store?") || !strings.Contains(got, "private key") {
		t.Fatalf("confirmation says %q", got)
	}
	tapOverlayButton(t, w, "Yes")
	v.tasks.wait()
	if got := generalText(v.browser.details); !strings.Contains(got, "Published | in the system certificate store") {
		t.Fatalf("details say %q", got)
	}
	v.untrustSystemItem.Action()
	if got := overlayText(t, w); !strings.Contains(got, "Remove “"+r.subject+"” from the system certificate store?") {
		t.Fatalf("confirmation says %q", got)
	}
	tapOverlayButton(t, w, "Yes")
	v.tasks.wait()
	want := "Publish user/My " + r.Thumbprint + " system; Unpublish user/My " + r.Thumbprint + " system"
	if got := c.recorded(); got != want {
		t.Fatalf("core calls %q, want %q", got, want)
	}
	if got := generalText(v.browser.details); strings.Contains(got, "Published") {
		t.Fatalf("details after removal say %q", got)
	}
}

// TestDeletePublishedSays: deleting a published certificate says that it
// also leaves where it is published; an unpublished one does not.
func TestDeletePublishedSays(t *testing.T) {
	v, c, w, _ := newTestMain(t)
	selectIn(v, "user/My", 1)
	v.deleteItem.Action()
	if got := overlayText(t, w); strings.Contains(got, "published") {
		t.Fatalf("unpublished: confirmation says %q", got)
	}
	tapOverlayButton(t, w, "No")
	r, _ := v.browser.current()
	c.setPublished("user/My", r.Thumbprint, app.Publication{Browsers: oneDB})
	selectIn(v, "user/My", 0)
	selectIn(v, "user/My", 1)
	v.deleteItem.Action()
	if got := overlayText(t, w); !strings.Contains(got, "It is also taken out of where it is published (available to browsers (/home/kiosk/.pki/nssdb)).") {
		t.Fatalf("published: confirmation says %q", got)
	}
	tapOverlayButton(t, w, "No")
}
