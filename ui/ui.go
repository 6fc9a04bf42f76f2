// Package ui holds certdesk's Fyne views. It talks to the core through the
// small interface in core.go and never holds state the core does not have.
package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// New builds the content of the main window w of app a on top of core, and
// registers the window's main menu, shortcuts and drop handler.
func New(a fyne.App, w fyne.Window, core Core) fyne.CanvasObject {
	applyTheme(a)
	v := newMainView(a, w, core, time.Now, &tasks{})
	w.SetMainMenu(v.menu)
	w.SetOnDropped(v.onDropped)
	return v.content
}

// mainView is the main window: toolbar, menu and the store browser.
type mainView struct {
	app      fyne.App
	win      fyne.Window
	core     Core
	tasks    *tasks
	now      func() time.Time
	browser  *browser
	importer *importer
	exporter *exporter // the form of the open Export dialog
	wizard   *wizard   // the open Request certificate wizard
	tray     *tray
	tabs     *container.AppTabs
	history  *historyView  // nil unless the core is a HistoryReader
	settings *settingsView // nil unless the core is a Configurer
	servers  *serversView  // nil unless the core is a ServerManager
	requests *requestsView // nil unless the core is a Requester

	importButton, exportButton, deleteButton, renewButton *widget.Button
	requestButton, checkButton, refreshButton             *widget.Button

	// The status bar: the health of the shown context (healthCx) and
	// the result of the last Check now.
	health, checked *widget.Label
	healthCx        store.Context

	menu                                                    *fyne.MainMenu
	importItem, exportItem, deleteItem, renewItem           *fyne.MenuItem
	requestItem, checkItem, refreshItem, archivedItem, find *fyne.MenuItem
	trustSystemItem, browsersItem                           *fyne.MenuItem
	untrustSystemItem, unbrowsersItem                       *fyne.MenuItem // the undo of the two above
	// openItem and copyItem are the context menu's own; it shares the
	// others with the main menu, and so their enabling (updateActions).
	openItem, copyItem *fyne.MenuItem
	publishItems       []*fyne.MenuItem  // the publishing items this platform offers
	contextMenu        *widget.PopUpMenu // the open context menu, if any
	tips               *tips             // the tip of a cut table cell
	// nativeSystem: TargetSystem is the OS's own certificate store
	// (Windows, macOS), which browsers read too.
	nativeSystem bool
	content      fyne.CanvasObject

	firstLoaded int                 // entries of the first store loaded; -1 before
	onFirstLoad []func(entries int) // what waits for the first load
	// held, unless nil, keeps background work (the tray's count, the
	// scheduler) until Run releases it after the first painted frame.
	held *[]func()
}

// background runs fn now, or once the first frame is painted (Run).
func (v *mainView) background(fn func()) {
	if v.held != nil {
		*v.held = append(*v.held, fn)
		return
	}
	fn()
}

// release runs the held background work, from now on at once.
func (v *mainView) release() {
	if v.held == nil {
		return
	}
	held := *v.held
	v.held = nil
	for _, fn := range held {
		fn()
	}
}

