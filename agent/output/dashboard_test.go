package output

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

var metricName = regexp.MustCompile(`\b(falco_events|falcosecurity_[a-z0-9_]+|falconer_[a-z0-9_]+)\b`)

// TestDashboardMetrics checks that every metric the Grafana dashboard in
// docs/grafana queries is one the agent exposes.
func TestDashboardMetrics(t *testing.T) {
	data, err := os.ReadFile("../../docs/grafana/falconer-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v", err)
	}
	m, _ := metricsFixture(t)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for _, mf := range mfs {
		exposed[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exposed[mf.GetName()+s] = true
			}
		}
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	queried := 0
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			queried++
			if !exposed[name] {
				t.Errorf("dashboard queries %s, which the agent does not expose (in %q)", name, e)
			}
		}
	}
	if queried < 10 {
		t.Errorf("dashboard queries only %d metrics", queried)
	}
}
