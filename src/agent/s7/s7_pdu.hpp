// TPKT (RFC 1006), COTP (ISO 8073 class 0) and S7comm PDUs: building requests and parsing
// responses. No I/O; every parser is fuzzed (fuzz/s7_response_fuzz).
#pragma once
