// The S7 client and driver against a hostile responder (tests/support/scripted_peer.hpp: a
// loopback TCP peer, port 0, its own thread) that plays scripted bytes, from a correct exchange
// to truncated, oversized and inconsistent TPKT/COTP/S7 frames, silence and a close in the
// middle of a frame. Every case must end in a clear error (no crash, no hang: the timeout is
// 300 ms).
#include "agent/s7/s7_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/collect/collect_config.hpp"
#include "agent/s7/s7_driver.hpp"
#include "tests/support/scripted_peer.hpp"

namespace logbot::agent::s7 {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using support::answer;
using support::close_connection;
using support::receive;
using support::ScriptedPeer;
using support::send;
using support::Step;

// The drivers stamp readings with the injected wall clock: a fixed one makes the stamp exact.
constexpr std::int64_t kNowMs = 1'795'823'941'123;  // 2026-11-27T23:59:01.123Z
const ManualClock kClock(kNowMs);

testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

Bytes frame(std::initializer_list<int> bytes) {
  Bytes out;
  for (int byte : bytes) out.push_back(static_cast<std::uint8_t>(byte));
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// One TPKT frame holding one COTP data TPDU (`last`: the EOT bit).
Bytes data_tpdu(const Bytes& pdu, bool last = true) {
  const std::size_t length = 7 + pdu.size();
  return concat({frame({0x03, 0x00, static_cast<int>(length >> 8), static_cast<int>(length & 0xFF), 0x02, 0xF0,
                        last ? 0x80 : 0x00}),
                 pdu});
}

const Bytes kConnectionConfirm = frame({
    0x03, 0x00, 0x00, 0x16,  // TPKT, 22 bytes
    0x11, 0xD0,              // COTP header length 17, connection confirm
    0x00, 0x01, 0x44, 0x31,  // references
    0x00,                    // class 0
    0xC0, 0x01, 0x0A,        // TPDU size 1024
    0xC1, 0x02, 0x01, 0x00,  // calling TSAP
    0xC2, 0x02, 0x02, 0x01,  // called TSAP
});

Bytes setup_ack(int reference, int pdu_size, int jobs = 1, int error_class = 0, int error_code = 0) {
  return data_tpdu(frame({
      0x32,           0x03,
      0x00,           0x00,
      reference >> 8, reference & 0xFF,  // ack_data, reference
      0x00,           0x08,
      0x00,           0x00,        // parameters 8, data 0
      error_class,    error_code,  // error
      0xF0,           0x00,        // Setup Communication
      0x00,           jobs,
      0x00,           jobs,             // max AmQ calling / called
      pdu_size >> 8,  pdu_size & 0xFF,  // PDU size
  }));
}

// An ack_data Read Var answer: `items` is the data part, `count` the item count.
Bytes read_ack(int reference, int count, const Bytes& items) {
  const int length = static_cast<int>(items.size());
  return concat({frame({0x32, 0x03, 0x00, 0x00, reference >> 8, reference & 0xFF,  // ack_data, reference
                        0x00, 0x02, length >> 8, length & 0xFF,                    // parameters 2, data
                        0x00, 0x00,                                                // no error
                        0x04, count}),                                             // Read Var, items
                 items});
}

// Runs a client coroutine to completion on `io`.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> operation) {
  std::optional<T> outcome;
  asio::co_spawn(io, std::move(operation), [&](std::exception_ptr failure, T result) {
    if (failure) std::rethrow_exception(failure);
    outcome = std::move(result);
  });
  io.restart();
  io.run();
  return std::move(*outcome);
}

ConnectOptions options_for(const ScriptedPeer& peer) {
  ConnectOptions options;
  options.host = "127.0.0.1";
  options.port = peer.port();
  options.tsaps = Tsaps{0x0100, 0x0201};
  options.pdu_size = 480;
  options.max_parallel_jobs = 8;
  options.timeout = milliseconds(300);
  return options;
}

PlannedItem db_item(std::uint16_t db, std::uint32_t start, std::uint16_t count) {
  PlannedItem item;
  item.area = Area::data_block;
  item.db = db;
  item.start = start;
  item.count = count;
  return item;
}

ReadPlan plan_of(std::vector<std::vector<PlannedItem>> pdus) {
  ReadPlan plan;
  for (auto& items : pdus) plan.pdus.push_back(PlannedPdu{std::move(items)});
  return plan;
}

// One item DB10 bytes 0..3, answered with 11 22 33 44.
const ReadPlan kOneItem = plan_of({{db_item(10, 0, 4)}});
Bytes one_item_ack(int reference) {
  return data_tpdu(read_ack(reference, 1, frame({0xFF, 0x04, 0x00, 0x20, 0x11, 0x22, 0x33, 0x44})));
}

class S7ClientTest : public testing::Test {
 protected:
  SystemClock clock_;
  asio::io_context io_;
  S7Client client_{io_.get_executor(), clock_};

