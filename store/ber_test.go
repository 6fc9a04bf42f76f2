package store

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"testing"

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
