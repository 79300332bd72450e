package vcenter

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// TestSimulatorHostDateTimeSystem: every host of a started simulator has
// its own HostDateTimeSystem answering the real calls as ESXi does, each
// change visible in its dateTimeInfo and in the host's config.dateTimeInfo.
func TestSimulatorHostDateTimeSystem(t *testing.T) {
	t.Parallel()
	for _, kind := range []SimulatorKind{SimVCenter, SimESX} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, DemoModel(kind))
			c, _ := adminClient(t, sim)
			ctx := context.Background()
			v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"HostSystem"}, true)
			if err != nil {
				t.Fatal(err)
			}
			refs, err := v.Find(ctx, []string{"HostSystem"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[types.ManagedObjectReference]bool{}
			var hosts []*object.HostSystem
			for _, r := range refs {
				h := object.NewHostSystem(c, r)
				hosts = append(hosts, h)
				dts, err := h.ConfigManager().DateTimeSystem(ctx)
				if err != nil {
					t.Fatalf("%s: %v", r, err)
				}
				if seen[dts.Reference()] {
					t.Fatalf("%s shares date/time system %s", r, dts.Reference())
				}
				seen[dts.Reference()] = true
			}
			if len(hosts) == 0 {
				t.Fatal("no hosts")
			}
			h := hosts[0]
			dts, _ := h.ConfigManager().DateTimeSystem(ctx)
			infos := func() (fromSystem, fromHost types.HostDateTimeInfo) {
				t.Helper()
				var s mo.HostDateTimeSystem
				if err := dts.Properties(ctx, dts.Reference(), []string{"dateTimeInfo"}, &s); err != nil {
					t.Fatal(err)
				}
				var mh mo.HostSystem
				if err := h.Properties(ctx, h.Reference(), []string{"config.dateTimeInfo"}, &mh); err != nil {
					t.Fatal(err)
				}
				if mh.Config == nil || mh.Config.DateTimeInfo == nil {
					t.Fatal("host has no config.dateTimeInfo")
				}
				return s.DateTimeInfo, *mh.Config.DateTimeInfo
			}
			servers := func(step string, want ...string) {
				t.Helper()
				a, b := infos()
				for _, info := range []types.HostDateTimeInfo{a, b} {
					if info.NtpConfig == nil || !slices.Equal(info.NtpConfig.Server, want) {
						t.Errorf("%s: NTP servers %+v, want %v", step, info.NtpConfig, want)
					}
					if info.TimeZone.Key != "UTC" {
						t.Errorf("%s: time zone %+v", step, info.TimeZone)
					}
				}
			}
			servers("initially")

			got, err := dts.Query(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(*got); d < -time.Minute || d > time.Minute {
				t.Errorf("host time %v is %v off", got, d)
			}

			want := []string{"0.pool.ntp.example", "192.0.2.10"}
			if err := dts.UpdateConfig(ctx, types.HostDateTimeConfig{NtpConfig: &types.HostNtpConfig{Server: want}}); err != nil {
				t.Fatal(err)
			}
			servers("update", want...)
			if err := dts.UpdateConfig(ctx, types.HostDateTimeConfig{NtpConfig: &types.HostNtpConfig{Server: []string{"bad name!"}}}); !fault.Is(err, &types.InvalidArgument{}) {
				t.Errorf("bad server: %v, want InvalidArgument", err)
			}
			if err := dts.UpdateConfig(ctx, types.HostDateTimeConfig{TimeZone: "Europe/Berlin"}); !fault.Is(err, &types.InvalidArgument{}) {
				t.Errorf("time zone: %v, want InvalidArgument", err)
			}
			servers("refused updates", want...)

			// Setting the clock moves what QueryDateTime answers.
			if err := dts.Update(ctx, time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			got, err = dts.Query(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(*got); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("host clock set an hour back, but it is %v off", d)
			}

			if len(hosts) > 1 {
				var other mo.HostSystem
				if err := hosts[1].Properties(ctx, hosts[1].Reference(), []string{"config.dateTimeInfo"}, &other); err != nil {
					t.Fatal(err)
				}
				if n := other.Config.DateTimeInfo.NtpConfig; n == nil || len(n.Server) != 0 {
					t.Errorf("another host's NTP changed: %+v", n)
				}
				task, err := hosts[1].Disconnect(ctx)
				if err == nil {
					err = task.Wait(ctx)
				}
				if err != nil {
					t.Fatal(err)
				}
				d1, _ := hosts[1].ConfigManager().DateTimeSystem(ctx)
				if _, err := d1.Query(ctx); !fault.Is(err, &types.HostNotConnected{}) {
					t.Errorf("disconnected host: %v, want HostNotConnected", err)
				}
			}
		})
	}
}