  Result<Session> connect(const ScriptedPeer& peer) { return run(io_, client_.connect(options_for(peer))); }
  // Connects through a well-behaved COTP and Setup Communication (reference 1).
  static std::vector<Step> handshake(int pdu_size = 480, int jobs = 1) {
    return {receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, pdu_size, jobs))};
  }
  static std::vector<Step> with(std::vector<Step> steps, std::initializer_list<Step> more) {
    steps.insert(steps.end(), more);
    return steps;
  }
};

// ---- a correct exchange, byte for byte ----

TEST_F(S7ClientTest, GoodExchangeSendsTheExactBytes) {
  ScriptedPeer peer(with(
      handshake(), {
                       receive(),
                       send(data_tpdu(read_ack(2, 2,
                                               frame({
                                                   0xFF, 0x04, 0x00, 0x20, 0x11, 0x22, 0x33, 0x44,  // item 1: 32 bits
                                                   0xFF, 0x04, 0x00, 0x08, 0x5A,  // item 2: 8 bits (last: no fill byte)
                                               })))),
                   }));
  auto session = connect(peer);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->pdu_size, 480);
  EXPECT_EQ(session->parallel_jobs, 1);
  PlannedItem flags;
  flags.area = Area::flags;
  flags.start = 5;
  flags.count = 1;
  const ReadPlan plan = plan_of({{db_item(10, 0, 4), flags}});
  auto answers = run(io_, client_.read(plan));
  ASSERT_TRUE(answers) << answers.error().message;
  ASSERT_EQ(answers->size(), 1u);
  ASSERT_EQ((*answers)[0].items.size(), 2u);
  EXPECT_EQ((*answers)[0].items[0].data, frame({0x11, 0x22, 0x33, 0x44}));
  EXPECT_EQ((*answers)[0].items[1].data, frame({0x5A}));
  EXPECT_GT((*answers)[0].arrived_ms, 1'600'000'000'000);
  EXPECT_TRUE(client_.is_open());

  peer.finish();
  ASSERT_EQ(peer.received().size(), 3u);
  const Bytes connection_request = frame({
      0x03, 0x00, 0x00, 0x16,                    // TPKT, 22 bytes
      0x11, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00,  // COTP connection request, class 0
      0xC0, 0x01, 0x0A,                          // TPDU size 1024
      0xC1, 0x02, 0x01, 0x00,                    // local TSAP 0x0100
      0xC2, 0x02, 0x02, 0x01,                    // remote TSAP 0x0201
  });
  EXPECT_EQ(peer.received()[0], connection_request);
  const Bytes setup_communication = frame({
      0x03, 0x00, 0x00, 0x19, 0x02, 0xF0, 0x80,  // TPKT 25 bytes, COTP data, EOT
      0x32, 0x01, 0x00, 0x00, 0x00, 0x01,        // S7 job, reference 1
      0x00, 0x08, 0x00, 0x00,                    // parameters 8, data 0
      0xF0, 0x00, 0x00, 0x08, 0x00, 0x08,        // Setup Communication, 8 / 8 parallel jobs
      0x01, 0xE0,                                // PDU size 480
  });
  EXPECT_EQ(peer.received()[1], setup_communication);
  const Bytes read_request = frame({
      0x03, 0x00, 0x00, 0x2B, 0x02, 0xF0, 0x80,                                // TPKT 43 bytes, COTP data, EOT
      0x32, 0x01, 0x00, 0x00, 0x00, 0x02,                                      // S7 job, reference 2
      0x00, 0x1A, 0x00, 0x00,                                                  // parameters 26, data 0
      0x04, 0x02,                                                              // Read Var, 2 items
      0x12, 0x0A, 0x10, 0x02, 0x00, 0x04, 0x00, 0x0A, 0x84, 0x00, 0x00, 0x00,  // DB10.DBB0, 4 bytes
      0x12, 0x0A, 0x10, 0x02, 0x00, 0x01, 0x00, 0x00, 0x83, 0x00, 0x00, 0x28,  // MB5, 1 byte
  });
  EXPECT_EQ(peer.received()[2], read_request);
}

