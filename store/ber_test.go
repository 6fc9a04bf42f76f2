package store

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// toBER re-encodes DER the way BER writers such as NSS do: every
// constructed element with an indefinite length, and OCTET STRINGs longer
// than chunk as constructed strings of chunk-sized pieces. Contents of
// OCTET STRINGs are not touched. Test-only; single-octet tags.
func toBER(der []byte, chunk int) []byte {
	var out []byte
	for len(der) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(der, &v)
		if err != nil {
			panic(err)
		}
		switch {
		case v.IsCompound:
			out = append(out, v.FullBytes[0], 0x80)
			out = append(append(out, toBER(v.Bytes, chunk)...), 0, 0)
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && len(v.Bytes) > chunk:
			out = append(out, 0x24, 0x80)
			for b := v.Bytes; len(b) > 0; b = b[min(chunk, len(b)):] {
				out = appendTLV(out, []byte{0x04}, b[:min(chunk, len(b))])
			}
			out = append(out, 0, 0)
		default:
			out = append(out, v.FullBytes...)
		}
		der = rest
	}
	return out
}

func TestBERToDER(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "ber.example")
	pfx, _ := pkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{p.inter}, "pw")
	long := bytes.Repeat([]byte{0xab}, 300)
	tests := []struct {
		name    string
		in, out []byte // out nil: an error is expected
	}{
		{"DER certificate unchanged", leaf.Raw, leaf.Raw},
		{"DER PFX unchanged", pfx, pfx},
		{"DER long lengths unchanged", appendTLV(nil, []byte{0x04}, long), appendTLV(nil, []byte{0x04}, long)},
		{"indefinite to definite", unhex("3080 020105 0000"), unhex("3003 020105")},
		{"nested indefinite", unhex("3080 3080 020101 0000 0401aa 0000"), unhex("3008 3003 020101 0401aa")},
		{"indefinite, long contents", append(append(unhex("3080"), appendTLV(nil, []byte{0x04}, long)...), 0, 0),
			appendTLV(nil, []byte{0x30}, appendTLV(nil, []byte{0x04}, long))},
		{"constructed OCTET STRING, definite", unhex("2406 0401aa 0401bb"), unhex("0402 aabb")},
		{"constructed OCTET STRING, nested indefinite", unhex("2480 0401aa 2480 0402bbcc 0000 0000"), unhex("0403 aabbcc")},
		{"empty constructed OCTET STRING", unhex("2480 0000"), unhex("0400")},
		{"constructed BIT STRING", unhex("2380 030200aa 030204b0 0000"), unhex("0303 04aab0")},
		{"constructed BMPString", unhex("3e80 1e020041 1e020042 0000"), unhex("1e04 00410042")},
		{"context [0] stays constructed", unhex("a080 0401aa 0401bb 0000"), unhex("a006 0401aa 0401bb")},
		{"non-minimal length", unhex("0481 01aa"), unhex("0401 aa")},
		{"high tag number", unhex("bf8100 80 020101 0000"), unhex("bf8100 03 020101")},
		{"empty", nil, nil},
		{"one octet", unhex("30"), nil},
		{"truncated definite", unhex("3005 0201"), nil},
		{"truncated indefinite", unhex("3080 020105"), nil},
		{"truncated EOC", unhex("3080 020105 00"), nil},
		{"primitive indefinite", unhex("0480 aa 0000"), nil},
		{"trailing data", unhex("020105 00"), nil},
		{"EOC alone", unhex("0000"), nil},
		{"EOC in definite contents", unhex("3004 0000 0000"), nil},
		{"chunk of another type", unhex("2480 020105 0000"), nil},
		{"BIT STRING unused bits before the end", unhex("2380 030204aa 030200bb 0000"), nil},
		{"reserved length octet", unhex("30ff"), nil},
		{"five length octets", unhex("3085 0000000001 00"), nil},
		{"length past the end", unhex("3084 ffffffff"), nil},
		{"too deep", append(bytes.Repeat(unhex("3080"), 40), bytes.Repeat([]byte{0, 0}, 40)...), nil},
		{"garbage", []byte("<html><body>no</body></html>"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := berToDER(tt.in)
			switch {
			case tt.out == nil && err == nil:
				t.Fatalf("got %x, want an error", got)
			case tt.out != nil && err != nil:
				t.Fatalf("error %v, want %x", err, tt.out)
			case !bytes.Equal(got, tt.out):
				t.Fatalf("got  %x\nwant %x", got, tt.out)
			}
		})
	}
	// BER written from real DER reads back as that DER.
	for _, der := range [][]byte{leaf.Raw, p.root.Raw, pfx} {
		ber := toBER(der, 100)
		if got, err := berToDER(ber); err != nil || !bytes.Equal(got, der) {
			t.Errorf("round trip of %d octets: %v", len(der), err)
		}
	}
}

