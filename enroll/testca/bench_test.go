package testca

import "testing"

// BenchmarkSubmit measures the CA's own work per request (checks,
// signing, database write), without HTTP.
func BenchmarkSubmit(b *testing.B) {
	ca, err := New(Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		csr  []byte
	}{
		{"RSA2048", newCSR(b, rsaKey(b, 2048, 0), TemplateUser, "")},
		{"P256", newCSR(b, p256Key(b), TemplateUserP256, "")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ca.Submit(bc.csr, DefaultUser); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