TEST_F(S7ClientTest, BindsToTheAutomationSideAddress) {
  ScriptedPeer peer(handshake());
  ConnectOptions options = options_for(peer);
  options.bind_address = "127.0.0.2";  // another loopback address: visible to the peer
  auto session = run(io_, client_.connect(options));
  ASSERT_TRUE(session) << session.error().message;
  peer.finish();
  EXPECT_EQ(peer.client_address(), "127.0.0.2");
}

TEST_F(S7ClientTest, RefusesABindAddressThatIsNotAnAddress) {
  ConnectOptions options;
  options.host = "127.0.0.1";
  options.port = 1;
  options.bind_address = "plc-lan";
  auto session = run(io_, client_.connect(options));
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "bind address \"plc-lan\" is not an IP address"));
  EXPECT_EQ(session.error().code, ErrorCode::bind_failed);
}

TEST_F(S7ClientTest, ConnectionRefused) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = closed.local_endpoint().port();
  }
  ConnectOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.timeout = milliseconds(300);
  auto session = run(io_, client_.connect(options));
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "cannot connect to 127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(session.error().code, ErrorCode::unreachable);
  EXPECT_FALSE(client_.is_open());
}

// ---- TPKT and COTP violations ----

TEST_F(S7ClientTest, TruncatedTpkt) {
  ScriptedPeer peer({receive(), send(frame({0x03, 0x00})), close_connection()});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message,
                       "the PLC closed the connection during the COTP connection request in the middle of a frame"));
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, OversizedTpktLength) {
  ScriptedPeer peer({receive(), send(frame({0x03, 0x00, 0xFF, 0xFF, 0x11, 0xD0}))});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "TPKT length of 65535 bytes, more than the 487 the PDU size allows"));
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, WrongTpktVersion) {
  Bytes confirm = kConnectionConfirm;
  confirm[0] = 0x48;  // 'H': an HTTP server answering
  ScriptedPeer peer({receive(), send(confirm)});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "TPKT version 72 (expected 3): is this port an S7 PLC"));
  EXPECT_EQ(session.error().code, ErrorCode::bad_response);
}

TEST_F(S7ClientTest, CotpDisconnectInsteadOfConfirm) {
  ScriptedPeer peer({receive(),
                     send(frame({
                         0x03, 0x00, 0x00, 0x0B,                    // TPKT, 11 bytes
                         0x06, 0x80, 0x00, 0x01, 0x00, 0x00, 0x81,  // disconnect, remote congestion
                     })),
                     close_connection()});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "COTP disconnect request, reason 0x81: remote congestion"));
  EXPECT_EQ(session.error().code, ErrorCode::refused_by_plc);
  EXPECT_TRUE(contains(session.error().message, "check the rack and slot"));
}

// ---- S7 violations ----

