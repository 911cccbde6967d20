package alerts

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const (
	// ruleFile is the PrometheusRule, relative to the repository root.
	ruleFile = "config/prometheus/prometheus_rule.yaml"
	// testsDir holds the promtool rule unit tests.
	testsDir = "config/prometheus/tests"
	// extractedRules is the plain rule file the unit tests' rule_files name; it is written next to them.
	extractedRules = "wukong-alerts.rules.yaml"
	// runbookBase is what every runbook_url starts with, followed by "#" and a heading's anchor.
	runbookBase = "https://github.com/novasphere/wukong/blob/main/docs/alerts.md"
)

// repoRoot is the repository's root folder, two levels above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// prometheusRule is the part of a monitoring.coreos.com/v1 PrometheusRule the tests read. Groups stay raw so
// that the extracted rule file is exactly what the object holds.
type prometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Groups []map[string]any `json:"groups"`
	} `json:"spec"`
}

// rule is one alerting or recording rule.
type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func loadRule(t *testing.T) prometheusRule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), ruleFile))
	if err != nil {
		t.Fatal(err)
	}
	var pr prometheusRule
	if err := yaml.Unmarshal(raw, &pr); err != nil {
		t.Fatalf("%s: %v", ruleFile, err)
	}
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
		t.Fatalf("%s is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", ruleFile, pr.APIVersion, pr.Kind)
	}
	if len(pr.Spec.Groups) == 0 {
		t.Fatalf("%s has no spec.groups", ruleFile)
	}
	return pr
}

// rules returns every rule of every group, in file order.
func rules(t *testing.T, pr prometheusRule) []rule {
	t.Helper()
	var out []rule
	for _, g := range pr.Spec.Groups {
		raw, err := yaml.Marshal(g["rules"])
		if err != nil {
			t.Fatal(err)
		}
		var rs []rule
		if err := yaml.UnmarshalStrict(raw, &rs); err != nil {
			t.Fatalf("group %v: %v", g["name"], err)
		}
		out = append(out, rs...)
	}
	return out
}

func alerts(t *testing.T) []rule {
	t.Helper()
	var out []rule
	for _, r := range rules(t, loadRule(t)) {
		if r.Alert != "" {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatal("no alerts")
	}
	return out
}

// writeRulesFile writes the PrometheusRule's spec.groups as a plain Prometheus rule file, which is what
// promtool reads, to dir/extractedRules.
func writeRulesFile(t *testing.T, dir string) string {
	t.Helper()
	out, err := yaml.Marshal(map[string]any{"groups": loadRule(t).Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, extractedRules)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var promtoolOnce struct {
	sync.Once
	path string
	err  error
}

// promtool returns the promtool binary: $PROMTOOL when set, else hack/promtool.sh's cached build (which
// builds it on first use, several minutes when the Go build cache is cold).
func promtool(t *testing.T) string {
	t.Helper()
	promtoolOnce.Do(func() {
		if p := os.Getenv("PROMTOOL"); p != "" {
			promtoolOnce.path = p
			return
		}
		cmd := exec.Command("bash", filepath.Join(repoRoot(), "hack", "promtool.sh"))
		cmd.Dir = repoRoot()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			promtoolOnce.err = fmt.Errorf("hack/promtool.sh: %w\n%s", err, stderr.String())
			return
		}
		promtoolOnce.path = strings.TrimSpace(string(out))
	})
	if promtoolOnce.err != nil {
		t.Fatal(promtoolOnce.err)
	}
	return promtoolOnce.path
}

// runPromtool runs promtool in dir and fails the test with its output when it fails.
func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func TestPromtoolCheckRules(t *testing.T) {
	dir := t.TempDir()
	writeRulesFile(t, dir)
	runPromtool(t, dir, "check", "rules", extractedRules)
}

// TestPromtoolRuleUnitTests runs every test file of config/prometheus/tests against the extracted rules.
func TestPromtoolRuleUnitTests(t *testing.T) {
	dir := t.TempDir()
	writeRulesFile(t, dir)
	files := testFiles(t)
	var names []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f))
	}
	runPromtool(t, dir, append([]string{"test", "rules"}, names...)...)
}

func testFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(), testsDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests in %s (%v)", testsDir, err)
	}
	return files
}

// unitTests is the part of a promtool rule test file the coverage check reads.
type unitTests struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		Name           string `json:"name"`
		AlertRuleTests []struct {
			EvalTime  string `json:"eval_time"`
			Alertname string `json:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `json:"exp_labels"`
				ExpAnnotations map[string]string `json:"exp_annotations"`
			} `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// TestEveryAlertIsUnitTested requires, for every alert, a unit test evaluation where it fires with its
// labels and every annotation spelled out, and one where it does not fire.
func TestEveryAlertIsUnitTested(t *testing.T) {
	fires, silent := map[string]int{}, map[string]int{}
	for _, f := range testFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ut unitTests
		if err := yaml.Unmarshal(raw, &ut); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !slices.Equal(ut.RuleFiles, []string{extractedRules}) {
			t.Errorf("%s: rule_files = %v, want [%s] (the file test/alerts extracts)", f, ut.RuleFiles, extractedRules)
		}
		for _, tc := range ut.Tests {
			for _, a := range tc.AlertRuleTests {
				if len(a.ExpAlerts) == 0 {
					silent[a.Alertname]++
					continue
				}
				fires[a.Alertname]++
				for _, e := range a.ExpAlerts {
					if e.ExpLabels["severity"] == "" {
						t.Errorf("test %q, %s at %s: exp_labels has no severity", tc.Name, a.Alertname, a.EvalTime)
					}
					for _, k := range []string{"summary", "description", "runbook_url"} {
						if e.ExpAnnotations[k] == "" {
							t.Errorf("test %q, %s at %s: exp_annotations has no %s", tc.Name, a.Alertname, a.EvalTime, k)
						}
					}
				}
			}
		}
	}
	known := map[string]bool{}
	for _, a := range alerts(t) {
		known[a.Alert] = true
		if fires[a.Alert] == 0 {
			t.Errorf("%s: no unit test where it fires", a.Alert)
		}
		if silent[a.Alert] == 0 {
			t.Errorf("%s: no unit test where it does not fire", a.Alert)
		}
	}
	for name := range fires {
		if !known[name] {
			t.Errorf("unit tests expect alert %s, which the rule does not define", name)
		}
	}
}

