// Package alerts checks the operator's monitoring: the PrometheusRule in config/prometheus passes
// `promtool check rules` and the promtool rule unit tests in config/prometheus/tests, every alert links to
// a runbook section of docs/alerts.md, and every metric the alerts and the Grafana dashboard in
// config/grafana use is one the manager registers (internal/metrics, controller-runtime) or Prometheus's up.
// promtool is built once from the Go module proxy by hack/promtool.sh and cached; no apiserver is needed.
package alerts
