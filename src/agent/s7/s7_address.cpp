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
constexpr std::size_t kShownTextLimit = 64;  // longer texts are cut in messages

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
};

struct TypeName {
  std::string_view name;
  DataType type;
};

constexpr std::array<TypeName, 17> kTypeNames{{
    {"BOOL", DataType::Bool},
    {"BYTE", DataType::Byte},
    {"WORD", DataType::Word},
    {"DWORD", DataType::DWord},
    {"INT", DataType::Int},
    {"DINT", DataType::DInt},
    {"UINT", DataType::UInt},
    {"UDINT", DataType::UDInt},
    {"REAL", DataType::Real},
    {"LREAL", DataType::LReal},
    {"S5TIME", DataType::S5Time},
    {"TIME", DataType::Time},
    {"DATE", DataType::Date},
    {"DATE_AND_TIME", DataType::DateAndTime},
    {"STRING", DataType::String},
    {"CHAR", DataType::Char},
    {"COUNTER", DataType::Counter},
}};

constexpr std::string_view kAllTypes =
    "BOOL, BYTE, WORD, DWORD, INT, DINT, UINT, UDINT, REAL, LREAL, S5TIME, TIME, DATE, DATE_AND_TIME, "
    "STRING[n], CHAR or COUNTER";

bool fits_width(DataType type, Width width) noexcept {
  switch (width) {
    case Width::bit: return type == DataType::Bool;
    case Width::byte:
      return type == DataType::Byte || type == DataType::Char || type == DataType::LReal ||
             type == DataType::DateAndTime || type == DataType::String;
    case Width::word:
      return type == DataType::Word || type == DataType::Int || type == DataType::UInt || type == DataType::S5Time ||
             type == DataType::Date;
    case Width::dword:
      return type == DataType::DWord || type == DataType::DInt || type == DataType::UDInt || type == DataType::Real ||
             type == DataType::Time;
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
      return "a byte address (B) holds BYTE, CHAR, or the first byte of LREAL, DATE_AND_TIME or STRING[n]";
    case Width::word: return "a word address (W) holds WORD, INT, UINT, S5TIME or DATE";
    case Width::dword: return "a double-word address (D) holds DWORD, DINT, UDINT, REAL or TIME";
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
    switch (upper(text_[0])) {
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
        const char area = upper(text_[0]);
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
      default:
        return AddressError{shown(text_) + ": at position 1 expected an area: DB, I (E), Q (A), M, T or C (Z)", 0};
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
    if (!fits_width(address.type, width)) {
      std::string message = shown(text_) + " " + shown(type_text) + ": " + std::string(width_description(width)) +
                            ", not " + std::string(type_name(address.type));
      if (auto needed = natural_width(address.type)) {
        const std::string hint = suggested_address(address, *needed);
        if (!hint.empty()) message += "; write " + hint + " for a " + std::string(type_name(address.type));
      }
      return AddressError{message, text_.size() + 1};
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

  // "REAL", "string[20]", "STRING" (STRING[254]). Positions in errors count from the start of
  // the combined text "ADDRESS TYPE" (the canonical form to_string prints).
  boost::system::result<TypeSpec, AddressError> parse_type(std::string_view type_text) const {
    const std::size_t type_start = text_.size() + 1;
    const std::string prefix = shown(text_) + " " + shown(type_text) + ": ";
    constexpr std::string_view kString = "STRING";
    if (type_text.size() > kString.size() && equals_ignoring_case(type_text.substr(0, kString.size()), kString) &&
        type_text[kString.size()] == '[') {
      std::size_t i = kString.size() + 1;
      const std::size_t digits_start = i;
      std::uint32_t length = 0;
      while (i < type_text.size() && is_digit(type_text[i])) {
        if (length <= kMaxStringLength) length = length * 10 + static_cast<std::uint32_t>(type_text[i] - '0');
        ++i;
      }
      if (i == digits_start || length < 1 || length > kMaxStringLength)
        return AddressError{
            prefix + "at position " + std::to_string(digits_start + 1) + " of the type expected a string length 1..254",
            type_start + digits_start};
      if (i >= type_text.size() || type_text[i] != ']')
        return AddressError{prefix + "at position " + std::to_string(i + 1) + " of the type expected ']'",
                            type_start + i};
      if (i + 1 != type_text.size())
        return AddressError{
            prefix + "at position " + std::to_string(i + 2) + " of the type expected the end of the type",
            type_start + i + 1};
      return TypeSpec{DataType::String, static_cast<std::uint16_t>(length)};
    }
    for (const TypeName& entry : kTypeNames)
      if (equals_ignoring_case(type_text, entry.name))
        return TypeSpec{entry.type, entry.type == DataType::String ? static_cast<std::uint16_t>(kMaxStringLength)
                                                                   : std::uint16_t{0}};
    return AddressError{prefix + "unknown type; expected " + std::string(kAllTypes), type_start};
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace

std::size_t Address::size() const noexcept {
  switch (type) {
    case DataType::Bool:
    case DataType::Byte:
    case DataType::Char: return 1;
    case DataType::Word:
    case DataType::Int:
    case DataType::UInt:
    case DataType::S5Time:
    case DataType::Date:
    case DataType::Counter: return 2;
    case DataType::DWord:
    case DataType::DInt:
    case DataType::UDInt:
    case DataType::Real:
    case DataType::Time: return 4;
    case DataType::LReal:
    case DataType::DateAndTime: return 8;
    case DataType::String: return std::size_t{string_length} + 2;  // max length, current length, characters
  }
  return 1;
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
    case DataType::Date: width = 'W'; break;
    case DataType::DWord:
    case DataType::DInt:
    case DataType::UDInt:
    case DataType::Real:
    case DataType::Time: width = 'D'; break;
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
  if (address.type == DataType::String) text += "[" + std::to_string(address.string_length) + "]";
  return text;
}

}  // namespace logbot::agent::s7
