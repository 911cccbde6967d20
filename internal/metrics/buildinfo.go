package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/novasphere/wukong/internal/version"
)

// BuildInfo is wukong_build_info: always 1, labelled with the build's version, git commit and Go version
// (internal/version), as Prometheus' own prometheus_build_info is. A query joins it to tell which build of
// the operator runs where: count by (version) (wukong_build_info).
var BuildInfo = newBuildInfo(version.Get())

func newBuildInfo(info version.Info) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wukong_build_info",
		Help: "Build information of the Wukong operator: version, git commit and Go version; always 1.",
	}, []string{"version", "git_commit", "go_version"})
	g.WithLabelValues(info.Version, info.GitCommit, info.GoVersion).Set(1)
	return g
}

func init() {
	metrics.Registry.MustRegister(BuildInfo)
}
