package enroll

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedVectors adds every response vector whose name contains one of the
// words as a fuzz seed, repaired or not: broken XML is a seed too.
func seedVectors(f *testing.F, words ...string) {
	dir := vectorsDir(f)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".source.txt") || strings.Contains(n, "request") {
			continue
		}
		for _, w := range words {
			if strings.Contains(n, w) {
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
}

// FuzzParsePolicies: any input gives policies or an "enroll:" error, never
// a panic.
func FuzzParsePolicies(f *testing.F) {
	seedVectors(f, "GetPolicies")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicies(data)
		if err != nil {
			var fault *Fault
			if !errors.As(err, &fault) && !strings.HasPrefix(err.Error(), "enroll: ") {
				t.Fatalf("unprefixed error %q", err)
			}
			return
		}
		for i := range p.Templates {
			p.Templates[i].KeyType() //nolint:errcheck // must not panic
			p.Endpoints(&p.Templates[i], AuthUsernamePassword, false)
		}
	})
}

// FuzzParseResponse covers RSTR collections and SOAP faults.
func FuzzParseResponse(f *testing.F) {
	seedVectors(f, "RSTR", "fault", "KET-response", "RequestSecurityToken-Example-Response")
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseResponse(data)
		if err != nil {
			var fault *Fault
			if errors.As(err, &fault) {
				_ = fault.Error()
			} else if !strings.HasPrefix(err.Error(), "enroll: ") {
				t.Fatalf("unprefixed error %q", err)
			}
			return
		}
		if res.Certificate == nil && res.RequestID == "" {
			t.Fatal("neither issued nor pending")
		}
	})
}
