package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
)

// Leader-election timings. controller-runtime's defaults (15s, 10s, 2s) lose leadership — and the manager
// exits with "leader election lost" — when the apiserver is unreachable for about 10s: the leader gives up
// RenewDeadline after its first failed renewal try. These survive an apiserver outage of 30s starting at any
// moment, with 10s to spare:
//
//   - After a renewal the leader waits RetryPeriod, then tries every RetryPeriod for up to RenewDeadline. An
//     outage from s to s+30s fails the tries from some p in [s, s+5s]; the leader gives up at p+45s ≥ s+45s,
//     and tries at p, p+5s, …, p+40s, so the first try after the apiserver is back (by s+35s) renews, and the
//     try at p+40s is a spare. Any outage shorter than RenewDeadline−RetryPeriod = 40s is survived.
//   - The price is LeaseDuration: a leader that dies without releasing the Lease (SIGKILL, node loss) is
//     replaced only LeaseDuration after a standby saw its last renewal — 60s plus up to two of the standby's
//     jittered retry intervals (5–11s each), instead of 15s plus 2–4.4s ones. A clean exit releases the Lease,
//     so a rolling upgrade hands over at the standby's next retry.
//   - Two leaders never act at once: the leader stops (the process exits) at the latest
//     RetryPeriod+RenewDeadline = 50s after its last renewal, while a standby takes the Lease only
//     LeaseDuration = 60s after it saw that renewal; during an outage neither can write anything; and every
//     Lease update carries the resourceVersion read, so of two writers only one succeeds.
const (
	DefaultLeaseDuration = 60 * time.Second
	DefaultRenewDeadline = 45 * time.Second
	DefaultRetryPeriod   = 5 * time.Second
)

// jitterFactor is client-go's leaderelection.JitterFactor: a standby's retries are spread up to 1.2 times
// RetryPeriod, and client-go refuses a RenewDeadline not longer than that.
const jitterFactor = 1.2

// validateLeaderElection checks the timings against each other, naming the flags that set them.
func (o Options) validateLeaderElection() error {
	if !o.LeaderElect {
		return nil
	}
	var errs []error
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--leader-elect-lease-duration", o.LeaseDuration},
		{"--leader-elect-renew-deadline", o.RenewDeadline},
		{"--leader-elect-retry-period", o.RetryPeriod},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s=%v: must be positive", d.flag, d.v))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("leader election: %w", errors.Join(errs...))
	}
	if o.LeaseDuration%time.Second != 0 {
		// The Lease stores whole seconds; a standby would wait the truncated duration.
		errs = append(errs, fmt.Errorf("--leader-elect-lease-duration=%v: must be whole seconds (the Lease stores seconds)", o.LeaseDuration))
	}
	if limit := time.Duration(jitterFactor * float64(o.RetryPeriod)); o.RenewDeadline <= limit {
		errs = append(errs, fmt.Errorf("--leader-elect-renew-deadline=%v must be longer than 1.2 × --leader-elect-retry-period=%v (%v), or the leader gets at most one renewal try",
			o.RenewDeadline, o.RetryPeriod, limit))
	}
	if acting := o.RenewDeadline + o.RetryPeriod; o.LeaseDuration <= acting {
		errs = append(errs, fmt.Errorf("--leader-elect-lease-duration=%v must be longer than --leader-elect-renew-deadline + --leader-elect-retry-period (%v): a leader that cannot renew keeps acting that long, and a standby takes over after the lease duration",
			o.LeaseDuration, acting))
	}
	if len(errs) > 0 {
		return fmt.Errorf("leader election: %w", errors.Join(errs...))
	}
	return nil
}

// leaderElectionRequestTimeout bounds each request of a renewal try. controller-runtime sets the lease
// client's rest.Config.Timeout to RenewDeadline/2 (22.5s by default). That does not matter when the apiserver
// refuses connections (a try fails in milliseconds), but when requests hang (an unreachable address, a stalled
// connection) a try — an Update, then a Get — would take the whole RenewDeadline: one try, no retry after the
// apiserver is back. Bounded by RetryPeriod, a hung try takes at most two of them, so the leader still tries at
// least every 10s and renews within 10s of the apiserver answering again.
func leaderElectionRequestTimeout(o Options) time.Duration {
	return max(min(o.RetryPeriod, o.RenewDeadline/4), time.Second)
}

// leaderElectionConfig is the rest.Config of the leader-election client: cfg with every request bounded by
// leaderElectionRequestTimeout. controller-runtime overwrites rest.Config.Timeout, so the bound is a transport
// wrapper, which it keeps. Without leader election it is nil: controller-runtime would still build clients for it.
func leaderElectionConfig(cfg *rest.Config, o Options) *rest.Config {
	if !o.LeaderElect {
		return nil
	}
	lc := rest.CopyConfig(cfg)
	timeout := leaderElectionRequestTimeout(o)
	lc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &timeoutRoundTripper{next: rt, timeout: timeout} })
	return lc
}

// timeoutRoundTripper ends each request after timeout, including reading its response body.
type timeoutRoundTripper struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// WrappedRoundTripper lets client-go's debugging wrappers see through this one.
func (t *timeoutRoundTripper) WrappedRoundTripper() http.RoundTripper { return t.next }

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