TEST_F(S7ClientTest, WrongProtocolId) {
  Bytes answer = setup_ack(1, 480);
  answer[7] = 0x72;  // S7comm-plus
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(answer)});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "protocol id 0x72 instead of 0x32 (S7comm)"));
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, RefusedSetupCommunication) {
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 480, 1, 0x81, 0x04))});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(
      contains(session.error().message, "the PLC refused the Setup Communication request: error class 0x81 code 0x04"));
  EXPECT_EQ(session.error().code, ErrorCode::refused_by_plc);
}

TEST_F(S7ClientTest, SetupCommunicationWithPduSizeZero) {
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 0))});
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "negotiated a PDU size of 0 bytes"));
}

TEST_F(S7ClientTest, SmallPduSizeIsAcceptedAndLimitsTheSession) {
  ScriptedPeer peer(handshake(120, 3));
  auto session = connect(peer);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->pdu_size, 120);
  EXPECT_EQ(session->parallel_jobs, 3);
}

TEST_F(S7ClientTest, APlcOfferingMoreThanAskedCannotSendMoreThanAsked) {
  // Asked for 480, the PLC offers 65535, then streams data TPDUs without EOT: the answer is
  // cut off at the 480 bytes the session uses, not buffered up to 64 KiB until the timeout.
  const Bytes fragment(200, 0x55);
  ScriptedPeer peer(with(handshake(65535, 1), {receive(), send(data_tpdu(fragment, false)),
                                               send(data_tpdu(fragment, false)), send(data_tpdu(fragment, false))}));
  auto session = connect(peer);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->pdu_size, 480);
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "S7 PDU longer than the negotiated PDU size of 480 bytes"));
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, AnAnswerToAReferenceAlreadyAnsweredIsRefused) {
  // The PLC answers reference 2 twice while reference 3 is still in flight.
  const ReadPlan plan = plan_of({{db_item(10, 0, 4)}, {db_item(11, 0, 4)}});
  ScriptedPeer peer(with(handshake(480, 2), {receive(), receive(), send(one_item_ack(2)), send(one_item_ack(2))}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(plan));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "PDU reference 2, which matches no Read Var request in flight"));
  EXPECT_EQ(answers.error().code, ErrorCode::bad_response);
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, ErrorClassInAckData) {
  ScriptedPeer peer(with(handshake(), {receive(), send(data_tpdu(frame({
                                                      0x32, 0x03, 0x00, 0x00, 0x00, 0x02,  // ack_data, reference 2
                                                      0x00, 0x00, 0x00, 0x00,              // no parameters, no data
                                                      0x85, 0x00,                          // error on supplies
                                                  })))}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "the PLC refused the Read Var request: error class 0x85 code 0x00"));
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, ItemCountMismatch) {
  ScriptedPeer peer(with(handshake(), {receive(), send(data_tpdu(read_ack(2, 2,
                                                                          frame({
                                                                              0xFF,
                                                                              0x04,
                                                                              0x00,
                                                                              0x20,
                                                                              0x11,
                                                                              0x22,
                                                                              0x33,
                                                                              0x44,
                                                                              0xFF,
                                                                              0x04,
                                                                              0x00,
                                                                              0x08,
                                                                              0x5A,
                                                                          }))))}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "the PLC answered 2 items to a Read Var request of 1"));
}

TEST_F(S7ClientTest, DataLengthBeyondFrame) {
  ScriptedPeer peer(
      with(handshake(), {receive(), send(data_tpdu(read_ack(2, 1,
                                                            frame({
                                                                0xFF, 0x09, 0x00, 0x04,  // 4 octets announced
                                                                0x11, 0x22,              // 2 present
                                                            }))))}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "announces 4 bytes for item 1 (DB10 bytes 0..3) but holds 2"));
}

TEST_F(S7ClientTest, AnswerToNoRequestInFlight) {
  ScriptedPeer peer(with(handshake(), {receive(), send(one_item_ack(77))}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "PDU reference 77, which matches no Read Var request in flight"));
}

// ---- silence and closes ----

