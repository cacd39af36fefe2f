// S7 addresses in the Siemens notation (German and English mnemonics) and the data types of
// the issue: what a tag names and how many bytes it occupies. No I/O; fuzzed (fuzz/s7_address_fuzz).
//
//   DB10.DBX4.3  DB10.DBB5  DB10.DBW6  DB10.DBD8   data block: bit, byte, word, double word
//   M5.1 MB5 MW20 MD24                              flags (Merker)
//   I0.0 IB0 IW2 ID4 / E0.0 EB0 EW2 ED4              process inputs
//   Q1.2 QB1 QW2 QD4 / A1.2 AB1 AW2 AD4              process outputs
//   T3 / C4 (Z4)                                     timer, counter
//   %DB10.DBW6  %MW20  %I0.0  %Q1.2                  the same as TIA Portal shows them: a leading
//                                                    '%' is accepted (and not printed back)
//
// The type comes from the tag's `type` setting; without it from the width (X/bit: BOOL,
// B: BYTE, W: WORD, D: DWORD, T: S5TIME, C: COUNTER). Types wider than the width letter
// allows (LREAL, LINT, ULINT, LWORD, LTIME, DATE_AND_TIME, DTL, STRING[n], WSTRING[n]) start
// at a byte address (DBB / MB / IB / QB).
//
// An array is one tag: `type = "REAL[10]"` (or a `count` in the tag's table) reads ten REALs
// from the address on, as one value. Its elements lie back to back as in a DB with standard
// (not optimized) access; BOOL elements are consecutive bits, from the address's bit on.
// An array starts at the address its element type needs, or at a byte address.
#pragma once
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace logbot::agent::s7 {

// The area codes of the S7 protocol's Read/Write Var items.
enum class Area : std::uint8_t {
  inputs = 0x81,
  outputs = 0x82,
  flags = 0x83,
  data_block = 0x84,
  counters = 0x1C,
  timers = 0x1D,
};

enum class DataType : std::uint8_t {
  Bool,
  Byte,
  Word,
  DWord,
  Int,
  DInt,
  UInt,
  UDInt,
  Real,
  LReal,
  S5Time,
  Time,
  Date,
  DateAndTime,
  String,
  Char,
  Counter,  // C/Z addresses: a BCD count 0..999
  // S7-1200/1500 (TIA Portal) types
  SInt,
  USInt,
  LInt,
  ULInt,
  LWord,
  WChar,
  WString,
  TimeOfDay,
  LTime,
  Dtl,
};

constexpr std::uint32_t kMaxArrayLength = 65535;
// The last byte an array may reach: a DB with standard access holds at most 64 KB.
constexpr std::size_t kAreaBytes = 65536;

struct Address {
  Area area = Area::data_block;
  std::uint16_t db = 0;      // data_block only (1..65535)
  std::uint32_t offset = 0;  // byte offset; timer/counter number for timers/counters
  std::uint8_t bit = 0;      // Bool only, 0..7
  DataType type = DataType::Byte;
  std::uint16_t string_length = 0;  // String: n of STRING[n], 1..254; WString: of WSTRING[n], 1..16382
  std::uint32_t array_length = 0;   // 0: one value; n: an ARRAY of n elements of `type`, 1..65535

  bool is_array() const noexcept { return array_length != 0; }
  // Bytes one element occupies in the PLC: Bool 1 (the byte holding the bit), Byte/Char/SInt/
  // USInt 1, Word/Int/UInt/S5Time/Date/WChar 2, DWord/DInt/UDInt/Real/Time/TimeOfDay 4,
  // LReal/DateAndTime/LInt/ULInt/LWord/LTime 8, Dtl 12, String n+2, WString 4+2n, timer/counter 2.
  std::size_t element_size() const noexcept;
  // Bytes the whole value occupies: element_size() for one value; n elements back to back
  // for an array, a BOOL array the bytes its n consecutive bits touch from `bit` on.
  std::size_t size() const noexcept;
  // Element `index` of an array as an address of its own (array_length 0); a BOOL element's
  // bit counts on from `bit` into the following bytes.
  Address element(std::size_t index) const noexcept;
};

struct AddressError {
  // "DB10.DBQ4: at position 8 expected X, B, W or D after 'DB10.DB'" (positions 1-based here)
  std::string message;
  // 0-based index of the offending character in "ADDRESS TYPE", the address and the type
  // joined by one space as to_string prints them: an index below address.size() points into
  // the address, address.size() + 1 + i at character i of the type.
  std::size_t position;
};

// Parses `address` with an optional `type` ("REAL", "STRING[20]", "STRING" = STRING[254],
// "WSTRING[40]", "REAL[10]" an array of ten, case-insensitive; empty: from the width). Strict:
// no spaces, decimal numbers only; bit 0..7, DB 1..65535, offsets and timer/counter numbers
// 0..65535, an array within the area's 64 KB. Errors name the offending position, say what
// was expected and, for a type that does not fit the width, which types fit.
boost::system::result<Address, AddressError> parse_address(std::string_view address, std::string_view type = {});

// `element` made an ARRAY of `length` elements (the tag's `count` setting). Errors: already an
// array, an array of STRING/WSTRING (not supported), a length outside 1..65535, or an array
// that runs past byte 65535 of its area.
boost::system::result<Address, std::string> make_array(Address element, std::uint64_t length);

// Canonical text: "DB10.DBD8 REAL", "M5.1 BOOL", "T3 S5TIME", "DB10.DBD0 REAL[10]".
std::string to_string(const Address& address);
std::string_view type_name(DataType type);  // "REAL", "STRING" (without [n]), "TOD", ...

}  // namespace logbot::agent::s7
