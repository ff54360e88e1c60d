package certs

//go:generate go run ./internal/objgen -in /usr/include/openssl/obj_mac.h -out objects_table.go -common oidfast.txt -fast oidfast.go -names oidnames.txt -namesout oidnames.go

// attrShortName returns the short name OpenSSL prints for a distinguished-name attribute
// type: any OID of its object table has one (OBJ_nid2sn), so its value prints as text;
// others print dotted, with their value dumped. The attribute names of the list
// oidnames.txt (attrShortNames, a few of which OpenSSL's table lacks or spells otherwise)
// come first, then OpenSSL's whole table (objects_table.go).
func attrShortName(oid string) (string, bool) {
	if sn, ok := commonAttrShortName(oid); ok {
		return sn, true
	}
	if sn, ok := attrShortNames[oid]; ok {
		return sn, true
	}
	sn, ok := opensslShortNames[oid]
	return sn, ok
}
