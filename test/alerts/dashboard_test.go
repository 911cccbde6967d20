package alerts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dashboardFile is the Grafana dashboard, relative to the repository root.
const dashboardFile = "config/grafana/wukong-dashboard.json"

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    *struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		Expr       string         `json:"expr"`
		RefID      string         `json:"refId"`
		Datasource *datasourceRef `json:"datasource"`
	} `json:"targets"`
	// Panels are the panels of a collapsed row.
	Panels []panel `json:"panels"`
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string         `json:"name"`
			Type       string         `json:"type"`
			Query      any            `json:"query"`
			Datasource *datasourceRef `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$`)

// TestDashboard checks that the dashboard is valid JSON Grafana can import, queries the Prometheus chosen
// in its datasource variable, filters by namespace and set variables, and uses only metrics the manager
// serves, and that it shows every metric the operator defines.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(), dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want a uid, a title and schemaVersion >= 36", d.UID, d.Title, d.SchemaVersion)
	}
	ops := operatorMetrics(t)
	own := map[string]bool{}
	for _, m := range ops {
		for _, s := range m.seriesNames() {
			own[s] = true
		}
	}
	// wukong_build_info describes the manager process, not a set: it has no set labels to filter by.
	buildInfo := map[string]bool{"wukong_build_info": true}
	used := map[string]bool{}
	check := func(where, expr string) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: found no metric in %q", where, expr)
		}
		for _, n := range names {
			used[n] = true
		}
		if bad := unknownSeries(ops, names); len(bad) > 0 {
			t.Errorf("%s uses %v, which neither %s nor controller-runtime defines", where, bad, metricsDir)
		}
	}

	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type != "query" {
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			t.Errorf("variable %s: datasource %v, want uid ${datasource}", v.Name, v.Datasource)
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: query %q, want label_values(<metric>, <label>)", v.Name, q)
			continue
		}
		check("variable "+v.Name, m[1])
	}
	for name, typ := range map[string]string{"datasource": "datasource", "namespace": "query", "wukongset": "query"} {
		if vars[name] != typ {
			t.Errorf("templating: variable %s is %q, want a %s variable", name, vars[name], typ)
		}
	}

	ids := map[int]string{}
	var walk func(panels []panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			where := "panel " + p.Title
			if prev, dup := ids[p.ID]; dup || p.ID == 0 {
				t.Errorf("%s: id %d is missing or also panel %s's", where, p.ID, prev)
			}
			ids[p.ID] = p.Title
			if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: gridPos %+v", where, p.GridPos)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("%s: datasource %v, want uid ${datasource}", where, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no queries", where)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if refs[tg.RefID] || tg.RefID == "" {
					t.Errorf("%s: refId %q missing or repeated", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if tg.Datasource != nil && tg.Datasource.UID != "${datasource}" {
					t.Errorf("%s, query %s: datasource %v, want uid ${datasource}", where, tg.RefID, tg.Datasource)
				}
				check(where+", query "+tg.RefID, tg.Expr)
				// Queries of the operator's per-set metrics follow the dashboard's variables; controller-runtime's
				// metrics have no set labels.
				perSet := slices.ContainsFunc(metricNames(tg.Expr), func(n string) bool { return own[n] && !buildInfo[n] })
				if perSet && (!strings.Contains(tg.Expr, `namespace=~"$namespace"`) || !strings.Contains(tg.Expr, `wukongset=~"$wukongset"`)) {
					t.Errorf("%s, query %s: %q does not filter by $namespace and $wukongset", where, tg.RefID, tg.Expr)
				}
			}
		}
	}
	walk(d.Panels)

	for _, m := range ops {
		shown := false
		for _, s := range m.seriesNames() {
			shown = shown || used[s]
		}
		if !shown {
			t.Errorf("the dashboard shows no series of %s", m.name)
		}
	}
}
