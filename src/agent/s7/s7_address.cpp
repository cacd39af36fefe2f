// Parser of S7 addresses in the Siemens notation (see s7_address.hpp for the grammar). A small
// hand-written scanner: every step says what it expected, so the error names the position a
// commissioning engineer has to fix. Numbers are bounded while they are read, so no input
// (the fuzzer feeds any bytes) overflows.
#include "agent/s7/s7_address.hpp"

#include <array>
#include <cstdio>
#include <optional>

namespace logbot::agent::s7 {
namespace {

constexpr std::uint32_t kMaxOffset = 65535;  // byte offset, timer and counter number
constexpr std::uint32_t kMaxDataBlock = 65535;
constexpr std::uint32_t kMaxStringLength = 254;
constexpr std::uint32_t kMaxWStringLength = 16382;  // TIA Portal's limit for WSTRING[n]
constexpr std::size_t kShownTextLimit = 64;         // longer texts are cut in messages

// Width of the address as written: the letter after the area (or the area itself for T and C).
enum class Width : std::uint8_t { bit, byte, word, dword, timer, counter };

char upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

// The text as a message shows it: printable ASCII kept, other bytes as \xNN, cut when long,
// so a config file with binary garbage cannot mess up the terminal or the log.
std::string shown(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == kShownTextLimit) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      std::array<char, 8> escaped{};
      std::snprintf(escaped.data(), escaped.size(), "\\x%02X", c);
      out += escaped.data();
    }
  }
  return out;
}

struct TypeSpec {
  DataType type;
  std::uint16_t string_length;
  std::uint32_t array_length;
};

struct TypeName {
  std::string_view name;
  DataType type;
};

// The first name of a type is the one printed; TIME_OF_DAY is TIA Portal's long name of TOD.
constexpr std::array<TypeName, 28> kTypeNames{{
    {"BOOL", DataType::Bool},       {"BYTE", DataType::Byte},
    {"WORD", DataType::Word},       {"DWORD", DataType::DWord},
    {"INT", DataType::Int},         {"DINT", DataType::DInt},
    {"UINT", DataType::UInt},       {"UDINT", DataType::UDInt},
    {"REAL", DataType::Real},       {"LREAL", DataType::LReal},
    {"S5TIME", DataType::S5Time},   {"TIME", DataType::Time},
    {"DATE", DataType::Date},       {"DATE_AND_TIME", DataType::DateAndTime},
    {"STRING", DataType::String},   {"CHAR", DataType::Char},
    {"COUNTER", DataType::Counter}, {"SINT", DataType::SInt},
    {"USINT", DataType::USInt},     {"LINT", DataType::LInt},
    {"ULINT", DataType::ULInt},     {"LWORD", DataType::LWord},
    {"WCHAR", DataType::WChar},     {"WSTRING", DataType::WString},
    {"TOD", DataType::TimeOfDay},   {"TIME_OF_DAY", DataType::TimeOfDay},
    {"LTIME", DataType::LTime},     {"DTL", DataType::Dtl},
}};

constexpr std::string_view kAllTypes =
    "BOOL, BYTE, WORD, DWORD, SINT, USINT, INT, UINT, DINT, UDINT, LINT, ULINT, LWORD, REAL, LREAL, S5TIME, TIME, "
    "LTIME, DATE, TOD, DATE_AND_TIME, DTL, STRING[n], WSTRING[n], CHAR, WCHAR or COUNTER (an array: REAL[10])";

bool is_string(DataType type) noexcept {
  return type == DataType::String || type == DataType::WString;
}

