package ui

import (
	"encoding/asn1"
	"errors"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/enroll"
)

var (
	corpServer = app.Server{ID: "a1b2c3d4", URL: "https://cep.corp.example.com/CEP", FriendlyName: "Example Corp", Auth: app.AuthPassword, Username: "kiosk"}
	userTmpl   = enroll.Template{CommonName: "User", Enroll: true, ValiditySeconds: 365 * 86400, MinimalKeyLength: 3072}
	webTmpl    = enroll.Template{CommonName: "WebServer", Enroll: true, ValiditySeconds: 90 * 86400, KeyAlgorithm: "1.2.840.10045.2.1",
		MinimalKeyLength: 256, Flags: enroll.Flags{EnrolleeSuppliesSubject: true, EnrolleeSuppliesSubjectAltName: true}}
)

// startWizard opens the wizard over the fake core of newTestMain.
func startWizard(t *testing.T, e fakeEnroll) (*mainView, *fakeCore, *wizard) {
	t.Helper()
	v, c, _, _ := newTestMain(t)
	c.enroll = e
	test.Tap(v.requestButton)
	if v.wizard == nil || v.wizard.serverPick == nil {
		t.Fatal("the wizard did not open on the server step")
	}
	return v, c, v.wizard
}

func TestWizardIssued(t *testing.T) {
	v, c, z := startWizard(t, fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{userTmpl, webTmpl}})
	kiosk := v.browser.rows[1]
	c.enroll.result = &app.EnrollResult{Status: "issued", Thumbprint: kiosk.Thumbprint, Subject: "CN=Kiosk User,O=Example Corp", NotAfter: testNow.Add(365 * day)}
	if z.serverPick.Selected != "Example Corp (User name and password)" {
		t.Errorf("server %q", z.serverPick.Selected)
	}
	test.Tap(z.next)
	if z.title.Text != "Template" || z.templatePick.Selected != "User" {
		t.Fatalf("step %q, template %q", z.title.Text, z.templatePick.Selected)
	}
	if !strings.Contains(z.templateInfo.Text, "Valid for 365 days") || !strings.Contains(z.templateInfo.Text, "Key: RSA 3072 or stronger") {
		t.Errorf("template info %q", z.templateInfo.Text)
	}
	test.Tap(z.next)
	if z.title.Text != "Key" || !reflect.DeepEqual(z.keyPick.Options, []string{"RSA 3072", "RSA 4096"}) {
		t.Fatalf("step %q, keys %q", z.title.Text, z.keyPick.Options)
	}
	z.keyPick.SetSelected("RSA 4096")
	test.Tap(z.next)
	test.Tap(z.next)
	want := app.EnrollRequest{Context: "user", Server: "a1b2c3d4", Template: "User", Key: "rsa4096"}
	if len(c.enroll.requests) != 1 || !reflect.DeepEqual(c.enroll.requests[0], want) {
		t.Errorf("requests %+v, want %+v", c.enroll.requests, want)
	}
	if z.title.Text != "Done" || !strings.Contains(z.result.Text, "“Kiosk User” was issued") {
		t.Fatalf("result %q: %q", z.title.Text, z.status.Text)
	}
	test.Tap(z.openDetails)
	if r, ok := v.browser.current(); !ok || r.Thumbprint != kiosk.Thumbprint {
		t.Errorf("the new certificate is not selected")
	}
}

// TestWizardDNSNamesOnly: a template that takes DNS names but builds the
// subject itself asks for DNS names only and sends no subject, which the
// core would refuse (issue #15).
func TestWizardDNSNamesOnly(t *testing.T) {
	dnsOnly := webTmpl
	dnsOnly.CommonName = "WebServerDNS"
	dnsOnly.Flags = enroll.Flags{EnrolleeSuppliesSubjectAltName: true}
	_, c, z := startWizard(t, fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{dnsOnly},
		result: &app.EnrollResult{Status: "issued", Subject: "CN=kiosk"}})
	test.Tap(z.next)
	if !strings.Contains(z.templateInfo.Text, "You enter the DNS names; the CA fills in the name") {
		t.Errorf("template info %q", z.templateInfo.Text)
	}
	test.Tap(z.next)
	if z.title.Text != "Name of the certificate" || isShown(z, z.commonName) || !isShown(z, z.dnsNames) {
		t.Fatalf("step %q offers a subject", z.title.Text)
	}
	test.Type(z.dnsNames, "kiosk01.corp.example.com")
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.next)
	if len(c.enroll.requests) != 1 {
		t.Fatalf("no request sent: step %q, status %q", z.title.Text, z.status.Text)
	}
	if r := c.enroll.requests[0]; r.Subject != "" || !reflect.DeepEqual(r.DNSNames, []string{"kiosk01.corp.example.com"}) {
		t.Errorf("request %+v", r)
	}
}

