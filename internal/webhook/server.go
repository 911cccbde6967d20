package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/novasphere/wukong/internal/template"
)

// The webhook reads and writes its own configuration and certificate Secret. Create and delete of the
// configuration are for self-registration (a manager outside the cluster); RBAC cannot limit create to a
// name. Secrets are already the controllers' (cloud-init); the rule is repeated for what this package calls.
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,resourceNames=wukong-validating-webhook,verbs=get;update;delete
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update

// A scale request carries only the replica count: the validator reads the set itself, live (get).
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets,verbs=get

// setupTimeout bounds the first certificate and configuration sync in Setup.
const setupTimeout = 30 * time.Second

// Server serves the webhook over TLS with the managed certificate and keeps the certificate and the
// configuration up to date. It runs in every replica (the Service sends reviews to any ready pod), not only
// the leader. It is a controller-runtime webhook.Server so the manager starts it before its caches.
type Server struct {
	opts     Options
	log      logr.Logger
	listener net.Listener
	mux      *http.ServeMux
	certs    *certSync
	started  atomic.Bool
}

var _ crwebhook.Server = (*Server)(nil)

// Setup adds the webhook to mgr. The listener is bound, the certificate loaded (created the first time) and
// the configuration written before Setup returns, so a set applied as soon as the manager starts is checked:
// the apiserver's connection waits in the listen queue until the manager serves. With a negative port, or
// outside a pod without a namespace, the webhook is off and Setup only logs it.
func Setup(mgr ctrl.Manager, engine *template.Engine, o Options) (*Server, error) {
	log := mgr.GetLogger().WithName("webhook")
	if o.Port < 0 {
		log.Info("admission webhook disabled (negative port)")
		return nil, nil
	}
	ns, ok := o.namespace()
	if !ok {
		log.Info("admission webhook disabled: not in a pod and no --webhook-namespace; WukongSets are checked by the controller only")
		return nil, nil
	}
	o.Namespace = ns
	if err := o.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, strconv.Itoa(o.Port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the admission webhook: %w", err)
	}
	s := &Server{opts: o, log: log, listener: ln, mux: http.NewServeMux()}
	s.certs = &certSync{
		reader: mgr.GetAPIReader(), writer: mgr.GetClient(), opts: o, hosts: s.hosts(), life: defaultLifetimes,
	}
	if o.SelfRegister {
		s.certs.url = "https://" + net.JoinHostPort(o.Host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)) + Path
	}
	hook := &admission.Webhook{Handler: &Validator{Renderer: &setmember.Renderer{Engine: engine}, Reader: mgr.GetAPIReader()}}
	s.Register(Path, hook)

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := s.certs.sync(ctx); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("admission webhook certificates: %w", err)
	}
	if err := mgr.Add(s); err != nil {
		s.certs.unregister(context.Background())
		_ = ln.Close()
		return nil, err
	}
	if err := mgr.AddReadyzCheck("webhook", s.ready); err != nil {
		return nil, err
	}
	log.Info("admission webhook set up", "address", ln.Addr().String(), "namespace", o.Namespace,
		"secret", o.SecretName, "selfRegister", o.SelfRegister, "url", s.certs.url)
	return s, nil
}

// Addr is the address the webhook listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// hosts are the names the serving certificate must hold: the Service's, as the apiserver calls it, and the
// host of a self-registered URL.
func (s *Server) hosts() []string {
	svc := s.opts.ServiceName + "." + s.opts.Namespace + ".svc"
	hosts := []string{svc, svc + ".cluster.local"}
	if s.opts.Host != "" {
		hosts = append(hosts, s.opts.Host)
	}
	return hosts
}

// NeedLeaderElection is false: every replica answers reviews.
func (*Server) NeedLeaderElection() bool { return false }

// Register serves hook at path.
func (s *Server) Register(path string, hook http.Handler) { s.mux.Handle(path, hook) }

// WebhookMux is the server's mux.
func (s *Server) WebhookMux() *http.ServeMux { return s.mux }

// StartedChecker passes once the server serves.
func (s *Server) StartedChecker() healthz.Checker { return s.ready }

func (s *Server) ready(*http.Request) error {
	if !s.started.Load() {
		return errors.New("admission webhook not serving yet")
	}
	if s.certs.current.Load() == nil {
		return errors.New("admission webhook has no certificate")
	}
	return nil
}

// Start serves until ctx ends, re-syncing the certificate every ResyncInterval; a self-registered
// configuration is removed before the server stops, so a stopped manager leaves no webhook that refuses
// every set.
func (s *Server) Start(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// HTTP/2 is off against the rapid-reset and stream-cancellation CVEs, as for the metrics server.
			NextProtos: []string{"http/1.1"},
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				return s.certs.current.Load(), nil
			},
		},
	}
	served := make(chan error, 1)
	s.started.Store(true)
	go func() { served <- srv.ServeTLS(s.listener, "", "") }()

	ticker := time.NewTicker(s.opts.ResyncInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if err := s.certs.sync(ctx); err != nil {
				// The current certificate stays valid for months; the next tick tries again.
				s.log.Error(err, "sync the admission webhook's certificate and configuration")
			}
		case err := <-served:
			s.certs.unregister(context.Background())
			return fmt.Errorf("admission webhook stopped serving: %w", err)
		case <-ctx.Done():
			s.certs.unregister(context.Background())
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		}
	}
}