// needNSS skips without NSS's certutil and pk12util (Debian libnss3-tools).
func needNSS(t *testing.T) {
	for _, tool := range []string{"certutil", "pk12util"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed (libnss3-tools)")
		}
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// nssExport has NSS write leaf, key and chain as PKCS#12: imported into a
// fresh NSS database from a DER PFX, exported again with pk12util -o plus
// extra (cipher and MAC choices).
func nssExport(t *testing.T, key crypto.PrivateKey, leaf *x509.Certificate, chain []*x509.Certificate, password string, extra ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	db := "sql:" + dir
	in, err := pkcs12.Modern2023.Encode(key, leaf, chain, password)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "in.p12", in)
	run(t, "certutil", "-N", "-d", db, "--empty-password")
	run(t, "pk12util", "-i", filepath.Join(dir, "in.p12"), "-d", db, "-W", password)
	// NSS names a certificate without a friendly name after its CN.
	out := filepath.Join(dir, "out.p12")
	run(t, "pk12util", append([]string{"-o", out, "-n", leaf.Subject.CommonName, "-d", db, "-W", password}, extra...)...)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[1] != 0x80 {
		t.Fatalf("pk12util wrote no BER (starts %x); the test proves nothing", data[:min(4, len(data))])
	}
	return data
}

// TestImportNSSPFX imports PKCS#12 files written by NSS (pk12util, as
// Firefox and Chromium on Linux export): BER with indefinite lengths and
// constructed OCTET STRINGs, MACed over the BER octets.
func TestImportNSSPFX(t *testing.T) {
	needNSS(t)
	p := newPKI(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const aes = "certificates AES-128-CBC/PBKDF2-SHA256, key AES-256-CBC/PBKDF2-SHA256"
	legacy := []string{"-C", "PKCS #12 V2 PBE With SHA-1 And 40 Bit RC2 CBC", "-c", "PKCS #12 V2 PBE With SHA-1 And 3KEY Triple DES-CBC"}
	tests := []struct {
		name     string
		rsa      bool
		password string
		extra    []string
		algs     string
	}{
		{"RSA, NSS defaults", true, "Secret 1", nil, aes + ", MAC HMAC-SHA256"},
		// NSS takes -M as PBKDF2's PRF too; go-pkcs12 has no
		// HMAC-SHA384 PRF, hence the legacy ciphers with SHA-384.
		{"ECDSA, legacy ciphers, SHA-384 MAC", false, "pw", append(legacy, "-M", "SHA-384"), "certificates RC2-40, key 3DES, MAC HMAC-SHA384"},
		{"RSA, SHA-512", true, "pw", []string{"-M", "SHA-512"},
			"certificates AES-128-CBC/PBKDF2-SHA512, key AES-256-CBC/PBKDF2-SHA512, MAC HMAC-SHA512"},
		{"ECDSA, legacy ciphers, SHA-1 MAC", false, "pw", append(legacy, "-M", "SHA-1"), "certificates RC2-40, key 3DES, MAC HMAC-SHA1"},
		{"ECDSA, empty password", false, "", nil, aes + ", MAC HMAC-SHA256"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && i > 0 {
				t.Skip("-short: one NSS file is enough (each costs NSS's 600,000 KDF iterations several times)")
			}
			cn := "nss" + string(rune('a'+i)) + ".example"
			leaf, key := p.leaf(t, cn)
			var priv crypto.PrivateKey = key
			if tt.rsa {
				priv = rsaKey
				leaf = issue(t, &x509.Certificate{Subject: pkixName(cn), DNSNames: []string{cn},
					KeyUsage: x509.KeyUsageDigitalSignature}, p.inter, rsaKey.Public(), p.interKey)
			}
			data := nssExport(t, priv, leaf, []*x509.Certificate{p.inter, p.root}, tt.password, tt.extra...)
			if f := Sniff(data); f != FormatPFX {
				t.Fatalf("Sniff = %q", f)
			}
			b, err := ParsePFX(data, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if b.PFXAlgorithms != tt.algs {
				t.Errorf("algorithms %q, want %q", b.PFXAlgorithms, tt.algs)
			}
			if len(b.Keys) != 1 || !keyMatches(b.Keys[0], leaf) || !b.Certs[0].Equal(leaf) || len(b.Certs) != 3 {
				t.Fatalf("bundle: %d keys, %d certs, leaf %s", len(b.Keys), len(b.Certs), b.Certs[0].Subject)
			}
			if _, err := ParsePFX(data, tt.password+"x"); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: %v, want ErrWrongPassword", err)
			}
			s, _ := newTestStore(t)
			res, err := s.Import(context.Background(), "firefox.p12", data, ImportOptions{Password: tt.password})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{Thumbprint(leaf.Raw): "My/added", Thumbprint(p.inter.Raw): "CA/added", Thumbprint(p.root.Raw): "/skipped"}
			for _, it := range res.Items {
				if got := string(it.Store) + "/" + it.Result; want[it.Thumbprint] != got {
					t.Errorf("%s: %s, want %s", it.Subject, got, want[it.Thumbprint])
				}
			}
			if len(res.Items) != 3 || res.PFXAlgorithms != tt.algs {
				t.Errorf("%d items, algorithms %q", len(res.Items), res.PFXAlgorithms)
			}
			if _, err := s.Signer(context.Background(), My, Thumbprint(leaf.Raw)); err != nil {
				t.Errorf("Signer: %v", err)
			}
			if i == 0 {
				checkTampered(t, data, tt.password)
			}
		})
	}
}