// isShown reports whether o is part of the wizard's current step.
func isShown(z *wizard, o fyne.CanvasObject) bool {
	for _, x := range test.LaidOutObjects(z.body) {
		if x == o {
			return true
		}
	}
	return false
}

func TestWizardSubjectValidatedAsTyped(t *testing.T) {
	_, c, z := startWizard(t, fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{webTmpl},
		result: &app.EnrollResult{Status: "pending", RequestID: "42"}})
	test.Tap(z.next)
	test.Tap(z.next)
	if z.title.Text != "Name of the certificate" || !z.next.Disabled() {
		t.Fatalf("step %q, next disabled %v", z.title.Text, z.next.Disabled())
	}
	tests := []struct {
		name, cn, dns, problem string
	}{
		{"name with comma", "a,b", "", "The name may not contain"},
		{"name as a DN", "CN=x", "", "The name may not contain"},
		{"bad dns", "kiosk01", "kiosk01.corp.example.com\nbad_name!", "“bad_name!” is not a DNS name."},
		{"valid", "kiosk01.corp.example.com", "kiosk01.corp.example.com\n*.kiosk.example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z.commonName.SetText("")
			z.dnsNames.SetText("")
			test.Type(z.commonName, tt.cn)
			test.Type(z.dnsNames, tt.dns)
			if !strings.Contains(z.status.Text, tt.problem) || z.next.Disabled() != (tt.problem != "") {
				t.Errorf("status %q, next disabled %v", z.status.Text, z.next.Disabled())
			}
		})
	}
	z.dnsNames.SetText("")
	z.commonName.SetText("")
	if z.status.Text != "Enter the name of the certificate." || !z.next.Disabled() {
		t.Errorf("emptied name: status %q", z.status.Text)
	}
	z.commonName.SetText("kiosk01.corp.example.com")
	z.dnsNames.SetText("kiosk01.corp.example.com\n*.kiosk.example.com")
	test.Tap(z.next)
	if !reflect.DeepEqual(z.keyPick.Options, []string{"ECDSA P-256", "ECDSA P-384"}) {
		t.Errorf("keys %q", z.keyPick.Options)
	}
	test.Tap(z.next)
	test.Tap(z.next)
	r := c.enroll.requests[0]
	if r.Subject != "CN=kiosk01.corp.example.com" || !reflect.DeepEqual(r.DNSNames, []string{"kiosk01.corp.example.com", "*.kiosk.example.com"}) || r.Key != "p256" {
		t.Errorf("request %+v", r)
	}
	if !strings.Contains(z.result.Text, "request 42 is waiting") || z.openDetails.Visible() {
		t.Errorf("pending result %q", z.result.Text)
	}
}

// TestWizardAddServerAndError: with no server, Next opens the server
// form of the Policy servers tab (serverForm); the password goes only to
// hosts the person confirmed, and the wizard goes on with the new server.
func TestWizardAddServerAndError(t *testing.T) {
	v, c, z := startWizard(t, fakeEnroll{templates: []enroll.Template{userTmpl}, err: errors.New("enroll: CA denied the request: 0x80094012 (CERTSRV_E_TEMPLATE_DENIED)")})
	if len(z.serverPick.Options) != 0 || z.addServer == nil {
		t.Fatalf("with no server the wizard offers %q", z.serverPick.Options)
	}
	test.Tap(z.next)
	f := z.form
	if f == nil || !strings.Contains(overlayText(t, v.win), "Add a server") {
		t.Fatalf("Next did not open the server form: %q", overlayText(t, v.win))
	}
	f.url.SetText("http://cep.example.com")
	test.Tap(f.test)
	if !strings.Contains(f.status.Text, "does not send a password over plain http") {
		t.Errorf("status %q", f.status.Text)
	}
	f.url.SetText("https://cep.example.com/CEP")
	test.Type(f.username, "kiosk")
	test.Type(f.password, "pw")
	test.Tap(f.test)
	if !strings.Contains(f.status.Text, "Connected: the server offers 1 template. Your password will be sent to: cep.example.com.") {
		t.Errorf("test connection says %q", f.status.Text)
	}
	// Save asks before the password goes anywhere; Cancel adds nothing.
	tapOverlayButton(t, v.win, "Save")
	if got := overlayText(t, v.win); !strings.Contains(got, "Your password will be sent to: cep.example.com.") {
		t.Fatalf("the confirmation says %q", got)
	}
	// Enter does not answer where a password goes; Escape cancels.
	v.win.Canvas().Unfocus()
	v.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := c.recorded(); strings.Contains(got, "AddServer") {
		t.Fatalf("Enter added the server: calls %q", got)
	}
	v.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if got := c.recorded(); strings.Contains(got, "AddServer") || !strings.Contains(f.status.Text, "not added") {
		t.Fatalf("after Cancel: calls %q, status %q", got, f.status.Text)
	}
	tapOverlayButton(t, v.win, "Save")
	tapOverlayButton(t, v.win, "Send my password")
	if got := c.recorded(); !strings.Contains(got, "AddServer https://cep.example.com/CEP password kiosk") || !strings.Contains(got, "Policies new ") {
		t.Errorf("calls %q", got)
	}
	if z.title.Text != "Template" || z.server.URL != "https://cep.example.com/CEP" {
		t.Fatalf("step %q with %+v: %q", z.title.Text, z.server, z.status.Text)
	}
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.next)
	if z.title.Text != "The CA did not issue the certificate" {
		t.Fatalf("step %q", z.title.Text)
	}
	if got := strings.Join(labelTexts(z.body), " "); !strings.HasPrefix(got, "CA denied the request: 0x80094012 (CERTSRV_E_TEMPLATE_DENIED).") {
		t.Errorf("error step says %q", got)
	}
}

