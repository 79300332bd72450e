package params

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	vapivc "github.com/vmware/govmomi/vapi/vcenter"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/guard"
	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
	"github.com/vsphere-mcp/vsphere-mcp/vcenter"
)

// Deploying a content library OVF item (library_deploy, and ovf_deploy
// with library + item): vCenter's OVF deploy of the item, after the same
// placement and checks as a local package. The item's descriptor is read
// through a download session (the only way to see its property types and
// networks that works on every vCenter), which is why the guard is asked
// first: opening a download session is a POST.

// LibraryDeployArgs describe a library deploy.
type LibraryDeployArgs struct {
	DeployArgs
	Library, Item    string
	Properties       map[string]string
	DeploymentOption string
	DiskProvisioning string
	AcceptEULA       bool
}

// LibraryDeployed is what a library deploy made.
type LibraryDeployed struct {
	VM       types.ManagedObjectReference
	Target   *DeployTarget
	Library  string
	Item     string
	Warnings []string
}

// DeployLibraryItem deploys a.Item of a.Library as a.Name.
func DeployLibraryItem(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, a LibraryDeployArgs, prog *guard.Progress) (*LibraryDeployed, error) {
	var lib *library.Library
	var it *library.Item
	var libDS *vcenter.Object
	err := c.DoREST(ctx, func(rc *rest.Client) error {
		m := library.NewManager(rc)
		var err error
		if lib, err = FindLibrary(ctx, m, a.Library); err != nil {
			return err
		}
		it, err = FindLibraryItem(ctx, m, lib, a.Item)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch it.Type {
	case library.ItemTypeOVF:
	case library.ItemTypeVMTX:
		return deployTemplateItem(ctx, c, defs, a, lib, it, prog)
	default:
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("item %s of library %s is of type %s; only OVF and vm-template items can be deployed as VMs", toolkit.Name(it.Name), toolkit.Name(lib.Name), toolkit.Name(ItemKind(it.Type)))}
	}
	if libDS, err = LibraryDatastore(ctx, c, lib); err != nil {
		return nil, err
	}
	// Placement first, with the networks still unknown; they are mapped
	// once the descriptor is read.
	t, err := ResolveDeployTarget(ctx, c, defs, DeployArgs{Name: a.Name, Folder: a.Folder, Cluster: a.Cluster, Host: a.Host, ResourcePool: a.ResourcePool, Datastore: a.Datastore}, nil)
	if err != nil {
		return nil, err
	}
	touches := t.Touches()
	if libDS != nil {
		touches = append(touches, *libDS)
	}
	if err := guard.ActOn(ctx, fmt.Sprintf("Deploy content library item %s of library %s as VM %s in folder", toolkit.Quote(it.Name, toolkit.NameMax), toolkit.Quote(lib.Name, toolkit.NameMax), toolkit.Quote(a.Name, toolkit.NameMax)), t.Folder, touches...); err != nil {
		return nil, err
	}
	prog.Report(2, "reading the item's OVF descriptor")
	var env *ovf.Envelope
	if err := c.DoREST(ctx, func(rc *rest.Client) error {
		var err error
		env, err = itemDescriptor(ctx, rc, it)
		return err
	}); err != nil {
		return nil, err
	}
	sum := SummarizeOVF(env)
	props, err := ResolveOVFProperties(sum.Properties, a.Properties)
	if err != nil {
		return nil, &toolkit.ArgError{Msg: err.Error() + "; nothing was deployed"}
	}
	if err := CheckDeploymentOption(a.DeploymentOption, sum.DeploymentOptions); err != nil {
		return nil, &toolkit.ArgError{Msg: err.Error()}
	}
	if sum.EULA && !a.AcceptEULA {
		return nil, &toolkit.ArgError{Msg: fmt.Sprintf("item %s has a EULA, which vCenter makes the deployer accept: read it (ovf_inspect) and pass accept_eula: true if the person you work for agrees; nothing was deployed", toolkit.Name(it.Name))}
	}
	nets := make([]string, len(sum.Networks))
	for i, n := range sum.Networks {
		nets[i] = n.Name
	}
	mapped, err := ResolveDeployTarget(ctx, c, defs, DeployArgs{Name: a.Name, Folder: t.Folder.ID(), ResourcePool: t.Place.Pool.ID(), Host: hostID(t), Datastore: t.Datastore.ID(), NetworkMapping: a.NetworkMapping}, nets)
	if err != nil {
		return nil, err
	}
	for _, n := range mapped.Networks {
		t.Networks = append(t.Networks, n)
	}
	for _, d := range mapped.Defaults {
		if strings.HasPrefix(d, "OVF network") {
			t.Defaults = append(t.Defaults, d)
		}
	}
	spec := vapivc.Deploy{
		DeploymentSpec: vapivc.DeploymentSpec{
			Name: a.Name, AcceptAllEULA: a.AcceptEULA, DefaultDatastoreID: t.Datastore.ID(), StorageProvisioning: a.DiskProvisioning,
		},
		Target: vapivc.Target{ResourcePoolID: t.Place.Pool.ID(), FolderID: t.Folder.ID(), HostID: hostID(t)},
	}
	for _, n := range t.Networks {
		spec.NetworkMappings = append(spec.NetworkMappings, vapivc.NetworkMapping{Key: n.OVF, Value: n.Network.ID()})
	}
	if len(props) > 0 {
		pp := vapivc.AdditionalParams{Class: vapivc.ClassPropertyParams, Type: vapivc.TypePropertyParams}
		for k, v := range props {
			pp.Properties = append(pp.Properties, vapivc.Property{ID: k, Value: v})
		}
		spec.AdditionalParams = append(spec.AdditionalParams, pp)
	}
	if a.DeploymentOption != "" {
		spec.AdditionalParams = append(spec.AdditionalParams, vapivc.AdditionalParams{Class: vapivc.ClassDeploymentOptionParams, Type: vapivc.TypeDeploymentOptionParams, SelectedKey: a.DeploymentOption})
	}
	prog.Report(5, fmt.Sprintf("vCenter deploys item %s", toolkit.Name(it.Name)))
	var ref *types.ManagedObjectReference
	err = c.DoREST(ctx, func(rc *rest.Client) error {
		var err error
		ref, err = vapivc.NewManager(rc).DeployLibraryItem(ctx, it.ID, spec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vCenter did not deploy item %s of library %s: %w", toolkit.Name(it.Name), toolkit.Name(lib.Name), deployError(err))
	}
	prog.Report(95, "deployed")
	return &LibraryDeployed{VM: *ref, Target: t, Library: lib.Name, Item: it.Name}, nil
}

func hostID(t *DeployTarget) string {
	if t.Place.Host != nil {
		return t.Place.Host.ID()
	}
	return ""
}

// deployError quotes what vCenter said of a failed deploy.
func deployError(err error) error {
	if de, ok := err.(*vapivc.DeploymentError); ok {
		var msgs []string
		for _, e := range de.Errors {
			switch {
			case e.Message != nil:
				msgs = append(msgs, e.Message.DefaultMessage)
			case e.Error != nil:
				for _, m := range e.Error.Messages {
					msgs = append(msgs, m.DefaultMessage)
				}
			}
		}
		return &toolkit.PlainError{Msg: toolkit.FreeTextN("vCenter message", strings.Join(msgs, "; "), toolkit.TextMax)}
	}
	return vcenter.RESTCause(err)
}

// itemDescriptor reads an OVF item's descriptor through a download session.
func itemDescriptor(ctx context.Context, rc *rest.Client, it *library.Item) (*ovf.Envelope, error) {
	m := library.NewManager(rc)
	files, err := m.ListLibraryItemFiles(ctx, it.ID)
	if err != nil {
		return nil, fmt.Errorf("list the files of item %s: %w", toolkit.Name(it.Name), vcenter.RESTCause(err))
	}
	name := ""
	for _, f := range files {
		if strings.EqualFold(strings.TrimSpace(f.Name[max(0, len(f.Name)-4):]), ".ovf") {
			name = f.Name
			break
		}
	}
	if name == "" {
		return nil, &toolkit.PlainError{Msg: fmt.Sprintf("item %s holds no .ovf descriptor", toolkit.Name(it.Name))}
	}
	sid, err := m.CreateLibraryItemDownloadSession(ctx, library.Session{LibraryItemID: it.ID})
	if err != nil {
		return nil, fmt.Errorf("open a download session for item %s: %w", toolkit.Name(it.Name), vcenter.RESTCause(err))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = m.DeleteLibraryItemDownloadSession(cctx, sid)
	}()
	df, err := m.PrepareLibraryItemDownloadSessionFile(ctx, sid, name)
	if err != nil {
		return nil, fmt.Errorf("prepare %s of item %s: %w", toolkit.Quote(name, 0), toolkit.Name(it.Name), vcenter.RESTCause(err))
	}
	for deadline := time.Now().Add(time.Minute); df.Status != "PREPARED"; {
		if df.Status == "ERROR" || time.Now().After(deadline) {
			return nil, fmt.Errorf("vCenter did not prepare %s of item %s for download (status %s)", toolkit.Quote(name, 0), toolkit.Name(it.Name), toolkit.Name(df.Status))
		}
		time.Sleep(200 * time.Millisecond)
		if df, err = m.GetLibraryItemDownloadSessionFile(ctx, sid, name); err != nil {
			return nil, fmt.Errorf("prepare %s of item %s: %w", toolkit.Quote(name, 0), toolkit.Name(it.Name), vcenter.RESTCause(err))
		}
	}
	if df.DownloadEndpoint == nil {
		return nil, fmt.Errorf("vCenter gave no download address for %s", toolkit.Quote(name, 0))
	}
	u, err := url.Parse(df.DownloadEndpoint.URI)
	if err != nil {
		return nil, fmt.Errorf("vCenter's download address for %s does not parse: %w", toolkit.Quote(name, 0), err)
	}
	body, _, err := rc.Download(ctx, u, &soap.DefaultDownload)
	if err != nil {
		return nil, fmt.Errorf("download %s of item %s: %w", toolkit.Quote(name, 0), toolkit.Name(it.Name), vcenter.RESTCause(err))
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, MaxOVFDescriptor+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", toolkit.Quote(name, 0), err)
	}
	if len(b) > MaxOVFDescriptor {
		return nil, fmt.Errorf("the descriptor of item %s is over %d MB", toolkit.Name(it.Name), MaxOVFDescriptor>>20)
	}
	env, err := ovf.Unmarshal(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the OVF descriptor of item %s does not parse: %s", toolkit.Name(it.Name), toolkit.Quote(err.Error(), toolkit.TextMax))
	}
	if env.VirtualSystem == nil {
		return nil, fmt.Errorf("item %s does not describe one VM (no VirtualSystem)", toolkit.Name(it.Name))
	}
	return env, nil
}

// ItemKind is the kind of a library item as the tools report it: ovf,
// vm-template, iso or file.
func ItemKind(t string) string {
	switch strings.ToLower(t) {
	case "ovf", "vm-template", "iso":
		return strings.ToLower(t)
	}
	return "file"
}

// deployTemplateItem deploys a vm-template item: vCenter clones the
// library's template onto the placement.
func deployTemplateItem(ctx context.Context, c *vcenter.Conn, defs vcenter.Defaults, a LibraryDeployArgs, lib *library.Library, it *library.Item, prog *guard.Progress) (*LibraryDeployed, error) {
	if len(a.Properties) > 0 || len(a.NetworkMapping) > 0 || a.DeploymentOption != "" || a.DiskProvisioning != "" {
		return nil, &toolkit.ArgError{Msg: fmt.Sprintf("item %s is a VM template: it takes no properties, network_mapping, deployment_option or disk_provisioning (change the VM afterwards with vm_reconfigure)", toolkit.Name(it.Name))}
	}
	t, err := ResolveDeployTarget(ctx, c, defs, DeployArgs{Name: a.Name, Folder: a.Folder, Cluster: a.Cluster, Host: a.Host, ResourcePool: a.ResourcePool, Datastore: a.Datastore}, nil)
	if err != nil {
		return nil, err
	}
	if err := guard.ActOn(ctx, fmt.Sprintf("Deploy VM template %s of content library %s as VM %s in folder", toolkit.Quote(it.Name, toolkit.NameMax), toolkit.Quote(lib.Name, toolkit.NameMax), toolkit.Quote(a.Name, toolkit.NameMax)), t.Folder, t.Touches()...); err != nil {
		return nil, err
	}
	spec := vapivc.DeployTemplate{
		Name:          a.Name,
		Placement:     &vapivc.Placement{ResourcePool: t.Place.Pool.ID(), Host: hostID(t), Folder: t.Folder.ID()},
		DiskStorage:   &vapivc.DiskStorage{Datastore: t.Datastore.ID()},
		VMHomeStorage: &vapivc.DiskStorage{Datastore: t.Datastore.ID()},
	}
	prog.Report(5, fmt.Sprintf("vCenter deploys template %s", toolkit.Name(it.Name)))
	var ref *types.ManagedObjectReference
	err = c.DoREST(ctx, func(rc *rest.Client) error {
		var err error
		ref, err = vapivc.NewManager(rc).DeployTemplateLibraryItem(ctx, it.ID, spec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vCenter did not deploy template %s of library %s: %w", toolkit.Name(it.Name), toolkit.Name(lib.Name), vcenter.RESTCause(err))
	}
	prog.Report(95, "deployed")
	return &LibraryDeployed{VM: *ref, Target: t, Library: lib.Name, Item: it.Name}, nil
}