// checkTampered flips octets of an NSS PFX: inside the MACed
// AuthenticatedSafe (encrypted data and structure alike) the MAC must
// fail; anywhere else the file must still be refused.
func checkTampered(t *testing.T, data []byte, password string) {
	t.Helper()
	p, err := readBERPFX(data)
	if err != nil {
		t.Fatal(err)
	}
	// NSS writes the AuthenticatedSafe as one chunk.
	n, start := len(p.authSafe), bytes.Index(data, p.authSafe[:64])
	if start < 0 || !bytes.Equal(data[start:start+n], p.authSafe) {
		t.Fatal("the AuthenticatedSafe is not in one piece in the file")
	}
	for _, k := range []int{0, 2, 30, n / 3, n / 2, n - 40} {
		if _, err := ParsePFX(flip(data, start+k), password); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("octet %d of the AuthenticatedSafe flipped: %v, want the MAC to fail", k, err)
		}
	}
	for _, i := range []int{1, 4, 8, len(data) - 40, len(data) - 10, len(data) - 1} {
		if b, err := ParsePFX(flip(data, i), password); err == nil {
			t.Errorf("octet %d of %d flipped: accepted (%d certs)", i, len(data), len(b.Certs))
		}
	}
}

// TestBERPFXMAC covers BER files whose MAC certdesk checks itself, made
// from go-pkcs12 output with the outer PFX rewritten as BER (the MACed
// octets stay as they were).
func TestBERPFXMAC(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "bermac.example")
	modern, _ := pkcs12.Modern2023.WithIterations(1000).Encode(key, leaf, []*x509.Certificate{p.inter}, "pw")
	legacy, _ := pkcs12.LegacyDES.Encode(key, leaf, nil, "pw")
	pbmac1, _ := pkcs12.Modern2026.WithIterations(1000).Encode(key, leaf, nil, "pw")
	sha224 := append([]byte{}, modern...)
	i := bytes.LastIndex(sha224, unhex("0609608648016503040201"))
	sha224[i+10] = 4 // the MAC's SHA-256 OID becomes SHA-224's
	// The MAC's iteration count is the file's last INTEGER: 32768 becomes 8,388,607.
	greedy, _ := pkcs12.Modern2023.WithIterations(0x8000).Encode(key, leaf, nil, "pw")
	i = bytes.LastIndex(greedy, []byte{2, 3, 0, 0x80, 0})
	copy(greedy[i+2:], []byte{0x7f, 0xff, 0xff})
	tests := []struct {
		name     string
		data     []byte
		password string
		want     error
		msg      string
	}{
		{"HMAC-SHA256", modern, "pw", nil, ""},
		{"too many MAC iterations", greedy, "pw", ErrUnsupportedData, "8388607 iterations"},
		{"HMAC-SHA1", legacy, "pw", nil, ""},
		{"wrong password", modern, "wrong", ErrWrongPassword, ""},
		{"PBMAC1", pbmac1, "pw", ErrUnsupportedData, "PBMAC1"},
		{"unknown MAC", sha224, "pw", ErrUnsupportedData, "2.16.840.1.101.3.4.2.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ber := toBER(tt.data, 64)
			b, err := ParsePFX(ber, tt.password)
			if !errors.Is(err, tt.want) || (tt.want == nil && (len(b.Keys) != 1 || !b.Certs[0].Equal(leaf))) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
			// The algorithms read the same from BER as from the DER.
			want, werr := PFXAlgorithms(tt.data)
			if got, err := PFXAlgorithms(ber); (err == nil) != (werr == nil) || got != want {
				t.Errorf("PFXAlgorithms = %q, %v; want %q, %v", got, err, want, werr)
			}
		})
	}
}

