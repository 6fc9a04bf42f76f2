package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/internal/safetext"
	"github.com/certdesk/certdesk/store"
)

// serversView lists the policy servers of the context: add, edit, remove,
// test, autoenrollment on or off, and whether a credential is saved.
type serversView struct {
	core    ServerManager
	win     fyne.Window
	tasks   *tasks
	context func() store.Context

	list                    *widget.List
	add, edit, remove, test *widget.Button
	autoEnroll              *widget.Check
	status                  *widget.Label
	content                 fyne.CanvasObject
	servers                 []serverRow
	selected                int
	form                    *serverForm // the open Add or Edit dialog
	quiet                   bool
}

func newServersView(core ServerManager, w fyne.Window, t *tasks, context func() store.Context) *serversView {
	s := &serversView{core: core, win: w, tasks: t, context: context, selected: -1}
	s.list = widget.NewList(func() int { return len(s.servers) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			detail := widget.NewLabel("")
			detail.Importance = widget.LowImportance
			detail.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(name, detail)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			sv := s.servers[id]
			box.Objects[0].(*widget.Label).SetText(safetext.Escape(serverLabel(sv.Server)))
			box.Objects[1].(*widget.Label).SetText(safetext.Escape(serverDetail(sv)))
		})
	s.list.OnSelected = func(id widget.ListItemID) { s.choose(id) }
	s.add = widget.NewButton("Add…", func() { s.showForm(serverRow{}) })
	s.edit = widget.NewButton("Edit…", func() { s.showForm(s.servers[s.selected]) })
	s.remove = widget.NewButton("Remove", s.removeSelected)
	s.test = widget.NewButton("Test", s.testSelected)
	s.autoEnroll = widget.NewCheck("Renew and enroll automatically", s.setAutoEnroll)
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	bar := container.NewHBox(s.add, s.edit, s.remove, s.test, s.autoEnroll)
	s.content = container.NewBorder(bar, s.status, nil, nil, s.list)
	s.choose(-1)
	return s
}

// serverRow is a registered policy server as the views show it: the
// core's Server and whether a password is saved for it.
type serverRow struct {
	app.Server
	passwordSaved bool
}

// listServers reads the servers of context c with whether their passwords
// are saved; call it off the UI thread (the keyring may be slow).
func listServers(ctx context.Context, en Enroller, c store.Context) ([]serverRow, error) {
	ss, err := en.Servers(c)
	if err != nil {
		return nil, err
	}
	out := make([]serverRow, len(ss))
	for i, s := range ss {
		out[i] = serverRow{Server: s, passwordSaved: s.Auth == app.AuthPassword && en.HasPassword(ctx, c, s)}
	}
	return out, nil
}

// serverDetail is the second line of a server in the list.
func serverDetail(s serverRow) string {
	parts := []string{s.URL}
	if s.Managed {
		parts = append([]string{managedHint}, parts...)
	}
	if s.Protocol != "" && s.Protocol != app.ProtocolCEP {
		parts = append(parts, protocolLabel(s.Protocol))
	}
	if s.Username != "" {
		parts = append(parts, "as "+s.Username)
	}
	if s.Auth == app.AuthPassword {
		if s.passwordSaved {
			parts = append(parts, "password saved in the keyring")
		} else {
			parts = append(parts, "password asked each time")
		}
	}
	if s.AutoEnroll {
		parts = append(parts, "automatic renewal on")
	}
	return strings.Join(parts, " · ")
}

// choose selects server i (or none with -1) and enables what applies.
func (s *serversView) choose(i int) {
	s.selected = i
	for _, b := range []*widget.Button{s.edit, s.remove, s.test} {
		if i < 0 {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	s.quiet = true
	if i < 0 {
		s.autoEnroll.SetChecked(false)
		s.autoEnroll.Disable()
	} else {
		s.autoEnroll.SetChecked(s.servers[i].AutoEnroll)
		s.autoEnroll.Enable()
	}
	if i >= 0 && s.servers[i].Managed {
		// The organisation's server: only its password is the person's
		// (asked when enrolling), never its settings nor its removal.
		s.edit.Disable()
		s.remove.Disable()
		s.autoEnroll.Disable()
	}
	s.quiet = false
}

// showForm asks for a new server, or new settings of sv, and reloads
// the list once saved.
func (s *serversView) showForm(sv serverRow) {
	s.form = showServerForm(s.core, s.win, s.tasks, s.context(), sv, func(app.Server, string) { s.reload() })
}

// reload reads the servers of the context.
func (s *serversView) reload() {
	c := s.context()
	s.tasks.run(func() func() {
		servers, err := listServers(context.Background(), s.core, c)
		return func() {
			s.servers = servers
			s.list.UnselectAll()
			s.choose(-1)
			s.list.Refresh()
			if err != nil {
				s.status.SetText(failedLine("The policy servers could not be read.", err))
			} else if len(servers) == 0 {
				s.status.SetText("No policy server yet: add the one your administrator gave you.")
			} else {
				s.status.SetText("")
			}
		}
	})
}

// act runs a server operation and reloads, reporting failure as sentence.
func (s *serversView) act(sentence string, op func(context.Context) error) {
	s.tasks.run(func() func() {
		err := op(context.Background())
		return func() {
			if err != nil {
				showError(s.win, sentence, err)
			}
			s.reload()
		}
	})
}

func (s *serversView) removeSelected() {
	sv, c := s.servers[s.selected], s.context()
	confirm(s.win, "Remove “"+serverLabel(sv.Server)+"”?",
		"Certificates from this server stay, but they will no longer be renewed automatically.", func(ok bool) {
			if ok {
				s.act("The server could not be removed.", func(ctx context.Context) error { return s.core.RemoveServer(ctx, c, sv.ID) })
			}
		})
}

func (s *serversView) testSelected() {
	sv, c := s.servers[s.selected], s.context()
	s.status.SetText("Connecting to " + sv.URL + "…")
	s.tasks.run(func() func() {
		// A registered server is tested as it is used: with its saved
		// credentials, fetching the policy in full ("certdesk server test").
		pol, err := s.core.Policies(context.Background(), c, sv.ID, "", true)
		return func() {
			if err != nil {
				s.status.SetText(failedLine("The connection failed.", err))
				return
			}
			s.status.SetText("Connected: " + serverLabel(sv.Server) + " offers " + plural(len(app.UsableTemplates(pol)), "template") + ".")
		}
	})
}

func (s *serversView) setAutoEnroll(on bool) {
	if s.quiet || s.selected < 0 {
		return
	}
	sv, c := s.servers[s.selected], s.context()
	s.act("Automatic renewal could not be changed.", func(ctx context.Context) error { return s.core.SetAutoEnroll(ctx, c, sv.ID, on) })
}
