package testca_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/certdesk/certdesk/enroll/testca"
)

// A test CA on loopback: trust its root and enroll at its CEP URL.
func ExampleCA_Start() {
	dir, err := os.MkdirTemp("", "testca-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca, err := testca.New(testca.Config{Dir: dir, KBR: true})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := ca.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	_ = client // hand it to the enroll client with srv.CEPURL() and testca.DefaultUser

	fmt.Println(srv.CEPURL()[len(srv.URL()):])
	fmt.Println(srv.CESURL()[len(srv.URL()):])
	// Output:
	// /ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP
	// /certdesk-Test-CA_CES_UsernamePassword/service.svc/CES
}
