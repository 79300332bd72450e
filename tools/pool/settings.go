package pool

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// Settings are a pool's CPU and memory allocation as the tools take them;
// an absent one is left as it is (update) or takes vSphere's default
// (create: no reservation, unlimited, normal shares, expandable).
type Settings struct {
	CPUReservationMHz     *int64 `json:"cpu_reservation_mhz,omitempty" jsonschema:"CPU guaranteed to the pool, in MHz"`
	CPULimitMHz           *int64 `json:"cpu_limit_mhz,omitempty" jsonschema:"CPU cap in MHz; -1: unlimited"`
	CPUShares             any    `json:"cpu_shares,omitempty" jsonschema:"CPU shares: low, normal, high or a number of shares"`
	MemoryReservationMB   *int64 `json:"memory_reservation_mb,omitempty" jsonschema:"Memory guaranteed to the pool, in MB"`
	MemoryLimitMB         *int64 `json:"memory_limit_mb,omitempty" jsonschema:"Memory cap in MB (64 GB is 65536); -1: unlimited"`
	MemoryShares          any    `json:"memory_shares,omitempty" jsonschema:"Memory shares: low, normal, high or a number of shares"`
	ExpandableReservation *bool  `json:"expandable_reservation,omitempty" jsonschema:"Whether the pool may borrow unreserved capacity from its parent when its own reservation is used up (CPU and memory)"`
}

func (s *Settings) empty() bool {
	return s.CPUReservationMHz == nil && s.CPULimitMHz == nil && s.CPUShares == nil && s.MemoryReservationMB == nil &&
		s.MemoryLimitMB == nil && s.MemoryShares == nil && s.ExpandableReservation == nil
}

// Validate checks the settings' ranges.
func (s *Settings) Validate() error {
	for _, r := range []struct {
		arg string
		v   *int64
	}{{"cpu_reservation_mhz", s.CPUReservationMHz}, {"memory_reservation_mb", s.MemoryReservationMB}} {
		if r.v != nil && *r.v < 0 {
			return fmt.Errorf("%s must be 0 or more", r.arg)
		}
	}
	for _, l := range []struct {
		arg string
		v   *int64
	}{{"cpu_limit_mhz", s.CPULimitMHz}, {"memory_limit_mb", s.MemoryLimitMB}} {
		if l.v != nil && *l.v < -1 {
			return fmt.Errorf("%s must be -1 (unlimited) or 0 or more", l.arg)
		}
	}
	if s.CPUReservationMHz != nil && s.CPULimitMHz != nil && *s.CPULimitMHz >= 0 && *s.CPUReservationMHz > *s.CPULimitMHz {
		return errors.New("cpu_reservation_mhz is above cpu_limit_mhz: a pool cannot be guaranteed more than its cap")
	}
	if s.MemoryReservationMB != nil && s.MemoryLimitMB != nil && *s.MemoryLimitMB >= 0 && *s.MemoryReservationMB > *s.MemoryLimitMB {
		return errors.New("memory_reservation_mb is above memory_limit_mb: a pool cannot be guaranteed more than its cap")
	}
	if _, err := parseShares("cpu_shares", s.CPUShares); err != nil {
		return err
	}
	_, err := parseShares("memory_shares", s.MemoryShares)
	return err
}

// parseShares reads low, normal, high or a number (JSON number or string).
func parseShares(arg string, v any) (*types.SharesInfo, error) {
	bad := fmt.Errorf("%s must be low, normal, high or a positive number of shares", arg)
	var n float64
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "low", "normal", "high":
			return &types.SharesInfo{Level: types.SharesLevel(strings.ToLower(strings.TrimSpace(x)))}, nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, bad
		}
		n = f
	case float64:
		n = x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, bad
		}
		n = f
	default:
		return nil, bad
	}
	if n <= 0 || n != math.Trunc(n) || n > math.MaxInt32 {
		return nil, bad
	}
	return &types.SharesInfo{Level: types.SharesLevelCustom, Shares: int32(n)}, nil
}