func newMainView(a fyne.App, w fyne.Window, core Core, now func() time.Time, t *tasks) *mainView {
	v := &mainView{app: a, win: w, core: core, tasks: t, now: now, firstLoaded: -1}
	useAtomicFiles()
	v.browser = newBrowser(core, v.tasks, now, a.Clipboard())
	v.browser.onSelect = v.updateActions
	v.browser.onMenu = v.showContextMenu
	v.browser.newWindow = a.NewWindow
	v.tips = newTips()
	v.browser.tips = v.tips
	v.importer = &importer{core: core, win: w, tasks: v.tasks, changed: v.refresh,
		where: func() (store.Context, []ContextInfo) { return v.browser.workContext(), v.browser.contexts }}

	button := func(label string, icon fyne.Resource, tapped func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, tapped)
		b.Importance = widget.LowImportance
		return b
	}
	v.importButton = button("Import…", theme.FolderOpenIcon(), v.showImport)
	v.exportButton = button("Export…", theme.DocumentSaveIcon(), v.showExport)
	v.deleteButton = button("Delete", theme.DeleteIcon(), v.deleteSelected)
	v.renewButton = button("Renew now", theme.MediaReplayIcon(), v.renewSelected)
	v.requestButton = button("Request certificate…", theme.ContentAddIcon(), v.showRequest)
	v.requestButton.Importance = widget.HighImportance
	v.checkButton = button("Check now", theme.ConfirmIcon(), v.checkNow)
	v.refreshButton = button("Refresh", theme.ViewRefreshIcon(), v.refresh)
	tools := []fyne.CanvasObject{v.requestButton, widget.NewSeparator(),
		v.importButton, v.exportButton, v.deleteButton, widget.NewSeparator(),
		v.renewButton, v.checkButton, v.refreshButton}
	toolbar := container.New(newToolbarLayout(tools), tools...)

	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	item := func(label string, k fyne.KeyName, action func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, unlessDialog(w, action))
		it.Shortcut = ctrl(k)
		return it
	}
	v.importItem = item("Import…", fyne.KeyO, v.showImport)
	v.exportItem = item("Export…", fyne.KeyE, v.showExport)
	v.requestItem = item("Request certificate…", fyne.KeyN, v.showRequest)
	v.renewItem = item("Renew now", fyne.KeyU, v.renewSelected)
	v.deleteItem = item("Delete", fyne.KeyDelete, v.deleteSelected)
	v.checkItem = item("Check now", fyne.KeyK, v.checkNow)
	v.trustSystemItem = fyne.NewMenuItem("Trust system-wide…", func() { v.publishSelected(app.TargetSystem, false) })
	v.untrustSystemItem = fyne.NewMenuItem("Stop trusting system-wide…", func() { v.publishSelected(app.TargetSystem, true) })
	v.browsersItem = fyne.NewMenuItem("Add to browsers…", func() { v.publishSelected(app.TargetBrowsers, false) })
	v.unbrowsersItem = fyne.NewMenuItem("Remove from browsers…", func() { v.publishSelected(app.TargetBrowsers, true) })
	v.refreshItem = item("Refresh", fyne.KeyR, v.refresh)
	v.find = item("Search", fyne.KeyF, func() { w.Canvas().Focus(v.browser.search) })
	v.archivedItem = item("Show archived", fyne.KeyH, func() {
		v.browser.archived.SetChecked(!v.browser.archived.Checked)
	})
	v.openItem = fyne.NewMenuItem("Open", v.browser.openSelected)
	v.copyItem = fyne.NewMenuItem("Copy thumbprint", v.copyThumbprint)
	publishItems := []*fyne.MenuItem{v.trustSystemItem, v.untrustSystemItem, v.browsersItem, v.unbrowsersItem}
	if p, ok := core.(Publisher); ok && p.NativeStores() {
		v.nativeSystem = true
		v.trustSystemItem.Label, v.untrustSystemItem.Label = "Add to system store…", "Remove from system store…"
		publishItems = publishItems[:2]
	}
	v.publishItems = publishItems
	certItems := append([]*fyne.MenuItem{v.requestItem, v.renewItem, v.deleteItem, fyne.NewMenuItemSeparator()}, publishItems...)
	v.menu = fyne.NewMainMenu(
		fyne.NewMenu("File", v.importItem, v.exportItem),
		fyne.NewMenu("Certificate", append(certItems, fyne.NewMenuItemSeparator(), v.checkItem)...),
		fyne.NewMenu("View", v.refreshItem, v.find, v.archivedItem, fyne.NewMenuItemSeparator(), themeMenu(a)),
	)

	v.health = widget.NewLabel("")
	v.checked = widget.NewLabel("")
	v.checked.Importance = widget.LowImportance
	v.checked.Truncation = fyne.TextTruncateEllipsis
	statusBar := container.NewBorder(widget.NewSeparator(), nil, v.health, nil, v.checked)
	certificates := container.NewBorder(container.NewVBox(toolbar, widget.NewSeparator()), statusBar, nil, nil, v.browser.content)
	v.content = container.New(atLeast{minContentSize}, v.views(certificates), v.tips.layer)
	v.tray = newTray(a, w, core, v.tasks, v.checkNow)
	core.Subscribe(func(e app.Event) {
		switch e.Kind {
		case app.StoreChanged, app.RenewalSucceeded, app.RenewalFailed, app.NotificationWindow, app.RequestIssued:
			fyne.Do(func() { v.handle(e) })
		}
	})
	v.updateActions()
	w.Canvas().SetOnTypedKey(v.typedKey)
	v.browser.loaded = v.storeLoaded
	v.browser.reload()
	return v
}

// afterFirstLoad runs fn on the UI thread once the first store's rows are
// shown (at once if they are): work that can wait, such as the tray's
// count or the scheduler's first check, does not compete with the first
// frame.
func (v *mainView) afterFirstLoad(fn func(entries int)) {
	if v.firstLoaded >= 0 {
		fn(v.firstLoaded)
		return
	}
	v.onFirstLoad = append(v.onFirstLoad, fn)
}

