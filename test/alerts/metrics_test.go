package alerts

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	// Registers the operator's metrics on controller-runtime's registry, as the manager does.
	_ "github.com/novasphere/wukong/internal/metrics"
	// Registers controller-runtime's reconcile and work-queue metrics, as the manager does.
	_ "sigs.k8s.io/controller-runtime/pkg/controller"
)

// metricsDir is the operator's metrics package, relative to the repository root.
const metricsDir = "internal/metrics"

// definedMetric is a metric the operator defines: its name and its kind (Gauge, Counter, Histogram,
// Summary), from the prometheus.XxxOpts that declares it.
type definedMetric struct {
	name, kind string
}

// seriesNames are the names of the series a metric exposes.
func (m definedMetric) seriesNames() []string {
	switch m.kind {
	case "Histogram":
		return []string{m.name + "_bucket", m.name + "_sum", m.name + "_count"}
	case "Summary":
		return []string{m.name, m.name + "_sum", m.name + "_count"}
	}
	return []string{m.name}
}

// operatorMetrics reads internal/metrics's source for the metrics it declares, either as Name: "..." in a
// prometheus.XxxOpts literal or through a package helper that passes a parameter as the Name (gauge("...")),
// then checks that each is registered on controller-runtime's registry, which the manager serves.
func operatorMetrics(t *testing.T) []definedMetric {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot(), metricsDir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}

	// optsKind returns the metric kind of a prometheus.XxxOpts literal and its Name value.
	optsKind := func(cl *ast.CompositeLit) (kind string, name ast.Expr) {
		sel, ok := cl.Type.(*ast.SelectorExpr)
		if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
			return "", nil
		}
		if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "prometheus" {
			return "", nil
		}
		for _, e := range cl.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
					return strings.TrimSuffix(sel.Sel.Name, "Opts"), kv.Value
				}
			}
		}
		return "", nil
	}

	// Helpers: functions whose parameter becomes an Opts' Name.
	type helperParam struct {
		index int
		kind  string
	}
	helpers := map[string]helperParam{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			params := map[string]int{}
			i := 0
			for _, field := range fn.Type.Params.List {
				for _, n := range field.Names {
					params[n.Name] = i
					i++
				}
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				if cl, ok := n.(*ast.CompositeLit); ok {
					if kind, name := optsKind(cl); kind != "" {
						if id, ok := name.(*ast.Ident); ok {
							if idx, ok := params[id.Name]; ok {
								helpers[fn.Name.Name] = helperParam{idx, kind}
							}
						}
					}
				}
				return true
			})
		}
	}

	var out []definedMetric
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if kind, name := optsKind(n); kind != "" {
					if lit, ok := name.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, definedMetric{s, kind})
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok {
					if h, ok := helpers[id.Name]; ok && h.index < len(n.Args) {
						if lit, ok := n.Args[h.index].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							out = append(out, definedMetric{s, h.kind})
						}
					}
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("found no metric in %s", metricsDir)
	}
	for _, m := range out {
		if !registered(m.name) {
			t.Errorf("%s declares metric %s but does not register it on controller-runtime's registry", metricsDir, m.name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// registered reports whether a metric of that name is registered on controller-runtime's registry (the one
// the manager serves): registering a probe of the same name fails exactly when one is.
func registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe"})
	if err := ctrlmetrics.Registry.Register(probe); err != nil {
		return true
	}
	ctrlmetrics.Registry.Unregister(probe)
	return false
}

// unknownSeries returns the names in names that the manager does not serve. A name is served when it is a
// series of an operator metric (a histogram's _bucket, _sum and _count), Prometheus's own up, or a metric
// registered on controller-runtime's registry by controller-runtime itself (reconcile and work-queue
// metrics; a histogram's series by its base name).
func unknownSeries(ops []definedMetric, names []string) []string {
	own, base := map[string]bool{"up": true}, map[string]bool{}
	for _, m := range ops {
		base[m.name] = true
		for _, s := range m.seriesNames() {
			own[s] = true
		}
	}
	var bad []string
	for _, n := range names {
		if own[n] {
			continue
		}
		b := n
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if cut, ok := strings.CutSuffix(n, suffix); ok {
				b = cut
			}
		}
		// An operator metric with a series suffix it does not have (a gauge's _count) is not served.
		if !base[n] && !base[b] && (registered(n) || registered(b)) {
			continue
		}
		bad = append(bad, n)
	}
	return bad
}

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:group_left|group_right|without|ignoring|by|on)\s*\([^)]*\)`)
	promqlOffset   = regexp.MustCompile(`\boffset\s+-?[0-9a-zA-Z_$]+`)
	grafanaVar     = regexp.MustCompile(`\$\{?\w+(?::\w+)?\}?`)
	promqlIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promqlKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true,
		"on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true,
		"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
		"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true,
		"limit_ratio": true, "atan2": true,
	}
)

// metricNames returns the metric names a PromQL expression (possibly with Grafana variables) selects:
// identifiers that are not keywords, functions (followed by "("), label names (inside {} or a grouping
// list), durations or parts of numbers.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = grafanaVar.ReplaceAllString(s, " ")
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRanges.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	s = promqlOffset.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	var out []string
	for _, loc := range promqlIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if loc[0] > 0 {
			if prev := s[loc[0]-1]; prev >= '0' && prev <= '9' || prev == '.' {
				continue // the exponent or hex digits of a number
			}
		}
		if strings.HasPrefix(strings.TrimLeft(s[loc[1]:], " \t\n"), "(") || promqlKeywords[strings.ToLower(name)] {
			continue
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func TestMetricNamesParser(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`absent(up{job=~".*wukong.*"} == 1)`, []string{"up"}},
		{`sum by (namespace, wukongset) (rate(a_total{x="y(z)"}[5m])) / on (namespace) group_left (foo) b > 1e3`, []string{"a_total", "b"}},
		{`histogram_quantile(0.9, sum by (le) (increase(h_bucket{namespace=~"$namespace"}[$__range])))`, []string{"h_bucket"}},
		{`(x unless x offset 10m) and on (job) (up offset 10m)`, []string{"x", "up"}},
		{`max(y) without (pod) or vector(0) * 0x1F`, []string{"y"}},
	} {
		got := metricNames(tc.expr)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("metricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// TestRuleMetricsExist fails when an alert uses a metric the manager does not serve, such as a renamed one.
func TestRuleMetricsExist(t *testing.T) {
	ops := operatorMetrics(t)
	for _, r := range rules(t, loadRule(t)) {
		names := metricNames(r.Expr)
		if len(names) == 0 {
			t.Errorf("%s%s: found no metric in %q", r.Alert, r.Record, r.Expr)
		}
		if bad := unknownSeries(ops, names); len(bad) > 0 {
			t.Errorf("%s%s uses %v, which neither %s nor controller-runtime defines", r.Alert, r.Record, bad, metricsDir)
		}
	}
}

// TestMetricsDocumented requires a row in docs/alerts.md's metric table for every operator metric.
func TestMetricsDocumented(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "docs", "alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	ops := operatorMetrics(t)
	t.Logf("%d metrics in %s: %v", len(ops), metricsDir, ops)
	for _, m := range ops {
		if !strings.Contains(string(raw), "| `"+m.name+"` | "+strings.ToLower(m.kind)+" |") {
			t.Errorf("docs/alerts.md has no row for %s %s in its metrics table", strings.ToLower(m.kind), m.name)
		}
	}
}
