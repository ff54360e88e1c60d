package main

import (
	"github.com/tlsmon/tlsmon/certs/validate"
	"github.com/tlsmon/tlsmon/policy"
)

// newPolicySite builds the state of the --load scripts, with a certificate Validator
// (Mozilla's roots and --ca-file's) when a validate script is loaded.
func newPolicySite(cfg config) (*policy.Site, error) {
	pc := policy.Config{Scripts: cfg.load}
	if policy.NeedsValidator(cfg.load) {
		v, err := validate.New(validate.Config{CAFile: cfg.caFile})
		if err != nil {
			return nil, err
		}
		pc.Validator = v
	}
	return policy.New(pc)
}