TEST_F(S7ClientTest, SilentPeerTimesOut) {
  ScriptedPeer peer({receive()});  // takes the connection request, never answers
  auto session = connect(peer);
  ASSERT_FALSE(session);
  EXPECT_TRUE(contains(session.error().message, "no answer from the PLC within 300 ms to the COTP connection request"));
  EXPECT_EQ(session.error().code, ErrorCode::timeout);
  EXPECT_FALSE(client_.is_open());
}

TEST_F(S7ClientTest, SilentPeerDuringReadTimesOut) {
  ScriptedPeer peer(with(handshake(), {receive()}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message, "no answer from the PLC within 300 ms to the Read Var request"));
  EXPECT_EQ(answers.error().code, ErrorCode::timeout);
}

TEST_F(S7ClientTest, PeerClosesMidFrame) {
  ScriptedPeer peer(with(handshake(), {receive(), send(frame({0x03, 0x00, 0x00, 0x1F, 0x02, 0xF0, 0x80, 0x32, 0x03})),
                                       close_connection()}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_FALSE(answers);
  EXPECT_TRUE(contains(answers.error().message,
                       "the PLC closed the connection during the Read Var request in the middle of a frame"));
  EXPECT_EQ(answers.error().code, ErrorCode::closed);
}

// ---- fragments and parallel jobs ----

TEST_F(S7ClientTest, PduSplitOverSeveralDataTpdusIsJoined) {
  const Bytes pdu = read_ack(2, 1, frame({0xFF, 0x04, 0x00, 0x20, 0x11, 0x22, 0x33, 0x44}));
  const Bytes first(pdu.begin(), pdu.begin() + 5);
  const Bytes second(pdu.begin() + 5, pdu.begin() + 15);
  const Bytes third(pdu.begin() + 15, pdu.end());
  ScriptedPeer peer(with(handshake(), {receive(), send(data_tpdu(first, false)), send(data_tpdu(second, false)),
                                       send(data_tpdu(third, true))}));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(kOneItem));
  ASSERT_TRUE(answers) << answers.error().message;
  EXPECT_EQ((*answers)[0].items[0].data, frame({0x11, 0x22, 0x33, 0x44}));
}

TEST_F(S7ClientTest, ParallelJobsAreMatchedByReference) {
  // Two jobs granted: the client sends two requests before the first answer; the peer answers
  // the second first.
  const ReadPlan plan = plan_of({{db_item(10, 0, 4)}, {db_item(11, 0, 4)}, {db_item(12, 0, 4)}});
  auto item = [](int value) { return frame({0xFF, 0x04, 0x00, 0x20, value, value, value, value}); };
  ScriptedPeer peer(with(handshake(480, 2), {
                                                receive(),
                                                receive(),
                                                send(data_tpdu(read_ack(3, 1, item(0xBB)))),
                                                receive(),
                                                send(data_tpdu(read_ack(2, 1, item(0xAA)))),
                                                send(data_tpdu(read_ack(4, 1, item(0xCC)))),
                                            }));
  ASSERT_TRUE(connect(peer));
  auto answers = run(io_, client_.read(plan));
  ASSERT_TRUE(answers) << answers.error().message;
  ASSERT_EQ(answers->size(), 3u);
  EXPECT_EQ((*answers)[0].items[0].data, frame({0xAA, 0xAA, 0xAA, 0xAA}));
  EXPECT_EQ((*answers)[1].items[0].data, frame({0xBB, 0xBB, 0xBB, 0xBB}));
  EXPECT_EQ((*answers)[2].items[0].data, frame({0xCC, 0xCC, 0xCC, 0xCC}));
}

// ---- Write Var ----

TEST_F(S7ClientTest, WriteSendsTheItemAndReturnsTheReturnCode) {
  auto write_ack = [](int reference, int code) {
    return data_tpdu(
        frame({0x32, 0x03, 0x00, 0x00, 0x00, reference, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x05, 0x01, code}));
  };
  ScriptedPeer peer(with(handshake(), {receive(), send(write_ack(2, 0xFF)), receive(), send(write_ack(3, 0x05))}));
  ASSERT_TRUE(connect(peer));
  Address word;
  word.area = Area::data_block;
  word.db = 10;
  word.offset = 6;
  word.type = DataType::Word;
  auto written = run(io_, client_.write(word, frame({0xAB, 0xCD})));
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(*written, 0xFF);
  auto refused = run(io_, client_.write(word, frame({0xAB, 0xCD})));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(*refused, 0x05);
  EXPECT_TRUE(client_.is_open());  // a refusal is not a connection failure
  peer.finish();
  ASSERT_EQ(peer.received().size(), 4u);
  const Bytes write_request = frame({
      0x03, 0x00, 0x00, 0x25, 0x02, 0xF0, 0x80,                                // TPKT 37 bytes, COTP data
      0x32, 0x01, 0x00, 0x00, 0x00, 0x02,                                      // job, reference 2
      0x00, 0x0E, 0x00, 0x06,                                                  // parameters 14, data 6
      0x05, 0x01,                                                              // Write Var, 1 item
      0x12, 0x0A, 0x10, 0x02, 0x00, 0x02, 0x00, 0x0A, 0x84, 0x00, 0x00, 0x30,  // DB10.DBB6, 2 bytes
      0x00, 0x04, 0x00, 0x10, 0xAB, 0xCD,                                      // 16 bits of data
  });
  EXPECT_EQ(peer.received()[2], write_request);
}

// ---- the driver over a small simulated PLC ----

// Answers Read Var requests from memory (DB10 only; any other area: object does not exist).
// The request is parsed here independently of the codec under test.
Bytes simulated_plc(const Bytes& request, const Bytes& db10) {
  const std::size_t s7 = 7;  // after TPKT and COTP
  const int reference = (request[s7 + 4] << 8) | request[s7 + 5];
  const int count = request[s7 + 11];
  Bytes items;
  for (int i = 0; i < count; ++i) {
    const std::size_t at = s7 + 12 + 12 * static_cast<std::size_t>(i);
    const std::size_t length = static_cast<std::size_t>((request[at + 4] << 8) | request[at + 5]);
    const int db = (request[at + 6] << 8) | request[at + 7];
    const int area = request[at + 8];
    const std::size_t start =
        static_cast<std::size_t>((request[at + 9] << 16) | (request[at + 10] << 8) | request[at + 11]) / 8;
    if (area != 0x84 || db != 10 || start + length > db10.size()) {
      items.insert(items.end(), {0x0A, 0x00, 0x00, 0x00});
      continue;
    }
    const std::size_t bits = length * 8;
    items.insert(items.end(), {0xFF, 0x04, static_cast<std::uint8_t>(bits >> 8), static_cast<std::uint8_t>(bits)});
    items.insert(items.end(), db10.begin() + static_cast<std::ptrdiff_t>(start),
                 db10.begin() + static_cast<std::ptrdiff_t>(start + length));
    if (length % 2 == 1 && i + 1 < count) items.push_back(0x00);
  }
  return data_tpdu(read_ack(reference, count, items));
}

collect::PlcConfig plc_config(std::uint16_t port) {
  collect::PlcConfig plc;
  plc.name = "press";
  plc.host = "127.0.0.1";
  plc.timeout = milliseconds(300);
  collect::S7Connection s7;
  s7.port = port;
  s7.pdu_size = 480;
  plc.protocol = s7;
  return plc;
}

Address tag(std::uint16_t db, std::uint32_t offset, DataType type, std::uint8_t bit = 0) {
  Address address;
  address.area = Area::data_block;
  address.db = db;
  address.offset = offset;
  address.type = type;
  address.bit = bit;
  return address;
}

TEST(S7Driver, ReadsTagsAndMarksRefusedItemsBad) {
  const Bytes db10 = frame({0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x12, 0x34, 0x41, 0xAC, 0x00, 0x00});
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 480)),
                     answer([&](const Bytes& request) { return simulated_plc(request, db10); })});
  const std::vector<Address> tags = {tag(10, 4, DataType::Bool, 3), tag(10, 6, DataType::Word),
                                     tag(10, 8, DataType::Real), tag(99, 0, DataType::Int)};
  auto driver = make_s7_driver(plc_config(peer.port()), tags, "", kClock);
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->describe(),
            "S7 127.0.0.1:" + std::to_string(peer.port()) + " rack 0 slot 1, OP connection, PDU 480 bytes requested");
  const std::vector<std::size_t> selected = {0, 1, 2, 3};
  std::vector<collect::Reading> readings(4);
  collect::ReadStats stats;
  auto read = driver->read(selected, readings, stats);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_TRUE(driver->connected());
  EXPECT_EQ(driver->describe(), "S7 127.0.0.1:" + std::to_string(peer.port()) +
                                    " rack 0 slot 1, OP connection, PDU 480 bytes, 1 parallel job");

  EXPECT_EQ(readings[0].quality, collect::Quality::good) << readings[0].status;
  EXPECT_EQ(readings[0].value, collect::Value(true));
  EXPECT_EQ(readings[1].value, collect::Value(std::uint64_t{0x1234}));
  EXPECT_EQ(readings[2].value, collect::Value(21.5));
  EXPECT_EQ(readings[3].quality, collect::Quality::bad);
  EXPECT_EQ(readings[3].status.rfind("PLC return code 0x0A (object does not exist): DB99 does not exist in the PLC", 0),
            0u)
      << readings[3].status;
  EXPECT_TRUE(std::holds_alternative<std::monostate>(readings[3].value));
  for (const auto& reading : readings) EXPECT_EQ(reading.time_ms, kNowMs);
  EXPECT_EQ(stats.round_trips, 1u);
  EXPECT_GE(stats.items, 2u);
  EXPECT_GE(stats.bytes, 8u);
  EXPECT_EQ(stats.minimum_round_trips, 1u);
}

