package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/store"
)

// Tree node ids are a context id, or "context/store".
func (b *browser) treeChildren(uid widget.TreeNodeID) []widget.TreeNodeID {
	var ids []widget.TreeNodeID
	if uid == "" {
		for _, c := range b.contexts {
			ids = append(ids, string(c.ID))
		}
		return ids
	}
	for _, c := range b.contexts {
		if string(c.ID) == uid {
			for _, s := range c.Stores {
				ids = append(ids, uid+"/"+string(s.Name))
			}
		}
	}
	return ids
}

func (b *browser) treeBranch(uid widget.TreeNodeID) bool {
	return !strings.Contains(uid, "/")
}

func (b *browser) treeCreate(bool) fyne.CanvasObject {
	return container.NewHBox(widget.NewIcon(nil), widget.NewLabel(""))
}

func (b *browser) treeUpdate(uid widget.TreeNodeID, branch bool, o fyne.CanvasObject) {
	box := o.(*fyne.Container)
	icon, label := box.Objects[0].(*widget.Icon), box.Objects[1].(*widget.Label)
	ctxID, n, _ := strings.Cut(uid, "/")
	for _, c := range b.contexts {
		if string(c.ID) != ctxID {
			continue
		}
		if branch {
			label.SetText(contextText(c))
			switch {
			case c.Native:
				icon.SetResource(theme.StorageIcon())
			case c.ReadOnly:
				icon.SetResource(theme.NewDisabledResource(theme.ComputerIcon()))
			case c.ID == "machine":
				icon.SetResource(theme.ComputerIcon())
			case c.ID == "user":
				icon.SetResource(theme.AccountIcon())
			default:
				icon.SetResource(theme.FileApplicationIcon())
			}
			return
		}
		for _, s := range c.Stores {
			if string(s.Name) == n {
				icon.SetResource(storeIcon(s.Name))
				label.SetText(storeText(s))
			}
		}
	}
}

// contextText is the tree's label of a context.
func contextText(c ContextInfo) string {
	if c.ReadOnly && !c.Native {
		return contextLabel(c.ID) + " (read-only)"
	}
	return contextLabel(c.ID)
}

// storeText is the tree's label of a store: its name and count.
func storeText(s StoreInfo) string {
	return storeLabel(s.Name) + " (" + strconv.Itoa(s.Count) + ")"
}

func storeIcon(name store.Name) fyne.Resource {
	switch name {
	case store.My:
		return keyIcon
	case store.Root:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case store.Request:
		return theme.HistoryIcon()
	}
	return theme.FolderIcon()
}

func (b *browser) treeSelected(uid widget.TreeNodeID) {
	ctxID, n, ok := strings.Cut(uid, "/")
	if !ok {
		b.tree.OpenBranch(uid)
		return
	}
	b.open(store.Context(ctxID), store.Name(n))
}
