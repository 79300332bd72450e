// Package release holds no code: its tests check the release's metadata
// files against each other and against the schemas of their consumers.
//
//   - ../server.json: the MCP registry entry (registry schema 2025-12-11,
//     vendored in testdata/ from the registry's own validator) with an OCI
//     image and a Claude Desktop bundle per release target;
//   - mcpb/manifest.json: the bundles' manifest (mcpb manifest 0.3, vendored
//     from @anthropic-ai/mcpb; `mcpb validate` too when it is installed);
//   - ../Dockerfile: the image's labels the registry checks;
//   - ../.goreleaser.yaml: the targets the bundles must cover.
//
// Their version is stamped by ../.ci/stamp-version at release time; the
// tests require it to be the same everywhere, and the names to agree.
package release