bool fits_width(DataType type, Width width) noexcept {
  switch (width) {
    case Width::bit: return type == DataType::Bool;
    case Width::byte:
      return type == DataType::Byte || type == DataType::Char || type == DataType::SInt || type == DataType::USInt ||
             type == DataType::LReal || type == DataType::LInt || type == DataType::ULInt || type == DataType::LWord ||
             type == DataType::LTime || type == DataType::DateAndTime || type == DataType::Dtl ||
             type == DataType::String || type == DataType::WString;
    case Width::word:
      return type == DataType::Word || type == DataType::Int || type == DataType::UInt || type == DataType::S5Time ||
             type == DataType::Date || type == DataType::WChar;
    case Width::dword:
      return type == DataType::DWord || type == DataType::DInt || type == DataType::UDInt || type == DataType::Real ||
             type == DataType::Time || type == DataType::TimeOfDay;
    case Width::timer: return type == DataType::S5Time;
    case Width::counter: return type == DataType::Counter || type == DataType::Word;
  }
  return false;
}

DataType default_type(Width width) noexcept {
  switch (width) {
    case Width::bit: return DataType::Bool;
    case Width::byte: return DataType::Byte;
    case Width::word: return DataType::Word;
    case Width::dword: return DataType::DWord;
    case Width::timer: return DataType::S5Time;
    case Width::counter: return DataType::Counter;
  }
  return DataType::Byte;
}

std::string_view width_description(Width width) noexcept {
  switch (width) {
    case Width::bit: return "a bit address holds BOOL only";
    case Width::byte:
      return "a byte address (B) holds BYTE, CHAR, SINT, USINT, or the first byte of LREAL, LINT, ULINT, LWORD, "
             "LTIME, DATE_AND_TIME, DTL, STRING[n], WSTRING[n] or an array";
    case Width::word: return "a word address (W) holds WORD, INT, UINT, S5TIME, DATE or WCHAR";
    case Width::dword: return "a double-word address (D) holds DWORD, DINT, UDINT, REAL, TIME or TOD";
    case Width::timer: return "a timer holds S5TIME only";
    case Width::counter: return "a counter holds COUNTER (or WORD for the raw value)";
  }
  return "";
}

// The address written with the width the type needs, for the hint in a width error.
std::string suggested_address(const Address& address, Width needed) {
  std::string text;
  switch (address.area) {
    case Area::data_block: text = "DB" + std::to_string(address.db) + ".DB"; break;
    case Area::inputs: text = "I"; break;
    case Area::outputs: text = "Q"; break;
    case Area::flags: text = "M"; break;
    case Area::timers:
    case Area::counters: return {};
  }
  switch (needed) {
    case Width::bit:
      if (address.area == Area::data_block) text += 'X';
      return text + std::to_string(address.offset) + ".0";
    case Width::byte: text += 'B'; break;
    case Width::word: text += 'W'; break;
    case Width::dword: text += 'D'; break;
    case Width::timer:
    case Width::counter: return {};
  }
  return text + std::to_string(address.offset);
}

std::optional<Width> natural_width(DataType type) noexcept {
  for (Width width : {Width::bit, Width::byte, Width::word, Width::dword})
    if (fits_width(type, width)) return width;
  return std::nullopt;  // COUNTER: counters only
}

class AddressParser {
 public:
  explicit AddressParser(std::string_view text) : text_(text) {}

