package ui

// This file runs a real core, like wizardcore_test.go, and so is named to
// run after every file that calls newFixtures.

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/certdesk/certdesk/enroll/testca"
	"github.com/certdesk/certdesk/internal/pkcs11key/softhsmtest"
	"github.com/certdesk/certdesk/store"
)

// keyStep is what the wizard's key step shows of where the key lives: its
// text and one radio per place, by label.
func keyStep(t *testing.T, z *wizard) (string, map[string]*widget.RadioGroup) {
	t.Helper()
	if z.title.Text != "Key" {
		t.Fatalf("step %q: %s", z.title.Text, z.status.Text)
	}
	var text []string
	radios := map[string]*widget.RadioGroup{}
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			text = append(text, x.Text)
		case *widget.RadioGroup:
			radios[x.Options[0]] = x
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(z.body)
	return strings.Join(text, "\n"), radios
}

// summaryRow is the value of the summary's row named label.
func summaryRow(t *testing.T, z *wizard, label string) string {
	t.Helper()
	for _, o := range z.body.Objects[0].(*fyne.Container).Objects {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				if it.Text == label {
					return it.Widget.(*widget.Label).Text
				}
			}
		}
	}
	t.Fatalf("the summary has no %q row", label)
	return ""
}

// TestRealWizardKeyStorage: for a software template the key step says
// the key is kept in software and offers the stronger places; the TPM,
// which cannot be reached, is disabled with the core's sentence; the token
// is chosen, the summary says so, and the certificate's key is made on
// the SoftHSM2 token. Back keeps the choice.
func TestRealWizardKeyStorage(t *testing.T) {
	e := newRealEnv(t)
	softhsmtest.NewToken(t, "gui-choice")
	t.Setenv("CERTDESK_PKCS11_MODULE", softhsmtest.Module)
	t.Setenv("CERTDESK_PKCS11_TOKEN", "gui-choice")
	t.Setenv("CERTDESK_TPM", "device:/nonexistent/tpmrm0")

	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplateUser)
	test.Tap(z.next)
	text, radios := keyStep(t, z)
	if !strings.Contains(text, "Kept in software; you may choose a TPM or a token") {
		t.Errorf("the key step says %q", text)
	}
	soft, tpm, token := radios["In this device's software store"], radios["In the TPM"], radios["On a token"]
	if len(radios) != 3 || soft == nil || tpm == nil || token == nil {
		t.Fatalf("places %v", radios)
	}
	if soft.Selected == "" || soft.Disabled() || token.Disabled() || z.next.Disabled() {
		t.Error("software is not chosen and available, or the token not available")
	}
	if !tpm.Disabled() || !strings.Contains(text, `The key of template "User" cannot be kept in a TPM here; the TPM cannot be reached at device:/nonexistent/tpmrm0`) {
		t.Errorf("the TPM is not disabled with the reason: %q", text)
	}
	token.SetSelected(token.Options[0])
	if soft.Selected != "" || z.next.Disabled() {
		t.Error("choosing the token left software chosen or Next disabled")
	}
	test.Tap(z.next)
	if got := summaryRow(t, z, "Key kept"); got != "On a token" {
		t.Errorf("Key kept: %q", got)
	}
	if r := z.request(); r.KeyStorage != store.KeyPKCS11 {
		t.Errorf("the request's key storage is %q", r.KeyStorage)
	}
	test.Tap(z.back)
	if _, radios := keyStep(t, z); radios["On a token"].Selected == "" {
		t.Error("Back lost the chosen place")
	}
	test.Tap(z.next)
	test.Tap(z.next) // Request
	typePIN(t, e.w, softhsmtest.PIN, false)
	if z.title.Text != "Done" {
		t.Fatalf("step %q: %s", z.title.Text, overlayText(t, e.w))
	}
	if my := e.entries(t, store.My); len(my) != 1 || my[0].KeyStorage != store.KeyPKCS11 || my[0].Meta.TemplateName != testca.TemplateUser {
		t.Fatalf("My holds %+v", my)
	}
	softhsmtest.CheckKeyStaysOnToken(t, "gui-choice")
	_ = e.core.ForgetPIN(context.Background(), store.User, "gui-choice")
}

// TestRealWizardRequiredStorageMissing: a template demanding the TPM,
// with no TPM reachable, says why on the key step, offers nothing else,
// and Next (so Request) stays disabled; the CA sees no request.
func TestRealWizardRequiredStorageMissing(t *testing.T) {
	e := newRealEnv(t)
	t.Setenv("CERTDESK_TPM", "device:/nonexistent/tpmrm0")
	z := e.addServerInWizard(t)
	z.templatePick.SetSelected(testca.TemplateUserTPM)
	test.Tap(z.next)
	text, radios := keyStep(t, z)
	if !strings.Contains(text, "Your organisation requires this key to stay in this device's TPM.") {
		t.Errorf("the key step says %q", text)
	}
	if r := radios["In the TPM"]; len(radios) != 1 || r == nil || !r.Disabled() {
		t.Errorf("places %v", radios)
	}
	if !z.next.Disabled() || !strings.Contains(z.status.Text, `Template "UserTPM" requires the key to be kept in a TPM; the TPM cannot be reached`) {
		t.Errorf("Next enabled %v, status %q", !z.next.Disabled(), z.status.Text)
	}
	z.enter()
	if z.title.Text != "Key" {
		t.Errorf("Enter went on to %q", z.title.Text)
	}
}
