package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// apiServerStartTimeout is how long Outage.End waits for the restarted apiserver to be healthy; envtest's 20s
// default is short on a small shared machine.
const apiServerStartTimeout = 90 * time.Second

// Outage is a stopped kube-apiserver with etcd still running: clients get "connection refused" until End, and
// the cluster's state is kept.
type Outage struct {
	// Began is when the apiserver stopped accepting connections; End sets Ended to when it is healthy again.
	Began, Ended time.Time

	env     *Env
	addr    string
	certs   string
	stopped chan error
}

// StopAPIServer begins an apiserver outage and returns once the apiserver refuses connections.
//
// The kube-apiserver stops accepting connections at once on SIGTERM, but its graceful shutdown then waits for
// open watches, until envtest kills it after its StopTimeout (20s); that continues in the background, and End
// waits for it. envtest also deletes a generated certificate folder on Stop, and a restart would generate a
// new serving CA that neither Config nor Kubeconfig trusts; so the folder is copied first and the apiserver
// restarts from the copy: same port (envtest keeps the allocated one), same serving certificate, same client
// CA, so every user and kubeconfig stays valid.
func (e *Env) StopAPIServer() (*Outage, error) {
	api := e.env.ControlPlane.GetAPIServer()
	o := &Outage{
		env:     e,
		addr:    net.JoinHostPort(api.SecureServing.Address, api.SecureServing.Port),
		certs:   filepath.Join(e.dir, "apiserver-certs"),
		stopped: make(chan error, 1),
	}
	if api.CertDir != o.certs {
		if err := os.CopyFS(o.certs, os.DirFS(api.CertDir)); err != nil {
			return nil, fmt.Errorf("keep the apiserver's certificates from %s: %w", api.CertDir, err)
		}
	}
	go func() { o.stopped <- api.Stop() }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if !listening(o.addr) {
			o.Began = time.Now()
			return o, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the apiserver at %s still accepts connections 30s after SIGTERM", o.addr)
		}
	}
}

// End waits for the apiserver's stop to finish, starts it again and waits until it is healthy.
func (o *Outage) End() error {
	api := o.env.env.ControlPlane.GetAPIServer()
	if err := <-o.stopped; err != nil {
		// envtest reports a SIGKILL after its StopTimeout as an error; the process is gone all the same once
		// nothing listens.
		for deadline := time.Now().Add(10 * time.Second); listening(o.addr); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				return errors.Join(fmt.Errorf("stop the apiserver"), err)
			}
		}
	}
	api.CertDir = o.certs
	api.StartTimeout = max(api.StartTimeout, apiServerStartTimeout)
	if err := api.Start(); err != nil {
		return fmt.Errorf("restart the apiserver: %w", err)
	}
	o.Ended = time.Now()
	return nil
}

// listening reports whether something accepts TCP connections at addr.
func listening(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