  boost::system::result<Address, AddressError> parse(std::string_view type_text) {
    Address address;
    Width width = Width::byte;
    if (text_.empty())
      return AddressError{"empty address: expected an area such as DB10.DBW0, MW0, I0.0, Q0.0, T0 or C0", 0};
    // TIA Portal shows absolute addresses as %DB10.DBW2, %MW20, %I0.0: the '%' only marks the
    // address as absolute. Positions in messages still count it, so they match what was typed.
    if (text_[0] == '%') ++position_;
    switch (position_ < text_.size() ? upper(text_[position_]) : '\0') {
      case 'D': {
        ++position_;
        if (!take('B')) return expected("B (a data block address starts with DB, as in DB10.DBW0)");
        auto db = number(1, kMaxDataBlock, "a data block number 1..65535");
        if (!db) return db.error();
        address.area = Area::data_block;
        address.db = static_cast<std::uint16_t>(*db);
        if (!take('.')) return expected("'.'");
        if (!take('D') || !take('B')) return expected("DB (the data block's width: DBX, DBB, DBW or DBD)");
        auto letter = width_letter(true);
        if (!letter) return expected("X, B, W or D");
        width = *letter;
        break;
      }
      case 'I':
      case 'E':
      case 'Q':
      case 'A':
      case 'M': {
        const char area = upper(text_[position_]);
        address.area = area == 'M' ? Area::flags : (area == 'Q' || area == 'A') ? Area::outputs : Area::inputs;
        ++position_;
        if (at_digit()) {
          width = Width::bit;
        } else {
          auto letter = width_letter(false);
          if (!letter) return expected("a byte offset or a width letter B, W or D");
          width = *letter;
        }
        break;
      }
      case 'T':
        ++position_;
        address.area = Area::timers;
        width = Width::timer;
        break;
      case 'C':
      case 'Z':
        ++position_;
        address.area = Area::counters;
        width = Width::counter;
        break;
      default: return expected("an area: DB, I (E), Q (A), M, T or C (Z)");
    }

    const char* offset_what = width == Width::timer     ? "a timer number 0..65535"
                              : width == Width::counter ? "a counter number 0..65535"
                                                        : "a byte offset 0..65535";
    auto offset = number(0, kMaxOffset, offset_what);
    if (!offset) return offset.error();
    address.offset = *offset;

    if (width == Width::bit) {
      if (!take('.')) return expected("'.' and a bit number 0..7");
      auto bit = number(0, 7, "a bit number 0..7");
      if (!bit) return bit.error();
      address.bit = static_cast<std::uint8_t>(*bit);
    }
    if (position_ != text_.size()) {
      if (text_[position_] == '.' && width != Width::bit)
        return expected(
            "the end of the address (only a bit address, DBX or I/Q/M without a width letter, takes a bit number)");
      return expected("the end of the address");
    }

    if (type_text.empty()) {
      address.type = default_type(width);
      return address;
    }
    auto type = parse_type(type_text);
    if (!type) return type.error();
    address.type = type->type;
    address.string_length = type->string_length;
    address.array_length = type->array_length;
    // An array's first element sits where its type needs, or at the array's first byte.
    const bool fits = fits_width(address.type, width) ||
                      (address.is_array() && width == Width::byte && address.type != DataType::Bool);
    if (!fits) {
      std::string message = shown(text_) + " " + shown(type_text) + ": " + std::string(width_description(width)) +
                            ", not " + std::string(type_name(address.type));
      if (auto needed = natural_width(address.type)) {
        const std::string hint = suggested_address(address, *needed);
        if (!hint.empty()) message += "; write " + hint + " for a " + std::string(type_name(address.type));
      }
      return AddressError{message, text_.size() + 1};
    }
    if (address.is_array()) {
      Address element = address;
      element.array_length = 0;
      auto array = make_array(element, address.array_length);
      if (!array) return AddressError{shown(text_) + " " + shown(type_text) + ": " + array.error(), text_.size() + 1};
    }
    return address;
  }

 private:
  bool at_digit() const noexcept { return position_ < text_.size() && is_digit(text_[position_]); }

  bool take(char expected_char) noexcept {
    if (position_ < text_.size() && upper(text_[position_]) == expected_char) {
      ++position_;
      return true;
    }
    return false;
  }

  std::optional<Width> width_letter(bool bit_letter_allowed) noexcept {
    if (position_ >= text_.size()) return std::nullopt;
    switch (upper(text_[position_])) {
      case 'X':
        if (!bit_letter_allowed) return std::nullopt;
        ++position_;
        return Width::bit;
      case 'B': ++position_; return Width::byte;
      case 'W': ++position_; return Width::word;
      case 'D': ++position_; return Width::dword;
      default: return std::nullopt;
    }
  }

  // A decimal number in [minimum, maximum]. Digits beyond the maximum's size stop adding to
  // the value (it is already out of range), so a thousand-digit number cannot overflow.
  boost::system::result<std::uint32_t, AddressError> number(std::uint32_t minimum, std::uint32_t maximum,
                                                            std::string_view what) {
    const std::size_t start = position_;
    std::uint64_t value = 0;
    while (at_digit()) {
      if (value <= maximum) value = value * 10 + static_cast<std::uint64_t>(text_[position_] - '0');
      ++position_;
    }
    if (position_ == start) return expected(what);
    if (value < minimum || value > maximum) {
      const std::string digits(text_.substr(start, position_ - start));
      position_ = start;
      return expected(std::string(what) + ", got " + shown(digits));
    }
    return static_cast<std::uint32_t>(value);
  }

