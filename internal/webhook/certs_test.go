package webhook

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"
)

var testHosts = []string{"wukong-webhook-service.wukong-system.svc", "wukong-webhook-service.wukong-system.svc.cluster.local", "127.0.0.1"}

// verify checks that the serving certificate in data names every host and chains to the CA bundle.
func verify(t *testing.T, data map[string][]byte, hosts []string, at time.Time) *x509.Certificate {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(data[keyCABundle]) {
		t.Fatal("no CA in the bundle")
	}
	certs := parseCerts(data[keyCert])
	if len(certs) != 1 {
		t.Fatalf("%d serving certificates", len(certs))
	}
	for _, h := range hosts {
		if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: h, CurrentTime: at}); err != nil {
			t.Errorf("serving certificate for %s: %v", h, err)
		}
	}
	return certs[0]
}

// TestRenew: the first call creates a CA and a serving certificate; later calls keep them until the renewal
// window, then renew the serving certificate under the same CA, or the CA itself, keeping the old CA in the
// bundle while it is valid so that a replica still serving the old certificate stays trusted.
func TestRenew(t *testing.T) {
	l := lifetimes{ca: 100 * time.Hour, caRenewBefore: 30 * time.Hour, serving: 20 * time.Hour, renewBefore: 5 * time.Hour}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

	data, changed, err := renew(nil, testHosts, t0, l)
	if err != nil || !changed {
		t.Fatalf("first renew: changed %v, err %v", changed, err)
	}
	first := verify(t, data, testHosts, t0)

	// Within the lifetime: nothing changes.
	same, changed, err := renew(data, testHosts, t0.Add(10*time.Hour), l)
	if err != nil || changed || !bytes.Equal(same[keyCert], data[keyCert]) {
		t.Fatalf("renew inside the lifetime changed something (changed %v, err %v)", changed, err)
	}

	// In the serving certificate's renewal window: a new one, same CA.
	at := t0.Add(16 * time.Hour)
	next, changed, err := renew(data, testHosts, at, l)
	if err != nil || !changed {
		t.Fatalf("renew in the window: changed %v, err %v", changed, err)
	}
	if !bytes.Equal(next[keyCABundle], data[keyCABundle]) || !bytes.Equal(next[keyCAKey], data[keyCAKey]) {
		t.Error("renewing the serving certificate changed the CA")
	}
	if c := verify(t, next, testHosts, at); c.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Error("the serving certificate was not replaced")
	}

	// A host the certificate does not name (the Service was renamed): a new certificate.
	moved := append([]string{"other.wukong-system.svc"}, testHosts...)
	renamed, changed, err := renew(next, moved, at, l)
	if err != nil || !changed {
		t.Fatalf("renew for a new host: changed %v, err %v", changed, err)
	}
	verify(t, renamed, moved, at)

	// In the CA's renewal window: a new CA first in the bundle, the old one kept, and the old serving
	// certificate still verifies against the new bundle.
	pre, _, err := renew(next, testHosts, t0.Add(69*time.Hour), l) // a serving certificate of the old CA
	if err != nil {
		t.Fatal(err)
	}
	at = t0.Add(75 * time.Hour)
	rotated, changed, err := renew(pre, testHosts, at, l)
	if err != nil || !changed {
		t.Fatalf("renew in the CA window: changed %v, err %v", changed, err)
	}
	bundle := parseCerts(rotated[keyCABundle])
	if len(bundle) != 2 || bundle[1].SerialNumber.Cmp(parseCerts(data[keyCABundle])[0].SerialNumber) != 0 {
		t.Fatalf("bundle has %d CAs, want the new one and the old one", len(bundle))
	}
	verify(t, rotated, testHosts, at)
	// The old serving certificate, as a replica that has not resynced yet serves it, is trusted by the bundle.
	verify(t, map[string][]byte{keyCABundle: rotated[keyCABundle], keyCert: pre[keyCert]}, testHosts, at)

	// Once the old CA has expired, it leaves the bundle.
	at = t0.Add(101 * time.Hour)
	pruned, _, err := renew(rotated, testHosts, at, l)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(parseCerts(pruned[keyCABundle])); n != 1 {
		t.Errorf("bundle has %d CAs after the old one expired, want 1", n)
	}
	verify(t, pruned, testHosts, at)

	// Garbage in the Secret is replaced.
	fixed, changed, err := renew(map[string][]byte{keyCABundle: []byte("x"), keyCert: []byte("y")}, testHosts, t0, l)
	if err != nil || !changed {
		t.Fatalf("renew of garbage: changed %v, err %v", changed, err)
	}
	verify(t, fixed, testHosts, t0)
}
