package config

// Example is the commented configuration `vsphere-mcp config init` writes.
// A test loads it, so it always parses and its roles always resolve.
const Example = `# vsphere-mcp configuration.
#
# Keys are checked: a misspelt key is an error that names it.
# Check what is in effect with:  vsphere-mcp config show
#                                vsphere-mcp doctor
# Environment variables (VSPHERE_URL, VSPHERE_USERNAME, VSPHERE_PASSWORD, …)
# and flags (--url, --username, …) override the profile; govc's GOVC_*
# variables are used for whatever is still unset.

# The profile used when neither --profile nor VSPHERE_MCP_PROFILE names one.
# Without any profile, vsphere-mcp uses the environment and the viewer role.
# --role NAME or VSPHERE_MCP_ROLE choose another role for one run, within
# what the system policy allows.
default_profile: lab

audit:
  # One JSON line per tool call, hash-chained: vsphere-mcp audit verify.
  # Default: $XDG_STATE_HOME/vsphere-mcp/audit.jsonl (~/.local/state/…).
  # An administrator's system policy may force another file.
  # file: ~/.local/state/vsphere-mcp/audit.jsonl
  # Also post each write as an event on its targets in vCenter (Monitor >
  # Events), so vCenter's own administrators see it. Needs Global.LogEvent.
  # vcenter_events: true
  # checkpoint_every: 100                # with vcenter_events: records between posted chain heads

# The only vCenters any profile, flag or VSPHERE_*/GOVC_* variable may point
# at: host names or globs, optionally with :port (443 when none). A URL
# outside the list is refused before connecting. An administrator's system
# policy may have a list too; yours can only narrow it.
# allowed_vcenters: ["vc.lab.example", "*.prod.example"]

profiles:
  lab:
    description: Lab vCenter, read-only, everything visible
    url: https://vc.lab.example/sdk
    username: svc-ai@vsphere.local
    # The password comes from exactly one of:
    password_env: LAB_VC_PASSWORD        # an environment variable
    # password_file: ~/.config/vsphere-mcp/lab.password   # a file only you can read (chmod 600)
    # password_command: pass show vsphere/lab            # a command's output (run by the shell, 30 s limit)
    # keyring: true                      # the OS keyring; store it with: vsphere-mcp login --profile lab
    # password: "…"                      # plain text: works, but warned about; refused unless the file is chmod 600
    insecure: false                      # true skips TLS verification: labs only
    # ca_file: ~/.config/vsphere-mcp/lab-ca.pem           # vCenter's CA (https://VC/certs/download.zip)
    # thumbprint: "AB:CD:…"               # or pin vCenter's certificate
    # datacenter: DC1                    # for relative inventory paths
    # call_timeout: 2m                   # give up on one vCenter request after this long (tasks still wait)
    # defaults:                          # where new VMs, disks and NICs go when a tool is not told
    #   cluster: Lab                     # (or host, resource_pool); also folder, datastore, network
    #   datastore: vsanDatastore         # doctor checks that each resolves
    #   network: VLAN120
    # local_files:                       # local directories tools may use, besides the MCP client's roots
    #   read: [~/Downloads/isos]         # uploads read from here (default: none)
    #   write: [~/Downloads]             # downloads and exports write here (default: none)
    role: viewer                         # viewer (the default), operator, vm-admin, admin, or a role below
    # role: lab-operator                 # the scoped role below: power and snapshots, but only in DC1's lab
    #                                    # folder; lists then show only what its scope lets through
    # confirm_fallback: deny             # when the MCP client cannot ask you to confirm: deny, or preview
    # toolsets: [default, host]          # toolsets to serve: names, all or default (vsphere-mcp tools list shows them)
    # read_only: true                    # serve and allow only read tools, whatever the role
    # guest_credentials:                 # logins inside VMs for the guest toolset; first match wins
    #   - vms: ["web-*", "/DC1/vm/linux/*"]   # VM name globs, or inventory path globs starting with /
    #     username: ops
    #     password_env: LAB_GUEST_PW     # or password_file, password_command, keyring: true
    #                                    # (vsphere-mcp login --profile lab --guest 'web-*')
    # guest:
    #   allow_argument_credentials: false  # true lets a tool call carry username + password

  prod:
    description: Production, read-only
    url: https://vc.prod.example/sdk
    username: svc-ai-readonly@vsphere.local
    keyring: true
    role: viewer
    read_only: true                      # whatever role this profile is given later

# Custom roles. Tool selectors are names or globs ("snapshot_*"),
# "toolset:<glob>" or "risk:<read|write|destructive|irreversible>".
# See every role and what it allows with:  vsphere-mcp roles
roles:
  lab-operator:
    inherits: operator                   # viewer < operator < vm-admin < admin
    allow: ["snapshot_*"]                # tools added to the inherited ones
    deny: ["vm_reset"]                   # tools taken away; a deny always wins
    scope:                               # what the role may see and touch
      datacenters: [DC1]
      folders: ["/DC1/vm/lab"]
      vms: ["lab-*"]
    protect: ["*-prod-*"]                # objects no write may touch
    confirm: ["vm_power_off"]            # extra tools a person must confirm
    limits: {calls_per_second: 10, burst: 20, writes_per_hour: 30}
`