// TestAlertsAnnotated checks each alert's severity and annotations, and that its runbook_url is a heading of
// docs/alerts.md.
func TestAlertsAnnotated(t *testing.T) {
	anchors := docAnchors(t)
	seen := map[string]bool{}
	for _, a := range alerts(t) {
		if seen[a.Alert] {
			t.Errorf("alert %s defined twice", a.Alert)
		}
		seen[a.Alert] = true
		if s := a.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", a.Alert, s)
		}
		for _, k := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(a.Annotations[k]) == "" {
				t.Errorf("%s: no %s annotation", a.Alert, k)
			}
		}
		// A per-set alert names the set.
		if strings.HasPrefix(a.Alert, "WukongSet") &&
			!strings.Contains(a.Annotations["description"], "{{ $labels.namespace }}/{{ $labels.wukongset }}") {
			t.Errorf("%s: description does not name the set with {{ $labels.namespace }}/{{ $labels.wukongset }}", a.Alert)
		}
		url, anchor, ok := strings.Cut(a.Annotations["runbook_url"], "#")
		if !ok || url != runbookBase {
			t.Errorf("%s: runbook_url %q, want %s#<anchor>", a.Alert, a.Annotations["runbook_url"], runbookBase)
			continue
		}
		if !anchors[anchor] {
			t.Errorf("%s: runbook_url anchor #%s is not a heading of docs/alerts.md", a.Alert, anchor)
		}
		if anchor != strings.ToLower(a.Alert) {
			t.Errorf("%s: runbook_url anchor #%s, want #%s (the section named after the alert)", a.Alert, anchor, strings.ToLower(a.Alert))
		}
	}
}

var (
	heading   = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*$`)
	localLink = regexp.MustCompile(`\]\(#([^)]+)\)`)
	codeFence = regexp.MustCompile("(?ms)^```.*?^```")
)

// docAnchors returns the anchors GitHub gives docs/alerts.md's headings, and fails on a link within the
// file to an anchor that does not exist.
func docAnchors(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "docs", "alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := codeFence.ReplaceAllString(string(raw), "") // "# comment" lines in shell blocks are no headings.
	anchors := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(doc, -1) {
		anchors[githubSlug(m[1])] = true
	}
	for _, m := range localLink.FindAllStringSubmatch(doc, -1) {
		if !anchors[m[1]] {
			t.Errorf("docs/alerts.md links to #%s, which is not a heading", m[1])
		}
	}
	return anchors
}

// githubSlug is the anchor GitHub derives from a heading: lower case, punctuation dropped, spaces to dashes.
func githubSlug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// TestKustomizeBuildsRule checks that config/prometheus installs the rule as wukong-alerts in wukong-system.
func TestKustomizeBuildsRule(t *testing.T) {
	opts := krusty.MakeDefaultOptions()
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(), "config", "prometheus"))
	if err != nil {
		t.Fatalf("kustomize build config/prometheus: %v", err)
	}
	var found []string
	for _, r := range res.Resources() {
		if r.GetKind() == "PrometheusRule" {
			found = append(found, r.GetNamespace()+"/"+r.GetName())
		}
	}
	if !slices.Equal(found, []string{"wukong-system/wukong-alerts"}) {
		t.Errorf("config/prometheus builds PrometheusRules %v, want [wukong-system/wukong-alerts]", found)
	}
}

// chartRuleSpec is where the wukong-operator chart keeps the rule's spec, read with .Files.Get so that Helm
// does not take the alerts' {{ $labels }} templates for its own.
const chartRuleSpec = "charts/wukong-operator/files/alerts.yaml"

// TestChartRuleMatches fails when the chart's copy of the rule differs from config/prometheus's.
func TestChartRuleMatches(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(), chartRuleSpec))
	if os.IsNotExist(err) {
		t.Skipf("%s does not exist (the chart installs no PrometheusRule)", chartRuleSpec)
	}
	if err != nil {
		t.Fatal(err)
	}
	var chart, want any
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatalf("%s: %v", chartRuleSpec, err)
	}
	groups, err := yaml.Marshal(map[string]any{"groups": loadRule(t).Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(groups, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(chart, want) {
		t.Errorf("%s differs from the spec of %s; copy it again:\n%s", chartRuleSpec, ruleFile, groups)
	}
}
