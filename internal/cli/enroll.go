package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certdesk/certdesk/app"
)

// templateRow is one line of "certdesk templates -json" (docs/core.md).
type templateRow struct {
	Name            string `json:"name"`
	OID             string `json:"oid,omitempty"`
	Key             string `json:"key"`
	ValiditySeconds uint64 `json:"validitySeconds"`
	RenewalSeconds  uint64 `json:"renewalSeconds"`
	Enroll          bool   `json:"enroll"` // this account may enroll and certdesk can
	SuppliesSubject bool   `json:"suppliesSubject"`
	SuppliesDNS     bool   `json:"suppliesDNS"`
	KeyBasedRenewal bool   `json:"keyBasedRenewal"`
	Pends           bool   `json:"pends"`
	KeyStorage      string `json:"keyStorage"` // where the template demands the key be kept (app.RequiredKeyStorage)
}

const templatesUsage = `usage:
  certdesk templates [-context C] -server ID [-refresh] [-password-stdin] [-json]
The templates of a policy server: key, where the key must be kept (software, tpm,
pkcs11; docs/keys.md), validity, renewal period, whether you may enroll, who
supplies the subject. The policy is cached; -refresh fetches it now.`

const enrollUsage = `usage:
  certdesk enroll [-context C] -server ID [-template NAME] [-subject DN] [-dns NAME]...
                  [-key rsa2048|rsa3072|rsa4096|p256|p384] [-key-storage software|tpm|pkcs11]
                  [-pin-stdin | -pin-file F] [-save-pin] [-name FRIENDLYNAME] [-password-stdin]
                  [-challenge-stdin | -challenge-file F] [-json]
Requests a certificate from the policy server; the new entry goes to My, or, when
the CA pends the request, its key waits in Request ("certdesk request status").
The template decides where the key is made (docs/keys.md); -key-storage may only
ask for stronger storage, and a token's PIN is read from -pin-stdin or -pin-file
(-save-pin keeps it in the OS keyring for unattended renewal).
-template is required for a CEP server; a SCEP or EST server offers one profile, so
it may be left out there. A SCEP challenge password is read from -challenge-stdin
or -challenge-file, used once and never saved (docs/protocols.md).`

