package report_test

import (
	"fmt"
	"os"

	"github.com/nize/nizepack/report"
)

// lines is a Reporter that prints one plain line per event, as a CI log would show them.
type lines struct{ report.Nop }

func (lines) Infof(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (lines) Warnf(format string, args ...any) { fmt.Printf("warning: "+format+"\n", args...) }
func (lines) Group(name string) func() {
	fmt.Println("::group::" + name)
	return func() { fmt.Println("::endgroup::") }
}

// A library call takes any Reporter; report.Or turns a nil one into Nop, so callers that want
// no progress pass nothing.
func ExampleReporter() {
	work := func(r report.Reporter) {
		r = report.Or(r)
		end := r.Group("fetch-node")
		r.Infof("downloading %s", "node-v24.21.0-linux-x64.tar.gz")
		bar := r.Progress("node-v24.21.0-linux-x64.tar.gz", 3)
		fmt.Fprint(bar, "abc")
		bar.Finish()
		r.Warnf("cached binary is corrupt; extracting it again")
		end()
	}
	work(lines{})
	work(nil) // prints nothing
	fmt.Fprintln(os.Stdout, "done")
	// Output:
	// ::group::fetch-node
	// downloading node-v24.21.0-linux-x64.tar.gz
	// warning: cached binary is corrupt; extracting it again
	// ::endgroup::
	// done
}
