#include "cli/commands.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/net/https_client.hpp"
#include "common/terminal.hpp"
#include "common/version.hpp"

namespace logbot::cli {

using net::HttpResponse;
using net::HttpsClient;

namespace {

// The CLI verifies the server against certificate authorities (never a pin) and the URL's host.
net::ClientOptions client_options(const std::string& url, const std::string& ca_file) {
  net::ClientOptions options;
  options.url = url;
  options.ca_file = ca_file;
  return options;
}

constexpr const char* kLoginHint = "run logbot login --url https://HOST:PORT --email EMAIL";
constexpr const char* kCodePrompt = "Authenticator code (or recovery code): ";

int fail(Console& console, const std::string& message) {
  console.err << "logbot: " << printable(message) << "\n";
  return 1;
}

std::string without_spaces(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != ' ' && c != '\t') out += c;
  return out;
}

bool is_six_digits(std::string_view text) {
  return text.size() == 6 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const boost::json::object* object_field(const HttpResponse& response, std::string_view name) {
  if (!response.json || !response.json->is_object()) return nullptr;
  const auto* field = response.json->as_object().if_contains(name);
  return field != nullptr && field->is_object() ? &field->as_object() : nullptr;
}

std::string string_in(const boost::json::object& object, std::string_view name) {
  const auto* field = object.if_contains(name);
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

std::string locked_message(const HttpResponse& response) {
  std::string wait;
  if (response.json && response.json->is_object())
    if (const auto* retry = response.json->as_object().if_contains("retry_after_s"); retry && retry->is_number())
      wait = " in " + std::to_string(static_cast<long long>(retry->to_number<double>())) + " s";
  return "too many failed attempts: login is locked for now; try again" + (wait.empty() ? " later" : wait);
}

std::string server_said(const HttpResponse& response) {
  std::string text = "the server answered " + std::to_string(response.status);
  if (const std::string code = response.error_code(); !code.empty()) text += " " + code;
  return text + ": " + response.error_message();
}

// Ends a half-finished login on the server so no half-authenticated session lingers; errors are moot.
void abandon_login(HttpsClient& client) {
  if (!client.session_cookie().empty()) (void)client.post("/api/v1/auth/logout");
}

// A client for the stored session, or the message to print.
net::Result<HttpsClient> client_for(const StoredSession& session) {
  auto client = HttpsClient::create(client_options(session.url, session.ca_file));
  if (!client) return client.error();
  client->set_session_cookie(session.cookie);
  client->set_csrf_token(session.csrf_token);
  return client;
}

struct LoadedSession {
  std::filesystem::path file;
  std::optional<StoredSession> session;
};

net::Result<LoadedSession> load_stored(Console& console) {
  auto file = session_file_path(console.environment);
  if (!file) return file.error();
  auto session = load_session(*file);
  if (!session) return session.error();
  return LoadedSession{*file, *session};
}

// ---------------------------------------------------------------------------------------------
// login
// ---------------------------------------------------------------------------------------------

struct LoginOptions {
  std::string url;
  std::string email;
  std::string ca_file;
  bool password_stdin = false;
};

int login(const LoginOptions& options, Console& console) {
  auto file = session_file_path(console.environment);
  if (!file) return fail(console, file.error().message);
  std::string ca_file;
  if (!options.ca_file.empty()) {
    std::error_code ec;
    ca_file = std::filesystem::absolute(options.ca_file, ec).string();
    if (ec) return fail(console, "cannot resolve the CA file path " + options.ca_file + ": " + ec.message());
  }
  auto client = HttpsClient::create(client_options(options.url, ca_file));
  if (!client) return fail(console, client.error().message);

  std::optional<std::string> password;
  if (options.password_stdin) {
    password = read_line(console.in);
    if (!password)
      return fail(console, "--password-stdin: standard input is empty (give the password as its first line)");
  } else if (!console.input_is_terminal) {
    return fail(console, "no terminal to ask for the password: pipe it in with --password-stdin");
  } else {
    password = console.ask("Password: ", true);
    if (!password) return fail(console, "no password given");
  }
  if (password->empty()) return fail(console, "the password is empty");

  const boost::json::value credentials = boost::json::object{{"email", options.email}, {"password", *password}};
  auto answer = client->post("/api/v1/auth/login", &credentials);
  if (!answer) return fail(console, answer.error().message);
  if (answer->status == 401) return fail(console, "login failed: wrong e-mail or password");
  if (answer->status == 429) return fail(console, "login failed: " + locked_message(*answer));
  if (answer->status != 200) return fail(console, "login failed: " + server_said(*answer));

  client->set_csrf_token(answer->string_field("csrf_token"));
  std::string stage = answer->string_field("stage");
  if (stage.empty()) stage = "full";  // servers before 2FA do not send a stage
  std::string email = options.email;
  if (const auto* user = object_field(*answer, "user"); user && !string_in(*user, "email").empty())
    email = string_in(*user, "email");

  if (stage == "totp_required") {
    std::optional<std::string> code;
    if (options.password_stdin)
      code = read_line(console.in);
    else
      code = console.ask(kCodePrompt, false);
    const std::string typed = code ? without_spaces(*code) : std::string();
    if (typed.empty()) {
      abandon_login(*client);
      return fail(console, "this account has two-factor authentication: give the code from the authenticator app" +
                               std::string(options.password_stdin ? " as the second line of standard input" : "") +
                               " (or a recovery code)");
    }
    const boost::json::value second_factor =
        is_six_digits(typed) ? boost::json::object{{"code", typed}} : boost::json::object{{"recovery_code", typed}};
    answer = client->post("/api/v1/auth/totp", &second_factor);
    if (!answer) return fail(console, answer.error().message);
    if (answer->status == 401 && answer->error_code() == "invalid_totp") {
      abandon_login(*client);
      return fail(console,
                  "login failed: the authenticator code (or recovery code) is not correct; "
                  "wait for the next code and log in again");
    }
    if (answer->status == 401)
      return fail(console, "login failed: the login timed out before the code arrived; log in again");
    if (answer->status == 429) {
      abandon_login(*client);
      return fail(console, "login failed: " + locked_message(*answer));
    }
    if (answer->status != 200) {
      abandon_login(*client);
      return fail(console, "login failed at the second step: " + server_said(*answer));
    }
    client->set_csrf_token(answer->string_field("csrf_token"));
    stage = answer->string_field("stage");
    if (stage.empty()) stage = "full";
  }
  if (stage == "totp_enrolment_required") {
    abandon_login(*client);
    return fail(console,
                "your organisation requires two-factor authentication and this account has none yet: "
                "enrol an authenticator app in the web console (" +
                    client->server().origin + ") first, then run logbot login again");
  }
  if (stage != "full") {
    abandon_login(*client);
    return fail(console, "the server asked for an unknown login step '" + stage + "': update logbot");
  }
  if (client->session_cookie().empty())
    return fail(console, "the server accepted the login but set no session cookie (is it a Logbot server?)");

  const StoredSession session{client->server().origin, client->session_cookie(), client->csrf_token(), ca_file, email};
  if (auto saved = save_session(*file, session); !saved) {
    abandon_login(*client);
    return fail(console, saved.error().message);
  }
  console.out << "logged in as " << printable(email) << "\n";
  return 0;
}

// ---------------------------------------------------------------------------------------------
// whoami, logout, audit
// ---------------------------------------------------------------------------------------------

// GET with the stored session; an ended session becomes one message for every command.
net::Result<HttpResponse> get_with_session(Console& console, std::string_view target, const std::string& what) {
  auto loaded = load_stored(console);
  if (!loaded) return loaded.error();
  if (!loaded->session) return logbot::fail(net::ErrorCode::not_logged_in, std::string("not logged in: ") + kLoginHint);
  auto client = client_for(*loaded->session);
  if (!client) return client.error();
  auto answer = client->get(target);
  if (!answer) return answer.error();
  if (answer->status == 401)
    return logbot::fail(net::ErrorCode::not_logged_in,
                        "the session has ended (logged out, expired or revoked): run logbot login again");
  if (answer->status == 403 &&
      (answer->error_code() == "second_factor_required" || answer->error_code() == "totp_enrolment_required"))
    return logbot::fail(net::ErrorCode::not_logged_in,
                        "the stored session is not fully logged in: run logbot login again");
  if (answer->status != 200) return logbot::fail(net::ErrorCode::http_error, what + " failed: " + server_said(*answer));
  return answer;
}

int whoami(Console& console) {
  auto answer = get_with_session(console, "/api/v1/me", "whoami");
  if (!answer) return fail(console, answer.error().message);
  auto loaded = load_stored(console);
  const std::string url = loaded && loaded->session ? loaded->session->url : std::string();
  const auto* user = object_field(*answer, "user");
  if (user == nullptr) return fail(console, "whoami failed: the server's answer has no user");
  std::string line = string_in(*user, "email");
  if (const std::string name = string_in(*user, "display_name"); !name.empty() && name != line)
    line += " (" + name + ")";
  console.out << printable(line) << "\n";
  console.out << "server: " << printable(url) << "\n";
  if (const auto* op = user->if_contains("is_operator"); op && op->is_bool() && op->as_bool())
    console.out << "platform operator\n";
  if (const auto* totp = user->if_contains("totp_enabled"); totp && totp->is_bool())
    console.out << "two-factor authentication: " << (totp->as_bool() ? "on" : "off") << "\n";

  std::vector<std::vector<std::string>> rows;
  if (answer->json->as_object().contains("memberships") && answer->json->as_object().at("memberships").is_array())
    for (const auto& entry : answer->json->as_object().at("memberships").as_array()) {
      if (!entry.is_object()) continue;
      const auto& m = entry.as_object();
      rows.push_back({string_in(m, "org_name"), string_in(m, "role"), string_in(m, "org_id")});
    }
  if (rows.empty()) {
    console.out << "organisations: none\n";
  } else {
    console.out << "\n" << format_table({"Organisation", "Role", "ID"}, rows);
  }
  return 0;
}

int logout(Console& console) {
  auto loaded = load_stored(console);
  if (!loaded) return fail(console, loaded.error().message);
  if (!loaded->session) {
    console.out << "not logged in (nothing to do)\n";
    return 0;
  }
  auto client = client_for(*loaded->session);
  if (!client) return fail(console, client.error().message);
  auto answer = client->post("/api/v1/auth/logout");
  const std::string keep_hint = "; " + loaded->file.string() + " is kept: run logbot logout again, or delete it";
  if (!answer) return fail(console, "cannot end the session on the server: " + answer.error().message + keep_hint);
  const bool ended = answer->ok();
  const bool already_gone = answer->status == 401;
  if (!ended && !already_gone)
    return fail(console, "cannot end the session on the server: " + server_said(*answer) + keep_hint);
  if (auto removed = remove_session(loaded->file); !removed) return fail(console, removed.error().message);
  console.out << (ended ? "logged out\n" : "logged out (the session had already ended on the server)\n");
  return 0;
}

int audit(std::optional<int> limit, Console& console) {
  std::string target = "/api/v1/me/audit";
  if (limit) target += "?limit=" + std::to_string(*limit);
  auto answer = get_with_session(console, target, "audit");
  if (!answer) return fail(console, answer.error().message);
  const auto& body = answer->json->as_object();
  if (!body.contains("events") || !body.at("events").is_array())
    return fail(console, "audit failed: the server's answer has no events");
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : body.at("events").as_array()) {
    if (!entry.is_object()) continue;
    const auto& e = entry.as_object();
    rows.push_back({string_in(e, "time"), string_in(e, "event"), string_in(e, "ip"), string_in(e, "client"),
                    string_in(e, "details")});
  }
  if (rows.empty()) {
    console.out << "no entries\n";
    return 0;
  }
  console.out << format_table({"Date", "Event", "IP", "Client", "Details"}, rows);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The process environment
// ---------------------------------------------------------------------------------------------

std::optional<std::string> process_environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::size_t display_width(std::string_view text) {
  // Code points, not bytes: close enough for aligning names with accents.
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  cells.push_back(header);
  for (const auto& row : rows) cells.push_back(row);
  std::vector<std::size_t> widths(header.size(), 0);
  for (auto& row : cells) {
    row.resize(header.size());
    for (std::size_t column = 0; column < row.size(); ++column) {
      row[column] = printable(row[column]);
      widths[column] = std::max(widths[column], display_width(row[column]));
    }
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (std::size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size()) line += std::string(widths[column] - display_width(row[column]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

Console system_console() {
  return Console{std::cin, std::cout, std::cerr, process_environment, ::isatty(STDIN_FILENO) == 1, ask_terminal};
}

int run_cli(int argc, const char* const* argv, Console& console) {
  CLI::App app{"logbot: the Logbot command-line client"};
  app.set_version_flag("--version", std::string("logbot ") + kVersion);
  app.require_subcommand(1);
  app.footer(
      "The session is kept in $LOGBOT_CONFIG_DIR/session.json (default ~/.config/logbot/session.json), mode 0600.");

  LoginOptions login_options;
  CLI::App* login_command = app.add_subcommand("login", "Log in and keep the session for the other commands");
  login_command->add_option("--url", login_options.url, "Server URL, https://HOST:PORT")->required();
  login_command->add_option("--email", login_options.email, "Your e-mail address")->required();
  login_command->add_flag("--password-stdin", login_options.password_stdin,
                          "Read the password from the first line of standard input (and the authenticator code, "
                          "if asked, from the second)");
  login_command->add_option("--ca-file", login_options.ca_file,
                            "Trust only this PEM certificate (e.g. the server's DATA_DIR/tls/cert.pem) instead of "
                            "the system's certificate authorities");

  CLI::App* whoami_command = app.add_subcommand("whoami", "Show the logged-in account, its organisations and roles");
  CLI::App* logout_command = app.add_subcommand("logout", "End the session on the server and forget it here");
  std::optional<int> limit;
  CLI::App* audit_command = app.add_subcommand("audit", "Show your account log: Date, Event, IP, Client, Details");
  audit_command->add_option("--limit", limit, "Newest N entries (1 to 10000; default: the server's)")
      ->check(CLI::Range(1, 10000));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error, console.out, console.err) == 0 ? 0 : 1;
  }

  try {
    if (login_command->parsed()) return login(login_options, console);
    if (whoami_command->parsed()) return whoami(console);
    if (logout_command->parsed()) return logout(console);
    if (audit_command->parsed()) return audit(limit, console);
  } catch (const std::exception& error) {
    return fail(console, std::string("unexpected error: ") + error.what());
  }
  return fail(console, "no command given (see logbot --help)");
}

}  // namespace logbot::cli
