package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// ---- cluster_drs_recommendations ----

// DRSAction is one action of a recommendation.
type DRSAction struct {
	Type     string `json:"type" jsonschema:"migrate, placement, power-on, host power, … as vCenter names it"`
	VM       string `json:"vm,omitempty"`
	VMID     string `json:"vm_id,omitempty"`
	FromHost string `json:"from_host,omitempty"`
	ToHost   string `json:"to_host,omitempty"`
	Target   string `json:"target,omitempty" jsonschema:"The object acted on, when not a VM move"`
}

// DRSRecommendation is one DRS recommendation of a cluster.
type DRSRecommendation struct {
	Key        string      `json:"key" jsonschema:"Pass it to cluster_drs_apply"`
	Rating     int32       `json:"rating" jsonschema:"1 (least) … 5 (most important)"`
	Reason     string      `json:"reason"`
	ReasonText string      `json:"reason_text,omitempty"`
	Warning    string      `json:"warning,omitempty"`
	Time       string      `json:"time,omitempty"`
	Actions    []DRSAction `json:"actions"`
	Hidden     int         `json:"hidden,omitempty" jsonschema:"Actions on objects outside your scope, not shown"`
}

// DRSRecommendations is cluster_drs_recommendations' result.
type DRSRecommendations struct {
	Cluster         string              `json:"cluster"`
	ID              string              `json:"id"`
	Recommendations []DRSRecommendation `json:"recommendations"`
}

// Text renders one row per action.
func (r DRSRecommendations) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %s (%s): %d DRS recommendations\n", toolkit.Name(r.Cluster), r.ID, len(r.Recommendations))
	if len(r.Recommendations) == 0 {
		return b.String()
	}
	t := toolkit.NewTable("key", "rating", "reason", "action", "vm", "from_host", "to_host", "target", toolkit.DataColumn("reason_text"))
	for _, rec := range r.Recommendations {
		text := toolkit.Quote(rec.ReasonText, toolkit.NameMax)
		if len(rec.Actions) == 0 {
			t.Row(rec.Key, toolkit.Itoa(int(rec.Rating)), rec.Reason, "", "", "", "", "", text)
		}
		for _, a := range rec.Actions {
			t.Row(rec.Key, toolkit.Itoa(int(rec.Rating)), rec.Reason, a.Type, a.VM, a.FromHost, a.ToHost, a.Target, text)
		}
	}
	b.WriteString(t.String())
	return b.String()
}

func clusterDRSRecommendations() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "cluster_drs_recommendations",
		Title: "List a cluster's DRS recommendations",
		Description: "List the DRS recommendations vCenter holds for a cluster (with DRS manual or partially automated): key, rating, reason and " +
			"actions such as moving a VM from one host to another. Apply them with cluster_drs_apply.",
		Risk: policy.RiskRead,
	}, func(ctx context.Context, d toolkit.Deps, a ClusterArgs) (DRSRecommendations, error) {
		var out DRSRecommendations
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "ClusterComputeResource", a.Cluster)
			if err != nil {
				return err
			}
			out, _, err = readRecommendations(ctx, c, o)
			return err
		})
		return out, err
	})
}

// readRecommendations reads a cluster's recommendations, naming the
// objects of their actions as far as the caller's scope shows them.
func readRecommendations(ctx context.Context, c *vcenter.Conn, o vcenter.Object) (DRSRecommendations, []types.ClusterRecommendation, error) {
	out := DRSRecommendations{Cluster: o.Name, ID: o.ID(), Recommendations: []DRSRecommendation{}}
	var cl mo.ClusterComputeResource
	if err := c.ReadOne(ctx, o, []string{"recommendation"}, &cl); err != nil {
		return out, nil, err
	}
	var refs []types.ManagedObjectReference
	for _, rec := range cl.Recommendation {
		for _, act := range rec.Action {
			refs = append(refs, actionRefs(act)...)
		}
	}
	names, err := c.VisibleNames(ctx, refs)
	if err != nil {
		return out, nil, err
	}
	for _, rec := range cl.Recommendation {
		r := DRSRecommendation{Key: rec.Key, Rating: rec.Rating, Reason: rec.Reason, ReasonText: rec.ReasonText, Warning: rec.WarningText, Actions: []DRSAction{}}
		if !rec.Time.IsZero() {
			r.Time = rec.Time.UTC().Format(time.RFC3339)
		}
		for _, act := range rec.Action {
			a, ok := describeAction(act, names)
			if !ok {
				r.Hidden++
				continue
			}
			r.Actions = append(r.Actions, a)
		}
		out.Recommendations = append(out.Recommendations, r)
	}
	return out, cl.Recommendation, nil
}

