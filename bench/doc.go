// Package bench holds vsphere-mcp's performance benchmark: the one-command
// run in cmd/bench (simulator inventories of ~10,000 and ~1,000 VMs, the
// server over stdio, the floor, govc and a bare mcp-go server, a table of
// figures and targets) and Go benchmarks of the hot paths in this
// directory's tests. See README.md.
package bench
