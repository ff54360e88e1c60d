package validate

import "crypto/sha1"

// sum1 returns the SHA-1 of the certificate's DER (the result and SCT caches' keys),
// computed once per parsed certificate (the Validator's parse cache keeps it).
func (c *cert) sum1() [20]byte {
	if c.sha1 == nil {
		h := sha1.Sum(c.der)
		c.sha1 = &h
	}
	return *c.sha1
}