// actionRefs are the objects an action names.
func actionRefs(act types.BaseClusterAction) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	base := act.GetClusterAction()
	if base.Target != nil {
		out = append(out, *base.Target)
	}
	switch x := act.(type) {
	case *types.ClusterMigrationAction:
		if m := x.DrsMigration; m != nil {
			out = append(out, m.Vm, m.Source, m.Destination)
		}
	case *types.PlacementAction:
		if x.Vm != nil {
			out = append(out, *x.Vm)
		}
		if x.TargetHost != nil {
			out = append(out, *x.TargetHost)
		}
	}
	return out
}

// describeAction renders an action; ok is false when it names an object
// the caller's scope does not show.
func describeAction(act types.BaseClusterAction, names map[types.ManagedObjectReference]string) (DRSAction, bool) {
	for _, r := range actionRefs(act) {
		if _, ok := names[r]; !ok {
			return DRSAction{}, false
		}
	}
	base := act.GetClusterAction()
	out := DRSAction{Type: base.Type}
	switch x := act.(type) {
	case *types.ClusterMigrationAction:
		if m := x.DrsMigration; m != nil {
			out.VM, out.VMID = names[m.Vm], m.Vm.Value
			out.FromHost, out.ToHost = names[m.Source], names[m.Destination]
			return out, true
		}
	case *types.PlacementAction:
		if x.Vm != nil {
			out.VM, out.VMID = names[*x.Vm], x.Vm.Value
		}
		if x.TargetHost != nil {
			out.ToHost = names[*x.TargetHost]
		}
		return out, true
	}
	if base.Target != nil {
		out.Target = names[*base.Target]
		if base.Target.Type == "VirtualMachine" {
			out.VM, out.VMID, out.Target = out.Target, base.Target.Value, ""
		}
	}
	return out, true
}

// ---- cluster_drs_apply ----

// ClusterDRSApplyArgs names the recommendations to apply.
type ClusterDRSApplyArgs struct {
	ClusterArgs
	Keys []string `json:"keys,omitempty" jsonschema:"The recommendations' keys, from cluster_drs_recommendations"`
	All  bool     `json:"all,omitempty" jsonschema:"Apply every recommendation the cluster has now"`
}

func (a *ClusterDRSApplyArgs) Validate() error {
	if err := a.ClusterArgs.Validate(); err != nil {
		return err
	}
	if (len(a.Keys) > 0) == a.All {
		return errors.New("give either keys (from cluster_drs_recommendations) or all=true")
	}
	if len(a.Keys) > 100 {
		return errors.New("at most 100 keys at once")
	}
	for _, k := range a.Keys {
		if strings.TrimSpace(k) == "" || len(k) > 64 {
			return fmt.Errorf("key %s is not a recommendation key (cluster_drs_recommendations lists them)", toolkit.Name(k))
		}
	}
	return nil
}

// DRSApplied is the outcome of applying one recommendation.
type DRSApplied struct {
	Key     string      `json:"key"`
	Outcome string      `json:"outcome" jsonschema:"done or failed"`
	Actions []DRSAction `json:"actions"`
	Error   string      `json:"error,omitempty"`
}

// DRSApplyResult is cluster_drs_apply's result.
type DRSApplyResult struct {
	Cluster   string       `json:"cluster"`
	ID        string       `json:"id"`
	Results   []DRSApplied `json:"results"`
	Succeeded int          `json:"succeeded"`
	Failed    int          `json:"failed"`
	Remaining int          `json:"remaining" jsonschema:"Recommendations the cluster still has afterwards"`
}