TEST(S7Driver, ConnectionErrorsNameThePlcAndDisconnect) {
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 480)), receive()});
  auto driver = make_s7_driver(plc_config(peer.port()), {tag(10, 0, DataType::Int)}, "", kClock);
  const std::vector<std::size_t> selected = {0};
  std::vector<collect::Reading> readings(1);
  collect::ReadStats stats;
  auto read = driver->read(selected, readings, stats);
  ASSERT_FALSE(read);
  EXPECT_TRUE(contains(read.error().message, "PLC press (127.0.0.1:" + std::to_string(peer.port()) +
                                                 "): no answer from the PLC within 300 ms to the Read Var request"));
  EXPECT_FALSE(driver->connected());
}

TEST(S7Driver, WriteRefusalNamesTheReturnCode) {
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 480)), receive(),
                     send(data_tpdu(frame({0x32, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x05,
                                           0x01, 0x05})))});
  auto driver = make_s7_driver(plc_config(peer.port()), {tag(10, 0, DataType::Int)}, "", kClock);
  auto written = driver->write(0, collect::Value(std::int64_t{-17}));
  ASSERT_FALSE(written);
  EXPECT_TRUE(contains(written.error().message, "refused the write of"));
  EXPECT_TRUE(contains(written.error().message, "PLC return code 0x05 (address out of range)"));
  peer.finish();
  ASSERT_EQ(peer.received().size(), 3u);
  // The value -17 as a big-endian INT at the end of the Write Var request.
  const Bytes& request = peer.received()[2];
  ASSERT_GE(request.size(), 2u);
  EXPECT_EQ(request[request.size() - 2], 0xFF);
  EXPECT_EQ(request[request.size() - 1], 0xEF);
}

