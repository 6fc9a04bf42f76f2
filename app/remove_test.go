package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/certdesk/certdesk/store"
)

// TestDeleteUnpublishes: deleting or purging a published certificate
// takes it out of the (stand-in) native store first; when that fails,
// the entry and its publication stay as they were.
func TestDeleteUnpublishes(t *testing.T) {
	c, f := nativeCore(t)
	ctx := context.Background()
	p := newPubPKI(t, "delete.test")
	root := add(t, c, store.User, store.Root, p.root, nil)
	leaf := add(t, c, store.User, store.My, p.leaf, p.key)
	for _, x := range []struct {
		n  store.Name
		th string
	}{{store.Root, root}, {store.My, leaf}} {
		if _, err := c.Publish(ctx, store.User, x.n, x.th, TargetSystem); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := c.Store(store.User)

	// A failing native store: nothing is archived, the record stays.
	f.fail = errors.New("the user declined the Windows security prompt")
	err := c.Delete(ctx, store.User, store.Root, root)
	if err == nil || !strings.Contains(err.Error(), "was not deleted") || !strings.Contains(err.Error(), "declined") {
		t.Fatalf("Delete with a failing store: %v", err)
	}
	if e, err := s.Get(ctx, store.Root, root); err != nil || e.Meta.Archived {
		t.Fatalf("entry after a failed Delete: %+v, %v", e.Meta, err)
	}
	if m, _ := c.Published(store.User); !m[root].System {
		t.Fatal("the record lost the publication")
	}

	// Delete archives and unpublishes; Purge of the other removes and unpublishes.
	if err := c.Delete(ctx, store.User, store.Root, root); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(ctx, store.Root, root); err != nil || !e.Meta.Archived {
		t.Fatalf("entry after Delete: %+v, %v", e.Meta, err)
	}
	if err := c.Purge(ctx, store.User, store.My, leaf); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, store.My, leaf); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entry after Purge: %v", err)
	}
	for _, x := range []struct {
		n   store.Name
		der []byte
	}{{store.Root, p.root.Raw}, {store.My, p.leaf.Raw}} {
		if ok, _ := f.has(store.User, x.n, x.der); ok {
			t.Fatalf("%s: still in the native store", x.n)
		}
	}
	if m, _ := c.Published(store.User); len(m) != 0 {
		t.Fatalf("Published = %+v", m)
	}
	// An unknown thumbprint is an error and changes nothing.
	if err := c.Delete(ctx, store.User, store.My, strings.Repeat("AB", 20)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete of an unknown entry: %v", err)
	}
}