// Text renders a row per recommendation.
func (r DRSApplyResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Apply DRS recommendations on cluster %s (%s): %d done, %d failed, %d remaining\n", toolkit.Name(r.Cluster), r.ID, r.Succeeded, r.Failed, r.Remaining)
	t := toolkit.NewTable("key", "outcome", "actions", "error")
	for _, x := range r.Results {
		var acts []string
		for _, a := range x.Actions {
			if a.VM != "" && a.ToHost != "" {
				acts = append(acts, fmt.Sprintf("%s %s → %s", a.Type, a.VM, a.ToHost))
			} else {
				acts = append(acts, strings.TrimSpace(a.Type+" "+a.VM+a.Target))
			}
		}
		t.Row(x.Key, x.Outcome, strings.Join(acts, "; "), x.Error)
	}
	b.WriteString(t.String())
	return b.String()
}

func clusterDRSApply() toolkit.Tool {
	return toolkit.Define(toolkit.Spec{
		Name:  "cluster_drs_apply",
		Title: "Apply DRS recommendations",
		Description: "Apply DRS recommendations of a cluster, by keys (from cluster_drs_recommendations) or all=true: vCenter carries out their " +
			"actions (vMotions, power-ons). Unknown keys are refused before anything is applied.",
		Risk: policy.RiskWrite,
	}, func(ctx context.Context, d toolkit.Deps, a ClusterDRSApplyArgs) (DRSApplyResult, error) {
		var out DRSApplyResult
		err := d.Session.Do(ctx, func(c *vcenter.Conn) error {
			o, err := c.Resolve(ctx, "ClusterComputeResource", a.Cluster)
			if err != nil {
				return err
			}
			recs, _, err := readRecommendations(ctx, c, o)
			if err != nil {
				return err
			}
			out = DRSApplyResult{Cluster: o.Name, ID: o.ID(), Results: []DRSApplied{}}
			byKey := map[string]DRSRecommendation{}
			var keys []string
			for _, r := range recs.Recommendations {
				byKey[r.Key] = r
				keys = append(keys, r.Key)
			}
			if len(keys) == 0 {
				return fmt.Errorf("cluster %s has no DRS recommendations now; nothing to apply", toolkit.Name(o.Name))
			}
			chosen := keys
			if !a.All {
				chosen = nil
				for _, k := range a.Keys {
					if _, ok := byKey[k]; !ok {
						return fmt.Errorf("cluster %s has no DRS recommendation %s (it has %s; they change as DRS re-evaluates, list them again with cluster_drs_recommendations); nothing was applied",
							toolkit.Name(o.Name), toolkit.Name(k), toolkit.Names(keys))
					}
					if !slices.Contains(chosen, k) {
						chosen = append(chosen, k)
					}
				}
			}
			for _, k := range chosen {
				if byKey[k].Hidden > 0 {
					return fmt.Errorf("DRS recommendation %s acts on objects outside your scope; nothing was applied", toolkit.Name(k))
				}
			}
			if err := guard.Act(ctx, fmt.Sprintf("Apply %d DRS recommendations on cluster %s (%s)", len(chosen), toolkit.Name(o.Name), describeRecs(chosen, byKey)), o); err != nil {
				return err
			}
			for _, k := range chosen {
				r := DRSApplied{Key: k, Actions: byKey[k].Actions, Outcome: "done"}
				if _, err := methods.ApplyRecommendation(ctx, c.Client, &types.ApplyRecommendation{This: o.Ref, Key: k}); err != nil {
					r.Outcome, r.Error = "failed", vcenter.Explain(err)
					out.Failed++
				} else {
					out.Succeeded++
				}
				out.Results = append(out.Results, r)
			}
			if after, _, err := readRecommendations(ctx, c, o); err == nil {
				out.Remaining = len(after.Recommendations)
			}
			if out.Succeeded == 0 {
				return errors.New(out.Text())
			}
			return nil
		})
		return out, err
	})
}

func describeRecs(keys []string, byKey map[string]DRSRecommendation) string {
	var parts []string
	for _, k := range keys {
		for _, a := range byKey[k].Actions {
			if a.VM != "" && a.ToHost != "" {
				parts = append(parts, fmt.Sprintf("%s %s to %s", toolkit.Name(a.Type), toolkit.Name(a.VM), toolkit.Name(a.ToHost)))
			} else {
				parts = append(parts, strings.TrimSpace(toolkit.Name(a.Type)+" "+toolkit.Name(a.VM+a.Target)))
			}
		}
	}
	if len(parts) > 10 {
		parts = append(parts[:10], fmt.Sprintf("and %d more", len(parts)-10))
	}
	return strings.Join(parts, ", ")
}