// runTemplates implements "certdesk templates [-context C] -server ID [-json]".
func (c *cmd) runTemplates(args []string) int {
	fs := c.newFlags("templates")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	server := fs.String("server", "", "policy server id, URL or name (certdesk server list)")
	asJSON := fs.Bool("json", false, "print JSON (docs/core.md)")
	refresh := fs.Bool("refresh", false, "fetch the policy even if the cached one is fresh")
	pwStdin := fs.Bool("password-stdin", false, "use this password once instead of the saved one")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 || *server == "" {
		return c.usage("templates needs -server ID and no arguments (certdesk templates -h)")
	}
	pw, err := c.readPassword("", *pwStdin)
	if err != nil {
		return c.passwordError(err)
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	pol, err := core.Policies(context.Background(), cx, *server, pw, *refresh)
	if err != nil {
		return c.fail(err)
	}
	rows := []templateRow{}
	for _, t := range pol.Templates {
		key := "?"
		if kt, err := t.KeyType(); err == nil {
			key = kt.String()
		}
		rows = append(rows, templateRow{Name: t.CommonName, OID: t.OID, Key: key, ValiditySeconds: t.ValiditySeconds,
			RenewalSeconds: t.RenewalSeconds, Enroll: app.Enrollable(&t), SuppliesSubject: t.Flags.EnrolleeSuppliesSubject,
			SuppliesDNS: t.Flags.EnrolleeSuppliesSubjectAltName, KeyBasedRenewal: t.Flags.AllowKeyBasedRenewal,
			Pends: t.Flags.PendAllRequests, KeyStorage: app.RequiredKeyStorage(&t)})
	}
	if *asJSON {
		return c.printJSON(rows)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEMPLATE\tKEY\tSTORAGE\tVALIDITY\tRENEWAL\tENROLL\tSUBJECT\tNOTES")
	for _, r := range rows {
		subj := "from the CA"
		if r.SuppliesSubject || r.SuppliesDNS {
			subj = "you supply"
		}
		notes := ""
		if r.KeyBasedRenewal {
			notes += "key-based renewal "
		}
		if r.Pends {
			notes += "needs approval"
		}
		textf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\t%s\n", r.Name, r.Key, r.KeyStorage, span(r.ValiditySeconds), span(r.RenewalSeconds), r.Enroll, subj, dash(notes))
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// countTrue counts the set flags among bs.
func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// span formats seconds as days, hours or minutes.
func span(s uint64) string {
	d := time.Duration(s) * time.Second
	switch {
	case s == 0:
		return "-"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// runEnroll implements "certdesk enroll [-context C] -server ID -template
// NAME [-subject DN] [-dns NAME]... [-key K] [-password-stdin] [-json]".
func (c *cmd) runEnroll(args []string) int {
	fs := c.newFlags("enroll")
	ctxName := fs.String("context", "user", "context: user, machine or app:<id>")
	var r app.EnrollRequest
	var dns multiFlag
	fs.StringVar(&r.Server, "server", "", "policy server id, URL or name")
	fs.StringVar(&r.Template, "template", "", "template name (certdesk templates)")
	fs.StringVar(&r.Subject, "subject", "", "subject DN, where the template lets you supply it")
	fs.Var(&dns, "dns", "DNS name for the SAN (repeatable), where the template lets you supply it")
	fs.StringVar(&r.Key, "key", "", "rsa2048|rsa3072|rsa4096|p256|p384 (only stronger than the template's)")
	fs.StringVar(&r.FriendlyName, "name", "", "friendly name of the new entry")
	pwStdin := fs.Bool("password-stdin", false, "use this password once instead of the saved one")
	fs.StringVar(&r.KeyStorage, "key-storage", "", "software|tpm|pkcs11: where the key is made (only stronger than the template asks; docs/keys.md)")
	pf := addPINFlags(fs, true)
	chStdin := fs.Bool("challenge-stdin", false, "read the SCEP challenge password from standard input (used once, never saved)")
	chFile := fs.String("challenge-file", "", "read the SCEP challenge password from the first line of this file")
	asJSON := fs.Bool("json", false, "print JSON (docs/core.md)")
	pos, code, ok := c.parseOrExit(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 || r.Server == "" {
		return c.usage("enroll needs -server ID and -template NAME and no arguments (certdesk enroll -h)")
	}
	if n := countTrue(*chStdin, *pf.stdin, *pwStdin); n > 1 {
		return c.usage("only one of -challenge-stdin, -pin-stdin and -password-stdin can read standard input; use a -file flag for the other")
	}
	if r.Key != "" && !app.IsKeyName(r.Key) {
		return c.usage("unknown -key %q (rsa2048, rsa3072, rsa4096, p256 or p384)", r.Key)
	}
	if r.KeyStorage != "" && !app.IsKeyStorage(r.KeyStorage) {
		return c.usage("unknown -key-storage %q (software, tpm or pkcs11)", r.KeyStorage)
	}
	r.DNSNames = dns
	pw, err := c.readPassword("", *pwStdin)
	if err != nil {
		return c.passwordError(err)
	}
	r.Password = pw
	pin, code, ok := c.readPIN(pf)
	if !ok {
		return code
	}
	r.PIN, r.SavePIN = pin.PIN, pin.Save
	if r.Challenge, err = c.readPassword(*chFile, *chStdin); err != nil {
		if errors.Is(err, errPasswordSources) {
			return c.usage("give the challenge once: -challenge-stdin or -challenge-file")
		}
		return c.fail(errors.New(strings.ReplaceAll(err.Error(), "password", "challenge")))
	}
	core, cx, err := openCore(*ctxName)
	if err != nil {
		return c.usage("%s", err)
	}
	if r.Template == "" {
		// Only a SCEP or EST server's single profile needs no name.
		if srv, err := core.Server(cx, r.Server); err != nil || srv.Protocol == app.ProtocolCEP {
			return c.usage("enroll needs -server ID and -template NAME and no arguments (certdesk enroll -h)")
		}
	}
	r.Context = cx
	res, err := core.Enroll(context.Background(), r)
	if err != nil {
		return c.fail(confirmHint(err, cx))
	}
	if *asJSON {
		return c.printJSON(res)
	}
	if res.Status == app.StatusPending {
		textf(c.stdout, "pending: request %s (%s); the key waits in Request as %s; \"certdesk request status\" or the next pulse installs it\n",
			res.RequestID, res.Disposition, res.Thumbprint)
		return exitOK
	}
	textf(c.stdout, "issued %s %s, valid until %s, in My\n", res.Thumbprint, res.Subject, res.NotAfter.Local().Format(time.RFC3339))
	return exitOK
}
