package store

// BER to DER: indefinite lengths and constructed strings, as NSS writes
// PKCS#12 files, re-encoded as the DER go-pkcs12 reads (pfxber.go uses it),
// and the small ASN.1 helpers around it.

import (
	"bytes"
	"encoding/asn1"
	"errors"
)

// berMaxDepth bounds the nesting the normaliser follows; a PFX needs
// about ten levels (certificates sit inside OCTET STRINGs, unparsed).
const berMaxDepth = 32

var errBER = errors.New("malformed BER")

// berToDER re-encodes one BER element, with nothing after it, as DER:
// definite minimal lengths, and universal string types (OCTET STRING, BIT
// STRING, character strings) that were constructed from chunks made
// primitive. It leaves SET OF order alone. DER input comes back unchanged.
func berToDER(b []byte) ([]byte, error) {
	if len(b) > MaxImportSize {
		return nil, errBER
	}
	id, content, rest, err := berElem(b, 0)
	if err != nil || len(rest) > 0 {
		return nil, errBER
	}
	return appendTLV(nil, id, content), nil
}

// berElem decodes the first element of b: its identifier octets, its
// contents re-encoded as DER, and what follows it.
func berElem(b []byte, depth int) (id, content, rest []byte, err error) {
	if depth > berMaxDepth {
		return nil, nil, nil, errBER
	}
	id, n, hdr, err := berHeader(b)
	if err != nil {
		return nil, nil, nil, err
	}
	if id[0]&0x20 == 0 { // primitive: contents as they are
		return id, b[hdr : hdr+n], b[hdr+n:], nil
	}
	in, indefinite := b[hdr:], n < 0
	if !indefinite {
		in = in[:n]
	}
	// Universal string types may be split into chunks of the same type.
	flatten := len(id) == 1 && id[0]&0xc0 == 0 && stringTag(id[0]&0x1f)
	bitString := id[0]&0x1f == asn1.TagBitString
	var out []byte
	unused := byte(0)
	for {
		if indefinite && len(in) >= 2 && in[0] == 0 && in[1] == 0 {
			in = in[2:] // end-of-contents
			break
		}
		if !indefinite && len(in) == 0 {
			break
		}
		cid, cc, crest, err := berElem(in, depth+1)
		if err != nil {
			return nil, nil, nil, err
		}
		in = crest
		switch {
		case !flatten:
			out = appendTLV(out, cid, cc)
		case len(cid) != 1 || cid[0] != id[0]&^0x20:
			return nil, nil, nil, errBER // a chunk of another type
		case bitString:
			// Each chunk starts with its count of unused bits; only
			// the last may have any.
			if len(cc) == 0 || cc[0] > 7 || unused != 0 {
				return nil, nil, nil, errBER
			}
			unused = cc[0]
			out = append(out, cc[1:]...)
		default:
			out = append(out, cc...)
		}
	}
	if flatten {
		id = []byte{id[0] &^ 0x20}
		if bitString {
			out = append([]byte{unused}, out...)
		}
	}
	if indefinite {
		return id, out, in, nil
	}
	return id, out, b[hdr+n:], nil
}

// berHeader reads an identifier and a length; n is -1 for an indefinite
// length, which only constructed elements may have.
func berHeader(b []byte) (id []byte, n, hdr int, err error) {
	if len(b) < 2 || b[0] == 0 { // too short, or end-of-contents out of place
		return nil, 0, 0, errBER
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number: base-128, at most 4 octets
		for ; i < len(b) && b[i]&0x80 != 0; i++ {
			if i == 4 {
				return nil, 0, 0, errBER
			}
		}
		i++
	}
	if i >= len(b) {
		return nil, 0, 0, errBER
	}
	id, l := b[:i], b[i]
	i++
	switch {
	case l < 0x80:
		n = int(l)
	case l == 0x80:
		if id[0]&0x20 == 0 {
			return nil, 0, 0, errBER
		}
		return id, -1, i, nil
	default:
		k := int(l & 0x7f)
		if k > 4 || i+k > len(b) {
			return nil, 0, 0, errBER
		}
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || n > len(b)-i { // n < 0: overflow where int has 32 bits
		return nil, 0, 0, errBER
	}
	return id, n, i, nil
}

// stringTag reports the universal types BER may send in chunks.
func stringTag(t byte) bool {
	switch t {
	case asn1.TagBitString, asn1.TagOctetString, asn1.TagUTF8String, asn1.TagNumericString, asn1.TagPrintableString,
		asn1.TagT61String, 21, asn1.TagIA5String, asn1.TagUTCTime, asn1.TagGeneralizedTime, 25, 26,
		asn1.TagGeneralString, 28, asn1.TagBMPString:
		return true
	}
	return false
}

// appendTLV appends a DER element with identifier id and contents c.
func appendTLV(dst, id, c []byte) []byte {
	dst = append(dst, id...)
	switch n := len(c); {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 1<<8:
		dst = append(dst, 0x81, byte(n))
	case n < 1<<16:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, c...)
}

// tlv is one DER element with a one-octet identifier.
func tlv(id byte, parts ...[]byte) []byte {
	return appendTLV(nil, []byte{id}, bytes.Join(parts, nil))
}

// derElems splits DER contents into their elements.
func derElems(b []byte) ([]asn1.RawValue, error) {
	var els []asn1.RawValue
	for len(b) > 0 {
		var v asn1.RawValue
		var err error
		if b, err = asn1.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		els = append(els, v)
	}
	return els, nil
}

// unmarshalAll is asn1.Unmarshal that refuses trailing data.
func unmarshalAll(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err == nil && len(rest) > 0 {
		err = errBER
	}
	return err
}
