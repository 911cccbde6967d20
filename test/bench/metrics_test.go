package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"

	"github.com/novasphere/wukong/test/testenv"
)

// requests is a snapshot of the apiserver's own request counters (apiserver_request_total), by
// "VERB resource[/subresource]", with dry runs apart: a dry run writes nothing, but it costs the apiserver
// most of what a create costs, so it is counted as a request of its own kind.
type requests struct {
	real, dryRun map[string]float64
}

// scrapeRequests reads apiserver_request_total from the apiserver's /metrics.
func scrapeRequests(ctx context.Context, env *testenv.Env) (requests, error) {
	r := requests{real: map[string]float64{}, dryRun: map[string]float64{}}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		return r, err
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return r, fmt.Errorf("scrape apiserver metrics: %w", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		return r, fmt.Errorf("parse apiserver metrics: %w", err)
	}
	fam, ok := families["apiserver_request_total"]
	if !ok {
		return r, nil
	}
	for _, m := range fam.GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		into := r.real
		if l["dry_run"] != "" {
			into = r.dryRun
		}
		into[key] += m.GetCounter().GetValue()
	}
	return r, nil
}

// since is the difference r − before.
func (r requests) since(before requests) requests {
	d := requests{real: map[string]float64{}, dryRun: map[string]float64{}}
	for k, v := range r.real {
		if x := v - before.real[k]; x != 0 {
			d.real[k] = x
		}
	}
	for k, v := range r.dryRun {
		if x := v - before.dryRun[k]; x != 0 {
			d.dryRun[k] = x
		}
	}
	return d
}

// writes is the number of mutating requests to the given resources (every resource with none given).
func (r requests) writes(resources ...string) float64 { return sumWrites(r.real, resources) }

// dryRuns is the number of dry-run requests to the given resources (every resource with none given).
func (r requests) dryRuns(resources ...string) float64 { return sumWrites(r.dryRun, resources) }

// sumWrites sums the mutating requests of counts to resources (to every resource with none given). The
// apiserver labels a server-side apply APPLY, not PATCH.
func sumWrites(counts map[string]float64, resources []string) float64 {
	var n float64
	for key, v := range counts {
		verb, res, _ := strings.Cut(key, " ")
		if !writeVerbs[verb] || (len(resources) > 0 && !slices.Contains(resources, res)) {
			continue
		}
		n += v
	}
	return n
}

// writeVerbs are the verbs of apiserver_request_total that change (or, dry run, would change) an object.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}
