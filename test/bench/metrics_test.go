package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
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
	families, err := parseMetrics(raw)
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

// benchControllers are the manager's controllers, by the names their metrics carry.
var benchControllers = []string{"wukong", "wukongset"}

// managerCounts is a snapshot of the manager's own counters by controller: its finished reconciles
// (controller_runtime_reconcile_total, every result together) and the additions to its work queue
// (workqueue_adds_total). Reconciles against queue adds tell how much the queue deduplicated, and reconciles
// per member how often the operator looked at each member, which the apiserver's counts do not show: a
// reconcile that writes nothing costs no request.
type managerCounts struct {
	reconciles, queueAdds map[string]float64
}

// managerScrapeTimeout bounds one scrape of the manager's metrics endpoint.
const managerScrapeTimeout = 10 * time.Second

// scrapeManager reads the manager's counters from its plain-HTTP metrics endpoint at addr (host:port).
func scrapeManager(ctx context.Context, addr string) (managerCounts, error) {
	c := managerCounts{reconciles: map[string]float64{}, queueAdds: map[string]float64{}}
	ctx, cancel := context.WithTimeout(ctx, managerScrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, fmt.Errorf("scrape manager metrics: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return c, fmt.Errorf("scrape manager metrics: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("scrape manager metrics: http://%s/metrics: %s", addr, resp.Status)
	}
	families, err := parseMetrics(raw)
	if err != nil {
		return c, fmt.Errorf("parse manager metrics: %w", err)
	}
	if _, ok := families["controller_runtime_reconcile_total"]; !ok {
		return c, fmt.Errorf("manager metrics at http://%s/metrics have no controller_runtime_reconcile_total", addr)
	}
	sumBy := func(family, label string, into map[string]float64) {
		for _, m := range families[family].GetMetric() {
			for _, p := range m.GetLabel() {
				if p.GetName() == label && slices.Contains(benchControllers, p.GetValue()) {
					into[p.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	sumBy("controller_runtime_reconcile_total", "controller", c.reconciles)
	sumBy("workqueue_adds_total", "name", c.queueAdds)
	return c, nil
}

// since is the difference c − before.
func (c managerCounts) since(before managerCounts) managerCounts {
	d := managerCounts{reconciles: map[string]float64{}, queueAdds: map[string]float64{}}
	for k, v := range c.reconciles {
		d.reconciles[k] = v - before.reconciles[k]
	}
	for k, v := range c.queueAdds {
		d.queueAdds[k] = v - before.queueAdds[k]
	}
	return d
}

// parseMetrics parses the Prometheus text format of a /metrics answer into its metric families.
func parseMetrics(raw []byte) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(raw))
}
