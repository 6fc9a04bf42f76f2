package tpmkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certdesk/certdesk/internal/tpmkey/swtpmtest"
)

// keyKinds are the keys certdesk makes in a TPM.
var keyKinds = []struct {
	alg  x509.PublicKeyAlgorithm
	bits int
}{{x509.RSA, 2048}, {x509.ECDSA, 256}}

func mustTCTI(t testing.TB, s string) TCTI {
	t.Helper()
	tc, err := ParseTCTI(s)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func TestParseTCTI(t *testing.T) {
	good := map[string]string{
		"":                                "device:/dev/tpmrm0",
		"device":                          "device:/dev/tpmrm0",
		"device:/dev/tpm0":                "device:/dev/tpm0",
		"swtpm":                           "swtpm:host=localhost,port=2321",
		"swtpm:host=127.0.0.1,port=2321":  "swtpm:host=127.0.0.1,port=2321",
		"swtpm:port=4000":                 "swtpm:host=localhost,port=4000",
		"mssim:host=tpm.example,port=100": "mssim:host=tpm.example,port=100",
		"swtpm:host=::1,port=2321":        "swtpm:host=::1,port=2321",
	}
	for in, want := range good {
		got, err := ParseTCTI(in)
		if err != nil || got.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{
		"tabrmd", "device:dev/tpm0", "device:/dev/../etc/passwd", "swtpm:host=a,port=2321,port=2322",
		"swtpm:port=0", "swtpm:port=65535", "swtpm:port=+1", "swtpm:port=x", "swtpm:host=", "swtpm:host=a/b",
		"swtpm:host=-x", "swtpm:host=*.a", "swtpm:path=/tmp/s", "swtpm:host=a,", "swtpm:host=a\nport=1", "swtpm:host=user@h",
	} {
		_, err := ParseTCTI(in)
		if err == nil || strings.Count(err.Error(), "\n") > 0 || !strings.HasPrefix(err.Error(), "the TPM address ") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// TestKeysInSwtpm makes an RSA and an EC key in a real TPM simulator,
// signs with each after reloading it from its blob, and shows the blob is
// useless in another TPM.
func TestKeysInSwtpm(t *testing.T) {
	tc := mustTCTI(t, swtpmtest.Start(t))
	if err := tc.Check(); err != nil {
		t.Fatal(err)
	}
	other := mustTCTI(t, swtpmtest.Start(t))
	h := sha256.Sum256([]byte("certdesk"))
	for _, kt := range keyKinds {
		k, err := Generate(tc, kt.alg, kt.bits)
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadRef(tc, k.Ref())
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []crypto.SignerOpts{crypto.SHA256, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}} {
			if _, pss := opts.(*rsa.PSSOptions); pss && kt.alg != x509.RSA {
				continue
			}
			sig, err := again.Sign(rand.Reader, h[:], opts)
			if err != nil {
				t.Fatalf("%v: %v", kt.alg, err)
			}
			switch pub := k.Public().(type) {
			case *rsa.PublicKey:
				if pss, ok := opts.(*rsa.PSSOptions); ok {
					err = rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, pss)
				} else {
					err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
				}
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, h[:], sig) {
					err = errors.New("bad ECDSA signature")
				}
			}
			if err != nil {
				t.Errorf("%v %T: %v", kt.alg, opts, err)
			}
		}
		// OpenSSL's tpm2 provider loads the key file into the same TPM
		// and signs a CSR with the same key.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "k.pem"), k.PEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		csrPEM := swtpmtest.OpenSSL(t, tc.String(), dir, "req", "-provider", "tpm2", "-provider", "default", "-new", "-key", "k.pem", "-subj", "/CN=x")
		b, _ := pem.Decode(csrPEM)
		if b == nil {
			t.Fatalf("openssl req: %s", csrPEM)
		}
		csr, err := x509.ParseCertificateRequest(b.Bytes)
		if err != nil || csr.CheckSignature() != nil || !csr.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Errorf("%v: the CSR OpenSSL signed with the key file: %v", kt.alg, err)
		}
		elsewhere, err := Load(other, k.Blob())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := elsewhere.Sign(rand.Reader, h[:], crypto.SHA256); err == nil {
			t.Errorf("%v: another TPM signed with the blob", kt.alg)
		}
	}
	if _, err := Generate(tc, x509.RSA, 4096); err == nil || !strings.Contains(err.Error(), "RSA 2048 or ECDSA P-256") {
		t.Errorf("RSA 4096: %v", err)
	}
	for _, bad := range []string{"", "AAAA", "!!", "MAMCAQE="} {
		if _, err := LoadRef(tc, bad); err == nil {
			t.Errorf("blob %q loaded", bad)
		}
	}
}