Address string_tag(std::uint16_t db, std::uint32_t offset, std::uint16_t length) {
  Address address = tag(db, offset, DataType::String);
  address.string_length = length;
  return address;
}

TEST(S7Driver, ATagSplitAcrossItemsIsJoinedAndABadPartMakesItBad) {
  // PDU 240: one item carries at most 222 bytes, so the STRING[254] (256 bytes) is read as two
  // items in two PDUs. With 300 bytes in DB10 both parts arrive; with 230 the second part is
  // refused, and the string (only it) is bad with the PLC's return code.
  for (const std::size_t db_size : {std::size_t{300}, std::size_t{230}}) {
    SCOPED_TRACE("DB10 of " + std::to_string(db_size) + " bytes");
    Bytes db10(db_size, 0x00);
    db10[0] = 254;
    db10[1] = 5;
    for (std::size_t i = 0; i < 5; ++i) db10[2 + i] = static_cast<std::uint8_t>("hello"[i]);
    db10[220] = 0x12;
    db10[221] = 0x34;
    auto plc = [&](const Bytes& request) { return simulated_plc(request, db10); };
    ScriptedPeer peer(
        {receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 240)), answer(plc), answer(plc)});
    const std::vector<Address> tags = {string_tag(10, 0, 254), tag(10, 220, DataType::Word)};
    auto driver = make_s7_driver(plc_config(peer.port()), tags, "", kClock);
    const std::vector<std::size_t> selected = {0, 1};
    std::vector<collect::Reading> readings(2);
    collect::ReadStats stats;
    auto read = driver->read(selected, readings, stats);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(stats.round_trips, 2u);
    EXPECT_EQ(readings[1].value, collect::Value(std::uint64_t{0x1234})) << readings[1].status;
    if (db_size == 300) {
      EXPECT_EQ(readings[0].quality, collect::Quality::good) << readings[0].status;
      EXPECT_EQ(readings[0].value, collect::Value(std::string("hello")));
    } else {
      EXPECT_EQ(readings[0].quality, collect::Quality::bad);
      EXPECT_EQ(readings[0].status.rfind("PLC return code 0x0A (object does not exist): DB10 does not exist", 0), 0u)
          << readings[0].status;
      EXPECT_TRUE(std::holds_alternative<std::monostate>(readings[0].value));
    }
  }
}

