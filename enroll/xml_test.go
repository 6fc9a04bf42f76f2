package enroll

import (
	"bytes"
	"encoding/xml"
)

type (
	xmlStart = xml.StartElement
	xmlEnd   = xml.EndElement
	xmlChar  = xml.CharData
)

func newStrictDecoder(b []byte) *xml.Decoder { return xml.NewDecoder(bytes.NewReader(b)) }

func attr(el xml.StartElement, space, local string) string {
	for _, a := range el.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
