package toolstest

import (
	"archive/tar"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vmdk"
)

// OVF fixtures the ovf and library toolsets' tests deploy and upload.

// ApplianceOVF is a small OVF descriptor with what a real appliance has:
// two networks, vApp properties of several types, deployment options and a
// EULA.
const ApplianceOVF = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:href="appliance-disk1.vmdk" ovf:id="file1" ovf:size="%d"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="Management"><Description>Admin access</Description></Network>
    <Network ovf:name="Data"><Description>Service traffic</Description></Network>
  </NetworkSection>
  <DeploymentOptionSection>
    <Info>Sizes</Info>
    <Configuration ovf:id="small" ovf:default="true"><Label>Small</Label><Description>2 vCPU</Description></Configuration>
    <Configuration ovf:id="large"><Label>Large</Label><Description>4 vCPU</Description></Configuration>
  </DeploymentOptionSection>
  <VirtualSystem ovf:id="appliance">
    <Info>A virtual machine</Info>
    <Name>appliance</Name>
    <ProductSection>
      <Info>Settings</Info>
      <Product>Test Appliance</Product>
      <Version>1.2</Version>
      <Property ovf:key="ip0" ovf:type="string" ovf:qualifiers="MaxLen(15)" ovf:userConfigurable="true" ovf:value="">
        <Label>IP address</Label><Description>Management IP</Description>
      </Property>
      <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="8080"><Label>Port</Label></Property>
      <Property ovf:key="debug" ovf:type="boolean" ovf:userConfigurable="true" ovf:value="false"/>
      <Property ovf:key="role" ovf:type="string" ovf:qualifiers="ValueMap{&quot;web&quot;,&quot;db&quot;}" ovf:userConfigurable="true" ovf:value="web"/>
      <Property ovf:key="build" ovf:type="string" ovf:value="42"/>
    </ProductSection>
    <EulaSection><Info>License</Info><License>Be nice.</License></EulaSection>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest"><Info>OS</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item ovf:configuration="small"><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>2 vCPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item ovf:configuration="large"><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>4 vCPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>512MB</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>scsi0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk0</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>7</rasd:AddressOnParent><rasd:Connection>Management</rasd:Connection><rasd:ElementName>nic0</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>8</rasd:AddressOnParent><rasd:Connection>Data</rasd:Connection><rasd:ElementName>nic1</rasd:ElementName><rasd:InstanceID>6</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`

// WriteVMDK writes a real streamOptimized VMDK of 1 MiB with random data.
func WriteVMDK(t testing.TB, path string) {
	t.Helper()
	w, err := vmdk.NewStreamOptimizedWriter(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(io.LimitReader(rand.Reader, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// WriteOVF writes appliance.ovf with its disk into dir and returns the
// descriptor's path.
func WriteOVF(t testing.TB, dir string) string {
	t.Helper()
	disk := filepath.Join(dir, "appliance-disk1.vmdk")
	WriteVMDK(t, disk)
	st, err := os.Stat(disk)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "appliance.ovf")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(ApplianceOVF, st.Size())), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// WriteOVA packs appliance.ovf, a SHA-256 manifest and the disk into
// dir/name.
func WriteOVA(t testing.TB, dir, name string) string {
	t.Helper()
	src := t.TempDir()
	ovfPath := WriteOVF(t, src)
	files := []string{filepath.Base(ovfPath), "appliance.mf", "appliance-disk1.vmdk"}
	var mf strings.Builder
	for _, f := range []string{files[0], files[2]} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&mf, "SHA256(%s)= %x\n", f, sha256.Sum256(b))
	}
	if err := os.WriteFile(filepath.Join(src, files[1]), []byte(mf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}
