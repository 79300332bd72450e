package device

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// A manual MAC must be in VMware's range for static addresses,
// 00:50:56:00:00:00–00:50:56:3F:FF:FF: vCenter refuses others for a
// manual address, and addresses outside it can collide with the ones ESXi
// and vCenter generate.
const (
	manualMACPrefix = "00:50:56"
	manualMACRange  = "00:50:56:00:00:00–00:50:56:3f:ff:ff"
)

// parseManualMAC checks a MAC given for a new adapter and returns it in
// vCenter's form (lower case, colons). It accepts colons or dashes.
func parseManualMAC(s string) (string, error) {
	in := strings.TrimSpace(s)
	shown := toolkit.Quote(in, 40)
	norm := strings.ToLower(strings.ReplaceAll(in, "-", ":"))
	parts := strings.Split(norm, ":")
	if len(parts) != 6 {
		return "", fmt.Errorf("mac %s is not a MAC address: give six hex bytes such as 00:50:56:01:02:03", shown)
	}
	octets := make([]uint64, 6)
	for i, p := range parts {
		if len(p) != 2 {
			return "", fmt.Errorf("mac %s is not a MAC address: each of the six bytes is two hex digits, as in 00:50:56:01:02:03", shown)
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return "", fmt.Errorf("mac %s is not a MAC address: %s is not a hex byte", shown, toolkit.Quote(p, 4))
		}
		octets[i] = v
	}
	if octets[0]&1 == 1 {
		return "", fmt.Errorf("mac %s is a multicast address; a network adapter needs a unicast one (the first byte even), in VMware's manual range %s", shown, manualMACRange)
	}
	if !strings.HasPrefix(norm, manualMACPrefix+":") || octets[3] > 0x3f {
		return "", fmt.Errorf("mac %s is outside VMware's range for manual addresses, %s, which vCenter requires for a MAC set by hand; choose one in it or omit mac to have one generated", shown, manualMACRange)
	}
	return norm, nil
}