// TestPKCS12MAC checks the MAC code against OpenSSL's, for each hash and
// a password outside ASCII.
func TestPKCS12MAC(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t)
	leaf, key := p.leaf(t, "mac.example")
	writeFile(t, dir, "leaf.pem", pemCert(leaf))
	writeFile(t, dir, "leaf.key", pemKey(t, key))
	for _, alg := range []string{"sha1", "sha256", "sha384", "sha512"} {
		openssl(t, dir, "pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-macalg", alg, "-out", alg+".p12", "-passout", "pass:Grüße 1")
		data, _ := os.ReadFile(filepath.Join(dir, alg+".p12"))
		pfx, err := readBERPFX(data)
		if err != nil {
			t.Fatal(err)
		}
		var m macData
		if err := unmarshalAll(pfx.mac.FullBytes, &m); err != nil {
			t.Fatal(err)
		}
		h, v := macHash(m.Mac.Algorithm.Algorithm)
		if h == nil {
			t.Fatalf("%s: MAC algorithm %v not known", alg, m.Mac.Algorithm.Algorithm)
		}
		for _, pw := range []string{"Grüße 1", "Grusse 1"} {
			bmp, _ := bmpPassword(pw)
			if got := pkcs12MAC(h, v, bmp, m.MacSalt, m.Iterations, pfx.authSafe); hmac.Equal(got, m.Mac.Digest) != (pw == "Grüße 1") {
				t.Errorf("%s, password %q: MAC %x, file has %x", alg, pw, got, m.Mac.Digest)
			}
		}
	}
}

// TestBERPFXEmptyPassword: without a MAC, or with one keyed by an empty
// password written as no octets at all (no terminator; OpenSSL and NSS
// write the terminator), a BER PFX reads with the empty password, as
// go-pkcs12 reads such DER files.
func TestBERPFXEmptyPassword(t *testing.T) {
	p := newPKI(t)
	leaf, key := p.leaf(t, "empty.example")
	noMAC, err := pkcs12.Passwordless.Encode(key, leaf, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	pfx, err := readBERPFX(noMAC)
	if err != nil || pfx.normalize() != nil {
		t.Fatal(err)
	}
	var m macData
	m.Mac.Algorithm.Algorithm, m.MacSalt, m.Iterations = oidSHA1, []byte("salt"), 3
	m.Mac.Digest = pkcs12MAC(sha1.New, 64, nil, m.MacSalt, m.Iterations, pfx.authSafe)
	md, _ := asn1.Marshal(m)
	for name, der := range map[string][]byte{"no MAC": noMAC, "MAC without terminator": pfx.withMAC(md)} {
		ber := toBER(der, 64)
		if b, err := ParsePFX(ber, ""); err != nil || len(b.Keys) != 1 || !b.Certs[0].Equal(leaf) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := ParsePFX(ber, "x"); err == nil {
			t.Errorf("%s: read with a password", name)
		}
	}
}

// FuzzBERToDER: malformed BER gives an error, never a panic; what it
// returns reads back unchanged, and DER certificates are left as they are.
func FuzzBERToDER(f *testing.F) {
	p := newPKI(f)
	leaf, key := p.leaf(f, "fuzzber.example")
	pfx, _ := pkcs12.LegacyDES.Encode(key, leaf, nil, "pw")
	for _, s := range [][]byte{leaf.Raw, pfx, toBER(pfx, 50), toBER(leaf.Raw, 20),
		unhex("2480 0401aa 2480 0402bbcc 0000 0000"), unhex("2380 030200aa 030204b0 0000"), unhex("bf8100 80 020101 0000")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := berToDER(data)
		if err != nil {
			return
		}
		if again, err := berToDER(out); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not stable: %x -> %x -> %x, %v", data, out, again, err)
		}
		if _, err := x509.ParseCertificate(data); err == nil && !bytes.Equal(out, data) {
			t.Fatalf("DER certificate changed: %x -> %x", data, out)
		}
	})
}

// TestBERP7B: a certs-only PKCS#7 in BER is sniffed and read like its DER
// form (smallstep/pkcs7 reads BER itself).
func TestBERP7B(t *testing.T) {
	p := newPKI(t)
	leaf, _ := p.leaf(t, "berp7b.example")
	der, err := pkcs7.DegenerateCertificate(append(append([]byte{}, leaf.Raw...), p.inter.Raw...))
	if err != nil {
		t.Fatal(err)
	}
	ber := toBER(der, 16)
	if bytes.Equal(ber, der) || ber[1] != 0x80 || Sniff(ber) != FormatP7B {
		t.Fatalf("BER form %x… sniffed as %q", ber[:4], Sniff(ber))
	}
	b, err := Parse(ber, "")
	if err != nil || len(b.Certs) != 2 || !b.Certs[0].Equal(leaf) {
		t.Fatalf("Parse = %+v, %v", b, err)
	}
}
