package main

import (
	"os"

	"github.com/tlsmon/tlsmon/certs/validate"
	"github.com/tlsmon/tlsmon/policy"
)

// newPolicySite builds the state of the --load scripts, with a certificate Validator
// (Mozilla's roots and --ca-file's, --ct-log-list's logs) when a validate script is loaded.
func newPolicySite(cfg config) (*policy.Site, error) {
	pc := policy.Config{Scripts: cfg.load}
	if policy.NeedsValidator(cfg.load) {
		vc := validate.Config{CAFile: cfg.caFile}
		if cfg.ctLogList != "" {
			f, err := os.Open(cfg.ctLogList)
			if err != nil {
				return nil, err
			}
			vc.CTLogs, err = validate.LoadCTLogList(f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
		v, err := validate.New(vc)
		if err != nil {
			return nil, err
		}
		pc.Validator = v
	}
	return policy.New(pc)
}
