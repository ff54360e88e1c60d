package certs

import "golang.org/x/crypto/cryptobyte/asn1"

func asn1TagOf(n int) asn1.Tag { return asn1.Tag(n) }
