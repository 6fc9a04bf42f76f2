package app

import (
	"testing"

	"github.com/certdesk/certdesk/store"
)

func TestCanRenew(t *testing.T) {
	issued := store.Entry{Store: store.My, HasKey: true, Meta: store.Meta{PolicyServer: "a1b2", RequestID: "7"}}
	tests := []struct {
		name string
		edit func(e *store.Entry)
		want bool
	}{
		{"issued", func(*store.Entry) {}, true},
		{"imported", func(e *store.Entry) { e.Meta.PolicyServer = "" }, false},
		{"archived", func(e *store.Entry) { e.Meta.Archived = true }, false},
		{"no key", func(e *store.Entry) { e.HasKey = false }, false},
		{"pending", func(e *store.Entry) { e.Store = store.Request }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := issued
			tt.edit(&e)
			if got := CanRenew(e); got != tt.want {
				t.Errorf("CanRenew = %v", got)
			}
		})
	}
}