  AddressError expected(std::string_view what) const {
    std::string message =
        shown(text_) + ": at position " + std::to_string(position_ + 1) + " expected " + std::string(what);
    if (position_ > 0) message += " after '" + shown(text_.substr(0, position_)) + "'";
    return AddressError{message, position_};
  }

  // "REAL", "string[20]", "STRING" (STRING[254]), "WSTRING[40]", "REAL[10]" (an array). The
  // number in brackets is the length of a STRING/WSTRING and the element count of any other
  // type. Positions in errors count from the start of the combined text "ADDRESS TYPE" (the
  // canonical form to_string prints).
  boost::system::result<TypeSpec, AddressError> parse_type(std::string_view type_text) const {
    const std::size_t type_start = text_.size() + 1;
    const std::string prefix = shown(text_) + " " + shown(type_text) + ": ";
    auto at = [&](std::size_t i, std::string_view what) {
      return AddressError{
          prefix + "at position " + std::to_string(i + 1) + " of the type expected " + std::string(what),
          type_start + i};
    };
    const std::size_t bracket = type_text.find('[');
    const std::string_view name = type_text.substr(0, bracket);
    const TypeName* entry = nullptr;
    for (const TypeName& candidate : kTypeNames)
      if (equals_ignoring_case(name, candidate.name)) entry = &candidate;
    if (entry == nullptr) return AddressError{prefix + "unknown type; expected " + std::string(kAllTypes), type_start};
    const DataType type = entry->type;
    const std::uint32_t string_limit = type == DataType::WString ? kMaxWStringLength : kMaxStringLength;
    if (bracket == std::string_view::npos)
      return TypeSpec{type, is_string(type) ? static_cast<std::uint16_t>(kMaxStringLength) : std::uint16_t{0}, 0};

    const std::uint32_t limit = is_string(type) ? string_limit : kMaxArrayLength;
    std::size_t i = bracket + 1;
    const std::size_t digits_start = i;
    std::uint32_t number = 0;
    while (i < type_text.size() && is_digit(type_text[i])) {
      if (number <= limit) number = number * 10 + static_cast<std::uint32_t>(type_text[i] - '0');
      ++i;
    }
    const std::string what =
        is_string(type) ? "a string length 1.." + std::to_string(limit) : "an array length 1.." + std::to_string(limit);
    if (i == digits_start || number < 1 || number > limit) return at(digits_start, what);
    if (i >= type_text.size() || type_text[i] != ']') return at(i, "']'");
    if (i + 1 != type_text.size()) {
      if (is_string(type) && type_text[i + 1] == '[')
        return at(i + 1, "the end of the type (arrays of " + std::string(type_name(type)) +
                             " are not supported: one tag per string)");
      return at(i + 1, "the end of the type");
    }
    if (is_string(type)) return TypeSpec{type, static_cast<std::uint16_t>(number), 0};
    return TypeSpec{type, 0, number};
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace

std::size_t Address::element_size() const noexcept {
  switch (type) {
    case DataType::Bool:
    case DataType::Byte:
    case DataType::Char:
    case DataType::SInt:
    case DataType::USInt: return 1;
    case DataType::Word:
    case DataType::Int:
    case DataType::UInt:
    case DataType::S5Time:
    case DataType::Date:
    case DataType::WChar:
    case DataType::Counter: return 2;
    case DataType::DWord:
    case DataType::DInt:
    case DataType::UDInt:
    case DataType::Real:
    case DataType::Time:
    case DataType::TimeOfDay: return 4;
    case DataType::LReal:
    case DataType::DateAndTime:
    case DataType::LInt:
    case DataType::ULInt:
    case DataType::LWord:
    case DataType::LTime: return 8;
    case DataType::Dtl: return 12;  // year 2, month, day, weekday, hour, minute, second 1 each, nanoseconds 4
    case DataType::String: return std::size_t{string_length} + 2;  // max length, current length, characters
    case DataType::WString:
      return 4 + 2 * std::size_t{string_length};  // max and current length in words, UTF-16 code units
  }
  return 1;
}

std::size_t Address::size() const noexcept {
  if (!is_array()) return element_size();
  if (type == DataType::Bool) return (std::size_t{bit} + array_length + 7) / 8;
  return element_size() * array_length;
}

Address Address::element(std::size_t index) const noexcept {
  Address one = *this;
  one.array_length = 0;
  if (type == DataType::Bool) {
    const std::size_t bit_number = std::size_t{bit} + index;
    one.offset = static_cast<std::uint32_t>(offset + bit_number / 8);
    one.bit = static_cast<std::uint8_t>(bit_number % 8);
  } else {
    one.offset = static_cast<std::uint32_t>(offset + index * element_size());
  }
  return one;
}

boost::system::result<Address, std::string> make_array(Address element, std::uint64_t length) {
  using Result = boost::system::result<Address, std::string>;
  if (element.is_array())
    return Result(boost::system::in_place_error, "the type is already an array; give its length once");
  if (is_string(element.type))
    return Result(boost::system::in_place_error,
                  "arrays of " + std::string(type_name(element.type)) + " are not supported: one tag per string");
  if (element.area == Area::timers || element.area == Area::counters)
    return Result(boost::system::in_place_error,
                  "timers and counters are read one per tag; an array needs a DB, I, Q or M address");
  if (length < 1 || length > kMaxArrayLength)
    return Result(boost::system::in_place_error,
                  "an array length must be 1.." + std::to_string(kMaxArrayLength) + ", got " + std::to_string(length));
  element.array_length = static_cast<std::uint32_t>(length);
  if (std::size_t{element.offset} + element.size() > kAreaBytes)
    return Result(boost::system::in_place_error, "the array's " + std::to_string(element.size()) + " bytes from byte " +
                                                     std::to_string(element.offset) + " run past byte " +
                                                     std::to_string(kAreaBytes - 1) +
                                                     " (an area with absolute addresses holds at most 64 KB)");
  return element;
}

boost::system::result<Address, AddressError> parse_address(std::string_view address, std::string_view type) {
  return AddressParser(address).parse(type);
}

std::string_view type_name(DataType type) {
  for (const TypeName& entry : kTypeNames)
    if (entry.type == type) return entry.name;
  return "UNKNOWN";
}

std::string to_string(const Address& address) {
  std::string text;
  const bool bit = address.type == DataType::Bool;
  char width = 'B';
  switch (address.type) {
    case DataType::Word:
    case DataType::Int:
    case DataType::UInt:
    case DataType::S5Time:
    case DataType::Date:
    case DataType::WChar: width = 'W'; break;
    case DataType::DWord:
    case DataType::DInt:
    case DataType::UDInt:
    case DataType::Real:
    case DataType::Time:
    case DataType::TimeOfDay: width = 'D'; break;
    default: break;
  }
  switch (address.area) {
    case Area::data_block: text = "DB" + std::to_string(address.db) + ".DB" + (bit ? 'X' : width); break;
    case Area::inputs:
    case Area::outputs:
    case Area::flags:
      text = address.area == Area::inputs ? "I" : address.area == Area::outputs ? "Q" : "M";
      if (!bit) text += width;
      break;
    case Area::timers: text = "T"; break;
    case Area::counters: text = "C"; break;
  }
  text += std::to_string(address.offset);
  if (bit) text += "." + std::to_string(address.bit);
  text += ' ';
  text += type_name(address.type);
  if (is_string(address.type)) text += "[" + std::to_string(address.string_length) + "]";
  if (address.is_array()) text += "[" + std::to_string(address.array_length) + "]";
  return text;
}

}  // namespace logbot::agent::s7
