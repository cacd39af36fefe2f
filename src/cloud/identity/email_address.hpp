// Which e-mail addresses name an account. An address is the name others see in member lists,
// invitations and audit entries, so one that looks like another must not be accepted:
// Logbot takes ASCII addresses only (an international domain is written in its IDNA "xn--"
// form, which cannot pass for its Latin look-alike), with no control or invisible characters
// and a domain of letters, digits and hyphens. Pure: unit tests call it directly.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud {

// Why `email` (after trimming surrounding blanks) is not accepted as an account's address, as
// a sentence for the user that names the offending character; nullopt when it is accepted.
std::optional<std::string> email_address_problem(std::string_view email);

// "'EMAIL' is not an e-mail address Logbot accepts: PROBLEM", for a refused address.
std::string email_refusal(std::string_view email);

}  // namespace logbot::cloud
