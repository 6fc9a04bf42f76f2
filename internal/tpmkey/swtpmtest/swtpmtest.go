// Package swtpmtest starts a real TPM 2.0 simulator (swtpm) for a test,
// reached over TCP as tpm2-tss's swtpm TCTI reaches it.
package swtpmtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Start runs a fresh swtpm with its own state directory on free loopback
// ports, killed when the test ends, and returns its TCTI string
// ("swtpm:host=127.0.0.1,port=P"). Without swtpm the test is skipped, or
// fails where it must run (REQUIRE_SWTPM set by scripts/test.sh, or CI).
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("swtpm")
	if err != nil {
		msg := "swtpm is not installed (scripts/setup-debian.sh installs it)"
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	for range 5 {
		port := freePortPair(t)
		cmd := exec.Command(bin, "socket", "--tpm2",
			"--tpmstate", "dir="+dir,
			"--server", fmt.Sprintf("type=tcp,port=%d,bindaddr=127.0.0.1", port),
			"--ctrl", fmt.Sprintf("type=tcp,port=%d,bindaddr=127.0.0.1", port+1),
			"--flags", "not-need-init,startup-clear")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitListening(port, exited) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return fmt.Sprintf("swtpm:host=127.0.0.1,port=%d", port)
		}
		_ = cmd.Process.Kill()
		<-exited
	}
	t.Fatal("swtpm did not start on free ports")
	return ""
}

// freePortPair returns a port P with P and P+1 free on loopback just now.
func freePortPair(t testing.TB) int {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		l.Close()
		if err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no two consecutive free ports on loopback")
	return 0
}

// waitListening waits until swtpm accepts connections on port and port+1,
// or has exited (another process took a port).
func waitListening(port int, exited <-chan struct{}) bool {
	for range 100 {
		select {
		case <-exited:
			return false
		case <-time.After(50 * time.Millisecond):
		}
		if dials(port) && dials(port+1) {
			return true
		}
	}
	return false
}

func dials(port int) bool {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err == nil {
		c.Close()
	}
	return err == nil
}

// required reports whether the TPM tests must run here rather than skip.
func required() bool {
	return os.Getenv("REQUIRE_SWTPM") != "" || os.Getenv("CI") == "true"
}

// OpenSSL runs openssl with args in dir, its tpm2 provider (tpm2-openssl)
// reaching the TPM at tcti through TPM2OPENSSL_TCTI, and returns its
// output; it fails the test when openssl fails, and skips it (fails where
// the TPM tests must run) when the tpm2 provider is not installed.
func OpenSSL(t testing.TB, tcti, dir string, args ...string) []byte {
	t.Helper()
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TPM2OPENSSL_TCTI="+tcti)
		return cmd.CombinedOutput()
	}
	if out, err := run("list", "-providers", "-provider", "tpm2"); err != nil {
		msg := "OpenSSL's tpm2 provider (tpm2-openssl) does not load: " + string(out)
		if required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out, err := run(args...)
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}
