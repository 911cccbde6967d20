package webhook

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Keys of the certificate Secret. tls.crt and tls.key make it a kubernetes.io/tls Secret.
const (
	keyCABundle = "ca.crt" // the current CA first, then earlier CAs that have not expired
	keyCAKey    = "ca.key"
	keyCert     = "tls.crt"
	keyKey      = "tls.key"
)

// lifetimes say how long certificates live and how early they are renewed. Renewal starts long before
// expiry so that every replica, which rereads the Secret every resync interval, has the new certificate
// before the old one expires; a new CA joins the bundle next to the old one, so a replica still serving a
// certificate of the old CA stays trusted.
type lifetimes struct {
	ca, caRenewBefore    time.Duration
	serving, renewBefore time.Duration
}

var defaultLifetimes = lifetimes{
	ca: 10 * 365 * 24 * time.Hour, caRenewBefore: 365 * 24 * time.Hour,
	serving: 365 * 24 * time.Hour, renewBefore: 90 * 24 * time.Hour,
}

// renew returns the Secret data to store: data itself when the CA and serving certificate are valid for
// long enough and the certificate names hosts, else data with a new CA and/or serving certificate. changed
// says whether anything was replaced.
func renew(data map[string][]byte, hosts []string, now time.Time, l lifetimes) (out map[string][]byte, changed bool, err error) {
	out = map[string][]byte{}
	for k, v := range data {
		out[k] = v
	}
	bundle := parseCerts(data[keyCABundle])
	ca, caKey := currentCA(bundle, data[keyCAKey])
	if ca == nil || now.Add(l.caRenewBefore).After(ca.NotAfter) {
		certPEM, keyPEM, err := newCA(now, l.ca)
		if err != nil {
			return nil, false, err
		}
		// The old CA stays in the bundle while it is valid: certificates it signed are still being served.
		out[keyCABundle] = append(certPEM, encodeCerts(bundle, now)...)
		out[keyCAKey] = keyPEM
		bundle = parseCerts(out[keyCABundle])
		ca, caKey = currentCA(bundle, keyPEM)
		changed = true
	} else if pruned := encodeCerts(bundle, now); !bytes.Equal(pruned, data[keyCABundle]) {
		out[keyCABundle] = pruned
		changed = true
	}
	if changed || !servingValid(data[keyCert], data[keyKey], ca, hosts, now, l.renewBefore) {
		certPEM, keyPEM, err := newServing(ca, caKey, hosts, now, l.serving)
		if err != nil {
			return nil, false, err
		}
		out[keyCert], out[keyKey] = certPEM, keyPEM
		changed = true
	}
	return out, changed, nil
}

// currentCA is the bundle's first certificate with its key, or nil when they are missing or do not match.
func currentCA(bundle []*x509.Certificate, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey) {
	if len(bundle) == 0 || !bundle[0].IsCA {
		return nil, nil
	}
	key, err := parseKey(keyPEM)
	if err != nil || !key.PublicKey.Equal(bundle[0].PublicKey) {
		return nil, nil
	}
	return bundle[0], key
}

// servingValid reports whether the certificate and key match, were signed by ca, name every host and stay
// valid beyond the renewal window.
func servingValid(certPEM, keyPEM []byte, ca *x509.Certificate, hosts []string, now time.Time, renewBefore time.Duration) bool {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || cert.CheckSignatureFrom(ca) != nil || now.Add(renewBefore).After(cert.NotAfter) || now.Before(cert.NotBefore) {
		return false
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func newCA(now time.Time, lifetime time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "wukong-webhook-ca@" + now.UTC().Format(time.RFC3339)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, err
}

// newServing issues a serving certificate for hosts (DNS names or IP addresses), signed by ca.
func newServing(ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, now time.Time, lifetime time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate serving key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	// A certificate outlives no CA that signed it.
	if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create serving certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, err
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func parseKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	return x509.ParseECPrivateKey(block.Bytes)
}

// parseCerts returns the certificates of a PEM bundle, skipping what does not parse.
func parseCerts(bundle []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, bundle = pem.Decode(bundle)
		if block == nil {
			return out
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil && block.Type == "CERTIFICATE" {
			out = append(out, c)
		}
	}
}

// encodeCerts is the PEM bundle of the certificates that have not expired at now.
func encodeCerts(certs []*x509.Certificate, now time.Time) []byte {
	var b []byte
	for _, c := range certs {
		if now.Before(c.NotAfter) {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
	}
	return b
}
