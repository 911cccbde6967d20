package testenv

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// APIRequests reads the apiserver's own request counters (apiserver_request_total) and returns them by
// "VERB resource[/subresource]", dry runs excluded. Tests and benchmarks count API calls with it: the
// apiserver's figures, not the client's.
func (e *Env) APIRequests(ctx context.Context) (map[string]float64, error) {
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return nil, err
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("scrape apiserver metrics: %w", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("parse apiserver metrics: %w", err)
	}
	out := map[string]float64{}
	fam, ok := families["apiserver_request_total"]
	if !ok {
		return out, nil
	}
	for _, m := range fam.GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if l["dry_run"] != "" {
			continue
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		out[key] += m.GetCounter().GetValue()
	}
	return out, nil
}

// Writes sums the mutating requests (POST, PUT, PATCH, DELETE) of the given resources in a difference of two
// APIRequests snapshots.
func Writes(before, after map[string]float64, resources ...string) float64 {
	var n float64
	for key, v := range after {
		verb, res, _ := strings.Cut(key, " ")
		switch verb {
		case "POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION":
		default:
			continue
		}
		for _, r := range resources {
			if res == r {
				n += v - before[key]
			}
		}
	}
	return n
}