// apply writes the given settings into spec (the pool's current one for an
// update, the defaults for a create).
func (s *Settings) apply(spec *types.ResourceConfigSpec) {
	cpu, mem := &spec.CpuAllocation, &spec.MemoryAllocation
	if s.CPUReservationMHz != nil {
		cpu.Reservation = types.NewInt64(*s.CPUReservationMHz)
	}
	if s.CPULimitMHz != nil {
		cpu.Limit = types.NewInt64(*s.CPULimitMHz)
	}
	if sh, _ := parseShares("", s.CPUShares); sh != nil {
		cpu.Shares = sh
	}
	if s.MemoryReservationMB != nil {
		mem.Reservation = types.NewInt64(*s.MemoryReservationMB)
	}
	if s.MemoryLimitMB != nil {
		mem.Limit = types.NewInt64(*s.MemoryLimitMB)
	}
	if sh, _ := parseShares("", s.MemoryShares); sh != nil {
		mem.Shares = sh
	}
	if s.ExpandableReservation != nil {
		cpu.ExpandableReservation = types.NewBool(*s.ExpandableReservation)
		mem.ExpandableReservation = types.NewBool(*s.ExpandableReservation)
	}
}

// defaultSpec is what vSphere's client creates a pool with.
func defaultSpec() types.ResourceConfigSpec {
	alloc := func() types.ResourceAllocationInfo {
		return types.ResourceAllocationInfo{Reservation: types.NewInt64(0), Limit: types.NewInt64(-1),
			ExpandableReservation: types.NewBool(true), Shares: &types.SharesInfo{Level: types.SharesLevelNormal}}
	}
	return types.ResourceConfigSpec{CpuAllocation: alloc(), MemoryAllocation: alloc()}
}

// Config is a pool's allocation as the tools report it.
type Config struct {
	CPUReservationMHz   int64  `json:"cpu_reservation_mhz"`
	CPULimitMHz         int64  `json:"cpu_limit_mhz" jsonschema:"-1: unlimited"`
	CPUShares           string `json:"cpu_shares" jsonschema:"low, normal, high, or the number of custom shares"`
	CPUExpandable       bool   `json:"cpu_expandable_reservation"`
	MemoryReservationMB int64  `json:"memory_reservation_mb"`
	MemoryLimitMB       int64  `json:"memory_limit_mb" jsonschema:"-1: unlimited"`
	MemoryShares        string `json:"memory_shares"`
	MemoryExpandable    bool   `json:"memory_expandable_reservation"`
}

func configOf(spec types.ResourceConfigSpec) Config {
	one := func(a types.ResourceAllocationInfo) (res, lim int64, shares string, exp bool) {
		lim = -1
		if a.Reservation != nil {
			res = *a.Reservation
		}
		if a.Limit != nil {
			lim = *a.Limit
		}
		if a.Shares != nil {
			shares = string(a.Shares.Level)
			if a.Shares.Level == types.SharesLevelCustom {
				shares = strconv.Itoa(int(a.Shares.Shares))
			}
		}
		return res, lim, shares, a.ExpandableReservation != nil && *a.ExpandableReservation
	}
	var c Config
	c.CPUReservationMHz, c.CPULimitMHz, c.CPUShares, c.CPUExpandable = one(spec.CpuAllocation)
	c.MemoryReservationMB, c.MemoryLimitMB, c.MemoryShares, c.MemoryExpandable = one(spec.MemoryAllocation)
	return c
}

func limit(v int64) string {
	if v < 0 {
		return "unlimited"
	}
	return strconv.FormatInt(v, 10)
}

// lines renders the settings, with before → after where they changed.
func (c Config) lines(before *Config) string {
	var b strings.Builder
	row := func(k, now, was string) {
		if before != nil && was != now {
			fmt.Fprintf(&b, "%s: %s → %s\n", k, was, now)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", k, now)
		}
	}
	var w Config
	if before != nil {
		w = *before
	}
	row("cpu reservation", toolkit.I64toa(c.CPUReservationMHz)+" MHz", toolkit.I64toa(w.CPUReservationMHz)+" MHz")
	row("cpu limit", mhz(c.CPULimitMHz), mhz(w.CPULimitMHz))
	row("cpu shares", c.CPUShares, w.CPUShares)
	row("cpu expandable", toolkit.YesNo(c.CPUExpandable), toolkit.YesNo(w.CPUExpandable))
	row("memory reservation", toolkit.I64toa(c.MemoryReservationMB)+" MB", toolkit.I64toa(w.MemoryReservationMB)+" MB")
	row("memory limit", mb(c.MemoryLimitMB), mb(w.MemoryLimitMB))
	row("memory shares", c.MemoryShares, w.MemoryShares)
	row("memory expandable", toolkit.YesNo(c.MemoryExpandable), toolkit.YesNo(w.MemoryExpandable))
	return b.String()
}

func mhz(v int64) string {
	if v < 0 {
		return limit(v)
	}
	return limit(v) + " MHz"
}

func mb(v int64) string {
	if v < 0 {
		return limit(v)
	}
	return limit(v) + " MB"
}
