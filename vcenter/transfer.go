package vcenter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/vsphere-mcp/vsphere-mcp/vcenter/textsafe"
)

// Datastore files move over HTTP (/folder?dsName=&dcPath=, with the
// session's cookie), not SOAP, so the write gate in the SOAP round tripper
// never sees them. The transfer methods here are the only way tools reach
// /folder, and they apply the same rule: a request that changes a
// datastore (anything but GET and HEAD) is refused unless the policy
// guard granted the call's write permit.

// DatastoreFile names a file for the /folder HTTP interface.
type DatastoreFile struct {
	// DatacenterPath is the datacenter's inventory path without the
	// leading slash ("DC0", "Region/DC0").
	DatacenterPath string
	// Datastore is the datastore's name; Path the file inside it.
	Datastore, Path string
}

// String is the file as vSphere writes it, "[ds] path".
func (f DatastoreFile) String() string { return "[" + f.Datastore + "] " + f.Path }

// URL is the file's /folder URL on the connection.
func (c *Conn) URL(f DatastoreFile) *url.URL {
	return object.NewDatastoreURL(*c.Client.URL(), strings.TrimPrefix(f.DatacenterPath, "/"), f.Datastore, f.Path)
}

// CheckHTTPWrite refuses an HTTP request that changes a datastore when the
// call has no write permit; a permitted one is marked as started work (a
// lost session never repeats it). GET and HEAD only read.
func CheckHTTPWrite(ctx context.Context, method string) error {
	switch method {
	case http.MethodGet, http.MethodHead:
		return nil
	}
	if !Permitted(ctx) {
		return &WriteRefusedError{Method: "HTTP " + method + " /folder"}
	}
	MarkWorkStarted(ctx)
	return nil
}

// UploadFile writes size bytes from r to f with an HTTP PUT, replacing a
// file of that name (vCenter does; check first when that matters). It is
// refused without the write permit. Cancelling ctx stops the transfer; what
// arrived stays on the datastore until deleted.
func (c *Conn) UploadFile(ctx context.Context, f DatastoreFile, r io.Reader, size int64) error {
	if err := CheckHTTPWrite(ctx, http.MethodPut); err != nil {
		return err
	}
	p := soap.DefaultUpload
	p.ContentLength = size
	if err := c.Client.Client.Upload(ctx, r, c.URL(f), &p); err != nil {
		return fmt.Errorf("upload to %s: %w", textsafe.Path(f.String()), err)
	}
	return nil
}

// DownloadFile opens f for reading with an HTTP GET; it returns the body
// and its length (-1: unknown). Close the body.
func (c *Conn) DownloadFile(ctx context.Context, f DatastoreFile) (io.ReadCloser, int64, error) {
	if err := CheckHTTPWrite(ctx, http.MethodGet); err != nil {
		return nil, 0, err
	}
	res, err := c.Client.Client.DownloadRequest(ctx, c.URL(f), &soap.DefaultDownload)
	if err != nil {
		return nil, 0, fmt.Errorf("download %s: %w", textsafe.Path(f.String()), err)
	}
	if res.StatusCode != http.StatusOK {
		_ = res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			return nil, 0, fmt.Errorf("download %s: no such file on the datastore (list the folder with datastore_browse)", textsafe.Path(f.String()))
		}
		return nil, 0, fmt.Errorf("download %s: vCenter answered %s", textsafe.Path(f.String()), res.Status)
	}
	return res.Body, res.ContentLength, nil
}
