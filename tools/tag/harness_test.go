package tag

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/policy"
	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolstest"
	"github.com/vsphere-mcp/vsphere-mcp/tools/vm"
)

// env is this toolset's server (with the vm toolset, for vm_list and the
// bulk power tools) on its own simulator, with an independent vAPI client
// to read tags back.
type env struct {
	*toolstest.Env
	Tags   *tags.Manager
	person *person
	policy *guard.Policy
}

// person answers confirmations yes or no, as set, and records the
// questions.
type person struct {
	mu    sync.Mutex
	yes   bool
	asked []string
}

func (p *person) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, req.Params.Message)
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionDecline
	if p.yes {
		res.Action = mcp.ElicitationResponseActionAccept
		res.Content = map[string]any{"confirm": true}
	}
	return res, nil
}

func (p *person) answer(yes bool) {
	p.mu.Lock()
	p.yes, p.asked = yes, nil
	p.mu.Unlock()
}

func (p *person) questions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

func served() []toolkit.Tool { return toolstest.Tools(Toolset(), vm.Toolset()) }

// newEnv starts the demo simulator with role (built-in or from custom)
// and a person who confirms.
func newEnv(t *testing.T, role string, custom map[string]policy.RoleSpec) *env {
	t.Helper()
	p := &person{yes: true}
	pol := toolstest.Policy(t, role, custom, nil)
	e := toolstest.NewOn(t, served(), toolstest.Options{Policy: pol, Elicit: p})
	rc := rest.NewClient(e.Vim)
	if err := rc.Login(e.Ctx, url.UserPassword(e.Sim.Config.Username, e.Sim.Config.Password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Logout(context.Background()) })
	return &env{Env: e, Tags: tags.NewManager(rc), person: p, policy: pol}
}

func (e *env) at(t *testing.T) *env { c := *e; c.Env = e.At(t); return &c }

// attached lists the IDs of the objects carrying tag (category:tag), as
// the vAPI reads them.
func (e *env) attached(catTag string) []string {
	e.T.Helper()
	t := e.tag(catTag)
	objs, err := e.Tags.ListAttachedObjects(e.Ctx, t.ID)
	if err != nil {
		e.T.Fatal(err)
	}
	var ids []string
	for _, o := range objs {
		ids = append(ids, o.Reference().Value)
	}
	return toolstest.Sorted(ids)
}

// tag finds category:tag through the vAPI.
func (e *env) tag(catTag string) tags.Tag {
	e.T.Helper()
	for _, c := range mustCategories(e) {
		list, err := e.Tags.GetTagsForCategory(e.Ctx, c.ID)
		if err != nil {
			e.T.Fatal(err)
		}
		for _, t := range list {
			if c.Name+":"+t.Name == catTag {
				return t
			}
		}
	}
	e.T.Fatalf("no tag %s", catTag)
	return tags.Tag{}
}

func mustCategories(e *env) []tags.Category {
	e.T.Helper()
	cats, err := e.Tags.GetCategories(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	return cats
}

// tagsOn lists category:tag of every tag on ref, as the vAPI reads them.
func (e *env) tagsOn(ref types.ManagedObjectReference) []string {
	e.T.Helper()
	list, err := e.Tags.GetAttachedTags(e.Ctx, ref)
	if err != nil {
		e.T.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range mustCategories(e) {
		names[c.ID] = c.Name
	}
	var out []string
	for _, t := range list {
		out = append(out, names[t.CategoryID]+":"+t.Name)
	}
	return toolstest.Sorted(out)
}
