package zeeklog

// Str returns the text of a string or enum value, and "" for any other value (unset
// included). Row writers outside this package use it to read a key column such as uid.
func (v Value) Str() string {
	if v.k == kString || v.k == kEnum {
		return v.s
	}
	return ""
}