TEST(S7Driver, StringWriteIsRefusedWhenThePlcDeclaresAnotherMaximum) {
  // The PLC's string at DB10.DBB0 is a STRING[10]; the tag says STRING[20]: writing its 22
  // bytes would overwrite the 10 bytes after the string.
  Bytes db10(32, 0x00);
  db10[0] = 10;
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 480)),
                     answer([&](const Bytes& request) { return simulated_plc(request, db10); })});
  auto driver = make_s7_driver(plc_config(peer.port()), {string_tag(10, 0, 20)}, "", kClock);
  auto written = driver->write(0, collect::Value(std::string("abc")));
  ASSERT_FALSE(written);
  EXPECT_TRUE(contains(written.error().message, "the PLC declares this string as STRING[10]"));
  EXPECT_TRUE(contains(written.error().message, "set the tag's type to STRING[10]"));
  peer.finish();
  EXPECT_EQ(peer.received().size(), 3u);  // connection request, setup, the header read: no write
}

TEST(S7Driver, StringWriteKeepsTheDeclaredMaximumByte) {
  Bytes db10(32, 0x00);
  db10[4] = 6;
  const Bytes write_ack =
      data_tpdu(frame({0x32, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x05, 0x01, 0xFF}));
  ScriptedPeer peer({receive(), send(kConnectionConfirm), receive(), send(setup_ack(1, 480)),
                     answer([&](const Bytes& request) { return simulated_plc(request, db10); }), receive(),
                     send(write_ack)});
  auto driver = make_s7_driver(plc_config(peer.port()), {string_tag(10, 4, 6)}, "", kClock);
  auto written = driver->write(0, collect::Value(std::string("abc")));
  ASSERT_TRUE(written) << written.error().message;
  peer.finish();
  ASSERT_EQ(peer.received().size(), 4u);
  const Bytes& request = peer.received()[3];
  ASSERT_GE(request.size(), 8u);
  // Maximum 6, current length 3, "abc", the unused characters zero.
  EXPECT_EQ(Bytes(request.end() - 8, request.end()), frame({6, 3, 'a', 'b', 'c', 0, 0, 0}));
}

}  // namespace
}  // namespace logbot::agent::s7