func TestWizardCancelWhileWaiting(t *testing.T) {
	v, c, z := startWizard(t, fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{userTmpl}, block: true})
	test.Tap(z.next)
	test.Tap(z.next)
	test.Tap(z.next)
	z.tasks = &tasks{} // let Enroll run (and block) off the test goroutine
	test.Tap(z.next)
	if z.title.Text != "Requesting" || z.cancel.Disabled() {
		t.Fatalf("step %q", z.title.Text)
	}
	test.Tap(z.cancel)
	z.tasks.wait()
	if len(c.enroll.requests) != 1 || v.win.Canvas().Overlays().Top() != nil {
		t.Errorf("cancel: %d requests, dialog visible %v", len(c.enroll.requests), v.win.Canvas().Overlays().Top() != nil)
	}
}

// labelTexts lists the texts of the labels under o.
func labelTexts(o fyne.CanvasObject) []string {
	var out []string
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return out
}

// TestWizardPurposesApprovalAndSummary: a template shows its purposes by
// name and that a CA manager approves it; a summary of the request comes
// before anything is sent, and a pending answer is titled so (issue #15).
func TestWizardPurposesApprovalAndSummary(t *testing.T) {
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}, {1, 3, 6, 1, 5, 5, 7, 3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	approved := webTmpl
	approved.CommonName = "WebServerApproved"
	approved.Flags.PendAllRequests = true
	approved.Extensions = []enroll.Extension{{OID: "2.5.29.37", Value: eku}}
	_, c, z := startWizard(t, fakeEnroll{servers: []app.Server{corpServer}, templates: []enroll.Template{userTmpl, approved},
		result: &app.EnrollResult{Status: app.StatusPending, RequestID: "42"}})
	test.Tap(z.next)
	if strings.Contains(z.templateInfo.Text, "For:") || strings.Contains(z.templateInfo.Text, "approval") {
		t.Errorf("User says %q", z.templateInfo.Text)
	}
	z.templatePick.SetSelected("WebServerApproved")
	for _, want := range []string{"For: Client Authentication, Secure Email", "Needs approval by a CA manager"} {
		if !strings.Contains(z.templateInfo.Text, want) {
			t.Errorf("template info %q lacks %q", z.templateInfo.Text, want)
		}
	}
	test.Tap(z.next)
	test.Type(z.commonName, "kiosk01.corp.example.com")
	test.Type(z.dnsNames, "kiosk01.corp.example.com")
	test.Tap(z.next)
	z.keyPick.SetSelected("ECDSA P-384")
	test.Tap(z.next)
	if z.title.Text != "Summary" || z.next.Text != "Request" || len(c.enroll.requests) != 0 {
		t.Fatalf("step %q, next %q, %d requests sent", z.title.Text, z.next.Text, len(c.enroll.requests))
	}
	summary := strings.Join(labelTexts(z.body), " | ")
	for _, want := range []string{"Example Corp (User name and password)", "WebServerApproved", "CN=kiosk01.corp.example.com",
		"CN=kiosk01.corp.example.com | kiosk01.corp.example.com |", "ECDSA P-384", "In this device's software store", "Needs approval by a CA manager"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q lacks %q", summary, want)
		}
	}
	test.Tap(z.back)
	if z.title.Text != "Key" || z.keyPick.Selected != "ECDSA P-384" {
		t.Fatalf("Back from the summary: step %q, key %q", z.title.Text, z.keyPick.Selected)
	}
	test.Tap(z.next)
	test.Tap(z.next)
	if len(c.enroll.requests) != 1 || c.enroll.requests[0].Key != "p384" {
		t.Fatalf("requests %+v", c.enroll.requests)
	}
	if z.title.Text != "Request pending" || !strings.Contains(z.result.Text, "request 42 is waiting") {
		t.Errorf("result %q: %q", z.title.Text, z.result.Text)
	}
}
