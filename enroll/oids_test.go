package enroll

import (
	"encoding/asn1"
	"reflect"
	"testing"
)

func TestPurposes(t *testing.T) {
	der := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	eku := der([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}, {1, 3, 6, 1, 5, 5, 7, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 5}})
	type policy struct{ ID asn1.ObjectIdentifier }
	appPolicies := der([]policy{{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}}})
	p := &Policies{OIDs: []OID{
		{Value: "1.2.3.4", Group: groupEKU, DefaultName: "Kiosk Login"},
		{Value: "1.2.3.5", Group: GroupExtension, DefaultName: "not a purpose"},
	}}
	tests := []struct {
		name string
		p    *Policies
		exts []Extension
		want []string
	}{
		{"eku named by the table, the policy, or its OID", p, []Extension{{OID: "2.5.29.37", Value: eku}},
			[]string{"Client Authentication", "Secure Email", "Kiosk Login", "1.2.3.5"}},
		{"no policy", nil, []Extension{{OID: "2.5.29.37", Value: eku}},
			[]string{"Client Authentication", "Secure Email", "1.2.3.4", "1.2.3.5"}},
		{"application policies without eku", p, []Extension{{OID: "1.3.6.1.4.1.311.21.10", Value: appPolicies}},
			[]string{"Smart Card Logon"}},
		{"eku wins", p, []Extension{{OID: "1.3.6.1.4.1.311.21.10", Value: appPolicies}, {OID: "2.5.29.37", Value: der([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 1}})}},
			[]string{"Server Authentication"}},
		{"malformed", p, []Extension{{OID: "2.5.29.37", Value: []byte{0x30, 0x05, 0x06}}}, nil},
		{"none", p, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Purposes(&Template{Extensions: tt.exts}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
