package tag

import (
	"embed"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// ID names the toolset in --toolsets and in roles (toolset:tag).
const ID toolkit.ToolsetID = "tag"

// schemas are the tools' schemas as generated from their Go types.
//
//go:embed schemas/*.json
var schemas embed.FS

// Toolset returns the tag toolset: tag categories, tags and their
// assignments (vSphere Automation API, on the session's login), and
// custom attributes.
func Toolset() toolkit.Toolset {
	return toolkit.NewToolset(ID, "Tags and custom attributes: categories, tags, tagging objects, custom attribute values", false, schemas,
		tagCategoryList(),
		tagCategoryCreate(),
		tagCategoryDelete(),
		tagList(),
		tagCreate(),
		tagDelete(),
		tagAttach(),
		tagDetach(),
		tagObjectList(),
		customAttributeSet(),
	)
}
