package packet

import "strconv"

// LinkTypeName returns the LINKTYPE_ name of a pcap link type (without the prefix), for
// messages, or its number when it is not one of the common ones.
func LinkTypeName(lt uint32) string {
	if n, ok := linkTypeNames[lt]; ok {
		return n + " (" + strconv.FormatUint(uint64(lt), 10) + ")"
	}
	return strconv.FormatUint(uint64(lt), 10)
}

// linkTypeNames are names from the pcap LINKTYPE registry (tcpdump.org linktypes).
var linkTypeNames = map[uint32]string{
	0: "NULL", 1: "ETHERNET", 6: "IEEE802_5", 8: "SLIP", 9: "PPP", 10: "FDDI", 12: "RAW", 14: "RAW",
	50: "PPP_HDLC", 51: "PPP_ETHER", 100: "ATM_RFC1483", 101: "RAW", 104: "C_HDLC", 105: "IEEE802_11",
	107: "FRELAY", 108: "LOOP", 113: "LINUX_SLL", 119: "IEEE802_11_PRISM", 122: "IP_OVER_FC",
	127: "IEEE802_11_RADIOTAP", 143: "DOCSIS", 163: "IEEE802_11_AVS", 192: "PPI", 195: "IEEE802_15_4",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR", 220: "USB_LINUX_MMAPPED", 228: "IPV4", 229: "IPV6",
	239: "NFLOG", 249: "USBPCAP", 276: "LINUX_SLL2",
}
