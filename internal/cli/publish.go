package cli

import (
	"context"
	"flag"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

// storePublish implements "certdesk store publish -to system|browsers".
func (c *cmd) storePublish(args []string) int { return c.publishVerb("publish", args) }

// storeUnpublish implements "certdesk store unpublish -to system|browsers".
func (c *cmd) storeUnpublish(args []string) int { return c.publishVerb("unpublish", args) }

// publishVerb parses the shared flags of publish and unpublish. Without
// -context and -store, the target picks them: system means machine/Root,
// browsers user/My, so "sudo certdesk store publish -to system THUMB" and
// "certdesk store publish -to browsers THUMB" do the usual thing.
func (c *cmd) publishVerb(verb string, args []string) int {
	f := c.storeFlags(verb, verb == "publish")
	to := f.fs.String("to", "", "system (machine Root/CA: trusted system-wide) or browsers (user Root/My: browser NSS databases)")
	pos, code, ok := c.parseOrExit(f.fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usage("store %s needs one thumbprint (certdesk store %s -h)", verb, verb)
	}
	t, err := app.ParseTarget(*to)
	if err != nil {
		return c.usage("%s: give -to system or -to browsers", verb)
	}
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if t == app.TargetSystem {
		if !set["context"] {
			*f.context = string(store.Machine)
		}
		if !set["store"] {
			*f.name = string(store.Root)
		}
	}
	cx, err := store.ParseContext(*f.context)
	if err != nil {
		return c.usage("%s", err)
	}
	n, err := store.ParseName(*f.name)
	if err != nil {
		return c.usage("%s", err)
	}
	if err := app.CheckTarget(cx, n, t); err != nil {
		return c.usage("%s", err)
	}
	core, _, err := openCore(string(cx))
	if err != nil {
		return c.usage("%s", err)
	}
	ctx := context.Background()
	if verb == "unpublish" {
		if err := core.Unpublish(ctx, cx, n, pos[0], t); err != nil {
			return c.fail(err)
		}
		return exitOK
	}
	p, err := core.Publish(ctx, cx, n, pos[0], t)
	if err != nil {
		return c.fail(err)
	}
	if *f.json {
		return c.printJSON(p)
	}
	textln(c.stdout, publicationText(p))
	return exitOK
}

// publicationText says where a certificate is published, for people.
func publicationText(p app.Publication) string {
	if t := p.Summary(); t != "" {
		return t
	}
	return "not published"
}

// publication returns where entry thumbprint of store n of cx is
// published, nil when nowhere.
func publication(cx store.Context, n store.Name, thumbprint string) (*app.Publication, error) {
	core, _, err := openCore(string(cx))
	if err != nil {
		return nil, err
	}
	m, err := core.Published(cx)
	if err != nil {
		return nil, err
	}
	if p, ok := m[thumbprint]; ok && p.Store == n {
		return &p, nil
	}
	return nil, nil
}

// nativeList lists the operating system's own store n of cx.
func nativeList(cx store.Context, n store.Name) ([]store.Entry, error) {
	core, _, err := openCore(string(cx))
	if err != nil {
		return nil, err
	}
	return core.NativeList(context.Background(), cx, n)
}