// storeLoaded is called after each load of the browser's store.
func (v *mainView) storeLoaded(entries int) {
	if v.firstLoaded >= 0 {
		// Every change the browser shows (an import, a delete, a
		// renewal, another context) may change the health line.
		v.updateHealth()
		return
	}
	v.firstLoaded = entries
	v.background(v.tray.update)
	v.background(v.updateHealth)
	for _, fn := range v.onFirstLoad {
		fn(entries)
	}
	v.onFirstLoad = nil
}

// views puts the certificates and every view the core supports in tabs;
// a view reloads when its tab is chosen.
func (v *mainView) views(certificates fyne.CanvasObject) fyne.CanvasObject {
	current := func() store.Context { return v.browser.workContext() }
	reload := map[*container.TabItem]func(){}
	v.tabs = container.NewAppTabs(container.NewTabItemWithIcon("Certificates", keyIcon, certificates))
	add := func(title string, icon fyne.Resource, content fyne.CanvasObject, load func()) {
		t := container.NewTabItemWithIcon(title, icon, content)
		reload[t] = load
		v.tabs.Append(t)
	}
	if r, ok := v.core.(Requester); ok {
		v.requests = newRequestsView(v.core, r, v.win, v.tasks, current)
		add("Pending requests", theme.HistoryIcon(), v.requests.content, v.requests.reload)
	}
	if s, ok := v.core.(ServerManager); ok {
		v.servers = newServersView(s, v.win, v.tasks, current)
		add("Policy servers", theme.StorageIcon(), v.servers.content, v.servers.reload)
	}
	if h, ok := v.core.(HistoryReader); ok {
		v.history = newHistoryView(h, v.tasks, current)
		v.history.tips = v.tips
		add("History", theme.ListIcon(), v.history.content, v.history.reload)
	}
	if c, ok := v.core.(Configurer); ok {
		v.settings = newSettingsView(c, v.tasks, current)
		add("Settings", theme.SettingsIcon(), container.NewVScroll(container.NewPadded(v.settings.content)), v.settings.reload)
	}
	if len(v.tabs.Items) == 1 {
		return certificates
	}
	v.tabs.OnSelected = func(t *container.TabItem) {
		if load := reload[t]; load != nil {
			load()
		}
	}
	return v.tabs
}

// updateActions enables what makes sense for the current store and selection.
func (v *mainView) updateActions() {
	writable := !v.browser.readOnly()
	r, selected := v.browser.current()
	set := func(on bool, b *widget.Button, it *fyne.MenuItem) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
		it.Disabled = !on
	}
	set(writable, v.importButton, v.importItem)
	set(selected && r.status != StatusPending, v.exportButton, v.exportItem)
	set(writable && selected, v.deleteButton, v.deleteItem)
	set(writable && selected && app.CanRenew(*r.Entry), v.renewButton, v.renewItem)
	set(writable, v.checkButton, v.checkItem)
	_, canEnroll := v.core.(Enroller)
	set(writable && canEnroll, v.requestButton, v.requestItem)
	v.trustSystemItem.Disabled = !(selected && v.publishAllowed(r, app.TargetSystem, false))
	v.untrustSystemItem.Disabled = !(selected && v.publishAllowed(r, app.TargetSystem, true))
	v.browsersItem.Disabled = !(selected && v.publishAllowed(r, app.TargetBrowsers, false))
	v.unbrowsersItem.Disabled = !(selected && v.publishAllowed(r, app.TargetBrowsers, true))
	v.openItem.Disabled, v.copyItem.Disabled = !selected, !selected
	v.archivedItem.Checked = v.browser.archived.Checked
	v.menu.Refresh()
	if v.contextMenu != nil && v.contextMenu.Visible() {
		v.contextMenu.Refresh() // the publication arrives after the menu opened
	}
}

func (v *mainView) refresh() { v.browser.reload() }

// typedKey handles the keys no field took: Enter and Escape for the top
// dialog (dialogKey), F5 for Refresh when no dialog is open.
func (v *mainView) typedKey(k *fyne.KeyEvent) {
	if dialogKey(v.win, k) {
		return
	}
	if k.Name == fyne.KeyF5 {
		unlessDialog(v.win, v.refresh)()
	}
}

// handle reacts to an event of the core, on the UI thread.
func (v *mainView) handle(e app.Event) {
	if e.Kind == app.RequestIssued {
		v.checked.SetText(requestIssuedLine(e, v.now())) // its StoreChanged refreshes the views
	} else {
		v.refresh() // and the health line, once the store is loaded
		v.tray.update()
	}
	if n := notification(e); n != nil {
		v.app.SendNotification(n)
	}
}
