// Transport-independent HTTP request and response, so that routing, authorisation and the
// handlers are plain functions that unit tests and fuzzers call without sockets or TLS.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logbot::cloud::http {

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as received, e.g. "/api/v1/me/audit?format=csv"
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  std::string peer_ip;

  // First header of that (lower-case) name, or "".
  std::string_view header(std::string_view lower_name) const;
  std::string query_value(const std::string& name) const;
};

struct Response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void set_header(std::string name, std::string value);
  bool has_header(std::string_view name) const;
};

Response json_response(unsigned status, std::string body);
// {"error": code, "message": message}
Response error_response(unsigned status, std::string_view code, std::string_view message);
Response no_content();

}  // namespace logbot::cloud::http