func TestNoTPMSentence(t *testing.T) {
	for in, want := range map[string]string{
		"swtpm:host=127.0.0.1,port=1": "the TPM cannot be reached at swtpm:host=127.0.0.1,port=1 (connect: connection refused)",
		"device:/nonexistent/tpm":     "the TPM cannot be reached at device:/nonexistent/tpm (no such file or directory)",
	} {
		if err := mustTCTI(t, in).Check(); err == nil || err.Error() != want {
			t.Errorf("%s: %v\nwant %s", in, err, want)
		}
	}
	if err := mustTCTI(t, "device:/dev/null").Check(); !errors.Is(err, ErrNoTPM) {
		t.Errorf("not a TPM: %v", err)
	}
}

// TestSilentTPM: a TCP peer that accepts and never answers is no TPM,
// within checkTimeout, and no command waits on it past commandTimeout.
func TestSilentTPM(t *testing.T) {
	var ls []net.Listener
	for len(ls) < 2 {
		for _, l := range ls {
			l.Close()
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = []net.Listener{l}
		if l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port+1)); err == nil {
			ls = append(ls, l2)
		}
	}
	for _, l := range ls {
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
	}
	defer func(c, d time.Duration) { checkTimeout, commandTimeout = c, d }(checkTimeout, commandTimeout)
	checkTimeout, commandTimeout = 200*time.Millisecond, 200*time.Millisecond
	tc := mustTCTI(t, fmt.Sprintf("swtpm:host=127.0.0.1,port=%d", ls[0].Addr().(*net.TCPAddr).Port))
	if err := tc.Check(); !errors.Is(err, ErrNoTPM) || !strings.Contains(err.Error(), "did not answer within 200ms") {
		t.Errorf("silent peer: %v", err)
	}
	// Past Check (a TPM that stops answering): making a key gives up
	// after commandTimeout too, rather than holding a renewal for ever.
	done := make(chan error, 1)
	go func() { _, err := Generate(tc, x509.ECDSA, 256); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "did not answer within 200ms") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Generate at a silent peer: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Generate at a silent peer did not return")
	}
}

// TestDeviceMustBeATPM: a device TCTI naming anything but a TPM character
// device (a regular file, /dev/null, a disk) is refused in one sentence
// and nothing is written to it: go-tpm's device transport took any device,
// and Check wrote its GetRandom command into a disk's first sector and
// took the bytes read back for an answer.
func TestDeviceMustBeATPM(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{img, "/dev/null", dir}
	if out, err := exec.Command("losetup", "-f", "--show", img).Output(); err == nil {
		loop := strings.TrimSpace(string(out))
		t.Cleanup(func() { _ = exec.Command("losetup", "-d", loop).Run() })
		paths = append(paths, loop)
	} else {
		t.Logf("no loop device (%v): the block device case is not tried", err)
	}
	for _, p := range paths {
		tc := mustTCTI(t, "device:"+p)
		for _, err := range []error{tc.Check(), func() error { _, err := Generate(tc, x509.ECDSA, 256); return err }()} {
			if err == nil || !errors.Is(err, ErrNoTPM) || !strings.Contains(err.Error(), "not a TPM") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
	_ = exec.Command("sync").Run()
	if b, _ := os.ReadFile(img); !bytes.Equal(b, make([]byte, 64<<10)) {
		t.Errorf("the disk image was written: % x", b[:16])
	}
}
