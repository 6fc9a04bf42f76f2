package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

func TestCertificateTemplate(t *testing.T) {
	bmp := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r>>8), byte(r))
		}
		v, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagBMPString, Bytes: b})
		return v
	}
	info, _ := asn1.Marshal(TemplateInfo{ID: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 8, 1, 2}, Major: 100, Minor: 3})
	tests := []struct {
		name             string
		exts             []pkix.Extension
		wantName, wantID string
	}{
		{"none", nil, "", ""},
		{"name only", []pkix.Extension{{Id: oidTemplateName, Value: bmp("WebServer")}}, "WebServer", ""},
		{"oid only", []pkix.Extension{{Id: oidTemplateInfo, Value: info}}, "", "1.3.6.1.4.1.311.21.8.1.2"},
		{"both", []pkix.Extension{{Id: oidTemplateName, Value: bmp("User")}, {Id: oidTemplateInfo, Value: info}}, "User", "1.3.6.1.4.1.311.21.8.1.2"},
		{"garbage ignored", []pkix.Extension{{Id: oidTemplateName, Value: []byte{0xff}}}, "", ""},
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
				NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0), ExtraExtensions: tt.exts}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := x509.ParseCertificate(der)
			name, oid := CertificateTemplate(c)
			if name != tt.wantName || oid != tt.wantID {
				t.Fatalf("got %q %q, want %q %q", name, oid, tt.wantName, tt.wantID)
			}
			if e := newEntry(My, c, false, Meta{}); e.Meta.TemplateName != tt.wantName || e.Meta.TemplateOID != tt.wantID {
				t.Fatalf("entry meta %+v", e.Meta)
			}
		})
	}
}
