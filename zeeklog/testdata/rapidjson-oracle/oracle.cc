// oracle prints rapidjson's Writer::Double output for doubles given as 16-digit hex bit
// patterns, one per line on stdin: "<hex> <json>" per line on stdout. NaN and infinities
// print as null, as Zeek's NullDoubleWriter does. Not part of the Go build; see README.md.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

int main() {
    char line[64];
    while (std::fgets(line, sizeof line, stdin)) {
        uint64_t bits;
        if (std::sscanf(line, "%" SCNx64, &bits) != 1)
            continue;
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) {
            std::printf("%016" PRIx64 " null\n", bits);
            continue;
        }
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        w.Double(d);
        std::printf("%016" PRIx64 " %s\n", bits, buf.GetString());
    }
    return 0;
}
